"""findings.parquet: one row per (period, level, place, indicator) the rules flagged, ranked.

Every rule that fired is kept in ``rules``; ``severity`` is the highest; ``status`` is the
place's verdict (pipelines/judge/status.py), so only ``watch`` and ``alert`` findings are weak
links (薄弱环节) — a ``scheduled`` shortfall stays here, with its due date and projected date,
but is not counted. Each finding carries what a sentence about it needs, as numbers and codes,
never as text: the figures and the decimals they are printed with (gaps computed from the figures
as printed, so 14.8 − 9.5 = 5.3 checks), the shortfall counted in the unit that fits (branches,
members, answer sheets), the members behind it, the sub-units that carry most of it
(``contributors``), and the action group it belongs to.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from pipelines import numbers
from pipelines.domain.indicators import Indicator
from pipelines.judge import status as status_mod
from pipelines.params.thresholds import Thresholds

RULE_ORDER = ("citywide", "not_reported", "below_city", "worst_county", "fell_back", "below_target")
LEVELS = ("city", "county", "township", "branch")
SEVERITIES = ("critical", "warning")
EXTRA = ("counties_short", "counties_n", "best_county", "best_value", "previous_period", "previous_value")
COLUMNS = (
    "period", "rank", "level", "county", "township", "branch", "indicator", "rules", "severity", "status",
    "value", "city_value", "target", "warning", "decimals", "gap_city", "gap_target", "outstanding", "count_unit",
    "members_affected", "contributors", "action", "covers", "due", "projected", "best_county", "best_value",
    "previous_period", "previous_value", "counties_short", "counties_n", "first_missed", "periods_missed",
)


def contributors(long: pd.DataFrame, child: str, parent: list[str], th: Thresholds) -> pd.Series:
    """Per (parent unit, indicator): the fewest children that carry at least ``contributors_share`` of
    its outstanding count (at most ``contributors_max``), each {name, outstanding, share}; none when
    the shortfall is spread wider than that."""
    share, most = float(th.findings["contributors_share"]), int(th.findings["contributors_max"])
    keys = [*parent, "indicator"]
    f = long.loc[long["level"] == child, [*keys, child, "outstanding"]].copy()
    f = f.loc[f["outstanding"].fillna(0) > 0]
    if f.empty:
        return pd.Series(dtype=object)
    f = f.sort_values([*keys, "outstanding", child], ascending=[True] * len(keys) + [False, True], kind="stable")
    g = f.groupby(keys, sort=False)["outstanding"]
    f["total"] = g.transform("sum")
    f["cum"] = g.cumsum()
    f["pos"] = g.cumcount() + 1
    reach = f.loc[f["cum"] >= share * f["total"] - 1e-9].groupby(keys, sort=False)["pos"].min()
    f = f.join(reach.rename("k"), on=keys)
    f = f.loc[(f["k"] <= most) & (f["pos"] <= f["k"])]
    f["item"] = [{"name": str(n), "outstanding": int(round(o)), "share": float(o / t)}
                 for n, o, t in zip(f[child], f["outstanding"], f["total"], strict=True)]
    return f.groupby(keys, sort=False)["item"].agg(list)


def merge_hits(long: pd.DataFrame, hits: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per flagged row of ``long``: its rules (in RULE_ORDER), critical if any rule is, and
    the first non-null fact each rule brought (one pass over the hits sorted by row, no group-by)."""
    h = pd.concat([x for x in hits if x is not None and len(x)], ignore_index=True)
    for c in EXTRA:
        if c not in h:
            h[c] = None
    h["_r"] = h["rule"].map({r: i for i, r in enumerate(RULE_ORDER)})
    h = h.sort_values(["row", "_r"], kind="stable").reset_index(drop=True)
    row = h["row"].to_numpy()
    start = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    bounds = np.r_[start, len(h)]
    rule = h["rule"].to_numpy(dtype=object)
    out = long.loc[row[start]].copy()
    out["rules"] = [list(rule[a:b]) for a, b in itertools.pairwise(bounds)]
    out["critical"] = np.logical_or.reduceat(h["critical"].to_numpy(dtype=bool), start)
    for c in EXTRA:  # the first non-null of the row's hits
        col = h[c]
        known = col.notna().to_numpy()
        pos = np.where(known, np.arange(len(h)), len(h))
        first = np.minimum.reduceat(pos, start)
        values = col.to_numpy(dtype=object)
        padded = np.append(values, np.array([None], dtype=object))  # position len(h): no fact
        out[c] = np.where(first < np.r_[start[1:], len(h)], padded[first], np.array(None, dtype=object))
    return out


