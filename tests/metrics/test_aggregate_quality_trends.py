"""Data-quality checks (values from the aggregate layer, verdicts from the judge) and trends on
small frames written as files."""

from __future__ import annotations

import itertools

import pandas as pd

from pipelines.aggregate.history import outlier_counts
from pipelines.metrics import load_indicators, load_thresholds
from pipelines.report import phrases

import metrics_frames as mf

_folders = itertools.count()


def run(tmp_path, rows=None, rejects=None, manifest=None, warnings=None, overrides=None):
    return mf.run(tmp_path / str(next(_folders)), rows, overrides=overrides, rejects_frame=rejects,
                  manifest_frame=manifest, warnings_frame=warnings)


def check(dq, county, name, period=mf.P1):
    r = dq.loc[(dq["county"] == county) & (dq["check"] == name) & (dq["period"] == period)]
    assert len(r) == 1, (county, name)
    return r.iloc[0]


def test_completeness_rejects_and_totals(tmp_path):
    rej = mf.rejects([
        {"source_file": "f.xlsx", "source_sheet": "S", "source_row": 9, "column": "studied", "raw_value": "-1",
         "rule": "negative_count", "message_zh": "x", "message_en": "x", "period": mf.P1, "county": "梅县",
         "branch": "b3"},
        {"source_file": "f.xlsx", "source_sheet": "S", "source_row": 9, "column": "members", "raw_value": "-1",
         "rule": "negative_count", "message_zh": "x", "message_en": "x", "period": mf.P1, "county": "梅县",
         "branch": "b3"},  # same row, second column: one rejected row
    ])
    # a total row that disagrees, coded by the clean stage; a header 合计人数 or a branch named
    # 城东小计组党支部 is text, not a code, and counts for nothing
    warn = mf.warnings([
        {"period": mf.P1, "county": "梅县", "source_file": "a.xlsx", "source_sheet": "S", "source_row": 12,
         "column": "studied", "code": "total_mismatch", "message_zh": "小计行与明细不符", "message_en": "x"},
        {"period": mf.P1, "county": "梅县", "source_file": "a.xlsx", "source_sheet": "S", "source_row": 2,
         "column": "合计人数", "code": "unknown_header", "message_zh": "未识别的栏目：合计人数", "message_en": "x"},
        {"period": mf.P1, "county": "梅县", "source_file": "a.xlsx", "source_sheet": "S", "source_row": 7,
         "column": "branch", "code": "unregistered_branch", "message_zh": "城东小计组党支部不在名册中",
         "message_en": "x"},
    ])
    man = mf.manifest([{"path": "a.xlsx", "sha256": "x", "size": 1, "county": "梅县", "period": mf.P1, "sheets": 1,
                        "rows_read": 3, "rows_kept": 2, "rows_rejected": 1, "status": "warning", "warnings": ""}])
    dq = run(tmp_path, rejects=rej, manifest=man, warnings=warn).data_quality
    assert list(dq.columns) == ["period", "county", "check", "value", "threshold", "passed"]
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
    assert phrases.quality(s, "zh").startswith("梅县数据质量得分") and phrases.quality(s, "zh").endswith("。")


def test_cumulative_fell_and_uniform_values(tmp_path):
    rows = mf.returns_rows(mf.P1) + mf.returns_rows(mf.P2)
    for r in rows:
        if r["period"] == mf.P2 and r["branch"] == "a2":
            r["studied"] = 12  # a cumulative figure fell
    dq = run(tmp_path, rows).data_quality
    f = check(dq, "梅江区", "cumulative_fell", mf.P2)
    assert f["value"] == 0.5 and not f["passed"]  # 1 of the 2 branches with an earlier return
    assert pd.isna(check(dq, "梅江区", "cumulative_fell", mf.P1)["value"])  # nothing to compare yet
    u = check(dq, "梅江区", "uniform_values")
    assert pd.isna(u["value"]) and pd.isna(u["passed"])  # fewer than 5 branches: not judged
    o = check(dq, "梅江区", "outliers", mf.P2)
    assert pd.isna(o["value"]) and pd.isna(o["passed"])  # fewer than 3 earlier changes
    low = run(tmp_path, overrides={"quality.uniform_min_branches": 2}).data_quality
    assert check(low, "梅县", "uniform_values")["value"] == 1.0  # b1 and b2 both report 10 members


def test_modified_z_excludes_the_current_period():
    ps = list(pd.date_range("2005-01-07", periods=7, freq="7D"))
    steady = [0.10, 0.20, 0.31, 0.40, 0.50, 0.61, 0.70]
    jump = [0.10, 0.20, 0.31, 0.40, 0.50, 0.61, 0.20]
    inds = [i for i in load_indicators(load_thresholds()) if i.id == "studied_rate"]
    cm = pd.DataFrame({"period": ps * 2, "county": ["A"] * 7 + ["B"] * 7, "studied_rate": steady + jump})
    f = outlier_counts(cm, inds, ps, 3.5, 3)
    last = f.loc[f["period"] == ps[-1]].set_index("county")["value"]
    assert last.to_dict() == {"A": 0.0, "B": 1.0}
    assert f.loc[f["period"] < ps[4], "value"].isna().all()  # fewer than 3 earlier changes: not judged


def test_trends_pace_and_projection(tmp_path):
    rows = []
    for p, studied in zip((mf.P1, mf.P2, pd.Timestamp("2005-02-18")), (10, 12, 14), strict=True):
        for r in mf.returns_rows(p):
            if r["branch"] == "b1":
                r["studied"] = studied - 10 if studied > 10 else 0
                r["members"] = 10
            rows.append(r)
    tr = run(tmp_path, rows).trends
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


def test_trend_going_backwards_never_reaches(tmp_path):
    rows = []
    for p, s in zip((mf.P1, mf.P2), (40, 30), strict=True):
        for r in mf.returns_rows(p):
            if r["branch"] == "c1":
                r["studied"] = s
            rows.append(r)
    tr = run(tmp_path, rows).trends
    r = tr.loc[(tr["county"] == "兴宁市") & (tr["indicator"] == "studied_rate") & (tr["period"] == mf.P2)].iloc[0]
    assert r["pace_per_period"] < 0 and not bool(r["reaches_target"]) and pd.isna(r["projected_period"])
