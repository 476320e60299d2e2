"""findings.parquet and actions.parquet from hand-built long tables and hits (no engine, no files).

What each finding carries (rules in order, severity, status, decimals and gaps as printed,
contributors, covers, projection), how findings are ranked, and which grouped actions follow.
These are the tests ``make mutate`` runs against pipelines/judge/findings.py and actions.py.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
import pytest

from pipelines.judge import actions, findings
from pipelines.params.thresholds import load_thresholds

from judge_frames import BY_ID, CITY, INDS, NAN, P2, P3, TH, city, county, long_table, lower


def hit(row: int, rule: str, critical: bool = False, **extra) -> pd.DataFrame:
    return pd.DataFrame({"row": [row], "rule": [rule], "critical": [critical], **{k: [v] for k, v in extra.items()}})


def row_of(long: pd.DataFrame, **where) -> int:
    m = np.ones(len(long), dtype=bool)
    for k, v in where.items():
        m &= (long[k] == v).to_numpy()
    assert m.sum() == 1, where
    return int(np.flatnonzero(m)[0])


# ----------------------------------------------------------------------------- merging hits


def test_hits_of_a_row_merge_into_one_finding_with_rules_in_order():
    long = long_table([city(0.9), county("梅县", 0.75), county("兴宁市", 0.85)])
    hits = [hit(1, "below_target", False), hit(1, "worst_county", False, best_county="兴宁市", best_value=0.85),
            hit(1, "below_city", True), hit(2, "fell_back", False, previous_period=P2, previous_value=0.9),
            hit(2, "below_city", False), pd.DataFrame(), None]
    m = findings.merge_hits(long, hits)
    assert list(m.index) == [1, 2]
    assert list(m["rules"]) == [["below_city", "worst_county", "below_target"], ["below_city", "fell_back"]]
    assert list(m["critical"]) == [True, False]
    assert m["best_county"].iloc[0] == "兴宁市" and pd.isna(m["best_county"].iloc[1])
    assert pd.isna(m["previous_value"].iloc[0]) and m["previous_value"].iloc[1] == 0.9
    assert m["previous_period"].iloc[1] == P2 and m["counties_short"].isna().all()


# ----------------------------------------------------------------------------- contributors


def test_contributors_are_the_fewest_townships_carrying_half_the_shortfall():
    def towns(county_name: str, outstanding: list[float]) -> list[dict]:
        return [{"level": "township", "county": county_name, "township": f"{county_name}{k}镇", "value": 0.5,
                 "outstanding": o} for k, o in enumerate(outstanding)]
    long = long_table([
        *towns("梅县", [1, 6, 3]),            # 6 of 10 alone: one
        *towns("兴宁市", [3, 4, 3]),          # 4, then 3 (the first by name) reach 7 of 10: two
        *towns("平远县", [2, 2, 2, 2, 2]),    # three reach 6 of 10: three (the most)
        *towns("蕉岭县", [1] * 10),           # five needed: more than three, none named
        *towns("大埔县", [5, 5, 0, NAN]),     # exactly half: one; none for nothing outstanding
        *towns("丰顺县", [0, 0]),             # nothing outstanding at all: none
    ])
    got = findings.contributors(long, "township", ["period", "county"], TH)
    named = {k[1]: [(c["name"], c["outstanding"], round(c["share"], 2)) for c in v] for k, v in got.items()}
    assert named == {
        "梅县": [("梅县1镇", 6, 0.6)],
        "兴宁市": [("兴宁市1镇", 4, 0.4), ("兴宁市0镇", 3, 0.3)],
        "平远县": [("平远县0镇", 2, 0.2), ("平远县1镇", 2, 0.2), ("平远县2镇", 2, 0.2)],
        "大埔县": [("大埔县0镇", 5, 0.5)],
    }
    assert findings.contributors(long.iloc[:0], "township", ["period", "county"], TH).empty


def test_contributors_follow_the_thresholds():
    th = load_thresholds(overrides={"findings.contributors_share": 0.7, "findings.contributors_max": 1})
    long = long_table([{"level": "township", "county": "梅县", "township": t, "value": 0.5, "outstanding": o}
                       for t, o in (("甲镇", 6), ("乙镇", 4))])
    assert len(findings.contributors(long, "township", ["period", "county"], th)) == 0  # two needed, one allowed
    th2 = load_thresholds(overrides={"findings.contributors_share": 0.6})
    got = findings.contributors(long, "township", ["period", "county"], th2)
    assert [c["name"] for c in got.iloc[0]] == ["甲镇"]


# ----------------------------------------------------------------------------- one finding, every field


def scenario() -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """梅县 at 75 % against a city at 90 % (two rules), its townships carrying its five absentees;
    兴宁市 at 99.95 % (two decimals to tell it from the target); 平远县's due composite before the
    exchange meeting is due; the city short on the test rate (its counties the contributors)."""
    long = long_table([
        city(0.9, outstanding=10, members_affected=10),
        county("梅县", 0.75, numerator=15, denominator=20, outstanding=5, members_affected=5),
        county("兴宁市", 0.9995, outstanding=1, members_affected=1),
        {"level": "township", "county": "梅县", "township": "程江镇", "value": 0.6, "outstanding": 4},
        {"level": "township", "county": "梅县", "township": "城北镇", "value": 0.9, "outstanding": 1},
        city(0.5, indicator="due_activities_rate"),
        county("平远县", 0.4, indicator="due_activities_rate", outstanding=6, members_affected=60),
        city(0.8, indicator="test_rate", outstanding=20, members_affected=20),
        county("梅县", 0.5, indicator="test_rate", outstanding=8), county("兴宁市", 0.9, indicator="test_rate", outstanding=6),
        county("平远县", 0.9, indicator="test_rate", outstanding=6), county("蕉岭县", 1.0, indicator="test_rate", outstanding=0),
        city(0.3, indicator="exchange_coverage"), county("蕉岭县", 0.2, indicator="exchange_coverage", outstanding=8),
    ])
    r = functools.partial(row_of, long)
    hits = [hit(r(county="梅县", level="county", indicator="studied_rate"), "below_target", True),
            hit(r(county="梅县", level="county", indicator="studied_rate"), "below_city", True),
            hit(r(county="兴宁市", indicator="studied_rate"), "below_target", False),
            hit(r(county="平远县", indicator="due_activities_rate"), "below_target", True),
            hit(r(level="city", indicator="test_rate"), "citywide", True, counties_short=3, counties_n=4),
            hit(r(county="蕉岭县", indicator="exchange_coverage"), "below_target", True)]
    return long, hits


@pytest.fixture
def found() -> pd.DataFrame:
    """Built for each test (0.1 s), not once per module: mutmut runs, for a mutant, only the tests it saw
    call the mutated function, and a module fixture's call is seen by the first test alone."""
    long, hits = scenario()
    trends = pd.DataFrame({"period": [P3, P3], "county": ["蕉岭县", "平远县"],
                           "indicator": ["exchange_coverage", "due_activities_rate"],
                           "projected_period": [pd.Timestamp("2005-03-18"), pd.Timestamp("2005-04-01")]})
    return findings.findings_table(long, hits, trends, INDS, TH)


