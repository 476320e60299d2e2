"""Small hand-built metrics tables that follow docs/contracts.md, for the report tests.

The latest period (2005-02-25) reproduces the headline of the shared 2005 report: 2394
branches, 52417 members, test participation 100%, answer sheets returned 98.8%, average 99.5.
Rates are derived from the counts with indicators.yaml's numerator/denominator, as metrics does.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines import config
from pipelines.domain import load

P1, P2 = pd.Timestamp("2005-02-18"), pd.Timestamp("2005-02-25")
BRANCHES = {"梅江区": 260, "梅县": 390, "兴宁市": 420, "平远县": 190, "蕉岭县": 170,
            "大埔县": 300, "丰顺县": 240, "五华县": 330, "市直单位": 94}
MEMBERS = {"梅江区": 6100, "梅县": 8600, "兴宁市": 9300, "平远县": 3900, "蕉岭县": 3600,
           "大埔县": 6600, "丰顺县": 5300, "五华县": 7200, "市直单位": 1817}
# per county: (return share of sheets, avg score, studied share, activity share, special reached)
QUALITY = {"梅江区": (0.995, 99.8, 1.0, 1.0, 1.0), "梅县": (0.975, 98.9, 0.97, 0.86, 0.82),
           "兴宁市": (0.985, 99.4, 0.99, 0.95, 0.95), "平远县": (0.99, 99.6, 1.0, 0.97, 1.0),
           "蕉岭县": (0.998, 99.9, 1.0, 1.0, 1.0), "大埔县": (0.99, 99.5, 0.99, 0.93, 0.9),
           "丰顺县": (0.985, 99.4, 0.985, 0.92, 0.92), "五华县": (0.98, 99.3, 0.96, 0.8, 0.75),
           "市直单位": (None, None, 1.0, 1.0, 1.0)}
SHEETS_TOTAL, SCORE_CITY = 51788, 99.5

COUNT_COLUMNS = [
    "branches_expected", "branches_reported", "members_expected", "members", "studied", "test_takers",
    "sheets_returned", "score_takers", "branches_discussion", "branches_deeds", "branches_situation", "branches_exchange",
    "branches_lecture", "branches_all_activities", "branches_work_plan", "special_members", "special_reached",
]


def _codes() -> dict[str, str]:
    return {c["name"]: c["code"] for c in load.counties()["counties"]}


def _counts(period: pd.Timestamp) -> pd.DataFrame:
    early = period == P1
    rows = []
    sheets_left, points_left = SHEETS_TOTAL, SCORE_CITY * sum(MEMBERS.values())
    for county in load.county_order():
        b, m = BRANCHES[county], MEMBERS[county]
        ret, avg, studied, act, special = QUALITY[county]
        if ret is None:
            sheets, points = sheets_left, points_left
        else:
            sheets = round(m * ret)
            points = avg * m
            sheets_left -= sheets
            points_left -= points
        f = 0.9 if early else 1.0
        rows.append({
            "period": period, "county": county, "county_code": _codes()[county],
            "branches_expected": b, "branches_reported": round(b * (0.95 if early else 1.0)),
            "members_expected": m, "members": m, "studied": round(m * studied * f),
            "test_takers": round(m * (0.97 if early else 1.0)), "sheets_returned": round(sheets * (0.96 if early else 1)),
            "score_takers": round(m * (0.97 if early else 1.0)),
            "score_points": points * (0.97 if early else 1.0),
            "branches_discussion": round(b * min(1, act + 0.04) * f), "branches_deeds": round(b * min(1, act + 0.03) * f),
            "branches_situation": round(b * min(1, act + 0.02) * f), "branches_exchange": round(b * min(1, act + 0.01) * f),
            "branches_lecture": round(b * min(1, act + 0.05) * f), "branches_all_activities": round(b * act * f),
            "branches_work_plan": b if county != "五华县" else b - 12,
            "special_members": round(m * 0.06), "special_reached": round(m * 0.06 * special * f),
        })
    return pd.DataFrame(rows)


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for spec in load.indicators():
        num, den = df[spec["numerator"]].astype("Float64"), df[spec["denominator"]].astype("Float64")
        df[spec["id"]] = (num / den.where(den != 0)).astype("Float64")
    return df


def county_metrics() -> pd.DataFrame:
    """Two periods, one row per county plus the city row (全市)."""
    frames = []
    for period in (P1, P2):
        counts = _counts(period)
        city = counts[COUNT_COLUMNS + ["score_points"]].sum().to_frame().T
        city.insert(0, "county_code", load.counties()["city"]["code"])
        city.insert(0, "county", load.city_total_label())
        city.insert(0, "period", period)
        frames.append(_rates(pd.concat([counts, city], ignore_index=True)))
    df = pd.concat(frames, ignore_index=True)
    for col in COUNT_COLUMNS:
        df[col] = df[col].round().astype("Int64")
    df["score_points"] = df["score_points"].astype("Float64")
    df["county"] = df["county"].astype("str")
    df["county_code"] = df["county_code"].astype("str")
    return df


def township_metrics(cm: pd.DataFrame) -> pd.DataFrame:
    """Two townships per county, splitting the county's counts 60/40 (the second one weaker)."""
    rows = []
    for _, r in cm[cm["county"] != load.city_total_label()].iterrows():
        for i, (name, share) in enumerate([("城关镇", 0.6), ("<b>东山镇</b>", 0.4)]):
            row = r.copy()
            row["township"] = name
            for col in COUNT_COLUMNS + ["score_points"]:
                v = r[col] * share * (0.97 if i and col in ("studied", "branches_all_activities") else 1)
                row[col] = v
            rows.append(row)
    df = _rates(pd.DataFrame(rows))
    for col in COUNT_COLUMNS:
        df[col] = df[col].astype(float).round().astype("Int64")
    cols = list(cm.columns)
    cols.insert(cols.index("county") + 1, "township")
    return df[cols].reset_index(drop=True)


