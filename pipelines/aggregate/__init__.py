"""The aggregate layer: sums and rates per unit and period, on an engine (DuckDB or Spark via Ibis).

``aggregate`` turns the cleaned returns and the registry into the unit tables (township, county,
city), the reporting record and its runs of missed periods, the balance between and within
counties, the trends, and the values of the data-quality checks. It decides nothing: what is
short, how badly and what to do is the judge layer's (pipelines/judge). The branch values stay in
the engine (cached) for the judge's branch-level passes; everything handed back as pandas is
small (units × periods).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from pipelines.aggregate import balance as balance_mod
from pipelines.aggregate import branches, history, reporting, units
from pipelines.aggregate import trends as trends_mod
from pipelines.aggregate.engine import Engine
from pipelines.domain import load
from pipelines.domain.indicators import Indicator
from pipelines.params.thresholds import Thresholds

# county_metrics.parquet's columns (docs/contracts.md); indicator ids follow the sums they divide.
COUNTS = (
    "branches_expected", "branches_reported", "members_expected", "members", "studied", "test_takers",
    "sheets_returned", "special_members", "special_reached",
)


@dataclass
class Aggregates:
    """What the judge layer and the documents read: small pandas tables, and two engine tables."""

    periods: list[pd.Timestamp]
    registry: pd.DataFrame  # branches.registry_frame: one row per registered branch, with its ids
    registry_known: bool  # False: no registry, units come from the returns and expected counts are unknown
    county_metrics: pd.DataFrame  # counties and the city (全市), every period; internal sums kept
    township_metrics: pd.DataFrame
    balance: pd.DataFrame
    trends: pd.DataFrame
    quality: pd.DataFrame  # (period, county, check, value)
    missed_runs: pd.DataFrame
    values: ibis.Table | None  # branch values, cached in the engine (None: none made by this run)
    reporting: ibis.Table | None  # the reporting record (branch × period), not executed


def periods_of(eng: Engine, returns: ibis.Table, manifest: pd.DataFrame) -> list[pd.Timestamp]:
    """The periods present in the returns or the manifest (a period whose files all failed counts)."""
    found = eng.frame(returns.select("period").distinct())["period"]
    extra = pd.to_datetime(manifest["period"], errors="coerce") if "period" in manifest else pd.Series([], dtype="datetime64[ns]")
    both = pd.concat([found, extra], ignore_index=True).dropna().dt.normalize()
    return [pd.Timestamp(p) for p in sorted(pd.unique(both.astype("datetime64[ns]")))]


def _registry_from_returns(eng: Engine, returns: ibis.Table) -> pd.DataFrame:
    """Without a registry, the branches that reported are the units (expected counts unknown)."""
    cols = [c for c in ("county", "county_code", "township", "branch") if c in returns.columns]
    f = eng.frame(returns.select(*cols).distinct())
    f["members"] = pd.array([pd.NA] * len(f), dtype="Int64")
    return f.sort_values(["county", "township", "branch"], kind="stable").reset_index(drop=True)


def _typed_units(frame: pd.DataFrame, indicators: list[Indicator], township: bool, known: bool) -> pd.DataFrame:
    out = frame.copy()
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    for col in ("county", "county_code"):
        out[col] = out[col].astype("str")
    if township:
        out["township"] = out["township"].astype("str").replace("", pd.NA)
    ints = [c for c in out.columns if c not in ("period", "county", "county_code", "township", "county_idx",
                                                "township_id", "score_points", "score_takers")
            and c not in {i.id for i in indicators}]
    for col in ints:
        out[col] = pd.to_numeric(out[col]).astype("Float64").round().astype("Int64")
    for col in ("score_points", "score_takers", *[i.id for i in indicators]):
        out[col] = pd.to_numeric(out[col]).astype("Float64")
    if not known:  # no registry: how many branches and members were expected is unknown
        for col in ("branches_expected", "members_expected", "report_rate", "member_coverage"):
            if col in out:
                out[col] = pd.Series(pd.NA, index=out.index, dtype=out[col].dtype)
    for ind in indicators:  # a rate can never be infinite: the engine divides by nullif(den, 0)
        out[ind.id] = out[ind.id].where(np.isfinite(out[ind.id].astype(float).fillna(0.0)))
    sort = ["period", "county_idx", *(["township"] if township else [])]
    return out.sort_values(sort, kind="stable", na_position="first").reset_index(drop=True)


@dataclass
class Products:
    """What the engine makes of some periods' returns: small frames, each a set of rows per period,
    so the metrics stage can keep them per period and ask the engine only for the periods that changed."""

    levels: pd.DataFrame  # units.all_levels: every (period, township | county | city) with sums and rates, ``level``
    rows: pd.DataFrame  # (period, county, kept, unregistered)
    fell: pd.DataFrame  # (period, county_idx, fell, with_previous, county)
    uniform: pd.DataFrame  # (period, county_idx, value, county)
    missed: pd.DataFrame  # (period, branch_id, county_idx, county, township, branch, members): no return

    def frames(self) -> dict[str, pd.DataFrame]:
        return {k: getattr(self, k) for k in ("levels", "rows", "fell", "uniform", "missed")}


MISSED = ["period", "branch_id", "county_idx", "county", "township", "branch", "members"]


def registry_of(eng: Engine, returns: ibis.Table, registry: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The units (branches.registry_frame) and whether a registry gave them (else the returns' branches)."""
    known = len(registry) > 0
    return branches.registry_frame(registry if known else _registry_from_returns(eng, returns)), known


