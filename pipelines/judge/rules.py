"""The rules that find weak links (薄弱环节): one vectorised mask each over the long unit table.

- ``citywide`` (city): the city is past the warning level and more than
  ``citywide.share_of_counties`` of the counties miss the target; always critical.
- ``below_target`` (county): short of the target, and either past the warning level or the city
  meets the target (a shortfall the whole city shares singles out no county); critical past the
  warning level.
- ``below_city`` (county): more than ``below_city`` below the city; critical beyond
  ``below_city_critical``. (township, branch): the same gap, beyond the funnel limit, with at least
  ``min_denominator`` people; critical as above.
- ``worst_county`` (county): the worst county when best − worst exceeds ``spread``; critical beyond
  ``spread_critical``.
- ``fell_back`` (county): fell by more than ``fell_back`` since the previous period; critical beyond
  ``fell_back_critical``.
- ``not_reported`` (county): branches expected did not report; critical when the report rate is past
  its warning level, or nothing came at all. (branch): a run of consecutive periods without a return
  (one row per run); critical when the run is two periods or longer.

Each rule returns hits: the row of the long table (pipelines/judge/units.py) it flags, the rule,
whether it is critical, and the facts its sentence needs; ``findings`` merges the hits of a row.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from pipelines.aggregate.branches import branch_rate, measures
from pipelines.domain.indicators import Indicator
from pipelines.judge.funnel import beyond_limit
from pipelines.params.thresholds import Thresholds

EPS = 1e-9


def _hits(long: pd.DataFrame, mask: np.ndarray, rule: str, critical: np.ndarray, **extra: np.ndarray) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    out = pd.DataFrame({"row": long.index.to_numpy()[mask], "rule": rule,
                        "critical": np.asarray(critical, dtype=bool)[mask]})
    for k, v in extra.items():
        out[k] = np.asarray(v)[mask]
    return out


def _arr(long: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(long[col]).to_numpy(dtype=float, na_value=np.nan)


def _report_ids(indicators: list[Indicator]) -> set[str]:
    return {i.id for i in indicators if i.numerator == "branches_reported"}


def citywide(long: pd.DataFrame, indicators: list[Indicator], th: Thresholds) -> pd.DataFrame:
    """A shortfall nearly every county shares is one finding about the city, not nine about counties."""
    share = float(th.weak_links["citywide"]["share_of_counties"])
    v, s, target = _arr(long, "value"), _arr(long, "sign"), _arr(long, "target")
    county = (long["level"] == "county").to_numpy()
    short = county & (s * (v - target) < -EPS) & ~np.isnan(v)
    has = county & ~np.isnan(v)
    keys = [long["period"], long["indicator"]]
    k = pd.Series(short).groupby(keys).transform("sum").to_numpy()
    m = pd.Series(has).groupby(keys).transform("sum").to_numpy()
    city = (long["level"] == "city").to_numpy() & ~long["indicator"].isin(_report_ids(indicators)).to_numpy()
    flag = city & (s * (v - _arr(long, "warning")) < -EPS) & (m > 0) & (k > share * m)
    return _hits(long, flag, "citywide", np.ones(len(long), bool), counties_short=k, counties_n=m)


def county_rules(long: pd.DataFrame, across: pd.DataFrame, indicators: list[Indicator]) -> list[pd.DataFrame]:
    """below_target, below_city, worst_county, fell_back and not_reported for every county."""
    county = (long["level"] == "county").to_numpy()
    report = long["indicator"].isin(_report_ids(indicators)).to_numpy()
    v, cv, s = _arr(long, "value"), _arr(long, "city_value"), _arr(long, "sign")
    target, warning = _arr(long, "target"), _arr(long, "warning")
    out = []
    past_warning = s * (v - warning) < -EPS
    city_met = s * (cv - target) >= -EPS
    short = county & ~report & (s * (v - target) < -EPS) & (past_warning | city_met)
    out.append(_hits(long, short, "below_target", past_warning))
    gap = np.nan_to_num(s * (cv - v), nan=-1.0)
    out.append(_hits(long, county & (gap > _arr(long, "lim_below_city") + EPS), "below_city",
                     gap > _arr(long, "lim_below_city_critical") + EPS))

    a = across[["period", "indicator", "worst_county", "best_county", "difference"]].copy()
    a = a.loc[a["worst_county"].notna()].rename(columns={"worst_county": "county"})
    keys = pd.MultiIndex.from_frame(long[["period", "indicator", "county"]].astype({"county": "str"}))
    a_idx = a.set_index(["period", "indicator", "county"])
    a_idx = a_idx[~a_idx.index.duplicated()]
    spread = pd.to_numeric(a_idx["difference"].reindex(keys)).to_numpy(dtype=float, na_value=np.nan)
    best = a_idx["best_county"].reindex(keys).astype(object).to_numpy()
    worst = county & (np.nan_to_num(spread, nan=-1.0) > _arr(long, "lim_spread") + EPS)
    vals = long.loc[county].set_index(["period", "indicator", "county"])["value"]
    vals = vals[~vals.index.duplicated()]
    best_v = pd.to_numeric(vals.reindex(pd.MultiIndex.from_arrays([long["period"], long["indicator"], best]))
                           ).to_numpy(dtype=float, na_value=np.nan)
    out.append(_hits(long, worst, "worst_county", spread > _arr(long, "lim_spread_critical") + EPS,
                     best_county=best, best_value=best_v))

    order = long.loc[county].sort_values(["county", "indicator", "period"], kind="stable")
    g = order.groupby(["county", "indicator"], sort=False)
    prev_v = pd.Series(np.nan, index=long.index)
    prev_p = pd.Series(pd.NaT, index=long.index, dtype="datetime64[ns]")
    prev_v.loc[order.index] = g["value"].shift(1).to_numpy(dtype=float)
    prev_p.loc[order.index] = g["period"].shift(1).to_numpy()
    drop = np.nan_to_num(s * (prev_v.to_numpy() - v), nan=-1.0)
    out.append(_hits(long, county & (drop > _arr(long, "lim_fell_back") + EPS), "fell_back",
                     drop > _arr(long, "lim_fell_back_critical") + EPS,
                     previous_period=prev_p.to_numpy(), previous_value=prev_v.to_numpy()))

    missing = county & report & (np.nan_to_num(_arr(long, "branches_expected") - _arr(long, "branches_reported")) > 0)
    crit = (s * (v - warning) < -EPS) | (np.nan_to_num(_arr(long, "branches_reported")) == 0)
    out.append(_hits(long, missing, "not_reported", crit))
    return out


def below_city_beyond_chance(v: np.ndarray, n: np.ndarray, cv: np.ndarray, sign: np.ndarray, lim: np.ndarray,
                             th: Thresholds) -> np.ndarray:
    """Past the gap threshold, with at least ``min_denominator`` people, and beyond the funnel limit."""
    gap = np.nan_to_num(sign * (cv - v), nan=-1.0)
    cand = (np.nan_to_num(n) >= float(th.weak_links["min_denominator"])) & (gap > lim + EPS)
    flag = np.zeros(len(v), dtype=bool)
    z = float(th.weak_links["funnel_z"])
    for direction in (1.0, -1.0):  # the funnel's tail depends on the direction
        c = cand & (sign == direction)
        if c.any():
            flag[c] = beyond_limit(v[c], n[c], cv[c], int(direction), z)
    return flag


def small_units(long: pd.DataFrame, level: str, indicators: list[Indicator], th: Thresholds) -> pd.DataFrame:
    """below_city for townships and branches: past the gap threshold AND beyond the funnel limit,
    with at least ``min_denominator`` people (or branches) behind the rate. The report rate of a
    township is not judged this way: its silent branches are findings of their own."""
    at = (long["level"] == level).to_numpy() & (long["unit"] == "share").to_numpy()
    at &= ~long["indicator"].isin(_report_ids(indicators)).to_numpy()
    if "first_missed" in long:
        at &= long["first_missed"].isna().to_numpy()
    v, cv, s, n = _arr(long, "value"), _arr(long, "city_value"), _arr(long, "sign"), _arr(long, "denominator")
    flag = at & below_city_beyond_chance(v, n, cv, s, _arr(long, "lim_below_city"), th)
    gap = np.nan_to_num(s * (cv - v), nan=-1.0)
    return _hits(long, flag, "below_city", gap > _arr(long, "lim_below_city_critical") + EPS)


def missed_runs(long: pd.DataFrame) -> pd.DataFrame:
    """One not_reported finding per branch and run of missed periods (critical from two periods)."""
    if "first_missed" not in long:
        return _hits(long, np.zeros(len(long), bool), "not_reported", np.zeros(len(long), bool))
    run = long["first_missed"].notna().to_numpy()
    return _hits(long, run, "not_reported", np.nan_to_num(_arr(long, "periods_missed")) >= 2)


def branch_indicators(indicators: list[Indicator]) -> list[Indicator]:
    """Indicators judged per branch: shares counted in people (a branch's activity is a 0/1, judged
    through its township; its members against the registry are not a branch's rate)."""
    return [i for i in indicators if i.unit == "share" and not i.counts_branches and i.denominator != "members_expected"]


def branch_candidates(values: ibis.Table, registry: ibis.Table, city: pd.DataFrame, indicators: list[Indicator],
                      th: Thresholds) -> ibis.Table:
    """Branch rows past the gap threshold with enough people: the only rows the funnel test needs.

    Filtered in the engine (one pass over the branch values), so millions of branch rows never
    reach pandas; the exact tails are then computed for the few that pass. ``city``: the city's
    rows of the long table (period, indicator, value).
    """
    inds = branch_indicators(indicators)
    wide = city.pivot_table(index="period", columns="indicator", values="value", aggfunc="first")
    wide = wide.reindex(columns=[i.id for i in inds]).astype("float64")
    wide.columns = [f"city_{c}" for c in wide.columns]
    j = measures(values, indicators).join(ibis.memtable(wide.reset_index()), "period")
    cond = ibis.literal(False)
    for ind in inds:
        gap = ind.sign * (j[f"city_{ind.id}"] - branch_rate(j, ind))
        cond = cond | ((j[ind.denominator] >= float(th.weak_links["min_denominator"]))
                       & (gap > th.gap("below_city", ind.unit) + EPS)).fill_null(False)
    cols = sorted({c for i in inds for c in (i.numerator, i.denominator)})
    picked = j.filter(cond).select("period", "branch_id", *cols)
    return picked.join(registry.select("branch_id", "county", "township", "branch"), "branch_id")
