"""End to end on the seeded sample: the cleaned 2005-02-25 city totals are the report's figures,
the cleaned returns equal the sample's truth, and its deliberate bad rows land in rejects."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipelines.ingest import clean
from pipelines.sample import build_sample, write_sample

KEY = ["period", "county", "branch"]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("sample")
    write_sample(base / "raw")
    return clean(base / "raw", base / "out"), build_sample()


def test_every_sample_file_is_read(sample_run):
    result, truth = sample_run
    assert result.exit_status == 0 and not result.errors
    m = result.manifest.set_index("path")
    assert set(m["status"]) <= {"ok", "warning"}
    # rows read: every row the sample wrote (bad rows included), and the registry's rows
    assert m.loc[m["period"].notna(), "rows_read"].sum() == len(truth.written)
    assert m.loc[m["period"].isna(), "rows_read"].sum() == len(truth.registry)
    # rows kept and rejected per file, counted from returns and from the distinct rows in rejects
    kept = result.returns.groupby("source_file").size()
    rejected = (result.rejects.dropna(subset=["source_row"])
                .drop_duplicates(["source_file", "source_sheet", "source_row"]).groupby("source_file").size())
    returns_files = m.index[m["period"].notna()]
    assert m.loc[returns_files, "rows_kept"].to_dict() == kept.reindex(returns_files, fill_value=0).to_dict()
    assert m["rows_rejected"].to_dict() == rejected.reindex(m.index, fill_value=0).to_dict()
    assert m["rows_rejected"].sum() == len(truth.written) - len(truth.returns)


def test_city_totals_at_2005_02_25_are_the_reports_figures(sample_run):
    result, _ = sample_run
    r = result.returns[result.returns["period"] == pd.Timestamp("2005-02-25")]
    assert len(r) == 2394
    assert r["members"].sum() == 52417
    assert r["test_takers"].sum() / r["members"].sum() == 1.0
    assert round(r["sheets_returned"].sum() / r["test_takers"].sum(), 3) == 0.988
    assert round((r["avg_score"] * r["test_takers"]).sum() / r["test_takers"].sum(), 1) == 99.5


def test_cleaned_returns_equal_the_truth(sample_run):
    result, truth = sample_run
    expected = truth.returns.sort_values(KEY).reset_index(drop=True)
    got = result.returns[list(expected.columns)].sort_values(KEY).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert result.unmatched.empty  # every branch is in the registry


def test_deliberate_bad_rows_land_in_rejects(sample_run):
    result, truth = sample_run
    rej = result.rejects
    for bad in truth.bad_rows.itertuples(index=False):
        if bad.rule == "subtotal_mismatch":  # a total is a warning in the manifest, not a reject
            continue
        hit = rej[(rej["period"] == bad.period) & (rej["county"] == bad.county) & (rej["branch"] == bad.branch)
                  & (rej["rule"] == bad.rule) & (rej["column"] == bad.column)]
        assert len(hit) == 1, bad
        assert hit.iloc[0]["raw_value"] == str(bad.raw_value).removesuffix(".0")
    row_rules = {r for r in truth.bad_rows["rule"] if r != "subtotal_mismatch"}
    assert set(rej["rule"]) == row_rules  # and nothing else was rejected


def test_the_wrong_subtotal_is_the_one_total_mismatch(sample_run):
    result, truth = sample_run
    bad = truth.bad_rows[truth.bad_rows["rule"] == "subtotal_mismatch"].iloc[0]
    w = result.warnings[result.warnings["code"] == "total_mismatch"]
    assert len(w) == 1  # and no other total row of the sample disagrees
    row = w.iloc[0]
    assert row.period == bad.period and row.county == bad.county and row.column == "members"
    assert json.loads(row.params) == {"label": "小计", "diffs": [
        {"column": "members", "stated": int(bad.raw_value), "sum": int(bad.intended)}]}
    m = result.manifest.set_index("path").loc[row.source_file]
    assert json.loads(m.warning_counts) == {"total_mismatch": 1} and m.status == "warning"
    assert f"members stated {bad.raw_value} but its rows sum to {bad.intended}" in m.warnings


def test_the_sample_has_no_other_warning(sample_run):
    result, _ = sample_run
    assert set(result.warnings["code"]) == {"total_mismatch"}
    assert (result.manifest["hidden_rows"] == 0).all() and set(result.manifest["format"]) == {"xlsx", "xls", "text"}
