"""Data-quality checks and trends on small frames."""

from __future__ import annotations

import pandas as pd

import metrics_frames as mf
from pipelines.metrics import load_indicators, load_thresholds, metrics_from_frames
from pipelines.metrics.quality import modified_z


def run(rows=None, rejects=None, manifest=None, overrides=None):
    th = load_thresholds(overrides=overrides)
    return metrics_from_frames(mf.returns(rows), mf.registry(), rejects if rejects is not None else mf.rejects(),
                               manifest if manifest is not None else mf.manifest(), load_indicators(th), th)


def check(dq, county, name, period=mf.P1):
    r = dq.loc[(dq["county"] == county) & (dq["check"] == name) & (dq["period"] == period)]
    assert len(r) == 1, (county, name)
    return r.iloc[0]


def test_completeness_rejects_and_totals():
    rej = mf.rejects([
        {"source_file": "f.xlsx", "source_sheet": "S", "source_row": 9, "column": "studied", "raw_value": "-1",
         "rule": "negative_count", "message_zh": "x", "message_en": "x", "period": mf.P1, "county": "梅县",
         "branch": "b3"},
        {"source_file": "f.xlsx", "source_sheet": "S", "source_row": 9, "column": "members", "raw_value": "-1",
         "rule": "negative_count", "message_zh": "x", "message_en": "x", "period": mf.P1, "county": "梅县",
         "branch": "b3"},  # same row, second column: one rejected row
    ])
    man = mf.manifest([{"path": "a.xlsx", "sha256": "x", "size": 1, "county": "梅县", "period": mf.P1, "sheets": 1,
                        "rows_read": 3, "rows_kept": 2, "rows_rejected": 1, "status": "warning",
                        "warnings": "合计行与明细不符: studied; header row 3"}])
    dq = run(rejects=rej, manifest=man).data_quality
    assert set(dq.columns) == {"period", "county", "check", "value", "threshold", "passed", "detail_zh", "detail_en"}
    c = check(dq, "梅江区", "completeness")
    assert abs(c["value"] - 2 / 3) < 1e-12 and not c["passed"] and c["threshold"] == 0.95
    r = check(dq, "梅县", "rejected_rows")
    assert abs(r["value"] - 1 / 3) < 1e-12 and not r["passed"]
    t = check(dq, "梅县", "totals_disagreed")
    assert t["value"] == 1 and not t["passed"]
    assert check(dq, "全市", "totals_disagreed")["value"] == 1
    s = check(dq, "梅县", "score")
    assert 0 <= s["value"] < 100
    assert check(dq, "兴宁市", "score")["value"] == 100
    assert "数据质量得分" in s["detail_zh"] and s["detail_zh"].endswith("。")


def test_cumulative_fell_and_uniform_values():
    rows = mf.returns_rows(mf.P1) + mf.returns_rows(mf.P2)
    for r in rows:
        if r["period"] == mf.P2 and r["branch"] == "a2":
            r["studied"] = 12  # a cumulative figure fell
    dq = run(rows).data_quality
    f = check(dq, "梅江区", "cumulative_fell", mf.P2)
    assert f["value"] == 0.5 and not f["passed"]  # 1 of the 2 branches with an earlier return
    assert pd.isna(check(dq, "梅江区", "cumulative_fell", mf.P1)["value"])  # nothing to compare yet
    u = check(dq, "梅江区", "uniform_values")
    assert pd.isna(u["value"])  # fewer than 5 branches: not judged
    assert u["detail_zh"] == "梅江区报送的党支部不足5个，暂不判断数值是否雷同。"
    first = check(dq, "梅江区", "cumulative_fell", mf.P1)
    assert first["detail_zh"] == "梅江区本期为第一期，没有上期数据可比，暂不判断累计数是否减少。"
    o = check(dq, "梅江区", "outliers", mf.P2)
    assert pd.isna(o["value"]) and o["detail_en"].startswith("Meijiang: fewer than 3 earlier period-on-period changes")
    assert not dq["detail_zh"].str.contains("—").any()
    low = run(overrides={"quality.uniform_min_branches": 2}).data_quality
    assert check(low, "梅县", "uniform_values")["value"] == 1.0  # b1 and b2 both report 10 members


def test_modified_z_excludes_the_current_period():
    ps = list(pd.date_range("2005-01-07", periods=7, freq="7D"))
    steady = [0.10, 0.20, 0.31, 0.40, 0.50, 0.61, 0.70]
    jump = [0.10, 0.20, 0.31, 0.40, 0.50, 0.61, 0.20]
    long = pd.DataFrame({"period": ps * 2, "county": ["A"] * 7 + ["B"] * 7, "indicator": "x",
                         "value": steady + jump})
    f = modified_z(long, ps, 3.5, 3)
    assert f["county"].tolist() == ["B"] and f["period"].tolist() == [ps[-1]]


def test_trends_pace_and_projection():
    rows = []
    for p, studied in zip((mf.P1, mf.P2, pd.Timestamp("2005-02-18")), (10, 12, 14)):
        for r in mf.returns_rows(p):
            if r["branch"] == "b1":
                r["studied"] = studied - 10 if studied > 10 else 0
                r["members"] = 10
            rows.append(r)
    tr = run(rows).trends
    assert list(tr.columns) == ["period", "county", "indicator", "value", "target", "pace_per_period",
                                "projected_period", "reaches_target"]
    # 梅县 studied_rate: (0+10)/20 = 0.5, (2+10)/20 = 0.6, (4+10)/20 = 0.7: +0.1 a week
    r = tr.loc[(tr["county"] == "梅县") & (tr["indicator"] == "studied_rate")].sort_values("period")
    assert [round(v, 6) for v in r["value"]] == [0.5, 0.6, 0.7]
    last = r.iloc[-1]
    assert abs(last["pace_per_period"] - 0.1) < 1e-9
    assert last["projected_period"] == pd.Timestamp("2005-03-11")  # 0.3 to go at 0.1 a week: 3 weeks
    assert bool(last["reaches_target"])
    first = r.iloc[0]
    assert pd.isna(first["pace_per_period"]) and pd.isna(first["reaches_target"])
    met = tr.loc[(tr["county"] == "兴宁市") & (tr["indicator"] == "studied_rate")].iloc[-1]
    assert bool(met["reaches_target"]) and met["projected_period"] == met["period"]


def test_trend_going_backwards_never_reaches():
    rows = []
    for p, s in zip((mf.P1, mf.P2), (40, 30)):
        for r in mf.returns_rows(p):
            if r["branch"] == "c1":
                r["studied"] = s
            rows.append(r)
    tr = run(rows).trends
    r = tr.loc[(tr["county"] == "兴宁市") & (tr["indicator"] == "studied_rate") & (tr["period"] == mf.P2)].iloc[0]
    assert r["pace_per_period"] < 0 and not bool(r["reaches_target"]) and pd.isna(r["projected_period"])
