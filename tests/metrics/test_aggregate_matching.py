"""Returns rows find their registry branch by name, township and county, as docs/metrics.md says."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.aggregate import branches
from pipelines.aggregate.engine import connect

import metrics_frames as mf


def _registry() -> pd.DataFrame:
    rows = [
        ("梅江区", "金山街道", "a1"),      # 0: a name held once
        ("梅江区", "金山街道", "第一党支部"),  # 1: held by three branches …
        ("梅江区", "江南街道", "第一党支部"),  # 2: … two of them in the same county
        ("梅县", "程江镇", "第一党支部"),      # 3: … and one in another county
        ("梅县", "程江镇", "b1"),          # 4
    ]
    f = pd.DataFrame(rows, columns=["county", "township", "branch"]).astype("str")
    f["county_code"] = f["county"].map(mf.CODES).astype("str")
    f["members"] = pd.array([10] * len(f), dtype="Int64")
    return f


@pytest.fixture(scope="module")
def engine():
    eng = connect("duckdb")
    yield eng
    eng.close()


def _ids(engine, rows: list[tuple]) -> list[int]:
    """The registry branch each returns row is matched to (−1: none), through the engine's join.

    The row's position travels in its ``studied`` count, which the branch values keep.
    """
    base = next(r for r in mf.returns_rows() if r["branch"] == "a2")
    frame = mf.returns([dict(base, county=c, township=t, branch=b, studied=i) for i, (c, t, b) in enumerate(rows)])
    reg = branches.registry_frame(_registry())
    values = branches.branch_values(engine.table(frame), engine.table(reg))
    got = engine.frame(values.select("branch_id", "studied"))
    by_row = dict(zip(got["studied"], got["branch_id"], strict=True))
    assert len(by_row) == len(got)  # one registry branch per matched row
    return [int(by_row.get(i, -1)) for i in range(len(rows))]


def test_exact_key_and_township_fallback(engine):
    assert _ids(engine, [
        ("梅江区", "金山街道", "a1"),        # exact
        ("梅江区", "", "a1"),              # blank township, name unique in its county
        ("梅江区", "江南街道", "a1"),        # wrong township: (county, branch) is unique
        ("梅江区", "江南街道", "第一党支部"),  # exact, among namesakes
        ("梅县", None, "第一党支部"),        # blank township: the only one of that name in 梅县
        ("梅县", "程江镇", "b1"),
    ]) == [0, 0, 0, 2, 3, 4]


def test_rows_that_match_nothing(engine):
    assert _ids(engine, [
        ("梅县", "程江镇", "a1"),           # the name exists, in another county only
        ("梅江区", "", "第一党支部"),        # two namesakes in 梅江区: which one is unknowable
        ("梅江区", "新街道", "第一党支部"),   # an unknown township does not pick one either
        ("梅江区", "金山街道", "zz"),        # unknown name
        ("平远县", "大柘镇", "a1"),          # unknown county
        (None, "金山街道", "a1"),            # blank county
        ("梅江区", "金山街道", None),        # blank name
    ]) == [-1] * 7


def test_a_memory_limit_reaches_spark_in_the_jvms_spelling():
    """DuckDB's spelling (checked by params: 2GB, 512 MiB) is what users give; the JVM wants 2097152k."""
    from pipelines.aggregate.engine import _spark_size

    assert _spark_size("2GB") == _spark_size("2 GiB") == "2097152k"
    assert _spark_size("512MB") == "524288k" and _spark_size("1.5GB") == "1572864k"
