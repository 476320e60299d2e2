"""On the seeded sample: write it, clean it with pipelines.ingest, aggregate and judge it.

The sample was built with known weak links (pipelines/sample/truth.py): 五华县 lags on special
members reached, 大埔县 is uneven on the 四会一课 (光德镇 and 青溪镇), branches report late in the
early periods, and the 学习心得交流会 are still to be held (due 2005-03-04, as the real report says).
They must be found, phrased as the office would, and nothing absurd flagged.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipelines import config, datasets, table_sets
from pipelines.ingest.clean import clean
from pipelines.metrics import compute_metrics
from pipelines.report import phrases
from pipelines.sample import write_sample

LAST = pd.Timestamp("2005-02-25")
AFTER_DUE = pd.Timestamp("2005-03-11")


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    base = tmp_path_factory.mktemp("metrics_sample")
    write_sample(base / "raw")
    clean(base / "raw", base / "processed")
    return base / "processed"


@pytest.fixture(scope="module")
def result(processed):
    return compute_metrics(processed)


def lead(f: pd.DataFrame, **where) -> pd.Series:
    for k, v in where.items():
        f = f.loc[f[k] == v]
    assert len(f) == 1, where
    return f.iloc[0]


def test_outputs_written(result, processed):
    for name, frame in result.frames().items():
        back = datasets.read(processed, name)
        assert len(back) == len(frame) > 0, name
    rep = datasets.read(processed, config.REPORTING_TABLE)
    assert len(rep) == 2394 * 4 and rep.loc[rep["period"] == LAST, "reported"].all()


def test_headline_figures_of_the_report(result):
    cm = result.county_metrics
    city = cm.loc[(cm["county"] == "全市") & (cm["period"] == LAST)].iloc[0]
    assert city["branches_reported"] == 2394 and city["members"] == 52417
    assert round(city["test_rate"] * 100, 1) == 100.0
    assert round(city["return_rate"] * 100, 1) == 98.8
    assert round(city["avg_score"], 1) == 99.5


def test_no_place_and_indicator_twice(result):
    f = result.findings
    assert not f[["period", "level", "county", "township", "branch", "indicator"]].astype("str").duplicated().any()


def test_wuhua_lags_on_special_members(result):
    f = result.findings.loc[result.findings["period"] == LAST]
    r = lead(f, level="county", county="五华县", indicator="special_reached_rate")
    assert {"below_city", "worst_county", "below_target"} <= set(r["rules"])
    assert r["severity"] == "critical" and r["status"] == "alert" and r["count_unit"] == "members"
    others = f.loc[(f["indicator"] == "special_reached_rate") & (f["level"] == "county")
                   & f["rules"].map(lambda r: "below_city" in r)]
    assert set(others["county"]) == {"五华县"}
    assert phrases.finding(r).startswith(f"五华县特殊群体党员送学补学覆盖率为71.6%，在各县（市、区）和市直单位中最低，"
                                         f"比全市平均低22.5个百分点，尚有{r['outstanding']}名特殊群体党员未送学补学")


def test_dabu_uneven_on_the_activities_and_where(result):
    f = result.findings.loc[result.findings["period"] == LAST]
    lecture = lead(f, level="county", county="大埔县", indicator="lecture_coverage")
    situation = lead(f, level="county", county="大埔县", indicator="situation_coverage")
    assert "worst_county" in lecture["rules"] and "worst_county" in situation["rules"]
    assert lecture["value"] == pytest.approx(0.8) and situation["value"] == pytest.approx(0.84)
    assert lecture["gap_city"] == pytest.approx(12.1) and situation["gap_city"] == pytest.approx(10.4)
    assert [c["name"] for c in lecture["contributors"]] == ["光德镇", "青溪镇"]
    assert lecture["count_unit"] == "branches" and lecture["outstanding"] == 60
    towns = f.loc[(f["level"] == "township") & (f["county"] == "大埔县")
                  & f["indicator"].isin(["situation_coverage", "lecture_coverage"])]
    assert {"光德镇", "青溪镇"} <= set(towns["township"])
    within = result.balance.loc[(result.balance["scope"] == "within_county") & (result.balance["period"] == LAST)
                                & (result.balance["indicator"] == "situation_coverage")]
    assert within.sort_values("share_below_target").iloc[-1]["county"] == "大埔县"


def test_the_exchange_meetings_are_scheduled_not_weak(result):
    f = result.findings.loc[result.findings["period"] == LAST]
    ex = f.loc[f["indicator"] == "exchange_coverage"]
    assert len(ex) and (ex["status"] == "scheduled").all()
    city = lead(ex, level="city")
    assert city["due"] == pd.Timestamp("2005-03-04") and pd.notna(city["projected"])
    weak = result.weak_links(LAST)
    assert not weak["indicator"].isin(["exchange_coverage", "all_activities_rate"]).any()
    assert weak["status"].isin(["watch", "alert"]).all()


def test_after_the_due_date_the_exchange_meetings_are_judged(processed, tmp_path):
    """A period after 2005-03-04 with the same returns: the 交流会 shortfall is then a weak link."""
    for name in (config.REGISTRY_FILE, config.MANIFEST_FILE):
        (tmp_path / name).write_bytes((processed / name).read_bytes())
    table_sets.write_partitioned(datasets.read(processed, config.REJECTS_TABLE), tmp_path / config.REJECTS_TABLE)
    ret = datasets.read(processed, config.RETURNS_TABLE)
    later = ret.loc[ret["period"] == LAST].assign(period=AFTER_DUE)
    table_sets.write_partitioned(pd.concat([ret, later], ignore_index=True), tmp_path / config.RETURNS_TABLE)
    res = compute_metrics(tmp_path, write=False)
    weak = res.weak_links(AFTER_DUE)
    assert "exchange_coverage" in set(weak["indicator"])
    due = res.findings.loc[(res.findings["period"] == AFTER_DUE) & (res.findings["indicator"] == "due_activities_rate")]
    assert all("exchange_coverage" in list(c) for c in due["covers"])


def test_late_branches_in_early_periods_only(result):
    f = result.findings
    runs = f.loc[(f["level"] == "branch") & f["rules"].map(lambda r: "not_reported" in r)]
    periods = sorted(f["period"].unique())
    ended = runs.groupby("period").size().reindex(periods, fill_value=0)
    assert ended.iloc[:3].sum() > 0 and ended.iloc[-1] == 0  # everyone has reported by 2005-02-25
    assert (runs["first_missed"] <= runs["period"]).all() and (runs["periods_missed"] >= 1).all()
    first = f.loc[(f["period"] == periods[0]) & (f["level"] == "county") & (f["indicator"] == "report_rate")]
    assert {"五华县", "大埔县"} <= set(first["county"])


def test_nothing_absurd_is_flagged(result, processed):
    f = result.findings
    reg = pd.read_parquet(processed / config.REGISTRY_FILE)
    flagged = f.loc[(f["level"] == "branch") & f["rules"].map(lambda r: "below_city" in r)]
    members = flagged.merge(reg, on=["county", "township", "branch"], how="left")["members"]
    assert (members >= 10).all()  # never a branch of 1–9 members (min_denominator 10)
    sentences = phrases.findings(f.head(200)) + phrases.findings(f.head(200), "en")
    # whole words: pinyin place names hold "nan" (Meinan Town, Finance Bureau)
    assert not [s for s in sentences if re.search(r"\b(nan|NaN|None)\b|<NA>|—", s)]
    assert f["gap_city"].dropna().between(0, 100).all()


def test_actions_name_no_county_above_the_city(result):
    acts = result.actions.loc[result.actions["period"] == LAST]
    assert 1 <= len(acts) <= 5
    cm = result.county_metrics.loc[result.county_metrics["period"] == LAST].set_index("county")
    for a in acts.to_dict("records"):
        for county in a["counties"]:
            assert any(cm.at[county, i] < cm.at["全市", i] for i in a["indicators"]), (a["action"], county)
    activities = lead(acts, action="activities", kind="weak")
    assert activities["counties"][0] == "大埔县"
    assert {"county": "大埔县", "township": "光德镇"} in list(activities["townships"])
    # the 交流会 are a next step too: scheduled, with their date, after the weak links' actions
    reminder = lead(acts, kind="scheduled")
    assert reminder["indicators"] == ["exchange_coverage"] and reminder["due"] == pd.Timestamp("2005-03-04")
    assert list(acts["kind"]) == sorted(acts["kind"], key=["weak", "short", "scheduled"].index)
    assert phrases.action(reminder).endswith("按计划于2005年3月4日前召开学习心得交流会。")


def test_data_quality_sees_the_sample_habits(result):
    dq = result.data_quality
    first = dq.loc[(dq["period"] == dq["period"].min()) & (dq["check"] == "completeness")]
    assert not first.loc[first["county"] == "五华县", "passed"].iloc[0]
    score = dq.loc[dq["check"] == "score"]
    assert score["value"].between(0, 100).all()