def one(f: pd.DataFrame, **where) -> pd.Series:
    m = np.ones(len(f), dtype=bool)
    for k, v in where.items():
        m &= (f[k] == v).fillna(False).to_numpy(dtype=bool)
    assert m.sum() == 1, where
    return f.loc[m].iloc[0]


def test_a_finding_carries_rules_severity_status_gaps_and_contributors(found):
    r = one(found, county="梅县", indicator="studied_rate")
    assert list(r["rules"]) == ["below_city", "below_target"] and r["severity"] == "critical"
    assert r["status"] == "alert" and r["level"] == "county" and pd.isna(r["township"])
    assert (r["value"], r["city_value"], r["target"], r["warning"]) == (0.75, 0.9, 1.0, 0.95)
    assert r["decimals"] == 1 and r["gap_city"] == 15.0 and r["gap_target"] == 25.0
    assert (r["outstanding"], r["count_unit"], r["members_affected"], r["action"]) == (5, "members", 5, "study")
    assert [(c["name"], c["outstanding"], c["share"]) for c in r["contributors"]] == [("程江镇", 4, 0.8)]
    assert list(r["covers"]) == [] and pd.isna(r["projected"]) and pd.isna(r["due"])


def test_decimals_keep_a_value_apart_from_its_target_and_gaps_are_printed_figures(found):
    r = one(found, county="兴宁市", indicator="studied_rate")
    assert r["decimals"] == 2 and r["gap_target"] == pytest.approx(0.05)
    assert pd.isna(r["gap_city"])  # above the city: no gap from it
    assert r["severity"] == "warning" and r["status"] == "watch" and list(r["contributors"]) == []


