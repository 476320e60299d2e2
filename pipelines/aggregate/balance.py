"""How unequal the counties are, per indicator: the WHO HEAT summary measures, direction-aware.

Across counties (one row per period and indicator): range measures (difference, ratio), the
mean difference from the best county, the index of disparity and the coefficient of variation,
each unweighted and weighted by registry members, and the population attributable risk (PAR,
how much the city would gain if every county did as well as the best) with its fraction (PAF).
With two counties or fewer there is no distribution to summarise: the measures are null and
``refused_reason`` says why. Within each county: the share of its branches below the target
(from the sums the engine made in its one pass over the branches). Formulas: docs/metrics.md.
Pandas on the county table, which is small at any scale (counties × periods).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.aggregate.branches import BELOW, VALUED
from pipelines.domain import load
from pipelines.domain.indicators import Indicator

MIN_COUNTIES = 3
MEASURES = (
    "min", "max", "best_county", "worst_county", "difference", "ratio", "mean_diff_best",
    "mean_diff_best_weighted", "index_disparity", "index_disparity_weighted", "cv", "cv_weighted",
    "par", "paf",
)
COLUMNS = (
    "scope", "period", "indicator", "county", "n_counties", "min", "max", "best_county", "worst_county",
    "difference", "ratio", "mean_diff_best", "mean_diff_best_weighted", "index_disparity",
    "index_disparity_weighted", "cv", "cv_weighted", "city_value", "par", "paf", "refused_reason",
    "branches", "branches_below_target", "share_below_target",
)
FLOATS = ("min", "max", "difference", "ratio", "mean_diff_best", "mean_diff_best_weighted", "index_disparity",
          "index_disparity_weighted", "cv", "cv_weighted", "city_value", "par", "paf", "share_below_target")
INTS = ("n_counties", "branches", "branches_below_target")
STRS = ("scope", "indicator", "county", "best_county", "worst_county", "refused_reason")


def long_values(metrics: pd.DataFrame, indicators: list[Indicator], keys: list[str]) -> pd.DataFrame:
    """(period, *keys, indicator, value, weight) with weight = registry members of the unit."""
    frames = []
    for ind in indicators:
        f = metrics[["period", *keys, "members_expected"]].copy()
        f["indicator"] = ind.id
        f["value"] = metrics[ind.id].astype("Float64")
        frames.append(f)
    out = pd.concat(frames, ignore_index=True).rename(columns={"members_expected": "weight"})
    out["weight"] = out["weight"].astype("Float64")
    return out


def _direction(indicators: list[Indicator]) -> pd.Series:
    return pd.Series({i.id: float(i.sign) for i in indicators}, name="sign")


def across_counties(county_metrics: pd.DataFrame, indicators: list[Indicator]) -> pd.DataFrame:
    """One row per (period, indicator): the spread between counties (city row excluded)."""
    city_label = load.city_total_label()
    counties = county_metrics.loc[county_metrics["county"] != city_label]
    city = long_values(county_metrics.loc[county_metrics["county"] == city_label], indicators, [])
    city = city[["period", "indicator", "value"]].rename(columns={"value": "city_value"})

    lv = long_values(counties, indicators, ["county"])
    lv = lv.loc[lv["value"].notna()].copy()
    lv["sign"] = lv["indicator"].map(_direction(indicators)).astype(float)
    y = lv["value"].astype(float).to_numpy()
    lv["y"] = y
    lv["oriented"] = lv["sign"] * y
    g = lv.groupby(["period", "indicator"], sort=False)
    out = g.agg(n_counties=("y", "size"), min=("y", "min"), max=("y", "max"), mean=("y", "mean")).reset_index()
    best_idx = g["oriented"].idxmax()
    worst_idx = g["oriented"].idxmin()
    out["best_county"] = lv.loc[best_idx.to_numpy(), "county"].astype("str").to_numpy()
    out["tie"] = out["max"] == out["min"]
    out["worst_county"] = lv.loc[worst_idx.to_numpy(), "county"].astype("str").to_numpy()
    out["best"] = lv.loc[best_idx.to_numpy(), "y"].to_numpy()

    lv = lv.merge(out[["period", "indicator", "best", "mean"]], on=["period", "indicator"], how="left")
    w = lv["weight"].astype(float).fillna(0.0).to_numpy()
    y = lv["y"].to_numpy()
    lv["w"] = w
    lv["wy"] = w * y
    lv["abs_best"] = np.abs(y - lv["best"].to_numpy())
    lv["w_abs_best"] = w * lv["abs_best"].to_numpy()
    lv["abs_mean"] = np.abs(y - lv["mean"].to_numpy())
    lv["sq_mean"] = (y - lv["mean"].to_numpy()) ** 2
    sums = lv.groupby(["period", "indicator"], sort=False)[
        ["w", "wy", "abs_best", "w_abs_best", "abs_mean", "sq_mean"]
    ].sum().reset_index()
    out = out.merge(sums, on=["period", "indicator"], how="left")
    n = out["n_counties"].to_numpy(dtype=float)
    wsum = out["w"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        wmean = np.where(wsum > 0, out["wy"].to_numpy() / wsum, np.nan)
    out["wmean"] = wmean
    # The weighted spread needs the weighted mean first: a second pass over the long frame.
    lv = lv.merge(out[["period", "indicator", "wmean"]], on=["period", "indicator"], how="left")
    lv["w_abs_wmean"] = lv["w"] * np.abs(lv["y"] - lv["wmean"])
    lv["w_sq_wmean"] = lv["w"] * (lv["y"] - lv["wmean"]) ** 2
    s2 = lv.groupby(["period", "indicator"], sort=False)[["w_abs_wmean", "w_sq_wmean"]].sum().reset_index()
    out = out.merge(s2, on=["period", "indicator"], how="left").merge(city, on=["period", "indicator"], how="left")

    mean = out["mean"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["difference"] = out["max"] - out["min"]
        out["ratio"] = np.where(out["min"] > 0, out["max"] / out["min"], np.nan)
        out["mean_diff_best"] = out["abs_best"] / n
        out["mean_diff_best_weighted"] = np.where(wsum > 0, out["w_abs_best"] / wsum, np.nan)
        out["index_disparity"] = np.where(mean != 0, out["abs_mean"] / n / mean * 100, np.nan)
        out["index_disparity_weighted"] = np.where(
            (wsum > 0) & (wmean != 0), out["w_abs_wmean"] / wsum / wmean * 100, np.nan
        )
        out["cv"] = np.where(mean != 0, np.sqrt(out["sq_mean"] / n) / mean * 100, np.nan)
        out["cv_weighted"] = np.where((wsum > 0) & (wmean != 0), np.sqrt(out["w_sq_wmean"] / wsum) / wmean * 100, np.nan)
        sign = out["indicator"].map(_direction(indicators)).astype(float).to_numpy()
        city_v = out["city_value"].astype(float).to_numpy()
        out["par"] = sign * (out["best"].to_numpy() - city_v)
        out["paf"] = np.where(city_v != 0, out["par"] / city_v * 100, np.nan)

    refused = out["n_counties"] < MIN_COUNTIES
    out["refused_reason"] = pd.Series(pd.NA, index=out.index, dtype="str")
    out.loc[refused, "refused_reason"] = (
        "only " + out.loc[refused, "n_counties"].astype(str) + f" counties with data (at least {MIN_COUNTIES} needed)"
    )
    for col in ("best_county", "worst_county"):  # all counties equal: nobody is best or worst
        out[col] = out[col].where(~out["tie"], None)
    for col in MEASURES:
        out[col] = out[col].astype(object).where(~refused, None)
    out["scope"] = "across_counties"
    out["county"] = None

    # Every (period, indicator) keeps a row, even when no county has data.
    grid = county_metrics[["period"]].drop_duplicates().merge(
        pd.DataFrame({"indicator": [i.id for i in indicators]}), how="cross"
    )
    out = grid.merge(out, on=["period", "indicator"], how="left").drop(columns=["city_value"]).merge(
        city, on=["period", "indicator"], how="left"
    )
    none = out["n_counties"].isna()
    out.loc[none, "refused_reason"] = f"no county has data (at least {MIN_COUNTIES} needed)"
    out["n_counties"] = out["n_counties"].fillna(0)
    out["scope"] = "across_counties"
    return _typed(out)


def within_county(county_metrics: pd.DataFrame, indicators: list[Indicator]) -> pd.DataFrame:
    """Per (period, county, indicator): branches with a value, and how many fall short of the target.

    The report rate counts expected branches and the ones that did not report; a branch-counted
    indicator's branch value is its 0/1 flag, so the county's own sums give the counts; every other
    indicator uses the counts the engine summed (``valued_<id>``, ``below_<id>``).
    """
    cm = county_metrics.loc[county_metrics["county"] != load.city_total_label()]
    frames = []
    for ind in indicators:
        f = cm[["period", "county"]].copy()
        if ind.denominator == "branches_expected":
            f["branches"] = cm["branches_expected"].astype("Int64")
            below = 0 if ind.sign * (0.0 - ind.target) >= 0 else 1  # a silent branch has value 0
            f["branches_below_target"] = ((cm["branches_expected"] - cm["branches_reported"]) * below).astype("Int64")
        elif ind.counts_branches:
            held = cm[ind.numerator].astype("Float64").fillna(0)
            reported = cm["branches_reported"].astype("Float64").fillna(0)
            one_below = ind.sign * (1.0 - ind.target) < -1e-12
            zero_below = ind.sign * (0.0 - ind.target) < -1e-12
            f["branches"] = reported.round().astype("Int64")
            f["branches_below_target"] = (held * one_below + (reported - held) * zero_below).round().astype("Int64")
        else:
            f["branches"] = cm[VALUED + ind.id].astype("Float64").fillna(0).round().astype("Int64")
            f["branches_below_target"] = cm[BELOW + ind.id].astype("Float64").fillna(0).round().astype("Int64")
        f["indicator"] = ind.id
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    b = out["branches"].astype("Float64")
    out["share_below_target"] = out["branches_below_target"].astype("Float64") / b.where(b > 0)
    out["scope"] = "within_county"
    out["n_counties"] = pd.NA
    return _typed(out)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in COLUMNS:
        if col not in out:
            out[col] = pd.NA
    for col in FLOATS:
        out[col] = pd.to_numeric(out[col].astype(object), errors="coerce").astype("Float64")
    for col in INTS:
        out[col] = pd.to_numeric(out[col].astype(object), errors="coerce").astype("Int64")
    for col in STRS:
        out[col] = out[col].astype(object).where(out[col].notna(), None).astype("str")
    out["period"] = out["period"].astype("datetime64[ns]")
    return out[list(COLUMNS)]


def balance(county_metrics: pd.DataFrame, indicators: list[Indicator]) -> pd.DataFrame:
    """balance.parquet: across-county rows then within-county rows."""
    return pd.concat([across_counties(county_metrics, indicators), within_county(county_metrics, indicators)],
                     ignore_index=True)
