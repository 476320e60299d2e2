"""The six outputs, declared once (pandera) and checked before anything is written.

The report stage reads these files: a column missing, a rate outside 0–1, an infinite value or an
unknown rule would surface there as a broken chart, so the metrics stage refuses to write them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipelines.metrics.aggregate import OUTPUT_COLUMNS
from pipelines.metrics.balance import COLUMNS as BALANCE_COLUMNS
from pipelines.metrics.indicators import Indicator
from pipelines.metrics.quality import COLUMNS as QUALITY_COLUMNS
from pipelines.metrics.trends import COLUMNS as TREND_COLUMNS
from pipelines.metrics.weak_links import COLUMNS as WEAK_COLUMNS


def _finite(s: pd.Series) -> pd.Series:
    v = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(~np.isinf(v), index=s.index)


def _metrics_schema(indicators: list[Indicator], township: bool) -> pa.DataFrameSchema:
    cols: dict[str, pa.Column] = {
        "period": pa.Column("datetime64[ns]"),
        "county": pa.Column("str"),
        "branches_expected": pa.Column("Int64", pa.Check.ge(0)),
        "branches_reported": pa.Column("Int64", pa.Check.ge(0)),
    }
    if township:
        cols["township"] = pa.Column("str", nullable=True)
    for ind in indicators:
        checks = [pa.Check(_finite, name="finite")]
        if ind.unit == "share" and ind.numerator != "members" and ind.numerator != "special_reached":
            checks.append(pa.Check.in_range(0, 1))
        cols[ind.id] = pa.Column("Float64", checks, nullable=True)
    return pa.DataFrameSchema(cols, strict=False, unique=["period", "county", "township"] if township
                              else ["period", "county"])


BALANCE = pa.DataFrameSchema(
    {
        "scope": pa.Column("str", pa.Check.isin(["across_counties", "within_county"])),
        "period": pa.Column("datetime64[ns]"),
        "indicator": pa.Column("str"),
        **{c: pa.Column("Float64", pa.Check(_finite, name="finite"), nullable=True)
           for c in ("min", "max", "difference", "ratio", "mean_diff_best", "mean_diff_best_weighted",
                     "index_disparity", "index_disparity_weighted", "cv", "cv_weighted", "par", "paf",
                     "share_below_target")},
    },
    strict=False,
)
WEAK_LINKS = pa.DataFrameSchema(
    {
        "rank": pa.Column("Int64", pa.Check.ge(1)),
        "level": pa.Column("str", pa.Check.isin(["city", "county", "township", "branch"])),
        "rule": pa.Column("str", pa.Check.isin(["citywide", "below_target", "below_city", "worst_county", "not_reported",
                                                "fell_back"])),
        "severity": pa.Column("str", pa.Check.isin(["critical", "warning"])),
        "gap_pp": pa.Column("Float64", pa.Check(_finite, name="finite"), nullable=True),
        "reason_zh": pa.Column("str", pa.Check.str_length(min_value=1)),
        "reason_en": pa.Column("str", pa.Check.str_length(min_value=1)),
    },
    strict=False,
)
QUALITY = pa.DataFrameSchema(
    {
        "period": pa.Column("datetime64[ns]"),
        "county": pa.Column("str"),
        "check": pa.Column("str"),
        "value": pa.Column("Float64", nullable=True),
        "threshold": pa.Column("Float64"),
        "passed": pa.Column("boolean", nullable=True),
    },
    strict=False,
    unique=["period", "county", "check"],
)
TRENDS = pa.DataFrameSchema(
    {
        "period": pa.Column("datetime64[ns]"),
        "county": pa.Column("str"),
        "indicator": pa.Column("str"),
        "pace_per_period": pa.Column("Float64", pa.Check(_finite, name="finite"), nullable=True),
        "projected_period": pa.Column("datetime64[ns]", nullable=True),
        "reaches_target": pa.Column("boolean", nullable=True),
    },
    strict=False,
)


def validate_one(name: str, frame: pd.DataFrame, indicators: list[Indicator]) -> None:
    """Raise when the output ``name`` breaks docs/contracts.md (pandera's SchemaError, or a ValueError
    naming the missing columns)."""
    expected = {
        "county_metrics": list(OUTPUT_COLUMNS), "balance": list(BALANCE_COLUMNS),
        "weak_links": list(WEAK_COLUMNS), "data_quality": list(QUALITY_COLUMNS), "trends": list(TREND_COLUMNS),
    }
    missing = [c for c in expected.get(name, []) if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
    schemas = {
        "county_metrics": lambda: _metrics_schema(indicators, township=False),
        "township_metrics": lambda: _metrics_schema(indicators, township=True),
        "balance": lambda: BALANCE, "weak_links": lambda: WEAK_LINKS, "data_quality": lambda: QUALITY,
        "trends": lambda: TRENDS,
    }
    schemas[name]().validate(frame)


def validate(frames: dict[str, pd.DataFrame], indicators: list[Indicator]) -> None:
    """Raise pandera's SchemaError when an output breaks docs/contracts.md."""
    for name, frame in frames.items():
        validate_one(name, frame, indicators)
