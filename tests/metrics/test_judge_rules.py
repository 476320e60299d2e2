"""The judge layer's rules, one at a time, on long unit tables built by hand (judge_frames.py; no files).

Each rule is tested where its verdict turns: a value exactly at a target, a warning level or a
gap threshold, and one just past it; lower-is-better indicators (``direction: lower``, allowed by
indicators.yaml) judged the other way round. These are the tests ``make mutate`` runs against
pipelines/judge/rules.py and status.py; the whole chain is tested on returns in
test_judge_findings.py.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from pipelines.domain.indicators import load_indicators
from pipelines.judge import rules, status
from pipelines.params.thresholds import load_thresholds

from judge_frames import BY_ID, CITY, INDS, NAN, P1, P2, P3, TH, city, county, long_table, lower


def hits_of(frame: pd.DataFrame, long: pd.DataFrame) -> list[tuple]:
    """(county or township or branch, critical) of each hit, in row order."""
    where = long.loc[frame["row"].to_numpy()]
    names = where["branch"].where(where["level"] == "branch", where["township"].where(
        where["level"] == "township", where["county"]))
    return list(zip(names, frame["critical"].astype(bool), strict=True))


NO_ACROSS = pd.DataFrame({"period": pd.Series(dtype="datetime64[ns]"), "indicator": pd.Series(dtype="str"),
                          "worst_county": pd.Series(dtype="str"), "best_county": pd.Series(dtype="str"),
                          "difference": pd.Series(dtype="float64")})


def county_hits(long: pd.DataFrame, rule: str, across: pd.DataFrame = NO_ACROSS, inds=INDS) -> pd.DataFrame:
    found = [h for h in rules.county_rules(long, across, inds) if len(h) and h["rule"].iloc[0] == rule]
    assert len(found) <= 1
    return found[0] if found else pd.DataFrame(columns=["row", "rule", "critical"])


# ----------------------------------------------------------------------------- status


def test_verdicts_turn_at_the_target_and_past_the_warning_level():
    """studied_rate: target 100 %, warning 95 %. At the target: met; at the warning level: watch
    (only a value past it is an alert); a value within 1e-9 of the target is met (floating noise)."""
    long = long_table([city(1.0), county("a", 1.0), county("b", 1.0 - 1e-12), county("c", 0.999),
                       county("d", 0.95), county("e", 0.95 - 1e-6), county("f", NAN)])
    assert list(status.verdict(long)) == ["met", "met", "met", "watch", "watch", "alert", "no_data"]


def test_lower_is_better_turns_the_other_way():
    ind = lower(BY_ID["studied_rate"], target=0.1, warning=0.2)
    long = long_table([city(0.1, indicator=ind.id), county("a", 0.05, indicator=ind.id),
                       county("b", 0.15, indicator=ind.id), county("c", 0.2, indicator=ind.id),
                       county("d", 0.25, indicator=ind.id)], [ind])
    assert list(status.verdict(long)) == ["met", "met", "watch", "watch", "alert"]


def test_before_its_due_date_a_shortfall_is_scheduled_and_a_met_target_stays_met():
    ex = BY_ID["exchange_coverage"]  # due 2005-03-04
    assert ex.due is not None
    before, on = pd.Timestamp(ex.due) - pd.Timedelta(days=7), pd.Timestamp(ex.due)
    long = long_table([county("a", 0.3, indicator=ex.id, period=before), county("b", 1.0, indicator=ex.id, period=before),
                       county("c", 0.3, indicator=ex.id, period=on), county("d", NAN, indicator=ex.id, period=before)])
    assert list(status.verdict(long)) == ["scheduled", "met", "alert", "no_data"]


def test_status_table_keeps_city_counties_and_townships_with_their_projection():
    ex = BY_ID["exchange_coverage"]
    before = pd.Timestamp(ex.due) - pd.Timedelta(days=7)
    long = long_table([
        city(0.5, indicator=ex.id, period=before), county("梅县", 0.4, indicator=ex.id, period=before),
        county("兴宁市", 0.97, indicator="studied_rate", period=before),
        {"level": "township", "county": "梅县", "township": "程江镇", "indicator": ex.id, "value": 0.2, "period": before},
        {"level": "branch", "county": "梅县", "township": "程江镇", "branch": "甲支部", "value": 0.1, "period": before},
    ])
    trends = pd.DataFrame({"period": [before, before], "county": ["梅县", "兴宁市"], "indicator": [ex.id, "studied_rate"],
                           "projected_period": [pd.Timestamp("2005-03-11"), pd.Timestamp("2005-03-18")]})
    st = status.status_table(long, trends)
    assert list(st.columns) == list(status.COLUMNS)
    assert list(zip(st["level"], st["county"], st["township"].fillna("-"), st["status"], strict=True)) == [
        ("city", CITY, "-", "scheduled"), ("county", "梅县", "-", "scheduled"), ("county", "兴宁市", "-", "watch"),
        ("township", "梅县", "程江镇", "scheduled")]
    # projected only where scheduled, and never for a township (the trends are per county)
    assert list(st["projected"]) == [pd.NaT, pd.Timestamp("2005-03-11"), pd.NaT, pd.NaT]
    assert st["due"].iloc[0] == pd.Timestamp(ex.due) and pd.isna(st["due"].iloc[2])
    assert str(st["value"].dtype) == "Float64" and str(st["period"].dtype) == "datetime64[ns]"
    assert st["status"].dtype == "str" and st["township"].isna().tolist() == [True, True, True, False]
    coarse = long.assign(period=long["period"].astype("datetime64[us]"))  # as an engine may hand it over
    assert str(status.status_table(coarse, trends)["period"].dtype) == "datetime64[ns]"
    assert list(st["target"]) == [ex.target, ex.target, 1.0, ex.target]
    assert list(st["warning"]) == [ex.warning, ex.warning, 0.95, ex.warning]


def test_no_trends_no_projection():
    long = long_table([county("梅县", 0.5)])
    out = status.projected(long, pd.DataFrame())
    assert out.dtype == "datetime64[ns]" and pd.isna(out).all() and len(out) == 1


# ----------------------------------------------------------------------------- citywide


def test_citywide_when_the_city_is_past_warning_and_most_counties_miss():
    """More than half the counties short (share_of_counties 0.5): 3 of 4 fires, 2 of 4 does not."""
    assert TH.weak_links["citywide"]["share_of_counties"] == 0.5
    three = long_table([city(0.9), county("a", 0.8), county("b", 0.85), county("c", 0.9), county("d", 1.0),
                        county("e", NAN)])
    hit = rules.citywide(three, INDS, TH)
    assert hits_of(hit, three) == [(CITY, True)] and list(hit["rule"]) == ["citywide"]
    assert (hit["counties_short"].iloc[0], hit["counties_n"].iloc[0]) == (3, 4)  # e has no value
    two = long_table([city(0.9), county("a", 0.8), county("b", 0.85), county("c", 1.0), county("d", 1.0)])
    assert rules.citywide(two, INDS, TH).empty


def test_citywide_needs_the_city_past_the_warning_level():
    at_warning = long_table([city(0.95), county("a", 0.9), county("b", 0.9), county("c", 0.9)])
    assert rules.citywide(at_warning, INDS, TH).empty
    past = long_table([city(0.95 - 1e-6), county("a", 0.9), county("b", 0.9), county("c", 0.9)])
    assert len(rules.citywide(past, INDS, TH)) == 1


def test_citywide_counts_per_period_and_indicator_and_never_the_report_rate():
    long = long_table([
        city(0.9), county("a", 0.8), county("b", 0.8),
        city(0.9, period=P2), county("a", 1.0, period=P2), county("b", 1.0, period=P2),  # P2: no county short
        city(0.9, indicator="test_rate"), county("a", 1.0, indicator="test_rate"), county("b", 1.0, indicator="test_rate"),
        city(0.5, indicator="report_rate"), county("a", 0.5, indicator="report_rate"),
        county("b", 0.5, indicator="report_rate"),
    ])
    hit = rules.citywide(long, INDS, TH)
    assert len(hit) == 1 and hit["row"].iloc[0] == 0


def test_citywide_lower_is_better():
    ind = lower(BY_ID["studied_rate"], target=0.1, warning=0.2)
    long = long_table([city(0.25, indicator=ind.id), county("a", 0.3, indicator=ind.id),
                       county("b", 0.3, indicator=ind.id), county("c", 0.05, indicator=ind.id)], [ind])
    assert len(rules.citywide(long, [ind], TH)) == 1
    # exactly at the target is not short, exactly at the warning level is not past it
    at = long_table([city(0.2, indicator=ind.id), county("a", 0.3, indicator=ind.id),
                     county("b", 0.1, indicator=ind.id)], [ind])
    assert rules.citywide(at, [ind], TH).empty
    most_short = long_table([city(0.2, indicator=ind.id), county("a", 0.3, indicator=ind.id),
                             county("b", 0.3, indicator=ind.id), county("c", 0.1, indicator=ind.id)], [ind])
    assert rules.citywide(most_short, [ind], TH).empty  # 2 of 3 short, but the city is at its warning level
    past = long_table([city(0.25, indicator=ind.id), county("a", 0.3, indicator=ind.id),
                       county("b", 0.1, indicator=ind.id)], [ind])
    assert rules.citywide(past, [ind], TH).empty  # 1 of 2 short: not more than half


def test_citywide_with_a_single_county_valued():
    """Early in the campaign one county may be the only one with a value: if it misses, the city does."""
    long = long_table([city(0.9), county("a", 0.9), county("b", NAN)])
    assert hits_of(rules.citywide(long, INDS, TH), long) == [(CITY, True)]


# ----------------------------------------------------------------------------- below_target


def test_below_target_is_critical_past_the_warning_level_only():
    """Target 90 %, warning 80 %, the city meets it: a county at 85 % is short but not past the
    warning level (severity warning); one at 75 % is past it (critical); one at 90 % is not short."""
    th = load_thresholds(overrides={"indicators.studied_rate.target": 0.9, "indicators.studied_rate.warning": 0.8})
    inds = load_indicators(th)
    long = long_table([city(0.92), county("a", 0.85), county("b", 0.75), county("c", 0.9), county("d", 0.8),
                       county("e", NAN)], inds, th)
    hit = county_hits(long, "below_target", inds=inds)
    assert hits_of(hit, long) == [("a", False), ("b", True), ("d", False)]


def test_below_target_when_the_whole_city_is_short_only_past_the_warning_level():
    """The city misses the target too: a county merely short is not singled out; one past the
    warning level is."""
    long = long_table([city(0.97), county("a", 0.97), county("b", 0.96), county("c", 0.9)])
    assert hits_of(county_hits(long, "below_target"), long) == [("c", True)]


def test_below_target_city_meeting_exactly_counts_as_met():
    th = load_thresholds(overrides={"indicators.studied_rate.target": 0.9, "indicators.studied_rate.warning": 0.8})
    inds = load_indicators(th)
    long = long_table([city(0.9), county("a", 0.85)], inds, th)
    assert hits_of(county_hits(long, "below_target", inds=inds), long) == [("a", False)]


def test_below_target_never_for_the_report_rate_or_the_city():
    long = long_table([city(0.5, indicator="report_rate"), county("a", 0.5, indicator="report_rate",
                                                                  branches_expected=2, branches_reported=1),
                       city(0.5)])
    assert county_hits(long, "below_target").empty


def test_below_target_lower_is_better():
    ind = lower(BY_ID["studied_rate"], target=0.1, warning=0.2)
    long = long_table([city(0.05, indicator=ind.id), county("a", 0.15, indicator=ind.id),
                       county("b", 0.25, indicator=ind.id), county("c", 0.05, indicator=ind.id),
                       county("d", 0.1, indicator=ind.id), county("e", 0.2, indicator=ind.id)], [ind])
    assert hits_of(county_hits(long, "below_target", inds=[ind]), long) == [("a", False), ("b", True), ("e", False)]
    # the city exactly at the target meets it: a county merely short is then singled out
    at = long_table([city(0.1, indicator=ind.id), county("a", 0.15, indicator=ind.id)], [ind])
    assert hits_of(county_hits(at, "below_target", inds=[ind]), at) == [("a", False)]


# ----------------------------------------------------------------------------- below_city


def test_below_city_beyond_5_points_critical_beyond_10():
    """Gaps of exactly 5 and 10 points are not beyond them (floating noise included)."""
    long = long_table([city(0.9), county("a", 0.85), county("b", 0.8499), county("c", 0.8), county("d", 0.7999),
                       county("e", NAN), county("f", 0.95)])
    assert hits_of(county_hits(long, "below_city"), long) == [("b", False), ("c", False), ("d", True)]


def test_below_city_never_for_a_county_at_or_above_the_city():
    long = long_table([city(0.9), county("a", 0.9), county("b", 0.95), city(99.0, indicator="avg_score"),
                       county("c", 99.0, indicator="avg_score")])
    assert county_hits(long, "below_city").empty and county_hits(long, "fell_back").empty
    assert rules.small_units(long_table([city(0.9), small("township", "程江镇", 0.9, 500)]), "township", INDS, TH).empty


def test_below_city_for_scores_in_points():
    """avg_score: 1 point below the city, critical beyond 3."""
    long = long_table([city(98.0, indicator="avg_score"), county("a", 97.0, indicator="avg_score"),
                       county("b", 96.9, indicator="avg_score"), county("c", 94.9, indicator="avg_score")])
    assert hits_of(county_hits(long, "below_city"), long) == [("b", False), ("c", True)]


def test_below_city_lower_is_better():
    ind = lower(BY_ID["studied_rate"], target=0.1, warning=0.2)
    long = long_table([city(0.1, indicator=ind.id), county("a", 0.16, indicator=ind.id),
                       county("b", 0.21, indicator=ind.id), county("c", 0.0, indicator=ind.id)], [ind])
    assert hits_of(county_hits(long, "below_city", inds=[ind]), long) == [("a", False), ("b", True)]


# ----------------------------------------------------------------------------- worst_county


def across(rows: list[tuple]) -> pd.DataFrame:
    """The balance table's across-counties rows, typed as pipelines/aggregate/balance.py types them."""
    out = pd.DataFrame(rows, columns=["period", "indicator", "worst_county", "best_county", "difference"])
    for col in ("indicator", "worst_county", "best_county"):
        out[col] = out[col].astype("str")
    out["difference"] = pd.to_numeric(out["difference"].astype(object), errors="coerce").astype("Float64")
    return out