def test_a_due_composite_covers_the_parts_due_and_a_shortfall_not_due_is_projected(found):
    r = one(found, county="平远县", indicator="due_activities_rate")
    parts = list(BY_ID["due_activities_rate"].parts)
    assert list(r["covers"]) == [p for p in parts if p != "exchange_coverage"]  # not due until 2005-03-04
    assert r["status"] == "alert" and pd.isna(r["projected"])  # judged: no projection
    s = one(found, county="蕉岭县", indicator="exchange_coverage")
    assert s["status"] == "scheduled" and s["projected"] == pd.Timestamp("2005-03-18")
    assert s["due"] == pd.Timestamp(BY_ID["exchange_coverage"].due) and list(s["covers"]) == []


def test_a_city_finding_names_the_counties_that_carry_it(found):
    r = one(found, level="city", indicator="test_rate")
    assert list(r["rules"]) == ["citywide"] and (r["counties_short"], r["counties_n"]) == (3, 4)
    # 8 of 20, then 6 more (兴宁市 before 平远县 by name) carry half of the shortfall
    assert [(c["name"], c["outstanding"]) for c in r["contributors"]] == [("梅县", 8), ("兴宁市", 6)]
    assert pd.isna(r["county"]) or r["county"] == CITY


def test_findings_table_columns_and_types(found):
    assert list(found.columns) == list(findings.COLUMNS)
    assert str(found["value"].dtype) == "Float64" and found["rank"].dtype.kind == "i"
    assert list(found["rank"]) == list(range(1, len(found) + 1))
    assert str(found["outstanding"].dtype) == "Int64" and str(found["period"].dtype) == "datetime64[ns]"
    assert found["severity"].dtype == "str" and set(found["severity"]) == {"critical", "warning"}
    for col in ("first_missed", "periods_missed"):
        assert found[col].isna().all()
    empty = findings.findings_table(*scenario()[:1], [pd.DataFrame()], pd.DataFrame(), INDS, TH)
    assert empty.empty and list(empty.columns) == list(findings.COLUMNS)
    assert str(empty["value"].dtype) == "Float64" and str(empty["rank"].dtype) == "Int64"


def test_a_value_close_to_the_city_is_told_apart_from_it_and_a_gap_of_nothing_is_none():
    """梅县 at 84.96 % against a city at 85.04 % (one decimal would print both as 85.0 %): two decimals and
    a gap of 0.08 points; 丰顺县 exactly at the city, 平远县 at the target: no gap from them. 梅县's townships have nothing
    outstanding (no contributors); 程江镇's own finding has none either."""
    long = long_table([
        city(0.8504), county("梅县", 0.8496, outstanding=3), county("丰顺县", 0.8504, outstanding=2),
        county("平远县", 1.0),
        {"level": "township", "county": "梅县", "township": "程江镇", "value": 0.8, "outstanding": 0},
        {"level": "township", "county": "梅县", "township": "城北镇", "value": 0.9, "outstanding": 0},
    ])
    r = functools.partial(row_of, long)
    hits = [hit(r(county="梅县", level="county"), "below_city", False), hit(r(county="丰顺县"), "below_target", False),
            hit(r(township="程江镇"), "below_target", False),
            hit(r(county="平远县"), "fell_back", False, previous_period=P2, previous_value=1.0)]
    f = findings.findings_table(long, hits, pd.DataFrame(), INDS, TH)
    m, fs, t = one(f, county="梅县", level="county"), one(f, county="丰顺县"), one(f, township="程江镇")
    assert m["decimals"] == 2 and m["gap_city"] == pytest.approx(0.08) and m["gap_target"] == pytest.approx(15.04)
    assert fs["decimals"] == 1 and pd.isna(fs["gap_city"]) and fs["gap_target"] == pytest.approx(15.0)
    p = one(f, county="平远县")  # at the target: no gap from it, nor from the city it is above
    assert pd.isna(p["gap_target"]) and pd.isna(p["gap_city"]) and p["status"] == "met"
    assert list(m["contributors"]) == [] and list(t["contributors"]) == [] and list(fs["contributors"]) == []
    assert all(isinstance(c, list) for c in f["contributors"])


