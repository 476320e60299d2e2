"""Outputs: validated against pipelines.schema before anything is written, written as one set
(a new version switched in by one pointer, pipelines.datasets)."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

import pipelines.ingest.clean  # noqa: F401 - loaded so that sys.modules holds it (CLEAN_MODULE below)
from pipelines import datasets, schema, table_sets
from pipelines.ingest import OutputSchemaError, clean
from pipelines.ingest import clean as _clean_fn  # noqa: F401  (the function; the module is below)
from pipelines.ingest import outputs as OUTPUTS

from ingest_files import write_csv

CLEAN_MODULE = sys.modules["pipelines.ingest.clean"]
NAMES = ("returns", "registry", "rejects", "warnings", "manifest")


def _raw(tmp_path, members=3):
    write_csv(tmp_path / "raw" / "2005-02-25" / "梅县.csv", [["党支部", "党员数"], ["甲支部", members]])
    return tmp_path / "raw"


def _snapshot(out):
    """Every byte of every table as readers find it (each partition's file through the public names)."""
    return {n: {f.relative_to(out).as_posix(): f.read_bytes() for f in datasets.part_files(out, n)} for n in NAMES}


def test_a_failure_while_writing_leaves_every_previous_output(tmp_path, monkeypatch):
    out = tmp_path / "out"
    clean(_raw(tmp_path), out)
    before = _snapshot(out)
    (tmp_path / "raw" / "2005-02-25" / "梅县.csv").write_text("党支部,党员数\n甲支部,4\n乙支部,5\n", encoding="utf-8")
    real = pd.DataFrame.to_parquet
    calls = []

    def failing(df, target, *args, **kwargs):
        calls.append(target)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(df, target, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)
    with pytest.raises(OSError):
        clean(tmp_path / "raw", out)
    assert len(calls) >= 2
    assert _snapshot(out) == before  # all five or none: the first write was not put in place either
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]  # no half-written file left
    assert len(list((out / table_sets.VERSIONS).iterdir())) == 1  # nor a half-made set
    datasets.read(out, "manifest")  # still a whole, readable file


def test_a_schema_failure_writes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out"
    clean(_raw(tmp_path), out)
    before = _snapshot(out)
    real = OUTPUTS.returns_table

    def broken(*args, **kwargs):
        df = real(*args, **kwargs)
        return df.assign(members=pd.array([-5] * len(df), dtype="Int64"))

    monkeypatch.setattr(OUTPUTS, "returns_table", broken)
    _raw(tmp_path, members=4)  # the period changed: its tables are made again
    with pytest.raises(OutputSchemaError) as info:
        clean(tmp_path / "raw", out)
    assert "returns" in str(info.value)
    assert _snapshot(out) == before
    monkeypatch.undo()  # nothing the failed run made is taken for a result
    assert clean(tmp_path / "raw", out).returns["members"].tolist() == [4]


def _valid_returns() -> pd.DataFrame:
    df = schema.empty("returns")
    row = {c: pd.NA for c in df.columns}
    row.update(period=pd.Timestamp("2005-02-25"), county="梅县", county_code="441421", township="程江镇",
               branch="甲支部", members=10, studied=10, test_takers=10, sheets_returned=9, avg_score=99.0,
               has_work_plan=True, source_file="x.csv", source_sheet=None, source_row=2)
    return pd.concat([df, pd.DataFrame([row])], ignore_index=True).astype(df.dtypes.to_dict())


def test_schema_accepts_a_valid_frame():
    schema.enforce(_valid_returns(), "returns")


@pytest.mark.parametrize(
    "breakage",
    [
        lambda df: df.assign(members=pd.array([-1], dtype="Int64")),
        lambda df: df.assign(avg_score=pd.array([101.0], dtype="Float64")),
        lambda df: df.assign(studied=pd.array([11], dtype="Int64")),
        lambda df: df.assign(sheets_returned=pd.array([11], dtype="Int64")),
        lambda df: df.assign(members=df["members"].astype("float64")),
        lambda df: df.assign(extra=1),
        lambda df: df.drop(columns=["township"]),
        lambda df: pd.concat([df, df], ignore_index=True),  # the same branch twice in one period
        lambda df: df.assign(period=pd.Series([pd.Timestamp("2005-02-25 12:00")], dtype="datetime64[ns]")),
        lambda df: df.assign(branch=pd.Series([None], dtype="str")),
    ],
)
def test_schema_rejects_broken_frames(breakage):
    with pytest.raises(OutputSchemaError):
        schema.enforce(breakage(_valid_returns()), "returns")


def test_manifest_schema_checks_kept_plus_rejected():
    m = schema.empty("manifest")
    row = dict(path="a.csv", sha256="0" * 64, size=1, format="text", county="梅县", period=pd.Timestamp("2005-02-25"),
               sheets="", rows_read=3, rows_kept=2, rows_rejected=0, hidden_rows=0, status="ok", warnings="",
               warning_counts="{}", unmatched_branches=0, reused=False)
    bad = pd.concat([m, pd.DataFrame([row])], ignore_index=True).astype(m.dtypes.to_dict())
    with pytest.raises(OutputSchemaError):
        schema.enforce(bad, "manifest")
    schema.enforce(bad.assign(rows_rejected=pd.array([1], dtype="Int64")), "manifest")


def test_written_tables_have_the_contract_columns_and_dtypes(tmp_path):
    res = clean(_raw(tmp_path), tmp_path / "out")
    for name in NAMES:
        back = datasets.read(tmp_path / "out", name)
        assert list(back.columns) == list(schema.SCHEMAS[name].columns)
        schema.enforce(back, name)  # what a later stage reads still passes the schema
    assert res.exit_status == 0