def products(
    eng: Engine, returns: ibis.Table, reg: pd.DataFrame, known: bool, periods: list[pd.Timestamp],
    indicators: list[Indicator], thresholds: Thresholds, *, before: pd.DataFrame | None = None,
) -> tuple[Products, ibis.Table, ibis.Table]:
    """The engine's work for ``periods`` (``returns``: those periods' rows): the products, the branch
    values (cached in the engine, for the judge's branch rules) and the reporting record (an expression).

    ``before``: each branch's last return before these periods (period, branch_id, county_idx and the
    cumulative columns), so that whether a figure fell is judged against it; None when ``returns``
    holds every earlier period too.
    """
    reg_t = eng.table(reg)
    periods_t = eng.table(reporting.periods_table(periods))
    values = eng.cache(branches.branch_values(returns, reg_t))
    levels = eng.frame(units.all_levels(units.unit_tables(values, reg_t, periods_t, indicators)))
    missed = eng.frame(reporting.missed(values, reg_t, periods_t).select(*MISSED)) if known else \
        pd.DataFrame(columns=MISSED)
    names = eng.table(reg[["county", "county_idx"]].drop_duplicates())
    rows = eng.frame(branches.row_counts(returns, values, names))
    lent = before is not None and len(before) > 0
    matched = _with_before(eng, values, before) if lent else values
    fell = eng.frame(history.fell_counts(matched).join(names, "county_idx"))
    if lent:  # the earlier returns only lent their figures
        fell = fell.loc[pd.to_datetime(fell["period"]).isin(pd.DatetimeIndex(periods))].reset_index(drop=True)
    q = thresholds.quality
    uniform = eng.frame(history.uniform_shares(values, int(q["uniform_min_branches"])).join(names, "county_idx"))
    record = reporting.reporting(values, reg_t, periods_t)
    return Products(levels, rows, fell, uniform, missed), values, record


