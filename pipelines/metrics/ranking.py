"""The order in which weak links are read: what sets a unit apart first, shared shortfalls after.

Within a period a weak link ranks by
1. tier: the lead finding of each place and indicator first; a second rule about the same place
   and indicator, and a county's below_target row for an indicator the whole city misses (the
   ``citywide`` row speaks for it), come after every lead finding;
2. severity: critical before warning;
3. level: city, county, township, branch (the office supervises the counties; townships and
   branches are the detail under them);
4. excess members: the members that the unit's gap from the city accounts for, i.e. how many
   more would be reached if the unit were at the city's level (members affected × gap from the
   city ÷ the unit's whole shortfall); for a city-wide row, the gap from the target;
5. members affected, then the gap.
Ties keep the rules' order. See docs/metrics.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.metrics.indicators import Indicator

COLUMNS = (
    "rank", "period", "level", "county", "township", "branch", "indicator", "value", "city_value", "gap_pp",
    "target", "rule", "severity", "members_affected", "reason_zh", "reason_en",
)
SEVERITY_ORDER = {"critical": 0, "warning": 1}
LEVEL_ORDER = {"city": 0, "county": 1, "township": 2, "branch": 3}
# Which rule leads when several flag the same place and indicator.
RULE_ORDER = {"citywide": 0, "not_reported": 1, "below_city": 2, "worst_county": 3, "fell_back": 4, "below_target": 5}
FULL_SCALE = {"share": 1.0, "score": 100.0}
PLACE = ("period", "level", "county", "township", "branch", "branch_id", "indicator")


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in (*COLUMNS, "template")})


def _codes(values: pd.Series, order: dict[str, int], default: int = 9) -> np.ndarray:
    return pd.Series(values).map(order).to_numpy(dtype=float, na_value=float(default))


def excess_members(links: pd.DataFrame, indicators: list[Indicator]) -> np.ndarray:
    """Members affected × (gap from the city, or from the target for a city row) ÷ the whole shortfall.

    A county at 71.6 % against a city at 94.1 % with 181 special members not reached owes about
    144 of them to being behind the city; a county above the city owes none (0).
    """
    by_id = {i.id: i for i in indicators}
    ind = links["indicator"].astype("str")
    sign = ind.map({k: float(i.sign) for k, i in by_id.items()}).to_numpy(dtype=float, na_value=1.0)
    full = ind.map({k: FULL_SCALE.get(i.unit, 1.0) for k, i in by_id.items()}).to_numpy(dtype=float, na_value=1.0)
    target = ind.map({k: i.target for k, i in by_id.items()}).to_numpy(dtype=float, na_value=np.nan)
    value = pd.to_numeric(links["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    city = pd.to_numeric(links["city_value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bench = np.where(links["level"].astype("str").to_numpy() == "city", target, city)
    affected = pd.to_numeric(links["members_affected"], errors="coerce").to_numpy(dtype=float, na_value=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shortfall = np.where(sign > 0, full - value, value)  # the unit's whole distance from "all reached"
        behind = np.clip(sign * (bench - value), 0.0, None)
        share = np.where(shortfall > 0, np.minimum(behind / shortfall, 1.0), 0.0)
    return np.nan_to_num(affected * share, nan=0.0)


def tiers(links: pd.DataFrame) -> np.ndarray:
    """0 for the lead finding of a place and indicator, 1 for the rest (see the module docstring)."""
    n = len(links)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rule = links["rule"].astype("str")
    city_wide = links.loc[rule == "citywide", ["period", "indicator"]]
    subsumed = np.zeros(n, dtype=bool)
    if len(city_wide):
        key = pd.MultiIndex.from_arrays([links["period"], links["indicator"].astype("str")])
        shared = key.isin(pd.MultiIndex.from_arrays([city_wide["period"], city_wide["indicator"].astype("str")]))
        subsumed = shared & (links["level"].astype("str") == "county").to_numpy() & (rule == "below_target").to_numpy()
    place = [c for c in PLACE if c in links]
    order = np.lexsort((_codes(rule, RULE_ORDER), _codes(links["severity"], SEVERITY_ORDER), subsumed))
    keys = links.iloc[order][place].astype("str").fillna("")
    second = np.zeros(n, dtype=bool)
    second[order] = keys.duplicated(keep="first").to_numpy()
    return (subsumed | second).astype(np.int64)


def rank(links: list[pd.DataFrame] | pd.DataFrame, indicators: list[Indicator],
         max_rows_per_rule: int | None = None) -> pd.DataFrame:
    """Order the weak links of every period (latest period first) and number them 1.. per period."""
    frames = [f for f in links if f is not None and len(f)] if isinstance(links, list) else [links]
    out = pd.concat(frames, ignore_index=True) if frames else empty()
    period = pd.to_datetime(out["period"]).to_numpy().view(np.int64)
    gap = pd.to_numeric(out["gap_pp"], errors="coerce").to_numpy(dtype=float, na_value=-np.inf)
    members = pd.to_numeric(out["members_affected"], errors="coerce").to_numpy(dtype=float, na_value=0.0)
    keys = (-gap, -members, -excess_members(out, indicators), _codes(out["level"], LEVEL_ORDER),
            _codes(out["severity"], SEVERITY_ORDER), tiers(out), -period)
    out = out.iloc[np.lexsort(keys)].reset_index(drop=True)  # last key first
    if max_rows_per_rule:
        out = out.groupby(["period", "level", "rule"], sort=False).head(int(max_rows_per_rule)).reset_index(drop=True)
    out["rank"] = out.groupby("period", sort=False).cumcount() + 1
    return out