def findings_table(long: pd.DataFrame, hits: list[pd.DataFrame], trends: pd.DataFrame,
                   indicators: list[Indicator], thresholds: Thresholds) -> pd.DataFrame:
    """The merged, measured, ranked findings of every period (``long``: units and branch rows)."""
    if not any(h is not None and len(h) for h in hits):
        return empty()
    f = merge_hits(long, hits)
    v, cv, target = (pd.to_numeric(f[c]).to_numpy(dtype=float, na_value=np.nan) for c in ("value", "city_value", "target"))
    scale, sign = f["scale"].to_numpy(dtype=float), f["sign"].to_numpy(dtype=float)
    d = numbers.decimals_apart(v, target, cv, scale=scale)
    sv, sc, st = (numbers.shown(x, scale, d) for x in (v, cv, target))
    gap_city, gap_target = np.round(sign * (sc - sv), 3), np.round(sign * (st - sv), 3)
    f["decimals"] = d
    f["gap_city"] = np.where(gap_city > 0, gap_city, np.nan)
    f["gap_target"] = np.where(gap_target > 0, gap_target, np.nan)
    f["status"] = status_mod.verdict(f)
    f["projected"] = np.where(f["status"] == "scheduled", status_mod.projected(f, trends), np.datetime64("NaT"))
    by_id = {i.id: i for i in indicators}
    f["covers"] = [[p for p in by_id[i].parts if by_id[p].is_due(period)] if by_id[i].composite == "due" else []
                   for i, period in zip(f["indicator"], f["period"], strict=True)]
    f["contributors"] = [[] for _ in range(len(f))]
    for level, child, parent in (("county", "township", ["period", "county"]), ("city", "county", ["period"])):
        at = (f["level"] == level).to_numpy()
        if at.any():
            c = contributors(long, child, parent, thresholds)
            got = c.reindex(pd.MultiIndex.from_frame(f.loc[at, [*parent, "indicator"]])).to_numpy()
            f.loc[at, "contributors"] = pd.Series([x if isinstance(x, list) else [] for x in got], index=f.index[at])
    f["severity"] = np.where(f["critical"], "critical", "warning")
    for c in ("first_missed", "periods_missed"):
        if c not in f:
            f[c] = None
    return rank(typed(f.reset_index(drop=True)))


def excess_members(f: pd.DataFrame) -> np.ndarray:
    """Members affected × (gap from the city, or from the target for a city row) ÷ the whole shortfall:
    how many more would be reached if the unit were at the city's level."""
    sign = f["sign"].to_numpy(dtype=float)
    full = np.where(f["unit"].to_numpy() == "share", 1.0, 100.0)
    value = f["value"].to_numpy(dtype=float, na_value=np.nan)
    bench = np.where(f["level"].to_numpy() == "city", f["target"].to_numpy(dtype=float, na_value=np.nan),
                     f["city_value"].to_numpy(dtype=float, na_value=np.nan))
    affected = f["members_affected"].to_numpy(dtype=float, na_value=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shortfall = np.where(sign > 0, full - value, value)
        behind = np.clip(sign * (bench - value), 0.0, None)
        part = np.where(shortfall > 0, np.minimum(behind / shortfall, 1.0), 0.0)
    return np.nan_to_num(affected * part, nan=0.0)


def rank(f: pd.DataFrame) -> pd.DataFrame:
    """Rank 1.. within each period: weak links first (then scheduled, then the rest); among them a
    county's plain below_target finding for an indicator the whole city misses (its ``citywide``
    finding speaks for it) after the others; then severity, level (city, county, township,
    branch), members behind the city, members affected and the gap."""
    if f.empty:
        return f[list(COLUMNS)]
    weak = np.where(f["status"].isin(status_mod.WEAK), 0, np.where(f["status"] == "scheduled", 1, 2))
    city_wide = f.loc[f["rules"].map(lambda r: "citywide" in r), ["period", "indicator"]].drop_duplicates()
    shared = pd.MultiIndex.from_frame(f[["period", "indicator"]]).isin(pd.MultiIndex.from_frame(city_wide))
    tier = shared & (f["level"] == "county").to_numpy() & f["rules"].map(lambda r: list(r) == ["below_target"]).to_numpy()
    keys = pd.DataFrame({
        "latest": -f["period"].to_numpy().astype("datetime64[ns]").astype(np.int64), "weak": weak,
        "tier": tier.astype(int), "severity": f["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).to_numpy(),
        "level": f["level"].map({lv: i for i, lv in enumerate(LEVELS)}).to_numpy(),
        "excess": -excess_members(f), "members": -f["members_affected"].to_numpy(dtype=float, na_value=0.0),
        "gap": -f["gap_city"].fillna(f["gap_target"]).to_numpy(dtype=float, na_value=0.0),
        # ties broken by place and indicator, so the order never depends on the engine's row order
        "county": f["county"].astype("str").fillna(""), "township": f["township"].astype("str").fillna(""),
        "branch": f["branch"].astype("str").fillna(""), "indicator": f["indicator"].astype("str"),
    })
    out = f.iloc[keys.sort_values(list(keys.columns), kind="stable").index.to_numpy()].reset_index(drop=True)
    out["rank"] = out.groupby("period", sort=False).cumcount() + 1
    return out[list(COLUMNS)]


def empty() -> pd.DataFrame:
    f = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    return typed(f)[list(COLUMNS)]


def typed(f: pd.DataFrame) -> pd.DataFrame:
    out = f.copy()
    if "rank" not in out:
        out["rank"] = 0
    for col in ("period", "due", "projected", "previous_period", "first_missed"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    for col in ("level", "county", "township", "branch", "indicator", "severity", "status", "count_unit", "action",
                "best_county"):
        out[col] = out[col].astype("str")  # pandas ≥ 3: a missing value stays missing (NaN), never "None"
    for col in ("value", "city_value", "target", "warning", "gap_city", "gap_target", "best_value", "previous_value"):
        out[col] = pd.to_numeric(out[col].astype(object), errors="coerce").astype("Float64")
    for col in ("rank", "decimals", "outstanding", "members_affected", "counties_short", "counties_n", "periods_missed"):
        out[col] = pd.to_numeric(out[col].astype(object), errors="coerce").astype("Float64").round().astype("Int64")
    return out
