"""The truth of the sample: headline figures, progress, weak links, deliberate bad rows."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

from pipelines.domain import load
from pipelines.sample import PERIODS, build_sample
from pipelines.sample.names import BRANCHES
from pipelines.sample.truth import ACTIVITIES, COUNT_COLUMNS, RETURN_COLUMNS, SPECIAL

LAST = PERIODS[-1]


@pytest.fixture(scope="module")
def sample():
    return build_sample(2005)


@pytest.fixture(scope="module")
def last(sample):
    r = sample.returns
    return r[r["period"] == LAST]


def _reach(frame: pd.DataFrame) -> pd.Series:
    g = frame.groupby("county")
    return (g["delivered_study"].sum() + g["makeup_study"].sum()) / g[list(SPECIAL)].sum().sum(axis=1)


def _coverage(frame: pd.DataFrame, col: str, by: str = "county") -> pd.Series:
    return (frame[col] > 0).groupby(frame[by]).mean()


def test_same_seed_same_sample_other_seed_other_sample(sample):
    again = build_sample(2005)
    for name in ("registry", "returns", "bad_rows", "written"):
        pdt.assert_frame_equal(getattr(sample, name), getattr(again, name))
    other = build_sample(7)
    assert not other.registry["members"].equals(sample.registry["members"])
    assert other.registry["members"].sum() == sample.registry["members"].sum()


def test_returns_follow_the_contract_layout(sample):
    r = sample.returns
    assert list(r.columns) == list(RETURN_COLUMNS)
    assert str(r["period"].dtype) == "datetime64[ns]"
    assert all(str(r[c].dtype) == "Int64" for c in COUNT_COLUMNS)
    assert str(r["avg_score"].dtype) == "Float64" and str(r["has_work_plan"].dtype) == "boolean"
    assert list(pd.unique(r["county"])) == load.county_order()
    codes = dict(zip(r["county"], r["county_code"], strict=True))
    assert codes["梅县"] == "441421" and codes["市直单位"] == "441400"


@pytest.mark.parametrize("seed", [2005, 11])
def test_headline_figures_of_the_report_at_02_25(sample, seed):
    data = sample if seed == 2005 else build_sample(seed)
    last = data.returns[data.returns["period"] == LAST]
    assert len(last) == 2394
    assert last.groupby("county").size().to_dict() == BRANCHES
    assert int(last["members"].sum()) == 52417
    assert (last["test_takers"] == last["members"]).all()  # participation 100 %
    assert int(last["sheets_returned"].sum()) == 51788
    assert round(last["sheets_returned"].sum() / last["test_takers"].sum(), 3) == 0.988
    score = (last["avg_score"] * last["test_takers"]).sum() / last["test_takers"].sum()
    assert round(float(score), 1) == 99.5
    assert last["has_work_plan"].all()


def test_registry_lists_every_branch_with_realistic_sizes(sample, last):
    reg = sample.registry
    assert list(reg.columns) == ["county", "county_code", "township", "branch", "members"]
    assert not reg.duplicated(["county", "branch"]).any()
    merged = last.merge(reg, on=["county", "township", "branch"], suffixes=("", "_reg"), validate="1:1")
    assert len(merged) == len(reg) == 2394 and (merged["members"] == merged["members_reg"]).all()
    m = reg["members"]
    assert m.between(3, 6).sum() >= 10 and m.between(80, 200).sum() >= 10 and m.max() <= 200
    assert m.between(10, 40).mean() > 0.75
    assert reg.loc[reg["county"] == "市直单位", "township"].isin(["市直机关工委", "市教育局", "市卫生局"]).any()
    names = reg["branch"]
    for kind in ("村党支部", "居委会党支部", "中心小学党支部", "局机关党支部"):
        assert names.str.endswith(kind).any(), kind


def test_every_truth_row_keeps_the_rules(sample):
    r = sample.returns
    counts = r[list(COUNT_COLUMNS)]
    assert (counts.fillna(0) >= 0).all().all()
    assert (r["studied"] <= r["members"]).all()
    assert (r["test_takers"].fillna(0) <= r["members"]).all()
    assert (r["sheets_returned"].fillna(0) <= r["test_takers"].fillna(0)).all()
    assert r["avg_score"].dropna().between(0, 100).all()
    assert (r["delivered_study"] + r["makeup_study"] <= r[list(SPECIAL)].sum(axis=1)).all()
    assert not r.duplicated(["period", "county", "branch"]).any()


def test_progress_across_periods(sample):
    r = sample.returns
    g = r.groupby("period")
    reported = g.size()
    assert reported.is_monotonic_increasing and reported.iloc[0] < 0.85 * 2394
    studied = g["studied"].sum() / g["members"].sum()
    assert studied.is_monotonic_increasing and studied.iloc[0] < 0.8 < studied.iloc[-1]
    tested = g["test_takers"].sum() / g["members"].sum()
    assert tested.iloc[0] == 0 and tested.iloc[1] < 0.15 and tested.is_monotonic_increasing
    for col in ACTIVITIES:
        cov = g[col].apply(lambda s: (s > 0).mean())
        assert cov.is_monotonic_increasing, col
    reach = (g["delivered_study"].sum() + g["makeup_study"].sum()) / r[list(SPECIAL)].sum(axis=1).groupby(r["period"]).sum()
    assert reach.is_monotonic_increasing
    # cumulative counts never fall for a branch that reports in consecutive periods
    wide = r.set_index(["county", "branch", "period"])["discussion_meetings"].unstack("period")
    diffs = wide.diff(axis=1).stack()
    assert (diffs >= 0).all()


def test_early_periods_have_missing_rows_and_untested_branches(sample):
    r = sample.returns
    early = r[r["period"] == PERIODS[1]]
    assert early["test_takers"].isna().any()  # blank in some counties
    assert (early["test_takers"] == 0).any()  # 0 in others
    assert early.loc[early["test_takers"].isna(), "avg_score"].isna().all()
    per_county = r[r["period"] == PERIODS[0]].groupby("county").size() / pd.Series(BRANCHES)
    assert per_county.min() < 0.7 and per_county.max() < 1


def test_designed_weak_links(last):
    reach = _reach(last)
    assert 0.6 <= reach["五华县"] <= 0.78
    assert reach.drop("五华县").min() >= 0.88
    for col in ("situation_reports", "party_lectures"):
        cov = _coverage(last, col)
        assert cov.idxmin() == "大埔县" and cov["大埔县"] < 0.85 <= cov.drop("大埔县").min(), col
        dabu = last[last["county"] == "大埔县"]
        towns = _coverage(dabu, col, by="township")
        assert set(towns[towns < 0.5].index) == {"光德镇", "青溪镇"}, col
    exchange = _coverage(last, "exchange_meetings")
    assert exchange["市直单位"] > 0.6 and exchange.drop("市直单位").max() < 0.25


def test_bad_rows_are_documented_early_and_out_of_the_truth(sample):
    bad = sample.bad_rows
    assert list(bad.columns) == ["period", "county", "township", "branch", "column", "rule", "raw_value", "intended"]
    assert (bad["period"] < LAST).all()
    assert set(bad["rule"]) == {"negative_count", "studied_gt_members", "duplicate_branch", "score_out_of_range",
                                "subtotal_mismatch"}
    w, r = sample.written, sample.returns
    for b in bad.itertuples():
        at = (w["period"] == b.period) & (w["county"] == b.county) & (w["branch"] == b.branch)
        in_truth = ((r["period"] == b.period) & (r["county"] == b.county) & (r["branch"] == b.branch)).sum()
        if b.rule == "negative_count":
            assert int(w.loc[at, b.column].iloc[0]) < 0 and in_truth == 0
        elif b.rule == "studied_gt_members":
            assert (w.loc[at, "studied"] > w.loc[at, "members"]).all() and in_truth == 0
        elif b.rule == "score_out_of_range":
            assert float(w.loc[at, "avg_score"].iloc[0]) > 100 and in_truth == 0
        elif b.rule == "duplicate_branch":
            assert at.sum() == 2 and set(w.loc[at, "part"]) == {"main", "late"} and in_truth == 1
        else:
            assert b.branch == "小计" and int(b.raw_value) != int(b.intended)
    # the written rows break no rule except those listed
    ok = w[(w["period"] == LAST)]
    assert (ok["studied"] <= ok["members"]).all() and ok["avg_score"].le(100).all()


def test_every_period_uses_all_nine_styles_and_they_rotate(sample):
    from pipelines.sample.plan import describe

    d = describe(sample.written)
    main = d[d["style"] != "xlsx_late"]
    assert (main.groupby("period")["style"].nunique() == 9).all()
    assert (main.groupby("county")["style"].nunique() == 4).all()  # no county keeps its style
    assert set(d.loc[d["period"] == "2005-02-25", "file"]) >= {"兴宁2005-02-25.csv", "梅县先进性教育统计表.xls"}
