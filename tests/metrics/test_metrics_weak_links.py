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
    assert r["reason_zh"] == "平远县应报党支部1个，已报0个，1个未上报，上报率0.0%。"
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
    assert bc["reason_zh"] == "梅县参学率75.0%，低于全市平均17.2个百分点。"
    assert bc["reason_en"] == "Meixian: Study rate 75.0%, 17.2 percentage points below the city average."


def test_worst_county_when_spread_is_wide(links):
    r = links.loc[(links["rule"] == "worst_county") & (links["indicator"] == "studied_rate")]
    assert list(r["county"]) == ["梅县"]
    assert "与最好的兴宁市（100.0%）相差25.0个百分点" in r.iloc[0]["reason_zh"]


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
    assert "比上期（2005年2月4日）100.0%倒退25.0个百分点" in f.iloc[0]["reason_zh"]


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


def test_ranked_by_severity_then_members(links):
    for _, g in links.groupby("period"):
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
        sev = g["severity"].map({"critical": 0, "warning": 1}).tolist()
        assert sev == sorted(sev)
        crit = g.loc[g["severity"] == "critical", "members_affected"].fillna(0).tolist()
        assert crit == sorted(crit, reverse=True)


def test_sentences_use_chinese_punctuation_and_one_decimal(links):
    for s in links["reason_zh"]:
        assert s.endswith("。") and "," not in s and ";" not in s
        for pct in re.findall(r"(\d+(?:\.\d+)?)%", s):
            assert re.fullmatch(r"\d+\.\d", pct), s


def test_one_absent_member_near_100_percent_is_chance():
    """11 of 12 when the city is at 99.9 %: 1.2 % likely by chance, above the 0.1 % limit."""
    assert funnel_below(pd.Series([11 / 12]), pd.Series([12]), pd.Series([0.999]), 1, 3.09).tolist() == [False]
    assert funnel_below(pd.Series([6 / 12]), pd.Series([12]), pd.Series([0.999]), 1, 3.09).tolist() == [True]