# ----------------------------------------------------------------------------- ranking


def test_ranking_weak_links_first_then_severity_level_and_members_behind_the_city():
    long = long_table([
        city(0.9),
        county("梅县", 0.8, members_affected=10), county("丰顺县", 0.8, members_affected=10),
        county("大埔县", 0.7, members_affected=30), county("兴宁市", 0.97, members_affected=100),
        county("梅江区", 0.97, members_affected=200), county("市直单位", 0.96, members_affected=100),
        county("平远县", 1.0, members_affected=1000),
        {"level": "township", "county": "梅县", "township": "程江镇", "value": 0.5, "members_affected": 5},
        city(0.5, indicator="test_rate"), county("五华县", 0.5, indicator="test_rate", members_affected=50),
        city(0.5, indicator="exchange_coverage", period=P3),
        county("蕉岭县", 0.2, indicator="exchange_coverage", members_affected=500),
        city(0.9, period=P2), county("丰顺县", 0.8, period=P2, members_affected=NAN),
        county("梅县", 0.8, period=P2, members_affected=0), county("蕉岭县", 0.8, period=P2, members_affected=NAN),
    ])
    r = functools.partial(row_of, long)
    hits = [hit(r(county="梅县", period=P3, level="county"), "below_city", True),
            hit(r(county="丰顺县", period=P3), "below_city", True), hit(r(county="大埔县"), "below_city", True),
            hit(r(county="兴宁市"), "below_target", False), hit(r(county="平远县"), "fell_back", True),
            hit(r(county="梅江区"), "below_target", False), hit(r(county="市直单位"), "below_target", False),
            hit(r(township="程江镇"), "below_city", True),
            hit(r(level="city", indicator="test_rate"), "citywide", True),
            hit(r(county="五华县"), "below_target", True),
            hit(r(county="蕉岭县", period=P3), "below_target", False),
            *(hit(r(county=c, period=P2), "below_city", True) for c in ("丰顺县", "梅县", "蕉岭县"))]
    f = findings.findings_table(long, hits, pd.DataFrame(), INDS, TH)
    order = list(zip(f["period"], f["level"], f["county"].fillna(CITY), f["township"].fillna(""), f["rank"], strict=True))
    assert order == [
        (P3, "city", CITY, "", 1),        # critical, the city first among the levels
        (P3, "county", "大埔县", "", 2),   # critical counties: 20 members behind the city
        (P3, "county", "丰顺县", "", 3),   # 5 behind; ties broken by name
        (P3, "county", "梅县", "", 4),
        (P3, "township", "梅县", "程江镇", 5),
        # warnings (watch), none behind the city: the most members first, then the widest gap
        (P3, "county", "梅江区", "", 6),   # 200 members
        (P3, "county", "市直单位", "", 7),  # 100 members, 4 points below the target (by the gap, not by name)
        (P3, "county", "兴宁市", "", 8),   # 100 members, 3 points
        (P3, "county", "五华县", "", 9),   # below_target for an indicator the whole city misses
        (P3, "county", "蕉岭县", "", 10),  # scheduled: not a weak link, but before a met one
        (P3, "county", "平远县", "", 11),  # met: last, whatever its members and its critical severity
        (P2, "county", "丰顺县", "", 1),   # the latest period first, ranks per period;
        (P2, "county", "梅县", "", 2),     # no members counted ties with none: by name
        (P2, "county", "蕉岭县", "", 3),
    ]


