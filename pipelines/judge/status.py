"""Status of every unit × indicator × period: met, watch, alert, scheduled or no_data.

The one verdict every document colours by. ``met``: the target is reached; ``watch``: short of
the target but not past the warning level; ``alert``: past the warning level; ``scheduled``:
short, but the activity is not due yet at that period (``projected``: when the unit reaches the
target at its recent pace, from the trends); ``no_data``: no value. The target and warning are the
ones in force after ``--set``, ``--thresholds`` and the nightly's overrides, and are stored with
each row, so a document never loads thresholds itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STATUSES = ("met", "watch", "alert", "scheduled", "no_data")
WEAK = ("watch", "alert")  # what counts as a weak link (薄弱环节)
EPS = 1e-9
COLUMNS = ("period", "level", "county", "township", "indicator", "value", "target", "warning", "due", "status",
           "projected")


def verdict(long: pd.DataFrame) -> np.ndarray:
    """The status of each row of a long table (value, target, warning, sign, is_due)."""
    v = pd.to_numeric(long["value"]).to_numpy(dtype=float, na_value=np.nan)
    s = long["sign"].to_numpy(dtype=float)
    met = s * (v - long["target"].to_numpy(dtype=float)) >= -EPS
    alert = s * (v - long["warning"].to_numpy(dtype=float)) < -EPS
    out = np.where(met, "met", np.where(alert, "alert", "watch")).astype(object)
    out[~met & ~long["is_due"].to_numpy(dtype=bool)] = "scheduled"
    out[np.isnan(v)] = "no_data"
    return out


def projected(long: pd.DataFrame, trends: pd.DataFrame) -> np.ndarray:
    """When each (period, county, indicator) reaches its target at its pace (the trends' projection)."""
    if trends.empty:
        return np.full(len(long), np.datetime64("NaT"), dtype="datetime64[ns]")
    p = trends.set_index(["period", "county", "indicator"])["projected_period"]
    p = p[~p.index.duplicated()]
    keys = pd.MultiIndex.from_frame(long[["period", "county", "indicator"]].astype({"county": "str"}))
    out = pd.to_datetime(p.reindex(keys)).to_numpy(dtype="datetime64[ns]").copy()
    out[(long["level"] == "township").to_numpy()] = np.datetime64("NaT")
    return out


def status_table(long: pd.DataFrame, trends: pd.DataFrame) -> pd.DataFrame:
    """status.parquet: the city, every county and every township, for every judged indicator."""
    out = long.loc[long["level"].isin(["city", "county", "township"]), list(COLUMNS[:9])].copy()
    unit = long.loc[out.index]
    out["status"] = verdict(unit)
    proj = projected(unit, trends)
    out["projected"] = np.where(out["status"] == "scheduled", proj, np.datetime64("NaT"))
    return typed(out)


def typed(out: pd.DataFrame) -> pd.DataFrame:
    out = out.copy()
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    for col in ("level", "county", "township", "indicator", "status"):
        out[col] = out[col].astype("str")
    for col in ("value", "target", "warning"):
        out[col] = pd.to_numeric(out[col]).astype("Float64")
    for col in ("due", "projected"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    return out[list(COLUMNS)].reset_index(drop=True)