def test_worst_county_when_the_spread_is_beyond_10_points_critical_beyond_20():
    long = long_table([city(0.9), county("best", 1.0), county("worst", 0.85),
                       city(0.9, period=P2), county("best", 1.0, period=P2), county("worst", 0.75, period=P2),
                       city(0.9, period=P1), county("best", 1.0, period=P1), county("worst", 0.9, period=P1)])
    ac = across([(P3, "studied_rate", "worst", "best", 0.15), (P2, "studied_rate", "worst", "best", 0.25),
                 (P1, "studied_rate", "worst", "best", 0.10), (P1, "test_rate", None, None, None)])
    hit = county_hits(long, "worst_county", ac)
    assert hits_of(hit, long) == [("worst", False), ("worst", True)]
    assert list(hit["best_county"]) == ["best", "best"] and list(hit["best_value"]) == [1.0, 1.0]
    assert list(long.loc[hit["row"], "period"]) == [P3, P2]


def test_worst_county_exactly_20_points_apart_is_not_critical():
    long = long_table([city(0.9), county("best", 1.0), county("worst", 0.8)])
    hit = county_hits(long, "worst_county", across([(P3, "studied_rate", "worst", "best", 0.2)]))
    assert hits_of(hit, long) == [("worst", False)]


# ----------------------------------------------------------------------------- fell_back


