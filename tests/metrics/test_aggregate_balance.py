"""Balance measures by hand: weighted and unweighted, direction, the ≤2-county refusal."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from pipelines.aggregate import balance
from pipelines.metrics import load_indicators, load_thresholds

import metrics_frames as mf


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    return mf.run(tmp_path_factory.mktemp("balance"))


@pytest.fixture(scope="module")
def inds():
    return load_indicators(load_thresholds())


@pytest.fixture(scope="module")
def across(res, inds):
    def one(indicators, indicator: str) -> pd.Series:
        b = balance.across_counties(res.county_metrics, indicators)
        return b.loc[b["indicator"] == indicator].iloc[0]

    return one


def approx(a, b):
    return math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-12)


def test_report_rate_balance_by_hand(inds, across):
    # report rates: 梅江区 2/3, 梅县 1, 兴宁市 1, 平远县 0; registry members 60, 20, 40, 5; city 5/7
    r = across(inds, "report_rate")
    assert r["n_counties"] == 4 and r["scope"] == "across_counties" and pd.isna(r["county"])
    assert r["min"] == 0 and r["max"] == 1
    assert r["best_county"] == "梅县" and r["worst_county"] == "平远县"  # ties: first in county order
    assert approx(r["difference"], 1.0)
    assert pd.isna(r["ratio"])  # the worst is 0: no ratio
    assert approx(r["mean_diff_best"], (1 / 3 + 0 + 0 + 1) / 4)
    assert approx(r["mean_diff_best_weighted"], (60 * 1 / 3 + 5 * 1) / 125)
    assert approx(r["index_disparity"], ((0 + 1 / 3 + 1 / 3 + 2 / 3) / 4) / (2 / 3) * 100)
    wmean = (60 * 2 / 3 + 20 + 40) / 125
    assert approx(r["index_disparity_weighted"], (60 * abs(2 / 3 - wmean) + 20 * (1 - wmean) + 40 * (1 - wmean)
                                                   + 5 * wmean) / 125 / wmean * 100)
    assert approx(r["cv"], math.sqrt((0 + 1 / 9 + 1 / 9 + 4 / 9) / 4) / (2 / 3) * 100)
    wvar = (60 * (2 / 3 - wmean) ** 2 + 20 * (1 - wmean) ** 2 + 40 * (1 - wmean) ** 2 + 5 * wmean ** 2) / 125
    assert approx(r["cv_weighted"], math.sqrt(wvar) / wmean * 100)
    assert approx(r["city_value"], 5 / 7)
    assert approx(r["par"], 1 - 5 / 7)
    assert approx(r["paf"], (2 / 7) / (5 / 7) * 100)
    assert pd.isna(r["refused_reason"])


def test_ratio_when_all_positive(inds, across):
    # studied_rate: 梅江区 28/30, 梅县 0.75, 兴宁市 1.0 (平远县 has no data)
    r = across(inds, "studied_rate")
    assert r["n_counties"] == 3
    assert approx(r["ratio"], 1.0 / 0.75) and approx(r["difference"], 0.25)
    assert r["best_county"] == "兴宁市" and r["worst_county"] == "梅县"


def test_direction_lower_is_better(inds, across):
    lower = [dataclasses.replace(i, direction="lower", target=0.0, warning=0.05) if i.id == "report_rate" else i
             for i in inds]
    r = across(lower, "report_rate")
    assert r["best_county"] == "平远县" and r["worst_county"] == "梅县"
    assert approx(r["mean_diff_best"], (2 / 3 + 1 + 1 + 0) / 4)
    assert approx(r["par"], 5 / 7)  # city minus best, positive = room to improve
    assert approx(r["paf"], 100.0)


def test_two_counties_or_fewer_are_refused(inds, across):
    # special_reached_rate: 梅江区 0.6, 兴宁市 1.0; 梅县 0/0 and 平远县 nothing: only 2 with data
    r = across(inds, "special_reached_rate")
    assert r["n_counties"] == 2
    for col in ("min", "max", "difference", "ratio", "mean_diff_best", "mean_diff_best_weighted",
                "index_disparity", "index_disparity_weighted", "cv", "cv_weighted", "par", "paf",
                "best_county", "worst_county"):
        assert pd.isna(r[col]), col
    assert "only 2 counties" in r["refused_reason"]


def test_within_county_share_below_target(res):
    w = res.balance.loc[res.balance["scope"] == "within_county"]
    assert (w["scope"] == "within_county").all()
    rr = w.loc[(w["indicator"] == "report_rate") & (w["county"] == "梅江区")].iloc[0]
    assert rr["branches"] == 3 and rr["branches_below_target"] == 1 and approx(rr["share_below_target"], 1 / 3)
    st = w.loc[(w["indicator"] == "studied_rate") & (w["county"] == "梅江区")].iloc[0]
    assert st["branches"] == 2 and st["branches_below_target"] == 1  # a1 studied 8 of 10
    deeds = w.loc[(w["indicator"] == "deeds_coverage") & (w["county"] == "梅县")].iloc[0]
    assert deeds["branches"] == 2 and deeds["branches_below_target"] == 1
    none = w.loc[(w["indicator"] == "studied_rate") & (w["county"] == "平远县")].iloc[0]
    assert none["branches"] == 0 and pd.isna(none["share_below_target"])


def test_equal_counties_have_no_best_or_worst(res):
    b = res.balance
    r = b.loc[b["indicator"] == "discussion_coverage"].iloc[0]  # 1.0 in all three counties with data
    assert r["difference"] == 0 and pd.isna(r["best_county"]) and pd.isna(r["worst_county"])
