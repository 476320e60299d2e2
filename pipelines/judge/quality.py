"""Verdicts on the data-quality checks: each check's value against its threshold, and a 0–100 score.

The values come from the aggregate layer (pipelines/aggregate/history.py); here each check
passes or not against ``quality`` in thresholds.yaml, and the score is the weighted share of the
applicable checks that passed (a check without a value is not applicable: it neither passes nor
fails, and the data-quality sentences say why).
"""

from __future__ import annotations

import pandas as pd

from pipelines.aggregate.history import CHECKS
from pipelines.params.thresholds import Thresholds

COLUMNS = ("period", "county", "check", "value", "threshold", "passed")
# check → (threshold key, passes when value <= threshold (True) or >= threshold (False))
RULES: dict[str, tuple[str, bool]] = {
    "completeness": ("completeness_min", False),
    "rejected_rows": ("rejected_share_max", True),
    "unreadable_files": ("unreadable_files_max", True),
    "totals_disagreed": ("totals_disagreed_max", True),
    "cumulative_fell": ("fell_share_max", True),
    "outliers": ("outliers_max", True),
    "uniform_values": ("uniform_share_max", True),
    "unregistered_branches": ("unregistered_max", True),
}


def data_quality(values: pd.DataFrame, counties: list[str], city_label: str, thresholds: Thresholds) -> pd.DataFrame:
    """data_quality.parquet: (period, county, check) with value, threshold, passed; ``score`` per county."""
    q = thresholds.quality
    if values.empty:
        return pd.DataFrame({"period": pd.Series(dtype="datetime64[ns]"), "county": pd.Series(dtype="str"),
                             "check": pd.Series(dtype="str"), "value": pd.Series(dtype="Float64"),
                             "threshold": pd.Series(dtype="Float64"), "passed": pd.Series(dtype="boolean")})
    dq = values.copy()
    key = dq["check"].map({c: RULES[c][0] for c in RULES})
    at_most = dq["check"].map({c: RULES[c][1] for c in RULES}).astype(bool)
    dq["threshold"] = key.map(lambda k: float(q[k])).astype("Float64")
    v = dq["value"].astype("Float64")
    dq["passed"] = v.le(dq["threshold"]).where(at_most, v.ge(dq["threshold"])).astype("boolean")
    dq.loc[v.isna(), "passed"] = pd.NA
    weights = {k: float(w) for k, w in q["weights"].items()}
    w = dq["check"].map(weights).fillna(0.0)
    dq["_wp"] = w * dq["passed"].fillna(False).astype(float)
    dq["_wa"] = w * dq["passed"].notna().astype(float)
    sc = dq.groupby(["period", "county"], sort=False)[["_wp", "_wa"]].sum().reset_index()
    sc["value"] = (100 * sc["_wp"] / sc["_wa"].where(sc["_wa"] > 0)).round(1).astype("Float64")
    sc["check"] = "score"
    sc["threshold"] = float(q["score_min"])
    sc["passed"] = sc["value"].ge(sc["threshold"]).astype("boolean")
    out = pd.concat([dq[list(COLUMNS)], sc[list(COLUMNS)]], ignore_index=True)
    order = {c: i for i, c in enumerate([*counties, city_label])}
    corder = {c: i for i, c in enumerate([*CHECKS, "score"])}
    out = out.assign(_c=out["county"].map(order), _k=out["check"].map(corder))
    out = out.sort_values(["period", "_c", "_k"], kind="stable").drop(columns=["_c", "_k"]).reset_index(drop=True)
    out["threshold"] = out["threshold"].astype("Float64")
    out["check"] = out["check"].astype("str")
    out["county"] = out["county"].astype("str")
    return out[list(COLUMNS)]