def last_returns(eng: Engine, values: ibis.Table, before: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each branch's last return (period, branch_id, county_idx, cumulative columns) among ``values``
    and ``before``: what the next periods' fallen figures are judged against."""
    t = _with_before(eng, values, before)
    w = ibis.window(group_by=t.branch_id, order_by=ibis.desc(t.period))
    last = t.mutate(_n=ibis.row_number().over(w)).filter(lambda x: x._n == 0).drop("_n")
    out = eng.frame(last)
    return out.sort_values("branch_id", kind="stable").reset_index(drop=True)


def _with_before(eng: Engine, values: ibis.Table, before: pd.DataFrame | None) -> ibis.Table:
    """The branch values' (period, branch_id, county_idx, cumulative columns), with ``before``'s
    earlier returns added when there are any."""
    cols = ["period", "branch_id", "county_idx", *[c for c in history.CUMULATIVE if c in values.columns]]
    t = values.select(*cols)
    if before is not None and len(before):
        t = t.union(eng.table(before[cols]).cast(t.schema()))
    return t


def assemble(
    eng: Engine, periods: list[pd.Timestamp], reg: pd.DataFrame, known: bool, made: Products,
    indicators: list[Indicator], thresholds: Thresholds, *, values: ibis.Table | None, reporting_record: ibis.Table | None,
    rejects: pd.DataFrame, manifest: pd.DataFrame, warnings: pd.DataFrame,
) -> Aggregates:
    """Every aggregate of the periods from the engine's products (small frames of every period, some
    made now, some kept): the unit tables, runs of missed periods, data-quality values, balance, trends."""
    levels = made.levels.copy()
    is_town = (levels.pop("level") == "township").to_numpy()
    county = _typed_units(levels.loc[~is_town].drop(columns=["township", "township_id"]), indicators,
                          township=False, known=known)
    township = _typed_units(levels.loc[is_town], indicators, township=True, known=known)
    runs = missed_runs(eng, made.missed, periods) if known else pd.DataFrame(
        columns=["branch_id", "county", "county_idx", "township", "branch", "members", "first_missed",
                 "last_missed", "periods_missed"])
    q = thresholds.quality
    quality = history.check_values(
        periods=periods, counties=branches.county_order(reg), county_metrics=county, indicators=indicators,
        rows=made.rows, fell=made.fell, uniform=made.uniform, rejects=rejects, manifest=manifest,
        warnings_table=warnings, outlier_z=float(q["outlier_z"]), outlier_min_baseline=int(q["outlier_min_baseline"]),
    )
    if not known:
        quality.loc[quality["check"] == "completeness", "value"] = pd.NA
    return Aggregates(
        periods=periods, registry=reg, registry_known=known, county_metrics=county, township_metrics=township,
        balance=balance_mod.balance(county, indicators),
        trends=trends_mod.trends(county, indicators, int(thresholds.trends.get("window", 3))),
        quality=quality, missed_runs=runs, values=values, reporting=reporting_record,
    )


def missed_runs(eng: Engine, missed: pd.DataFrame, periods: list[pd.Timestamp]) -> pd.DataFrame:
    """The runs of consecutive missed periods (reporting.missed_runs, on the engine) of the branches
    without a return, over every period."""
    position = pd.Series(np.arange(len(periods), dtype=np.int64), index=pd.DatetimeIndex(periods))
    m = missed.copy()
    m["period"] = pd.to_datetime(m["period"]).astype("datetime64[ns]")
    m["period_idx"] = position.reindex(m["period"]).to_numpy()
    return eng.frame(reporting.missed_runs(eng.table(m)))


def aggregate(
    eng: Engine, returns: ibis.Table, registry: pd.DataFrame, indicators: list[Indicator], thresholds: Thresholds,
    *, rejects: pd.DataFrame, manifest: pd.DataFrame, warnings: pd.DataFrame,
) -> Aggregates:
    """Every aggregate of the returns (an engine table) against the registry (a small frame)."""
    periods = periods_of(eng, returns, manifest)
    reg, known = registry_of(eng, returns, registry)
    made, values, record = products(eng, returns, reg, known, periods, indicators, thresholds)
    return assemble(eng, periods, reg, known, made, indicators, thresholds, values=values, reporting_record=record,
                    rejects=rejects, manifest=manifest, warnings=warnings)


def public_units(frame: pd.DataFrame, indicators: list[Indicator], township: bool = False) -> pd.DataFrame:
    """county_metrics / township_metrics with the columns of docs/contracts.md, in order."""
    cols = ["period", "county", *(["township"] if township else []), "county_code", "branches_expected",
            "branches_reported", "members_expected"]
    rest = [c for c in units.sum_columns(indicators) if c in frame.columns and not c.startswith(
        (branches.LACKING, branches.VALUED, branches.BELOW)) and c not in cols and c != "members_expected_reported"]
    cols += rest + [i.id for i in indicators]
    return frame[cols].reset_index(drop=True)


__all__ = ["Aggregates", "Products", "aggregate", "assemble", "last_returns", "missed_runs", "products",
           "public_units", "registry_of", "load"]
