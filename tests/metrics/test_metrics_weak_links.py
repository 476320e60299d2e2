"""Weak-link rules, severities, members affected, sentences and the small-denominator guard."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import metrics_frames as mf
from pipelines.metrics import load_indicators, load_thresholds, metrics_from_frames
from pipelines.metrics.weak_links import funnel_below


def run(rows=None, overrides=None, registry=None):
    th = load_thresholds(overrides=overrides)
    return metrics_from_frames(mf.returns(rows), registry if registry is not None else mf.registry(),
                               mf.rejects(), mf.manifest(), load_indicators(th), th)


@pytest.fixture(scope="module")
def links():
    return run().weak_links


def test_county_without_returns_is_critical_not_reported(links):
    r = links.loc[(links["level"] == "county") & (links["rule"] == "not_reported") & (links["county"] == "平远县")]
    assert len(r) == 1
    r = r.iloc[0]
    assert r["severity"] == "critical" and r["value"] == 0 and r["members_affected"] == 5
    assert r["reason_zh"] == "平远县应报党支部1个，已报0个，1个未上报，上报率0%。"
    assert r["reason_en"].startswith("Pingyuan: 0 of 1 branches reported")


def test_branch_not_reported_lists_the_branch(links):
    r = links.loc[(links["level"] == "branch") & (links["rule"] == "not_reported") & (links["branch"] == "a3")]
    assert len(r) == 1 and r.iloc[0]["members_affected"] == 30 and r.iloc[0]["township"] == "江南街道"
    assert r.iloc[0]["reason_zh"] == "梅江区江南街道a3截至2005年2月4日未上报报表，涉及党员30人。"


def test_below_target_and_below_city(links):
    # 梅县 studied 15 of 20 = 75.0%; city 83/90 = 92.2%; gap 17.2 pp > 10 → critical below_city
    r = links.loc[(links["county"] == "梅县") & (links["indicator"] == "studied_rate") & (links["level"] == "county")]
    rules = dict(zip(r["rule"], r["severity"]))
    assert rules["below_target"] == "critical"  # 75% < warning 95%
    assert rules["below_city"] == "critical"
    bc = r.loc[r["rule"] == "below_city"].iloc[0]
    assert round(bc["gap_pp"], 1) == 17.2 and bc["members_affected"] == 5
    assert bc["reason_zh"] == "梅县参学率75%，低于全市平均17.2个百分点。"
    assert bc["reason_en"] == "Meixian: Study rate 75%, 17.2 percentage points below the city average."


def test_worst_county_when_spread_is_wide(links):
    r = links.loc[(links["rule"] == "worst_county") & (links["indicator"] == "studied_rate")]
    assert list(r["county"]) == ["梅县"]
    assert "与最好的兴宁市（100%）相差25个百分点" in r.iloc[0]["reason_zh"]


def test_gap_threshold_is_a_parameter():
    loose = run(overrides={"weak_links.below_city.share": 80, "weak_links.below_city_critical.share": 90,
                           "weak_links.below_city.score": 50, "weak_links.below_city_critical.score": 60}).weak_links
    assert not ((loose["rule"] == "below_city") & (loose["level"] == "county")).any()


def test_target_override_changes_below_target():
    strict = run(overrides={"indicators.avg_score.target": 85.0, "indicators.avg_score.warning": 80.0}).weak_links
    base = run().weak_links
    def n(f):
        return int(((f["indicator"] == "avg_score") & (f["rule"] == "below_target")).sum())
    assert n(strict) < n(base)  # only 梅县 (80.0) is below 85


def test_fell_back_since_previous_period():
    rows = mf.returns_rows(mf.P1) + mf.returns_rows(mf.P2)
    for r in rows:
        if r["period"] == mf.P2 and r["branch"] == "c1":
            r["studied"] = 30  # 兴宁市 100% → 75%
    links = run(rows).weak_links
    f = links.loc[(links["rule"] == "fell_back") & (links["county"] == "兴宁市")]
    assert len(f) == 1 and f.iloc[0]["severity"] == "critical" and round(f.iloc[0]["gap_pp"], 1) == 25.0
    assert "比上期（2005年2月4日）100%倒退25个百分点" in f.iloc[0]["reason_zh"]


def test_small_branches_are_not_flagged_by_chance():
    """A branch of 1 (0 studied) and of 6 (5 studied) are not flagged; 100 with 50 studied is."""
    reg = pd.concat([mf.registry(), pd.DataFrame({
        "county": ["兴宁市"] * 3, "county_code": ["441481"] * 3, "township": ["宁中镇"] * 3,
        "branch": ["tiny", "six", "big"], "members": pd.array([1, 6, 100], dtype="Int64")})], ignore_index=True)
    for c in ("county", "county_code", "township", "branch"):
        reg[c] = reg[c].astype("str")
    base = mf.returns_rows()
    c1 = next(r for r in base if r["branch"] == "c1")
    rows = base + [dict(c1, branch="tiny", members=1, studied=0, test_takers=1, sheets_returned=1),
                   dict(c1, branch="six", members=6, studied=5, test_takers=6, sheets_returned=6),
                   dict(c1, branch="big", members=100, studied=50, test_takers=100, sheets_returned=100)]
    links = run(rows, registry=reg).weak_links
    flagged = set(links.loc[(links["level"] == "branch") & (links["rule"] == "below_city"), "branch"])
    assert "big" in flagged
    assert "tiny" not in flagged and "six" not in flagged


def test_funnel_limits_use_exact_binomial_tails():
    p = pd.Series([5 / 6, 0.0, 0.5])
    n = pd.Series([6, 30, 100])
    p0 = pd.Series([0.95, 0.95, 0.95])
    assert funnel_below(p, n, p0, 1, 3.09).tolist() == [False, True, True]
    assert funnel_below(pd.Series([0.9]), pd.Series([10]), pd.Series([1.0]), 1, 3.09).tolist() == [True]


PLACE = ["level", "county", "township", "branch", "indicator"]


def _lead(g):
    """Rows that are the first of their place and indicator, in rank order."""
    return g.loc[~g[PLACE].astype("str").duplicated()]


def test_ranked_lead_findings_first_by_severity_then_level(links):
    for _, g in links.groupby("period"):
        g = g.sort_values("rank")
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
        lead = _lead(g)
        # every place and indicator is named once before any place or indicator is named again
        first_repeat = g[PLACE].astype("str").duplicated().to_numpy().argmax()
        assert not g[PLACE].astype("str").iloc[:first_repeat].duplicated().any()
        tier0 = lead.iloc[: (lead["rank"].diff().fillna(1) == 1).cumprod().sum()]
        sev = tier0["severity"].map({"critical": 0, "warning": 1}).tolist()
        assert sev == sorted(sev)
        for _, same in tier0.groupby("severity"):
            lv = same["level"].map({"city": 0, "county": 1, "township": 2, "branch": 3}).tolist()
            assert lv == sorted(lv)


def test_citywide_shortfall_is_one_city_row(links):
    # work plan: 梅江区 1 of 2 branches, 梅县 1 of 2, 兴宁市 1 of 1 → 2 of 3 counties with data below 100 %
    p1 = links.loc[links["period"] == mf.P1]
    city = p1.loc[(p1["level"] == "city") & (p1["indicator"] == "work_plan_rate")]
    assert len(city) == 1
    r = city.iloc[0]
    assert r["rule"] == "citywide" and r["county"] == "全市" and r["severity"] == "critical"  # 60 % < warning 95 %
    assert r["value"] == pytest.approx(0.6) and r["members_affected"] == 30  # a2 (20) and b2 (10) have none
    assert r["reason_zh"] == "全市工作方案制定率60%，比目标值100%低40个百分点，3个县（市、区）中有2个未达标，是全市普遍性的薄弱环节。"
    assert r["reason_en"].endswith("2 of 3 counties fall short, a city-wide weak link.")
    # the counties' own below_target rows for it come after every lead finding of the period
    shared = p1.loc[(p1["level"] == "county") & (p1["indicator"] == "work_plan_rate") & (p1["rule"] == "below_target")]
    assert set(shared["county"]) == {"梅江区", "梅县"}
    lead_ranks = _lead(p1.sort_values("rank"))
    lead_ranks = lead_ranks.loc[~lead_ranks.index.isin(shared.index), "rank"]
    assert shared["rank"].min() > lead_ranks.loc[lead_ranks < shared["rank"].min()].max()
    assert p1.sort_values("rank").iloc[0]["level"] == "city"


def test_no_citywide_row_when_few_counties_fall_short():
    links = run(overrides={"weak_links.citywide.share_of_counties": 0.9}).weak_links
    assert not (links["level"] == "city").any()
    assert links.loc[(links["indicator"] == "work_plan_rate") & (links["rule"] == "below_target"), "county"].nunique() == 2


def test_excess_members_is_the_part_of_the_shortfall_behind_the_city():
    from pipelines.metrics.ranking import excess_members

    inds = load_indicators(load_thresholds())
    frame = pd.DataFrame({
        "level": ["county", "county", "city", "county"],
        "indicator": ["special_reached_rate", "exchange_coverage", "exchange_coverage", "avg_score"],
        "value": [0.716, 0.85, 0.148, 90.0], "city_value": [0.941, 0.148, 0.148, 95.0],
        "members_affected": [181, 276, 44176, 100],
    })
    got = excess_members(frame, inds)
    assert got[0] == pytest.approx(181 * (0.941 - 0.716) / (1 - 0.716))  # ≈ 143 of the 181
    assert got[1] == 0  # 市直单位 is far above the city: nothing of its shortfall is a gap from the city
    assert got[2] == pytest.approx(44176)  # a city row: its whole gap to the 100 % target
    assert got[3] == pytest.approx(100 * 5 / 10)  # scores on the 0–100 scale: 5 of its 10 points behind


def test_sentences_use_chinese_punctuation_and_the_report_number_style(links):
    # as pipelines/report/format.py writes numbers: one decimal at most here, no trailing ".0"
    for s in links["reason_zh"]:
        assert s.endswith("。") and "," not in s and ";" not in s
        for pct in re.findall(r"(\d+(?:\.\d+)?)%", s):
            assert re.fullmatch(r"\d+(\.[1-9])?", pct), s


def test_a_shortfall_too_small_for_one_decimal_is_written_with_two():
    """2 of 4,000 members not studied: 99.95 %, not "100%, 0 points below the target of 100%"."""
    th = load_thresholds()
    rows = mf.returns_rows()
    rows[4] = dict(rows[4], members=4000, studied=3998)  # 兴宁市 c1
    reg = mf.registry()
    reg.loc[reg["branch"] == "c1", "members"] = 4000
    res = metrics_from_frames(mf.returns(rows), reg, mf.rejects(), mf.manifest(), load_indicators(th), th)
    wl = res.weak_links
    r = wl.loc[(wl["county"] == "兴宁市") & (wl["indicator"] == "studied_rate") & (wl["rule"] == "below_target")]
    assert len(r) == 1
    assert r.iloc[0]["reason_zh"] == "兴宁市参学率99.95%，比目标值100%低0.05个百分点。"
    assert r.iloc[0]["reason_en"] == "Xingning: Study rate 99.95%, 0.05 percentage points below the target of 100%."


def test_one_absent_member_near_100_percent_is_chance():
    """11 of 12 when the city is at 99.9 %: 1.2 % likely by chance, above the 0.1 % limit."""
    assert funnel_below(pd.Series([11 / 12]), pd.Series([12]), pd.Series([0.999]), 1, 3.09).tolist() == [False]
    assert funnel_below(pd.Series([6 / 12]), pd.Series([12]), pd.Series([0.999]), 1, 3.09).tolist() == [True]


def test_place_key_is_equal_exactly_where_the_printed_place_is():
    """ranking compares integer codes; they must group rows as the printed strings would."""
    import numpy as np

    from pipelines.metrics.ranking import place_key

    frame = pd.DataFrame({
        "period": pd.to_datetime(["2005-02-04", "2005-02-04", "2005-02-11", "2005-02-04", "2005-02-04"]),
        "township": pd.Categorical(["", None, "镇1", "镇1", None]),
        "branch": pd.Series(["a", None, "a", "a", None], dtype="str"),
        "branch_id": [1.0, np.nan, 1.0, 1.0, np.nan],
    })
    cols = list(frame.columns)
    key = place_key(frame, cols)
    printed = frame[cols].astype("str").fillna("").apply(tuple, axis=1).tolist()
    for i in range(len(frame)):
        for j in range(len(frame)):
            assert (key[i] == key[j]) == (printed[i] == printed[j]), (i, j)


def test_dictionary_fields_render_the_same_sentences():
    """Template text folded into dictionary fields (dates, names, counts) reads exactly as plain fields."""
    import pyarrow as pa

    from pipelines.metrics import sentences as st

    names = pa.array(["梅县程江镇b1", None, "兴宁市宁中镇c1"])
    ids = pa.array([2, 0, 1, None], pa.int64())
    periods = pd.Series(pd.to_datetime(["2005-02-04", None, "2005-02-11", "2005-02-04"]))
    members = pd.Series([30, None, 5, 30], dtype="Int64")
    for lang in ("zh", "en"):
        template = st.TEMPLATES[lang]["not_reported_branch"]
        folded = st.render_arrow(template, {
            "unit": pa.DictionaryArray.from_arrays(ids, names), "period": st.dates_arrow(periods, lang),
            "members": st.integers_arrow(members, distinct=True)}, 4)
        plain = st.render(template, {
            "unit": pd.Series(names.take(ids).to_pylist()), "period": st.dates(periods, lang),
            "members": st.integers(members)}, 4)
        assert folded.to_pylist() == plain.tolist()