def test_ranking_nothing_is_nothing():
    f = findings.rank(findings.empty())
    assert f.empty and list(f.columns) == list(findings.COLUMNS)


def test_excess_members_are_the_share_of_the_shortfall_behind_the_city():
    f = pd.DataFrame({"sign": [1.0, 1.0, 1.0, -1.0, 1.0, 1.0],
                      "unit": ["share", "share", "share", "share", "score", "share"],
                      "value": [0.8, 0.95, 0.5, 0.3, 90.0, 1.0],
                      "level": ["county", "county", "city", "county", "county", "county"],
                      "target": [1.0, 1.0, 0.7, 0.1, 95.0, 1.0], "city_value": [0.9, 0.9, 0.5, 0.2, 95.0, 1.0],
                      "members_affected": [10, 10, 40, 30, 100, pd.NA]})
    got = findings.excess_members(f)
    # 10 × 0.1/0.2; above the city: 0; the city against its target: 40 × 0.2/0.5;
    # lower is better: 30 × 0.1/0.3; a score out of 100: 100 × 5/10; nothing short: 0
    assert got == pytest.approx([5.0, 0.0, 16.0, 10.0, 50.0, 0.0])
    # no members counted, no city value, or nothing left to reach: nothing in excess
    g = pd.DataFrame({"sign": [1.0, 1.0, 1.0, -1.0], "unit": ["share"] * 4, "value": [0.8, 0.8, 1.0, 0.0],
                      "level": ["county"] * 4, "target": [1.0] * 3 + [0.1], "city_value": [0.9, NAN, 1.0, 0.0],
                      "members_affected": pd.array([pd.NA, 10, 5, 5], dtype="Int64")})
    assert findings.excess_members(g).tolist() == [0.0, 0.0, 0.0, 0.0]


# ----------------------------------------------------------------------------- actions


def actions_scenario(th=TH, status_order=1):
    """P3 — study: 兴宁市 (critical but above the city: never named) ranks first in the group, then
    梅县 and 平远县 (below the city); test: 五华县 twice (test rate and score), then 丰顺县; special:
    the city short, its one county finding above the city (a city action naming nobody); reporting:
    the city short on report rate (branches) and member coverage (members) with no county finding
    (``short``, counted in the lead indicator's unit); work plan: short too, with fewer members;
    activities and the work plan's plan due later (``scheduled``, the earliest due first).
    P2: study again, ranked apart. ``status_order``: -1 hands actions_table the status table reversed."""
    from pipelines.domain.indicators import load_indicators

    inds = load_indicators(th)
    long = long_table([
        city(0.9, outstanding=50, members_affected=50),
        county("兴宁市", 0.95, outstanding=2, members_affected=500),
        county("梅县", 0.75, outstanding=5, members_affected=5), county("平远县", 0.7, outstanding=9, members_affected=30),
        {"level": "township", "county": "梅县", "township": "程江镇", "value": 0.5, "outstanding": 4},
        city(0.8, indicator="test_rate", outstanding=30, members_affected=30),
        county("五华县", 0.6, indicator="test_rate", outstanding=12, members_affected=12),
        city(95.0, indicator="avg_score"), county("五华县", 90.0, indicator="avg_score", members_affected=NAN),
        county("丰顺县", 0.7, indicator="test_rate", outstanding=3, members_affected=3),
        city(0.5, indicator="special_reached_rate", outstanding=40, members_affected=40),
        county("大埔县", 0.6, indicator="special_reached_rate", outstanding=4, members_affected=4),
        city(0.9, indicator="report_rate", outstanding=6, members_affected=90),
        city(0.8, indicator="member_coverage", outstanding=120, members_affected=120),
        city(0.9, indicator="work_plan_rate", outstanding=7, members_affected=70),
        city(0.2, indicator="exchange_coverage", outstanding=80, members_affected=800),
        city(0.5, indicator="discussion_coverage", outstanding=30, members_affected=300),
        city(0.9, period=P2, outstanding=40, members_affected=40), county("梅县", 0.7, period=P2, outstanding=6),
    ], inds, th)
    r = functools.partial(row_of, long)
    hits = [hit(r(county="兴宁市"), "below_target", True), hit(r(county="梅县", level="county", period=P3), "below_city", False),
            hit(r(county="平远县"), "below_city", False),
            hit(r(level="township", township="程江镇"), "below_city", True),  # a township: not an action of its own
            hit(r(county="五华县", indicator="test_rate"), "below_target", True),
            hit(r(county="五华县", indicator="avg_score"), "below_city", True),
            hit(r(county="丰顺县", indicator="test_rate"), "below_city", False),
            hit(r(county="大埔县", indicator="special_reached_rate"), "below_target", True),
            hit(r(county="梅县", period=P2), "below_city", True)]
    f = findings.findings_table(long, hits, pd.DataFrame(), inds, th)
    from pipelines.judge import status

    st = status.status_table(long, pd.DataFrame()).iloc[::status_order]
    return actions.actions_table(f, st, long, inds, th), f


