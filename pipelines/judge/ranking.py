"""ranking.parquet: the counties ranked on each indicator, with the change since the previous period.

One row per (period, county, indicator): the value, the counts behind it, its rank among the
counties with a value (1 = best, direction-aware; ties share the better rank), how many were
ranked, and the change in rank and in value (percentage points for shares, points for scores)
since the previous period. The ranking table of the 汇报 and the Word document read it as it is.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ("period", "county", "indicator", "value", "numerator", "denominator", "rank", "ranked",
           "previous_value", "change", "previous_rank", "rank_change")


def ranking_table(long: pd.DataFrame) -> pd.DataFrame:
    """From the long unit table (pipelines/judge/units.py): its county rows, every indicator at once."""
    f = long.loc[long["level"] == "county", ["period", "county", "indicator", "value", "numerator", "denominator",
                                             "sign", "scale"]].copy()
    oriented = f["value"].astype(float) * f["sign"]
    f["rank"] = oriented.groupby([f["period"], f["indicator"]]).rank(method="min", ascending=False)
    f["ranked"] = f["value"].notna().groupby([f["period"], f["indicator"]]).transform("sum")
    f = f.sort_values(["county", "indicator", "period"], kind="stable")
    g = f.groupby(["county", "indicator"], sort=False)
    f["previous_value"] = g["value"].shift(1)
    f["previous_rank"] = g["rank"].shift(1)
    f["change"] = ((f["value"].astype(float) - f["previous_value"].astype(float)) * f["scale"]).round(6)
    f["rank_change"] = f["previous_rank"] - f["rank"]  # > 0: moved up
    f["period"] = pd.to_datetime(f["period"]).astype("datetime64[ns]")
    for col in ("county", "indicator"):
        f[col] = f[col].astype("str")
    for col in ("value", "numerator", "denominator", "previous_value", "change"):
        f[col] = pd.to_numeric(f[col]).astype("Float64")
    for col in ("rank", "ranked", "previous_rank", "rank_change"):
        f[col] = pd.to_numeric(f[col]).astype("Float64").round().astype("Int64")
    f = f.sort_values(["period", "indicator", "rank", "county"], kind="stable", na_position="last")
    return f[list(COLUMNS)].reset_index(drop=True)
