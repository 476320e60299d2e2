"""On the seeded sample: write it, clean it with pipelines.ingest, run the metrics.

The sample was built with known weak links (pipelines/sample/truth.py): 五华县 lags on special
members reached, 大埔县 is uneven on the 四会一课 (光德镇 and 青溪镇), branches report late in the
early periods. They must be found, and nothing absurd flagged.
"""

from __future__ import annotations

import importlib
import re

import pandas as pd
import pytest

from pipelines.metrics import compute_metrics

sample = pytest.importorskip("pipelines.sample")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    base = tmp_path_factory.mktemp("metrics_sample")
    raw, processed = base / "raw", base / "processed"
    sample.write_sample(raw)
    try:
        clean = importlib.import_module("pipelines.ingest.clean").clean
        clean(raw, processed)
    except ImportError:  # the cleaning stage not there: its perfect output is the sample's truth
        processed.mkdir(parents=True)
        truth = sample.build_sample()
        truth.returns.to_parquet(processed / "returns.parquet")
        truth.registry.to_parquet(processed / "registry.parquet")
    res = compute_metrics(processed)
    return res, processed


def test_outputs_written(result):
    res, processed = result
    for name in ("county_metrics", "township_metrics", "balance", "weak_links", "data_quality", "trends"):
        back = pd.read_parquet(processed / f"{name}.parquet")
        assert len(back) == len(res.frames()[name]) > 0


def test_headline_figures_of_the_report(result):
    cm = result[0].county_metrics
    city = cm.loc[(cm["county"] == "全市") & (cm["period"] == cm["period"].max())].iloc[0]
    assert city["branches_reported"] == 2394 and city["members"] == 52417
    assert round(city["test_rate"] * 100, 1) == 100.0
    assert round(city["return_rate"] * 100, 1) == 98.8
    assert round(city["avg_score"], 1) == 99.5


def test_wuhua_lags_on_special_members(result):
    wl = result[0].weak_links
    last = wl.loc[wl["period"] == wl["period"].max()]
    f = last.loc[(last["level"] == "county") & (last["county"] == "五华县")
                 & (last["indicator"] == "special_reached_rate")]
    assert {"below_city", "worst_county", "below_target"} <= set(f["rule"])
    assert (f["severity"] == "critical").all()
    s = f.loc[f["rule"] == "below_city", "reason_zh"].iloc[0]
    assert re.fullmatch(r"五华县特殊群体党员送学补学覆盖率\d+\.\d%，低于全市平均\d+\.\d个百分点。", s)
    others = last.loc[(last["indicator"] == "special_reached_rate") & (last["level"] == "county")
                      & (last["rule"] == "below_city")]
    assert set(others["county"]) == {"五华县"}


def test_dabu_uneven_on_the_activities(result):
    res = result[0]
    wl, bal = res.weak_links, res.balance
    last_p = wl["period"].max()
    towns = wl.loc[(wl["period"] == last_p) & (wl["level"] == "township") & (wl["county"] == "大埔县")
                   & wl["indicator"].isin(["situation_coverage", "lecture_coverage"])]
    assert {"光德镇", "青溪镇"} <= set(towns["township"])
    worst = wl.loc[(wl["period"] == last_p) & (wl["rule"] == "worst_county")
                   & wl["indicator"].isin(["situation_coverage", "lecture_coverage"])]
    assert set(worst["county"]) == {"大埔县"}
    within = bal.loc[(bal["scope"] == "within_county") & (bal["period"] == last_p)
                     & (bal["indicator"] == "situation_coverage")]
    assert within.sort_values("share_below_target").iloc[-1]["county"] == "大埔县"


def test_designed_weak_links_lead_the_ranking(result):
    """The top ten of the last period name what the sample was built with, each place once."""
    wl = result[0].weak_links
    top = wl.loc[wl["period"] == wl["period"].max()].sort_values("rank").head(10)
    found = set(zip(top["level"], top["county"], top["indicator"]))
    assert ("county", "五华县", "special_reached_rate") in found
    assert {("county", "大埔县", "lecture_coverage"), ("county", "大埔县", "situation_coverage")} <= found
    assert ("city", "全市", "exchange_coverage") in found  # every county still has its 交流会 to hold
    assert not top[["level", "county", "township", "branch", "indicator"]].astype("str").duplicated().any()
    assert not ((top["level"] == "county") & (top["rule"] == "below_target")
                & top["indicator"].isin(["exchange_coverage", "all_activities_rate"])).any()


def test_late_branches_in_early_periods_only(result):
    wl = result[0].weak_links
    nr = wl.loc[(wl["rule"] == "not_reported") & (wl["level"] == "branch")]
    periods = sorted(wl["period"].unique())
    counts = nr.groupby("period").size().reindex(periods, fill_value=0)
    assert counts.iloc[0] > counts.iloc[1] > counts.iloc[2] > 0 and counts.iloc[-1] == 0
    first = wl.loc[(wl["period"] == periods[0]) & (wl["rule"] == "not_reported") & (wl["level"] == "county")]
    assert {"五华县", "大埔县"} <= set(first.loc[first["severity"] == "critical", "county"])


def test_nothing_absurd_is_flagged(result):
    res, processed = result
    wl = res.weak_links
    reg = pd.read_parquet(processed / "registry.parquet")
    flagged = wl.loc[(wl["level"] == "branch") & (wl["rule"] == "below_city")]
    members = flagged.merge(reg, on=["county", "township", "branch"], how="left")["members"]
    assert (members >= 10).all()  # never a branch of 1–9 members (min_denominator 10)
    bases = flagged["reason_zh"].str.extract(r"基数(\d+)")[0].astype(int)
    assert (bases >= 10).all()
    # a lone absent member in a branch at the city's ~100 % is chance, not a weak link
    last = flagged.loc[(flagged["period"] == wl["period"].max()) & (flagged["indicator"] == "studied_rate")]
    assert (last["members_affected"] > 1).all()
    assert not wl["reason_zh"].str.contains("nan|None|<NA>").any()
    assert wl["gap_pp"].dropna().between(0, 100).all()


def test_data_quality_sees_the_sample_habits(result):
    dq = result[0].data_quality
    first = dq.loc[(dq["period"] == dq["period"].min()) & (dq["check"] == "completeness")]
    assert not first.loc[first["county"] == "五华县", "passed"].iloc[0]
    score = dq.loc[dq["check"] == "score"]
    assert score["value"].between(0, 100).all()