def test_actions_group_weak_links_name_the_counties_behind_and_count_in_the_unit_that_fits():
    th = load_thresholds(overrides={"indicators.work_plan_rate.due": "2005-03-11", "findings.actions_max": 10})
    a, _ = actions_scenario(th)
    assert list(a.columns) == list(actions.COLUMNS)
    got = list(zip(a["period"], a["rank"], a["kind"], a["action"], a["scope"], strict=True))
    assert got == [
        (P3, 1, "weak", "test", "city"), (P3, 2, "weak", "study", "city"), (P3, 3, "weak", "special", "city"),
        (P3, 4, "short", "activities", "city"), (P3, 5, "short", "reporting", "city"),
        (P3, 6, "scheduled", "activities", "city"), (P3, 7, "scheduled", "work_plan", "city"),
        (P2, 1, "weak", "study", "city")]
    test, study, special, discussion, reporting, activities, plan, earlier = (a.iloc[k] for k in range(8))
    assert list(discussion["indicators"]) == ["discussion_coverage"] and discussion["outstanding"] == 30
    assert list(study["counties"]) == ["平远县", "梅县"]  # by rank; 兴宁市 is above the city: never named
    assert study["outstanding"] == 50 and study["count_unit"] == "members"  # the city short: the city's count
    assert study["members_affected"] == 500 + 5 + 30 and study["findings"] == 3
    assert list(study["townships"]) == [{"county": "梅县", "township": "程江镇"}]
    assert list(test["counties"]) == ["五华县", "丰顺县"] and list(test["indicators"]) == ["test_rate", "avg_score"]
    assert test["members_affected"] == 12 + 3 and test["findings"] == 3  # a blank count adds nothing
    assert list(special["counties"]) == [] and special["outstanding"] == 40
    # reporting: member coverage leads (120 members against the report rate's 90): its count and unit
    assert list(reporting["indicators"]) == ["member_coverage", "report_rate"]
    assert (reporting["outstanding"], reporting["count_unit"], reporting["members_affected"]) == (120, "members", 210)
    assert list(reporting["counties"]) == [] and list(reporting["townships"]) == [] and reporting["findings"] == 0
    assert pd.isna(reporting["due"]) and pd.isna(study["due"])
    assert activities["due"] == pd.Timestamp(BY_ID["exchange_coverage"].due) and plan["due"] == pd.Timestamp("2005-03-11")
    assert list(activities["indicators"]) == ["exchange_coverage"] and list(activities["counties"]) == []
    assert list(earlier["counties"]) == ["梅县"]
    assert str(a["period"].dtype) == "datetime64[ns]" and str(a["due"].dtype) == "datetime64[ns]"
    for col in ("rank", "outstanding", "members_affected", "findings"):
        assert str(a[col].dtype) == "Int64", col
    assert a["kind"].dtype == "str" and a["scope"].dtype == "str"


