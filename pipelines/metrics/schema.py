"""The metrics stage's outputs, declared once (pandera) and checked before anything is written.

Documents render these tables without re-checking them: a column missing, a rate outside 0–1, an
infinite value, an unknown status or rule would surface there as a broken page, so the stage
refuses to write them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipelines.aggregate.balance import COLUMNS as BALANCE_COLUMNS
from pipelines.aggregate.trends import COLUMNS as TREND_COLUMNS
from pipelines.domain.indicators import Indicator
from pipelines.judge.actions import COLUMNS as ACTION_COLUMNS
from pipelines.judge.findings import COLUMNS as FINDING_COLUMNS
from pipelines.judge.findings import LEVELS, RULE_ORDER, SEVERITIES
from pipelines.judge.quality import COLUMNS as QUALITY_COLUMNS
from pipelines.judge.ranking import COLUMNS as RANKING_COLUMNS
from pipelines.judge.status import COLUMNS as STATUS_COLUMNS
from pipelines.judge.status import STATUSES


def _finite(s: pd.Series) -> pd.Series:
    v = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(~np.isinf(v), index=s.index)


FINITE = pa.Check(_finite, name="finite")


def _units(indicators: list[Indicator], township: bool) -> pa.DataFrameSchema:
    cols: dict[str, pa.Column] = {
        "period": pa.Column("datetime64[ns]"),
        "county": pa.Column("str"),
        "branches_expected": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "branches_reported": pa.Column("Int64", pa.Check.ge(0)),
    }
    if township:
        cols["township"] = pa.Column("str", nullable=True)
    for ind in indicators:
        checks = [FINITE]
        if ind.unit == "share" and ind.numerator not in ("members", "special_reached"):
            checks.append(pa.Check.in_range(0, 1))
        cols[ind.id] = pa.Column("Float64", checks, nullable=True)
    return pa.DataFrameSchema(cols, strict=False, unique=["period", "county", "township"] if township
                              else ["period", "county"])


def _schemas(indicators: list[Indicator]) -> dict[str, pa.DataFrameSchema]:
    ids = [i.id for i in indicators]
    return {
        "county_metrics": _units(indicators, township=False),
        "township_metrics": _units(indicators, township=True),
        "balance": pa.DataFrameSchema({
            "scope": pa.Column("str", pa.Check.isin(["across_counties", "within_county"])),
            "period": pa.Column("datetime64[ns]"),
            "indicator": pa.Column("str", pa.Check.isin(ids)),
            **{c: pa.Column("Float64", FINITE, nullable=True)
               for c in ("min", "max", "difference", "ratio", "mean_diff_best", "mean_diff_best_weighted",
                         "index_disparity", "index_disparity_weighted", "cv", "cv_weighted", "par", "paf",
                         "share_below_target")},
        }, strict=False),
        "data_quality": pa.DataFrameSchema({
            "period": pa.Column("datetime64[ns]"), "county": pa.Column("str"), "check": pa.Column("str"),
            "value": pa.Column("Float64", nullable=True), "threshold": pa.Column("Float64"),
            "passed": pa.Column("boolean", nullable=True),
        }, strict=False, unique=["period", "county", "check"]),
        "trends": pa.DataFrameSchema({
            "period": pa.Column("datetime64[ns]"), "county": pa.Column("str"),
            "indicator": pa.Column("str", pa.Check.isin(ids)),
            "pace_per_period": pa.Column("Float64", FINITE, nullable=True),
            "projected_period": pa.Column("datetime64[ns]", nullable=True),
            "reaches_target": pa.Column("boolean", nullable=True),
        }, strict=False),
        "status": pa.DataFrameSchema({
            "period": pa.Column("datetime64[ns]"),
            "level": pa.Column("str", pa.Check.isin(["city", "county", "township"])),
            "county": pa.Column("str"), "township": pa.Column("str", nullable=True),
            "indicator": pa.Column("str", pa.Check.isin(ids)),
            "value": pa.Column("Float64", FINITE, nullable=True),
            "target": pa.Column("Float64"), "warning": pa.Column("Float64"),
            "status": pa.Column("str", pa.Check.isin(list(STATUSES))),
        }, strict=False, unique=["period", "level", "county", "township", "indicator"]),
        "findings": pa.DataFrameSchema({
            "period": pa.Column("datetime64[ns]"), "rank": pa.Column("Int64", pa.Check.ge(1)),
            "level": pa.Column("str", pa.Check.isin(list(LEVELS))), "county": pa.Column("str"),
            "indicator": pa.Column("str", pa.Check.isin(ids)),
            "rules": pa.Column(object, pa.Check(lambda s: s.map(lambda r: len(r) > 0 and set(r) <= set(RULE_ORDER)),
                                                name="known rules")),
            "severity": pa.Column("str", pa.Check.isin(list(SEVERITIES))),
            "status": pa.Column("str", pa.Check.isin(list(STATUSES))),
            "decimals": pa.Column("Int64", pa.Check.in_range(1, 3)),
            "gap_city": pa.Column("Float64", [FINITE, pa.Check.gt(0)], nullable=True),
            "gap_target": pa.Column("Float64", [FINITE, pa.Check.gt(0)], nullable=True),
            "outstanding": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        }, strict=False),
        "ranking": pa.DataFrameSchema({
            "period": pa.Column("datetime64[ns]"), "county": pa.Column("str"),
            "indicator": pa.Column("str", pa.Check.isin(ids)),
            "rank": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        }, strict=False, unique=["period", "county", "indicator"]),
        "actions": pa.DataFrameSchema({
            "period": pa.Column("datetime64[ns]"), "rank": pa.Column("Int64", pa.Check.ge(1)),
            "action": pa.Column("str"), "scope": pa.Column("str", pa.Check.isin(["city", "counties"])),
        }, strict=False, unique=["period", "rank"]),
    }


COLUMNS: dict[str, tuple[str, ...]] = {
    "balance": BALANCE_COLUMNS, "trends": TREND_COLUMNS, "data_quality": QUALITY_COLUMNS, "status": STATUS_COLUMNS,
    "findings": FINDING_COLUMNS, "ranking": RANKING_COLUMNS, "actions": ACTION_COLUMNS,
}


def validate(frames: dict[str, pd.DataFrame], indicators: list[Indicator]) -> None:
    """Raise when an output breaks docs/contracts.md (pandera's SchemaError, or a ValueError naming
    the missing columns)."""
    schemas = _schemas(indicators)
    for name, frame in frames.items():
        missing = [c for c in COLUMNS.get(name, ()) if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: missing columns {missing}")
        schemas[name].validate(frame)