def test_fell_back_more_than_1_point_since_the_previous_period_critical_beyond_5():
    long = long_table([
        county("a", 0.90, period=P1), county("a", 0.89, period=P2), county("a", 0.8, period=P3),   # −1, −9
        county("b", 0.90, period=P1), county("b", 0.8899, period=P2), county("b", 0.85, period=P3),  # −1.01, −3.99
        county("c", 0.90, period=P3), county("c", 0.5, period=P1),  # out of order: P1 then P3, a rise
        county("d", 0.90, period=P2, indicator="test_rate"), county("d", 0.80, period=P3),  # another indicator
        city(0.9, period=P1), city(0.5, period=P3),  # the city is not a county
    ])
    hit = county_hits(long, "fell_back")
    got = [(long.at[r, "county"], long.at[r, "period"], c, pp, pv)
           for r, c, pp, pv in zip(hit["row"], hit["critical"], hit["previous_period"], hit["previous_value"], strict=True)]
    assert got == [("a", P3, True, P2, 0.89), ("b", P2, False, P1, 0.90), ("b", P3, False, P2, 0.8899)]


def test_falling_exactly_5_points_is_not_critical():
    long = long_table([county("a", 0.95, period=P2), county("a", 0.90, period=P3), city(0.9, period=P3)])
    hit = county_hits(long, "fell_back")
    assert hits_of(hit, long) == [("a", False)]