def balance(cm: pd.DataFrame) -> pd.DataFrame:
    rows = []
    city = load.city_total_label()
    for period, g in cm.groupby("period"):
        counties = g[g["county"] != city]
        city_row = g[g["county"] == city].iloc[0]
        for spec in load.indicators():
            v = counties.set_index("county")[spec["id"]].astype(float).dropna()
            if v.empty:
                continue
            rows.append({
                "scope": "across_counties", "period": period, "indicator": spec["id"], "county": None,
                "n_counties": len(v), "min": v.min(), "max": v.max(), "best_county": v.idxmax(),
                "worst_county": v.idxmin(), "difference": v.max() - v.min(),
                "ratio": v.max() / v.min() if v.min() else None, "mean_diff_best": (v.max() - v).mean(),
                "mean_diff_best_weighted": (v.max() - v).mean(), "index_disparity": (abs(v - v.mean())).mean() / v.mean(),
                "index_disparity_weighted": (abs(v - v.mean())).mean() / v.mean(), "cv": v.std(ddof=0) / v.mean() * 100,
                "cv_weighted": v.std(ddof=0) / v.mean() * 100, "city_value": float(city_row[spec["id"]]), "par": None,
                "paf": None, "refused_reason": None, "branches": None, "branches_below_target": None,
                "share_below_target": None,
            })
            for county, value in v.items():
                n = int(BRANCHES[county])
                below = round(n * max(0.0, (spec["target"] - value)) * 3) if spec["unit"] == "share" else 0
                rows.append({
                    "scope": "within_county", "period": period, "indicator": spec["id"], "county": county,
                    "n_counties": None, "min": None, "max": None, "best_county": None, "worst_county": None,
                    "difference": None, "ratio": None, "mean_diff_best": None, "mean_diff_best_weighted": None,
                    "index_disparity": None, "index_disparity_weighted": None, "cv": None, "cv_weighted": None,
                    "city_value": float(city_row[spec["id"]]), "par": None, "paf": None, "refused_reason": None,
                    "branches": n, "branches_below_target": min(n, below), "share_below_target": min(n, below) / n,
                })
    return pd.DataFrame(rows)


