"""County, township and city metrics from files, against values worked out by hand (see metrics_frames)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import metrics_frames as mf


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return mf.run(tmp_path_factory.mktemp("units"))


def row(frame: pd.DataFrame, county: str) -> pd.Series:
    r = frame.loc[frame["county"] == county]
    assert len(r) == 1
    return r.iloc[0]


def close(a, b) -> bool:
    return (pd.isna(a) and b is None) or (b is not None and not pd.isna(a) and math.isclose(float(a), b, rel_tol=1e-9))


EXPECTED = {
    "梅江区": dict(branches_expected=3, branches_reported=2, report_rate=2 / 3, members_expected=60, members=30,
                 member_coverage=0.5, studied=28, studied_rate=28 / 30, test_takers=28, test_rate=28 / 30,
                 sheets_returned=27, return_rate=27 / 28, avg_score=2610 / 28, discussion_coverage=1.0,
                 deeds_coverage=0.5, situation_coverage=1.0, exchange_coverage=1.0, lecture_coverage=1.0,
                 all_activities_rate=0.5, due_activities_rate=0.5, work_plan_rate=0.5, special_members=5,
                 special_reached=3, special_reached_rate=0.6),
    "梅县": dict(branches_expected=2, branches_reported=2, report_rate=1.0, members=20, member_coverage=1.0,
               studied_rate=0.75, test_rate=0.5, return_rate=1.0, avg_score=80.0, discussion_coverage=1.0,
               deeds_coverage=0.5, all_activities_rate=0.5, due_activities_rate=0.5, work_plan_rate=0.5,
               special_members=0, special_reached=0, special_reached_rate=None),
    "兴宁市": dict(report_rate=1.0, studied_rate=1.0, avg_score=100.0, special_reached_rate=1.0, all_activities_rate=1.0),
    "平远县": dict(branches_expected=1, branches_reported=0, report_rate=0.0, members_expected=5, members=None,
                 member_coverage=None, studied_rate=None, test_rate=None, return_rate=None, avg_score=None,
                 discussion_coverage=None, all_activities_rate=None, work_plan_rate=None, special_reached_rate=None),
    "全市": dict(branches_expected=7, branches_reported=5, report_rate=5 / 7, members_expected=125, members=90,
               member_coverage=0.72, studied_rate=83 / 90, test_rate=78 / 90, return_rate=77 / 78, avg_score=95.0,
               discussion_coverage=1.0, deeds_coverage=0.6, situation_coverage=0.8, exchange_coverage=0.8,
               lecture_coverage=0.8, all_activities_rate=0.6, due_activities_rate=0.6, work_plan_rate=0.6,
               special_members=9, special_reached=7, special_reached_rate=7 / 9),
}


@pytest.mark.parametrize("county", list(EXPECTED))
def test_county_metrics_by_hand(result, county):
    r = row(result.county_metrics, county)
    for col, want in EXPECTED[county].items():
        assert close(r[col], want), (county, col, r[col], want)


def test_every_registry_county_and_the_city_have_a_row(result):
    cm = result.county_metrics
    assert list(cm["county"]) == ["梅江区", "梅县", "兴宁市", "平远县", "全市"]  # counties.yaml order, city last
    assert cm.columns[:3].tolist() == ["period", "county", "county_code"]
    assert row(cm, "全市")["county_code"] == "441400"


def test_zero_denominators_are_null_not_inf(result):
    cm = result.county_metrics
    for ind in result.indicators:
        v = cm[ind.id].astype("Float64")
        assert not v.isin([float("inf"), float("-inf")]).any()
    assert pd.isna(row(cm, "梅县")["special_reached_rate"])


def test_township_metrics(result):
    tm = result.township_metrics
    assert tm.columns[:4].tolist() == ["period", "county", "township", "county_code"]
    jin = tm.loc[tm["township"] == "金山街道"].iloc[0]
    jiang = tm.loc[tm["township"] == "江南街道"].iloc[0]
    assert jin["report_rate"] == 1.0 and jin["members"] == 30
    assert jiang["report_rate"] == 0.0 and pd.isna(jiang["studied_rate"])  # kept though nothing came in
    assert len(tm) == 5


def test_the_due_composite_leaves_out_what_is_not_due_yet(tmp_path):
    """a1 held every activity but the 学习心得交流会 (due 2005-03-04): before that date it counts as
    having held all that is due; after it, it does not."""
    rows = [dict(r, exchange_meetings=0) if r["branch"] == "a1" else r for r in mf.returns_rows()]
    rows = [dict(r, deeds_reports=1) if r["branch"] == "a1" else r for r in rows]
    late = [dict(r, period=pd.Timestamp("2005-03-11")) for r in rows]
    res = mf.run(tmp_path, rows + late)
    cm = res.county_metrics
    now = cm.loc[(cm["county"] == "梅江区") & (cm["period"] == mf.P1)].iloc[0]
    after = cm.loc[(cm["county"] == "梅江区") & (cm["period"] == pd.Timestamp("2005-03-11"))].iloc[0]
    assert now["due_activities_rate"] == 1.0 and now["all_activities_rate"] == 0.5
    assert after["due_activities_rate"] == 0.5 and after["all_activities_rate"] == 0.5


def test_county_with_only_unreadable_returns_keeps_its_row(tmp_path):
    """A county whose file failed: no returns rows, only a manifest entry; still listed with 0."""
    rows = [r for r in mf.returns_rows() if r["county"] != "兴宁市"]
    man = mf.manifest([{"path": "2005-02-04/兴宁.xlsx", "sha256": "x", "size": 1, "county": "兴宁市",
                        "period": mf.P1, "sheets": 0, "rows_read": 0, "rows_kept": 0, "rows_rejected": 0,
                        "status": "unreadable", "warnings": ""}])
    res = mf.run(tmp_path, rows, manifest_frame=man)
    r = row(res.county_metrics, "兴宁市")
    assert r["report_rate"] == 0.0 and pd.isna(r["avg_score"])
    dq = res.data_quality
    bad = dq.loc[(dq["county"] == "兴宁市") & (dq["check"] == "unreadable_files")].iloc[0]
    assert bad["value"] == 1 and not bad["passed"]


def test_periods_come_from_returns_and_manifest(tmp_path):
    man = mf.manifest([{"path": "p2/x.xlsx", "sha256": "x", "size": 1, "county": "梅县", "period": mf.P2,
                        "sheets": 0, "rows_read": 0, "rows_kept": 0, "rows_rejected": 0, "status": "unreadable",
                        "warnings": ""}])
    res = mf.run(tmp_path, manifest_frame=man)
    p2 = res.county_metrics.loc[res.county_metrics["period"] == mf.P2]
    assert len(p2) == 5 and (p2["report_rate"] == 0).all()


def test_unregistered_rows_are_left_out_and_counted(tmp_path):
    rows = mf.returns_rows()
    rows.append(dict(rows[0], branch="zz"))  # not in the registry: left out, counted by data quality
    res = mf.run(tmp_path, rows)
    r = row(res.county_metrics, "梅江区")
    assert r["branches_reported"] == 2 and r["studied"] == 28
    dq = res.data_quality
    u = dq.loc[(dq["county"] == "梅江区") & (dq["check"] == "unregistered_branches")].iloc[0]
    assert u["value"] == 1 and not u["passed"]
    city = dq.loc[(dq["county"] == "全市") & (dq["check"] == "unregistered_branches")].iloc[0]
    assert city["value"] == 1


def test_input_files_are_not_changed(tmp_path):
    mf.write(tmp_path)

    def files():
        return {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in sorted(tmp_path.rglob("*"))
                if p.is_file() and "out" not in p.relative_to(tmp_path).parts}

    before = files()
    from pipelines.metrics import compute_metrics

    compute_metrics(tmp_path, out=tmp_path / "out")
    assert files() == before


def test_no_period_at_all_gives_empty_typed_outputs(tmp_path):
    res = mf.run(tmp_path, [])
    for name, frame in res.frames().items():
        assert len(frame) == 0, name
    assert "report_rate" in res.county_metrics.columns and "rules" in res.findings.columns


def test_county_beyond_counties_yaml_comes_from_the_registry(tmp_path):
    reg = pd.concat([mf.registry(), pd.DataFrame({"county": ["新县"], "county_code": ["999999"], "township": ["t"],
                                                  "branch": ["x1"], "members": pd.array([5], dtype="Int64")})],
                    ignore_index=True)
    for c in ("county", "county_code", "township", "branch"):
        reg[c] = reg[c].astype("str")
    res = mf.run(tmp_path, registry_frame=reg)
    r = row(res.county_metrics, "新县")
    assert r["report_rate"] == 0 and r["county_code"] == "999999"
    assert list(res.county_metrics["county"])[-2:] == ["新县", "全市"]


def test_without_a_registry_the_units_come_from_the_returns(tmp_path):
    """No 党组织名册: how many branches were expected is unknown (null), everything else is computed."""
    res = mf.run(tmp_path, registry_frame=False)
    assert not res.registry_known
    r = row(res.county_metrics, "梅江区")
    assert r["branches_reported"] == 2 and pd.isna(r["branches_expected"]) and pd.isna(r["report_rate"])
    assert math.isclose(r["studied_rate"], 28 / 30)
    assert "平远县" not in set(res.county_metrics["county"])  # nobody knows it should have reported
    assert not (res.findings["indicator"] == "report_rate").any()