# ----------------------------------------------------------------------------- not_reported (county)


def test_not_reported_counties_critical_past_the_warning_level_or_when_nothing_came():
    """report_rate: target 100 %, warning 95 %."""
    r = "report_rate"
    long = long_table([
        city(0.9, indicator=r),
        county("a", 0.96, indicator=r, branches_expected=25, branches_reported=24),   # short, not past warning
        county("b", 0.5, indicator=r, branches_expected=2, branches_reported=1),      # past warning
        county("c", 0.0, indicator=r, branches_expected=1, branches_reported=0),      # nothing
        county("d", 1.0, indicator=r, branches_expected=3, branches_reported=3),      # all in
        county("e", 0.95, indicator=r, branches_expected=20, branches_reported=19),   # at the warning level
        county("f", 0.95, indicator="studied_rate", branches_expected=20, branches_reported=19),  # not the report rate
        # at the warning level but for the last bit of floating-point rounding: within the tolerance
        county("g", float(np.nextafter(0.95, 0.0)), indicator=r, branches_expected=20, branches_reported=19),
    ])
    assert hits_of(county_hits(long, "not_reported"), long) == [("a", False), ("b", True), ("c", True), ("e", False),
                                                                ("g", False)]


def test_not_reported_with_nothing_in_is_critical_whatever_the_warning_level():
    th = load_thresholds(overrides={"indicators.report_rate.warning": 0.0})
    inds = load_indicators(th)
    r = "report_rate"
    long = long_table([city(0.5, indicator=r),
                       county("a", 0.0, indicator=r, branches_expected=3, branches_reported=0),
                       county("b", 0.5, indicator=r, branches_expected=2, branches_reported=1)], inds, th)
    assert hits_of(county_hits(long, "not_reported", inds=inds), long) == [("a", True), ("b", False)]


