"""The branches still missing each activity this period, and the branches that sent no return:
what a 督导组 takes along (the county pages).

No table of the metrics stage lists them yet, so this module asks the aggregate layer's own
expressions (``pipelines.aggregate.branches.branch_values`` and ``measures``: the registry match and the rule that
makes a branch count as having held an activity — a count > 0 or yes, a blank not) to evaluate the
period's returns on an in-memory DuckDB. The rule keeps its one home; nothing here re-states it.
The non-reporting branches come from reporting.parquet.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from pipelines import config, datasets
from pipelines.aggregate import branches as agg
from pipelines.domain.indicators import Indicator, load_indicators
from pipelines.report.tables import ReportData

COLUMNS = ("county", "township", "branch", "members", "indicator")


def activity_indicators(indicators: list[Indicator] | None = None) -> list[Indicator]:
    """The activities a branch holds or not (a returns column of its own; composites excluded)."""
    return [i for i in (indicators or load_indicators()) if i.flag and i.counts_branches and i.judged]


def _read(processed: Any, name: str, period: pd.Timestamp | None = None) -> pd.DataFrame:
    """A table (of one period: its partition only), or an empty frame when it is absent."""
    if not datasets.exists(processed, name):
        return pd.DataFrame()
    if period is None:
        return datasets.read(processed, name)
    frame = datasets.read(processed, name, periods=[period])
    return frame.loc[frame["period"] == period].reset_index(drop=True)


def lacking(data: ReportData) -> pd.DataFrame:
    """One row per (reporting branch, activity it has not held) this period: county, township, branch,
    members, indicator. Cached on ``data`` (the county pages and the workbook read it)."""
    if "lacking" in data.extra:
        return data.extra["lacking"]
    out = pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    if data.processed is not None:
        returns = _read(data.processed, config.RETURNS_TABLE, data.period)
        if len(returns):
            out = _evaluate(returns, _read(data.processed, config.REGISTRY_FILE))
    data.extra["lacking"] = out
    return out


def _evaluate(returns: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    indicators = load_indicators()
    acts = activity_indicators(indicators)
    if registry.empty:  # no registry: the branches that reported are the units, as in the aggregate layer
        registry = returns[["county", "township", "branch", "members"]].drop_duplicates(["county", "township", "branch"])
    reg = agg.registry_frame(registry)
    con = ibis.duckdb.connect()
    try:
        values = agg.measures(agg.branch_values(ibis.memtable(returns), ibis.memtable(reg)), indicators)
        frame = con.execute(values.select("branch_id", "members", *[i.numerator for i in acts]))
    finally:
        con.disconnect()
    frame = frame.merge(reg[["branch_id", "county", "township", "branch"]], on="branch_id", how="left")
    long = frame.melt(id_vars=["county", "township", "branch", "members"], value_vars=[i.numerator for i in acts],
                      var_name="numerator", value_name="held")
    long = long.loc[~long["held"].astype(bool)]
    by_numerator = {i.numerator: i.id for i in acts}
    long["indicator"] = long["numerator"].map(by_numerator)
    return long[list(COLUMNS)].reset_index(drop=True)


def not_reported(data: ReportData) -> pd.DataFrame:
    """Registry branches without a return this period (reporting.parquet): county, township, branch, members."""
    r = data.reporting
    if r.empty or "reported" not in r:
        return pd.DataFrame(columns=["county", "township", "branch", "members"])
    return r.loc[~r["reported"].astype(bool), ["county", "township", "branch", "members"]].reset_index(drop=True)
