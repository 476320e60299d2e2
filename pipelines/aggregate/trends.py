"""Where each indicator is heading: its value over the periods, its pace, when it meets the target.

The pace is the change over the last ``window`` periods (fewer at the start), per day and scaled
to the typical (median) gap between periods. A unit below target whose pace points toward the
target gets the date it reaches it at that pace; one standing still or going back gets
``reaches_target`` False and no date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.domain.indicators import Indicator

COLUMNS = ("period", "county", "indicator", "value", "target", "pace_per_period", "projected_period", "reaches_target")


def trends(county_metrics: pd.DataFrame, indicators: list[Indicator], window: int = 3) -> pd.DataFrame:
    """trends.parquet: one row per (period, county incl. 全市, indicator)."""
    window = max(1, int(window))
    frames = []
    for ind in indicators:
        f = county_metrics[["period", "county"]].copy()
        f["indicator"] = ind.id
        f["value"] = county_metrics[ind.id].astype("Float64")
        f["target"] = ind.target
        f["sign"] = float(ind.sign)
        frames.append(f)
    f = pd.concat(frames, ignore_index=True)
    f["_order"] = np.arange(len(f))
    f = f.sort_values(["county", "indicator", "period"], kind="stable").reset_index(drop=True)
    periods = np.sort(f["period"].unique())
    gap_days = float(np.median(np.diff(periods).astype("timedelta64[s]").astype(float) / 86400)) if len(periods) > 1 else np.nan

    pos = f.groupby(["county", "indicator"], sort=False).cumcount().to_numpy()
    lag = np.minimum(pos, window)
    idx = np.arange(len(f)) - lag
    v = f["value"].to_numpy(dtype=float, na_value=np.nan)
    t = f["period"].to_numpy().astype("datetime64[s]").astype(float) / 86400
    dv = v - v[idx]
    dt = t - t[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_day = np.where(dt > 0, dv / dt, np.nan)
    f["pace_per_period"] = pd.array(per_day * gap_days, dtype="Float64")

    sign = f["sign"].to_numpy()
    target = f["target"].to_numpy(dtype=float)
    met = sign * (v - target) >= -1e-12
    toward = sign * per_day > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        days = np.ceil(np.round((target - v) / per_day, 6))  # 21.0000001 days is 21 days
    ok = ~met & toward & np.isfinite(days) & (days < 365 * 50)
    proj = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]")
    proj[met] = f.loc[met, "period"]
    proj[ok] = f.loc[ok, "period"] + pd.to_timedelta(days[ok], unit="D")
    f["projected_period"] = proj
    reaches = pd.array(np.where(met | ok, True, False), dtype="boolean")
    reaches[np.isnan(v)] = pd.NA
    f["reaches_target"] = reaches
    unknown = ~met & np.isnan(per_day) & ~np.isnan(v)  # a first period: no pace yet
    f.loc[unknown, "reaches_target"] = pd.NA
    f = f.sort_values("_order").reset_index(drop=True)
    f["target"] = f["target"].astype("Float64")
    f["county"] = f["county"].astype("str")
    f["indicator"] = f["indicator"].astype("str")
    return f[list(COLUMNS)]