# ----------------------------------------------------------------------------- townships and branches


def small(level: str, name: str, value: float, n: float, **kw) -> dict:
    row = {"level": level, "county": "梅县", "township": name if level == "township" else "程江镇",
           "value": value, "denominator": n, **kw}
    if level == "branch":
        row["branch"] = name
    return row


def test_small_units_flagged_past_the_gap_and_beyond_the_funnel_with_enough_people():
    """City 95 %. 程江镇 78 % of 100 (17 points, far beyond chance): critical. 丙村 80 % of 10
    (15 points, but 2 absent of 10 is within chance at 95 %): not flagged. 丁村 50 % of 9: too
    few people. 戊村 at the 5 point gap exactly: not flagged."""
    long = long_table([
        city(0.95),
        small("township", "程江镇", 0.78, 100), small("township", "城北镇", 0.93, 1000),
        small("branch", "丙村", 0.8, 10), small("branch", "丁村", 0.5, 9), small("branch", "戊村", 0.90, 2000),
        small("branch", "己村", 0.88, 2000), small("branch", "庚村", 0.80, 2000),
    ])
    towns = rules.small_units(long, "township", INDS, TH)
    assert hits_of(towns, long) == [("程江镇", True)] and list(towns["rule"]) == ["below_city"]
    branches = rules.small_units(long, "branch", INDS, TH)
    assert hits_of(branches, long) == [("己村", False), ("庚村", True)]


def test_small_units_exactly_10_points_below_are_not_critical():
    long = long_table([city(0.95), small("township", "程江镇", 0.85, 5000)])
    assert hits_of(rules.small_units(long, "township", INDS, TH), long) == [("程江镇", False)]


def test_small_units_exactly_at_min_denominator_are_judged():
    assert TH.weak_links["min_denominator"] == 10
    long = long_table([city(1.0), small("branch", "甲村", 0.0, 10), small("branch", "乙村", 0.0, 9.99)])
    assert hits_of(rules.small_units(long, "branch", INDS, TH), long) == [("甲村", True)]


def test_small_units_skip_the_report_rate_counts_and_missed_runs():
    long = long_table([
        city(1.0, indicator="report_rate"), small("township", "程江镇", 0.0, 100, indicator="report_rate"),
        city(1.0, indicator="discussion_coverage"),
        {**small("township", "城北镇", 0.0, 100), "indicator": "avg_score", "value": 50.0},  # a score, not a share
        city(1.0), small("branch", "甲村", 0.0, 100, first_missed=P2),  # a missed run is its own finding
    ])
    long.loc[long["indicator"] == "avg_score", "city_value"] = 99.0
    assert rules.small_units(long, "township", INDS, TH).empty
    assert rules.small_units(long, "branch", INDS, TH).empty


def test_small_units_lower_is_better():
    ind = lower(BY_ID["studied_rate"], target=0.1, warning=0.2)
    long = long_table([city(0.05, indicator=ind.id), small("township", "程江镇", 0.4, 200, indicator=ind.id),
                       small("township", "城北镇", 0.0, 200, indicator=ind.id)], [ind])
    assert hits_of(rules.small_units(long, "township", [ind], TH), long) == [("程江镇", True)]