def test_actions_do_not_depend_on_the_order_of_the_status_table():
    th = load_thresholds(overrides={"indicators.work_plan_rate.due": "2005-03-11", "findings.actions_max": 10})
    a, _ = actions_scenario(th)
    b, _ = actions_scenario(th, status_order=-1)
    pd.testing.assert_frame_equal(a, b)


def test_scheduled_actions_earliest_due_first_whatever_their_members():
    """The work plan is due on 1 March, before the exchange meetings (4 March), though it has fewer members."""
    th = load_thresholds(overrides={"indicators.work_plan_rate.due": "2005-03-01", "findings.actions_max": 10})
    a, _ = actions_scenario(th)
    scheduled = a.loc[a["kind"] == "scheduled"]
    assert list(scheduled["action"]) == ["work_plan", "activities"]
    assert list(scheduled["due"]) == [pd.Timestamp("2005-03-01"), pd.Timestamp("2005-03-04")]


def test_a_short_action_has_no_due_date_even_for_an_activity_now_due():
    """The exchange meetings were due on 20 February: at P3 the city is short of them (``short``), and the
    action carries no date (a due date belongs to a ``scheduled`` action only)."""
    th = load_thresholds(overrides={"indicators.exchange_coverage.due": "2005-02-20", "findings.actions_max": 10})
    a, _ = actions_scenario(th)
    activities = a.loc[(a["period"] == P3) & (a["action"] == "activities")]
    assert list(activities["kind"]) == ["short"] and "exchange_coverage" in list(activities["indicators"].iloc[0])
    assert activities["due"].isna().all()


def test_short_actions_most_members_first():
    a, _ = actions_scenario(load_thresholds(overrides={"findings.actions_max": 10}))
    short = a.loc[a["kind"] == "short"]
    assert list(short["action"]) == ["activities", "reporting", "work_plan"]  # 300 members, 210, 70


def test_actions_are_cut_to_actions_max():
    th = load_thresholds(overrides={"findings.actions_max": 2})
    a, _ = actions_scenario(th)
    assert list(zip(a["period"], a["action"], strict=True)) == [(P3, "test"), (P3, "study"), (P2, "study")]


def test_a_county_only_action_counts_the_named_counties_and_their_townships():
    """The city meets the study target: only 梅县 and 平远县 (named) make the action; its count is
    theirs, and the townships named are their contributors."""
    th = load_thresholds(overrides={"indicators.studied_rate.target": 0.85, "indicators.studied_rate.warning": 0.8})
    from pipelines.domain.indicators import load_indicators
    from pipelines.judge import status

    inds = load_indicators(th)
    long = long_table([
        city(0.9, outstanding=50, members_affected=50),
        county("梅县", 0.75, outstanding=5, members_affected=5), county("平远县", 0.84, outstanding=9, members_affected=9),
        county("兴宁市", 0.95, outstanding=2, members_affected=2),
        {"level": "township", "county": "梅县", "township": "程江镇", "value": 0.5, "outstanding": 5},
    ], inds, th)
    hits = [hit(row_of(long, county="梅县", level="county"), "below_city", True),
            hit(row_of(long, county="平远县"), "below_target", False)]
    f = findings.findings_table(long, hits, pd.DataFrame(), inds, th)
    a = actions.actions_table(f, status.status_table(long, pd.DataFrame()), long, inds, th)
    assert len(a) == 1 and a.iloc[0]["scope"] == "counties"
    # 平远县 is below the target where the city meets it, but neither set apart nor past warning
    assert list(a.iloc[0]["counties"]) == ["梅县"] and a.iloc[0]["outstanding"] == 5
    assert list(a.iloc[0]["townships"]) == [{"county": "梅县", "township": "程江镇"}]


