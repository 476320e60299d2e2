"""Sums and rates per unit and period: township, county and city, on the engine.

The registry decides which units exist: every registry township and county gets a row for every
period, whether or not its returns arrived (a county whose file was unreadable shows report rate
0 instead of vanishing). The branch rows are read once, into township sums; counties are sums of
townships and the city is the sum of the counties, rates recomputed from the sums at each level
(never an average of rates).
"""

from __future__ import annotations

import ibis

from pipelines.aggregate.branches import (
    BELOW,
    LACKING,
    MEASURES,
    VALUED,
    distribution_sums,
    flag_indicators,
    measures,
    rate,
)
from pipelines.domain import load
from pipelines.domain.indicators import Indicator


def sum_columns(indicators: list[Indicator]) -> list[str]:
    """The additive columns of every level: branches, members, measures, branch flags, lacking members."""
    flags = [i.numerator for i in flag_indicators(indicators)]
    people = [i.id for i in indicators if not i.counts_branches]
    return ["branches_reported", "members_expected_reported", *MEASURES, *flags, *(LACKING + f for f in flags),
            *(VALUED + i for i in people), *(BELOW + i for i in people)]


def township_sums(values: ibis.Table, indicators: list[Indicator]) -> ibis.Table:
    """(period, township_id) sums of the branch rows: the only pass over them at unit level.

    Branch-count sums (flags) are never null; people sums are null when every branch left them blank.
    """
    flags = [i.numerator for i in flag_indicators(indicators)]
    values = measures(values, indicators)
    aggs: dict[str, ibis.Value] = {
        "branches_reported": values.count(),
        "members_expected_reported": values.members_expected.sum(),
        **{c: values[c].sum() for c in MEASURES},
    }
    for f in flags:
        aggs[f] = values[f].cast("int64").sum()
        aggs[LACKING + f] = ibis.ifelse(values[f], 0, values.members_expected.fill_null(0)).sum()
    aggs.update(distribution_sums(values, indicators))
    return values.group_by(["period", "township_id"]).aggregate(**aggs)


def _units(registry: ibis.Table, level: str) -> ibis.Table:
    keys = ["county_idx", "township_id"] if level == "township" else ["county_idx"]
    g = registry.group_by(keys).aggregate(
        county=registry.county.first(), county_code=registry.county_code.first(),
        township=registry.township.first(),
        branches_expected=registry.count(), members_expected=registry.members_expected.sum(),
    )
    return g if level == "township" else g.drop("township")


def with_rates(table: ibis.Table, indicators: list[Indicator]) -> ibis.Table:
    """Add one column per indicator: numerator / denominator (null on a zero or null denominator)."""
    return table.mutate(**{i.id: rate(table[i.numerator], table[i.denominator]) for i in indicators})


def unit_tables(
    values: ibis.Table, registry: ibis.Table, periods: ibis.Table, indicators: list[Indicator],
) -> dict[str, ibis.Table]:
    """township, county and city expressions with sums and rates for every (period, unit)."""
    cols = sum_columns(indicators)
    sums = township_sums(values, indicators)
    towns = _units(registry, "township").cross_join(periods)
    township = towns.left_join(sums, [towns.period == sums.period, towns.township_id == sums.township_id]) \
        .select(towns, *[sums[c] for c in cols])
    count_cols = [c for c in cols if c not in MEASURES and c != "members_expected_reported"]
    township = township.mutate(**{c: township[c].fill_null(0) for c in count_cols})
    by_county = township.group_by(["period", "county_idx"]).aggregate(
        branches_expected=township.branches_expected.sum(),
        members_expected=township.members_expected.sum(),
        **{c: township[c].sum() for c in cols},
    )
    counties = _units(registry, "county").drop("branches_expected", "members_expected")
    county = by_county.join(counties, "county_idx")
    city = county.group_by("period").aggregate(
        branches_expected=county.branches_expected.sum(), members_expected=county.members_expected.sum(),
        **{c: county[c].sum() for c in cols},
    )
    city_info = load.counties()["city"]
    city = city.mutate(county=ibis.literal(city_info["total_label"]), county_code=ibis.literal(str(city_info["code"])),
                       county_idx=ibis.literal(10**6))
    return {
        "township": with_rates(township, indicators),
        "county": with_rates(county, indicators),
        "city": with_rates(city, indicators),
    }


def all_levels(tables: dict[str, ibis.Table]) -> ibis.Table:
    """The three levels as one table (``level`` column; township null above it): one query, one compile."""
    schema = tables["township"].schema()
    parts = []
    for level in ("township", "county", "city"):
        t = tables[level]
        parts.append(t.select(**{c: (t[c] if c in t.columns else ibis.null()).cast(typ) for c, typ in schema.items()},
                              level=ibis.literal(level)))
    return ibis.union(*parts)
