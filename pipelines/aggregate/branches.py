"""Branch values: each returns row matched to its registry branch and reduced to additive columns.

The registry decides which branches exist. A returns row is matched on (county, township,
branch); when its township is blank or differs, on (county, branch) if the registry holds that
name once in the county. Rows the registry does not know are left out of every indicator (data
quality counts them). The clean stage guarantees one row per (period, county, branch), so a
registry branch has at most one row per period.

Every level above (township, county, city) is a sum of the columns made here, and every rate is
``numerator / denominator`` as indicators.yaml names them (``rate``), so a formula is written once.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from pipelines.domain import load
from pipelines.domain.indicators import Indicator
from pipelines.schema import OUTREACH_COLUMNS, SPECIAL_COLUMNS

PEOPLE_COLUMNS = ("members", "studied", "test_takers", "sheets_returned")
# Additive columns of a branch row (besides the branch flags of the indicators): every level sums these.
MEASURES = (*PEOPLE_COLUMNS, "score_points", "score_takers", "special_members", "special_reached")
LACKING = "lacking_"  # members of reporting branches without a flag: the members behind a coverage gap
# The returns columns a branch row keeps as they are: the measures are made from them when read,
# and the data-quality windows compare the cumulative ones between periods.
KEPT = (*PEOPLE_COLUMNS, "avg_score", *OUTREACH_COLUMNS, "discussion_meetings", "deeds_reports",
        "situation_reports", "exchange_meetings", "party_lectures", "has_work_plan")


def county_order(registry: pd.DataFrame) -> list[str]:
    """Registry counties in the canonical order of counties.yaml, unknown ones after it by name."""
    order = load.county_order()
    present = set(registry["county"].dropna().unique())  # the distinct names, not a Python pass over every row
    return [c for c in order if c in present] + sorted(present - set(order))


def registry_frame(registry: pd.DataFrame) -> pd.DataFrame:
    """One row per registered (county, township, branch), with the keys the engine joins on.

    branch_id: position in the registry; county_idx: position of the county in the canonical
    order; township_id: one id per (county, township); same_name: registry branches of that
    county bearing the name (the (county, branch) fallback needs it to be 1).
    """
    reg = registry.loc[registry["county"].notna() & registry["branch"].notna()].copy()
    reg["township"] = reg["township"].astype("str").fillna("") if "township" in reg else ""
    reg = reg.drop_duplicates(["county", "township", "branch"], keep="first").reset_index(drop=True)
    counties = county_order(reg)
    county_idx = pd.Index(counties).get_indexer(reg["county"])
    town_id = reg.groupby([county_idx, reg["township"]], sort=True).ngroup().to_numpy()  # in county order
    name_key = pd.factorize(reg["county"] + "\x1f" + reg["branch"])[0]
    code = reg["county_code"].astype("str") if "county_code" in reg else pd.Series(pd.NA, index=reg.index, dtype="str")
    return pd.DataFrame({
        "branch_id": np.arange(len(reg), dtype=np.int64),
        "county": reg["county"].astype("str"),
        "county_code": code,
        "county_idx": county_idx.astype(np.int64),
        "township": reg["township"].astype("str"),
        "township_id": town_id.astype(np.int64),
        "branch": reg["branch"].astype("str"),
        "members_expected": reg["members"].astype("Int64"),
        "same_name": np.bincount(name_key)[name_key].astype(np.int64),
    })


def flag_indicators(indicators: list[Indicator]) -> list[Indicator]:
    """Indicators counted in branches that hold a flag (a column of the returns, or a composite)."""
    return [i for i in indicators if i.flag or i.composite]


def _sum_or_null(columns: list[ibis.Value]) -> ibis.Value:
    """Sum of the known cells; null only when every cell is blank (a blank is unknown, not 0)."""
    total = columns[0].fill_null(0)
    for c in columns[1:]:
        total = total + c.fill_null(0)
    known = columns[0].notnull()
    for c in columns[1:]:
        known = known | c.notnull()
    return ibis.ifelse(known, total, ibis.null().cast(total.type()))


def _held(column: ibis.Value) -> ibis.BooleanValue:
    """A branch flag: a count > 0, or yes; a blank is "not known to be held", so False."""
    if column.type().is_boolean():
        return column.fill_null(False)
    return (column > 0).fill_null(False)


def flags(returns: ibis.Table, indicators: list[Indicator]) -> dict[str, ibis.BooleanValue]:
    """numerator name → the branch's flag, for every flag and composite indicator.

    A ``due`` composite counts a part as held when it is held or not yet due at the row's period.
    """
    by_id = {i.id: i for i in indicators}
    out: dict[str, ibis.BooleanValue] = {}
    for ind in indicators:
        if ind.flag:
            out[ind.numerator] = _held(returns[ind.flag])
    for ind in indicators:
        if not ind.composite:
            continue
        parts = []
        for pid in ind.parts:
            part = out[by_id[pid].numerator]
            due = by_id[pid].due
            if ind.composite == "due" and due is not None:
                part = part | (returns.period < ibis.timestamp(pd.Timestamp(due).to_pydatetime()))
            parts.append(part)
        held = parts[0]
        for p in parts[1:]:
            held = held & p
        out[ind.numerator] = held
    return out


def branch_values(returns: ibis.Table, registry: ibis.Table) -> ibis.Table:
    """One row per (period, registered branch that reported): its ids, registry members and the
    returns columns the measures are made of (``measures`` makes them when read). Kept lean because
    the engine holds it (cached) for every pass that follows."""
    town = returns.township.fill_null("") if "township" in returns.columns else ibis.literal("")
    r = returns.mutate(_town=town)
    g = registry
    joined = r.join(g, [r.county == g.county, r.branch == g.branch, (r._town == g.township) | (g.same_name == 1)])
    return joined.select(
        "period", "branch_id", "county_idx", "township_id", "members_expected",
        *[c for c in KEPT if c in returns.columns],
        special_members=_sum_or_null([joined[c] for c in SPECIAL_COLUMNS]),
    )


def measures(values: ibis.Table, indicators: list[Indicator]) -> ibis.Table:
    """The branch values with every additive measure and branch flag the indicators read."""
    takers, score = values.test_takers, values.avg_score
    scored = score.notnull() & takers.notnull()
    cols: dict[str, ibis.Value] = {
        "score_points": ibis.ifelse(scored, score * takers, ibis.null().cast("float64")),
        "score_takers": ibis.ifelse(scored, takers, ibis.null().cast("int64")),
        "special_reached": _sum_or_null([values[c] for c in OUTREACH_COLUMNS]),
    }
    cols.update(flags(values, indicators))
    return values.mutate(**cols)


def row_counts(returns: ibis.Table, values: ibis.Table, counties: ibis.Table) -> ibis.Table:
    """(period, county, kept, unregistered): returns rows per period and county, and how many of them
    no registry branch takes. ``counties``: (county, county_idx) of the registry."""
    total = returns.group_by(["period", "county"]).aggregate(kept=returns.count())
    matched = values.group_by(["period", "county_idx"]).aggregate(matched=values.count())
    matched = matched.join(counties, "county_idx").select("period", "county", "matched")
    out = total.left_join(matched, [total.period == matched.period, total.county == matched.county])
    return out.select(total.period, total.county, total.kept, unregistered=total.kept - out.matched.fill_null(0))


def rate(numerator: ibis.Value, denominator: ibis.Value) -> ibis.FloatingValue:
    """numerator / denominator, null when the denominator is 0 or null (never inf)."""
    return numerator.cast("float64") / denominator.cast("float64").nullif(0.0)


def branch_rate(values: ibis.Table, ind: Indicator) -> ibis.FloatingValue:
    """The indicator for one reporting branch (null when its denominator is 0 or blank).

    A branch flag is its 0/1; the report rate of a reporting branch is 1; a people-based share or
    the score is the branch's own numerator over its own denominator.
    """
    if ind.counts_branches:
        held = values[ind.numerator] if ind.numerator in values.columns else ibis.literal(True)
        return held.cast("float64")
    den = "members_expected" if ind.denominator == "members_expected" else ind.denominator
    return rate(values[ind.numerator], values[den])


EPS = 1e-9
VALUED, BELOW = "valued_", "below_"


def distribution_sums(values: ibis.Table, indicators: list[Indicator]) -> dict[str, ibis.Value]:
    """Per indicator counted in people: branches with a value, and branches below its target.

    Summed with the township sums (one pass), they give the within-county balance: how many of a
    county's branches fall short, not only how far the county does. Branch-counted indicators need
    none: a branch's value is its flag, so the county's own sums tell.
    """
    out: dict[str, ibis.Value] = {}
    for ind in indicators:
        if ind.counts_branches:
            continue
        v = branch_rate(values, ind)
        out[VALUED + ind.id] = v.notnull().cast("int64").sum()
        out[BELOW + ind.id] = (ind.sign * (v - ind.target) < -EPS).fill_null(False).cast("int64").sum()
    return out