def test_a_group_naming_no_county_is_dropped_and_the_next_group_still_made():
    """The city meets both targets. 平远县 (study) ranks first, critical, but is neither set apart nor past
    the warning level: its group names nobody and makes no action; 五华县 (test, below the city) still does."""
    th = load_thresholds(overrides={"indicators.studied_rate.target": 0.85, "indicators.studied_rate.warning": 0.8,
                                    "indicators.test_rate.target": 0.9, "indicators.test_rate.warning": 0.8})
    from pipelines.domain.indicators import load_indicators
    from pipelines.judge import status

    inds = load_indicators(th)
    long = long_table([
        city(0.9, outstanding=50, members_affected=50),
        county("平远县", 0.84, outstanding=9, members_affected=9),
        city(0.95, indicator="test_rate", outstanding=10, members_affected=10),
        county("五华县", 0.6, indicator="test_rate", outstanding=12, members_affected=12),
    ], inds, th)
    hits = [hit(row_of(long, county="平远县"), "below_target", True),
            hit(row_of(long, county="五华县", level="county"), "below_city", False)]
    f = findings.findings_table(long, hits, pd.DataFrame(), inds, th)
    assert list(f["county"]) == ["平远县", "五华县"]  # the study finding ranks first
    a = actions.actions_table(f, status.status_table(long, pd.DataFrame()), long, inds, th)
    assert [(r.kind, r.action, r.scope, list(r.counties)) for r in a.itertuples()] == [
        ("weak", "test", "counties", ["五华县"])]


def test_a_city_finding_makes_a_weak_links_action():
    """A finding about the city itself (citywide) is a weak link: its action is ``weak`` and counts it."""
    from pipelines.judge import status

    long = long_table([city(0.7, outstanding=30, members_affected=30), county("梅县", 0.7, outstanding=30)])
    f = findings.findings_table(long, [hit(row_of(long, level="city"), "citywide", True)], pd.DataFrame(), INDS, TH)
    a = actions.actions_table(f, status.status_table(long, pd.DataFrame()), long, INDS, TH)
    assert [(r.kind, r.action, r.scope, r.findings) for r in a.itertuples()] == [("weak", "study", "city", 1)]


def test_named_counties_are_behind_and_set_apart():
    ind = BY_ID["studied_rate"]
    base = {"value": 0.8, "city_value": 0.9, "rules": ["below_target"], "status": "watch"}
    assert not actions.named(base, ind)  # behind, but not set apart
    assert actions.named({**base, "rules": ["below_city"]}, ind)
    assert actions.named({**base, "status": "alert"}, ind)
    assert not actions.named({**base, "value": 0.9, "status": "alert"}, ind)  # at the city: not behind
    assert not actions.named({**base, "value": NAN, "status": "alert"}, ind)
    assert not actions.named({**base, "city_value": NAN, "status": "alert"}, ind)
    assert not actions.named({**base, "value": pd.NA, "status": "alert"}, ind)  # Float64 blanks, as findings hold them
    assert not actions.named({**base, "city_value": pd.NA, "status": "alert"}, ind)
    # the city exactly at the target meets it: below the target is behind, though the city is not above
    assert actions.named({**base, "value": 0.99, "city_value": 1.0, "status": "alert"}, ind)
    assert not actions.named({**base, "value": 1.0, "city_value": 1.0, "status": "alert"}, ind)
    low = lower(ind, target=0.1, warning=0.2)
    assert actions.named({**base, "value": 0.3, "city_value": 0.2, "status": "alert"}, low)
    assert not actions.named({**base, "value": 0.1, "city_value": 0.2, "status": "alert"}, low)
    assert actions.named({**base, "value": 0.15, "city_value": 0.1, "status": "alert"}, low)  # the city at the target
    # where the city meets the target, a county that meets it too is not behind, though it is below the city
    met = dataclasses.replace(ind, target=0.9, warning=0.8)
    assert not actions.named({**base, "value": 0.95, "city_value": 0.98, "rules": ["below_city"]}, met)
    assert actions.named({**base, "value": 0.85, "city_value": 0.98, "rules": ["below_city"]}, met)
    assert not actions.named({**base, "value": 0.08, "city_value": 0.05, "rules": ["below_city"]}, low)


def test_no_findings_no_actions():
    long = long_table([city(1.0), county("梅县", 1.0)])
    from pipelines.judge import status

    a = actions.actions_table(findings.empty(), status.status_table(long, pd.DataFrame()), long, INDS, TH)
    assert a.empty and list(a.columns) == list(actions.COLUMNS) and str(a["rank"].dtype) == "Int64"