def test_below_city_beyond_chance_per_direction():
    v, n, cv = np.array([0.5, 0.5, 0.5, 0.5]), np.array([100, 100, 100, 5]), np.array([0.9, 0.1, 0.9, 0.9])
    sign, lim = np.array([1.0, -1.0, -1.0, 1.0]), np.full(4, 0.05)
    assert rules.below_city_beyond_chance(v, n, cv, sign, lim, TH).tolist() == [True, True, False, False]


def test_missed_runs_one_finding_per_run_critical_from_two_periods():
    long = long_table([
        {"level": "branch", "county": "梅县", "township": "程江镇", "branch": "甲", "indicator": "report_rate",
         "value": 0.0, "first_missed": P2, "periods_missed": 2},
        {"level": "branch", "county": "梅县", "township": "程江镇", "branch": "乙", "indicator": "report_rate",
         "value": 0.0, "first_missed": P3, "periods_missed": 1},
        {"level": "branch", "county": "梅县", "township": "程江镇", "branch": "丙", "value": 0.2,
         "first_missed": pd.NaT, "periods_missed": NAN},
    ])
    hit = rules.missed_runs(long)
    assert hits_of(hit, long) == [("甲", True), ("乙", False)] and set(hit["rule"]) == {"not_reported"}
    none = rules.missed_runs(long.drop(columns=["first_missed"]))
    assert none.empty and list(none.columns) == ["row", "rule", "critical"]


def test_branch_indicators_are_people_counted_shares():
    ids = [i.id for i in rules.branch_indicators(INDS)]
    assert ids == ["studied_rate", "test_rate", "return_rate", "special_reached_rate"]


def _values(rows: list[dict]) -> ibis.Table:
    cols = {"period": P3, "branch_id": 0, "members": 0, "studied": 0, "test_takers": 0, "sheets_returned": 0,
            "avg_score": None, "delivered_study": 0, "makeup_study": 0, "special_members": 0,
            "discussion_meetings": 1, "deeds_reports": 1, "situation_reports": 1, "exchange_meetings": 1,
            "party_lectures": 1, "has_work_plan": True}
    frame = pd.DataFrame([{**cols, **r} for r in rows])
    frame["avg_score"] = frame["avg_score"].astype("float64")
    frame["period"] = frame["period"].astype("datetime64[ns]")
    return ibis.memtable(frame)


def test_branch_candidates_are_the_branches_past_the_gap_with_enough_people():
    """City study rate 95 %: 甲 (10 of 20, 45 points below) is a candidate; 乙 (0 of 9) too few
    people; 丙 (18 of 20, exactly 5 points) not past the gap; 丁 (17 of 20) past it; 戊 (0 of 10)
    just enough people. 己 has special members but the city has no outreach value: not judged on it.
    At P2 the city stood at 99 %: the branches are compared with their own period's city."""
    values = _values([
        {"branch_id": 0, "members": 20, "studied": 10, "test_takers": 20, "sheets_returned": 20},
        {"branch_id": 1, "members": 9, "studied": 0, "test_takers": 9, "sheets_returned": 9},
        {"branch_id": 2, "members": 20, "studied": 18, "test_takers": 20, "sheets_returned": 20},
        {"branch_id": 3, "members": 20, "studied": 17, "test_takers": 20, "sheets_returned": 20},
        {"branch_id": 4, "members": 10, "studied": 0, "test_takers": 10, "sheets_returned": 10},
        {"branch_id": 5, "members": 20, "studied": 20, "test_takers": 20, "sheets_returned": 20, "special_members": 12},
    ])
    registry = ibis.memtable(pd.DataFrame({"branch_id": [0, 1, 2, 3, 4, 5], "county": ["梅县"] * 6,
                                           "township": ["程江镇"] * 6, "branch": ["甲", "乙", "丙", "丁", "戊", "己"]}))
    ids = ["studied_rate", "test_rate", "return_rate", "special_reached_rate"]
    city_rows = pd.DataFrame({"period": [P3] * 4 + [P2] * 4, "indicator": ids * 2,
                              "value": [0.95, 1.0, 1.0, NAN, 0.99, 1.0, 1.0, 0.5]})
    got = rules.branch_candidates(values, registry, city_rows, INDS, TH).to_pyarrow().to_pandas()
    assert sorted(got["branch"]) == ["丁", "戊", "甲"] and set(got["period"]) == {P3}
    assert {"members", "studied", "test_takers", "sheets_returned", "county", "township", "period"} <= set(got.columns)