def weak_links(cm: pd.DataFrame) -> pd.DataFrame:
    """County weak links below target, plus one township and one branch with a hostile name."""
    rows = []
    city = load.city_total_label()
    for period, g in cm.groupby("period"):
        city_row = g[g["county"] == city].iloc[0]
        for spec in load.indicators():
            if spec["unit"] != "share":
                continue
            for _, r in g[g["county"] != city].iterrows():
                v = r[spec["id"]]
                if pd.isna(v) or v >= spec["warning"]:
                    continue
                rows.append({"period": period, "level": "county", "county": r["county"], "township": None,
                             "branch": None, "indicator": spec["id"], "value": float(v),
                             "city_value": float(city_row[spec["id"]]),
                             "gap_pp": (float(v) - float(city_row[spec["id"]])) * 100, "target": spec["target"],
                             "rule": "below_target", "severity": "critical", "members_affected": int(r["members"])})
        rows.append({"period": period, "level": "township", "county": "五华县", "township": "<b>东山镇</b>",
                     "branch": None, "indicator": "studied_rate", "value": 0.93, "city_value": 0.98, "gap_pp": -5.0,
                     "target": 1.0, "rule": "below_city", "severity": "warning", "members_affected": 2880})
        rows.append({"period": period, "level": "branch", "county": "五华县", "township": "<b>东山镇</b>",
                     "branch": "<script>alert(1)</script>村党支部", "indicator": "test_rate", "value": 0.6,
                     "city_value": 1.0, "gap_pp": -40.0, "target": 1.0, "rule": "below_target",
                     "severity": "critical", "members_affected": 25})
    df = pd.DataFrame(rows)
    df["rank"] = df.groupby("period").cumcount() + 1
    df["reason_zh"] = ""
    df["reason_en"] = ""
    df["members_affected"] = df["members_affected"].astype("Int64")
    return df


def trends(cm: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for spec in load.indicators():
        for county, g in cm.groupby("county"):
            g = g.sort_values("period")
            values = g[spec["id"]].astype(float).tolist()
            pace = values[-1] - values[0] if len(values) > 1 else None
            for (_, r), v in zip(g.iterrows(), values):
                rows.append({"period": r["period"], "county": county, "indicator": spec["id"], "value": v,
                             "target": spec["target"], "pace_per_period": pace, "projected_period": None,
                             "reaches_target": v >= spec["target"]})
    return pd.DataFrame(rows)


def data_quality(cm: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for period in cm["period"].unique():
        rows.append({"period": period, "county": None, "check": "score", "value": 96.0, "threshold": 80.0,
                     "passed": True, "detail_zh": "数据质量得分96分", "detail_en": "data-quality score 96"})
    return pd.DataFrame(rows)


def manifest() -> pd.DataFrame:
    return pd.DataFrame({"path": ["2005-02-25/梅县.xlsx"], "sha256": ["0" * 64], "size": [1000], "county": ["梅县"],
                         "period": [P2], "sheets": ["Sheet1"], "rows_read": [400], "rows_kept": [390],
                         "rows_rejected": [0], "status": ["ok"], "warnings": [""]})


def rejects() -> pd.DataFrame:
    return pd.DataFrame(columns=["source_file", "source_sheet", "source_row", "column", "raw_value", "rule",
                                 "message_zh", "message_en", "period", "county", "branch"])


def write_processed(folder: Path) -> Path:
    """Write the whole set of contract tables into ``folder`` (a processed dir)."""
    folder.mkdir(parents=True, exist_ok=True)
    cm = county_metrics()
    tables = {
        config.COUNTY_METRICS_FILE: cm, config.TOWNSHIP_METRICS_FILE: township_metrics(cm),
        config.BALANCE_FILE: balance(cm), config.WEAK_LINKS_FILE: weak_links(cm),
        config.DATA_QUALITY_FILE: data_quality(cm), config.TRENDS_FILE: trends(cm),
        config.MANIFEST_FILE: manifest(), config.REJECTS_FILE: rejects(),
    }
    for name, df in tables.items():
        df.to_parquet(folder / name, index=False)
    return folder
