"""The reporting record: every registry branch × period, reported or not, and its runs of missed periods.

``reporting.parquet`` keeps the full record for analysts (one row per registry branch and period);
the judge layer reads only the runs: one row per branch and run of consecutive missed periods
(first and last missed period, how many, the branch's members), so a branch silent for ten weeks
is one finding, not ten.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import pandas as pd


def periods_table(periods: list[pd.Timestamp]) -> pd.DataFrame:
    """The periods in order, with their position (0 = the first)."""
    return pd.DataFrame({
        "period": pd.DatetimeIndex(periods).astype("datetime64[ns]"),
        "period_idx": range(len(periods)),
    })


def reporting(values: ibis.Table, registry: ibis.Table, periods: ibis.Table) -> ibis.Table:
    """(period, county, township, branch, members, reported) for every registry branch and period."""
    grid = registry.cross_join(periods)
    seen = values.select("period", "branch_id", reported=ibis.literal(True))
    j = grid.left_join(seen, [grid.period == seen.period, grid.branch_id == seen.branch_id])
    return j.select(
        period=grid.period, period_idx=grid.period_idx, branch_id=grid.branch_id, county_idx=grid.county_idx,
        county=grid.county, township=grid.township, branch=grid.branch,
        members=grid.members_expected, reported=seen.reported.fill_null(False),
    )


PUBLIC = ("period", "county", "township", "branch", "members", "reported")


def public(record: ibis.Table) -> ibis.Table:
    """reporting.parquet's columns (docs/contracts.md); rows in no particular order (sort to read)."""
    return record.select(*PUBLIC).mutate(period=record.period.cast(dt.Timestamp(scale=9)))


def missed(values: ibis.Table, registry: ibis.Table, periods: ibis.Table) -> ibis.Table:
    """The registry branches × periods without a return (an anti-join: never the whole grid)."""
    grid = registry.cross_join(periods)
    seen = values.select("period", "branch_id")
    gone = grid.anti_join(seen, [grid.period == seen.period, grid.branch_id == seen.branch_id])
    return gone.select("period", "period_idx", "branch_id", "county_idx", "county", "township", "branch",
                       members="members_expected")


def missed_runs(missed_rows: ibis.Table) -> ibis.Table:
    """One row per branch and run of consecutive missed periods (gaps and islands over the periods)."""
    missed = missed_rows
    runs = missed.mutate(run=missed.period_idx - ibis.row_number().over(group_by=missed.branch_id,
                                                                        order_by=missed.period_idx))
    return runs.group_by(["branch_id", "run"]).aggregate(
        county=runs.county.first(), county_idx=runs.county_idx.first(), township=runs.township.first(),
        branch=runs.branch.first(), members=runs.members.first(),
        first_missed=runs.period.min(), last_missed=runs.period.max(), periods_missed=runs.count(),
    ).drop("run")
