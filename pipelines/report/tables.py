"""The processed tables the report reads, for one period, with the thresholds in force.

Loading lives here (not in the notebook) so that the notebook, the CLI and the tests see the
same frames: absent optional tables come back empty with their contract columns, and the
period defaults to the latest one in county_metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipelines import config
from pipelines.domain import load

# Contract columns (docs/contracts.md) of the tables the report can live without.
OPTIONAL_COLUMNS: dict[str, list[str]] = {
    config.TOWNSHIP_METRICS_FILE: ["period", "county", "township"],
    config.BALANCE_FILE: [
        "scope", "period", "indicator", "county", "n_counties", "min", "max", "best_county",
        "worst_county", "difference", "ratio", "mean_diff_best", "mean_diff_best_weighted",
        "index_disparity", "index_disparity_weighted", "cv", "cv_weighted", "city_value", "par",
        "paf", "refused_reason", "branches", "branches_below_target", "share_below_target",
    ],
    config.WEAK_LINKS_FILE: [
        "rank", "period", "level", "county", "township", "branch", "indicator", "value",
        "city_value", "gap_pp", "target", "rule", "severity", "members_affected", "reason_zh",
        "reason_en",
    ],
    config.DATA_QUALITY_FILE: [
        "period", "county", "check", "value", "threshold", "passed", "detail_zh", "detail_en",
    ],
    config.TRENDS_FILE: [
        "period", "county", "indicator", "value", "target", "pace_per_period",
        "projected_period", "reaches_target",
    ],
    config.MANIFEST_FILE: [
        "path", "sha256", "size", "county", "period", "sheets", "rows_read", "rows_kept",
        "rows_rejected", "status", "warnings",
    ],
    config.REJECTS_FILE: [
        "source_file", "source_sheet", "source_row", "column", "raw_value", "rule",
        "message_zh", "message_en", "period", "county", "branch",
    ],
}


def indicator_specs(thresholds_file: Path | None = None) -> list[dict[str, Any]]:
    """indicators.yaml, with target/warning overridden by the thresholds file when it names them.

    The file may hold ``{indicators: {id: {target, warning}}}`` or ``{id: {target, warning}}``.
    """
    specs = [dict(s) for s in load.indicators()]
    path = Path(thresholds_file) if thresholds_file else config.THRESHOLDS_FILE
    if path.is_file():
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        overrides = data.get("indicators", data) if isinstance(data, dict) else {}
        for spec in specs:
            o = overrides.get(spec["id"]) if isinstance(overrides, dict) else None
            if isinstance(o, dict):
                for key in ("target", "warning"):
                    if key in o and o[key] is not None:
                        spec[key] = float(o[key])
    return specs


def _read(processed: Path, name: str) -> pd.DataFrame:
    path = processed / name
    if path.is_file():
        return pd.read_parquet(path)
    return pd.DataFrame(columns=OPTIONAL_COLUMNS.get(name, []))


def _with_undated(df: pd.DataFrame, period: pd.Timestamp) -> pd.DataFrame:
    """Rows of ``period`` plus file-level rows that carry no period (a file that could not be read)."""
    if df.empty or "period" not in df.columns:
        return df
    return df[df["period"].isna() | (pd.to_datetime(df["period"]) == period)].reset_index(drop=True)


def _at(df: pd.DataFrame, period: pd.Timestamp) -> pd.DataFrame:
    if df.empty or "period" not in df.columns:
        return df
    return df[pd.to_datetime(df["period"]) == period].reset_index(drop=True)


@dataclass
class ReportData:
    """Everything one report needs, already cut to its period (and the one before it)."""

    period: pd.Timestamp
    previous: pd.Timestamp | None
    periods: list[pd.Timestamp]
    indicators: list[dict[str, Any]]
    county: pd.DataFrame          # county_metrics, all periods
    township: pd.DataFrame        # township_metrics, this period
    balance: pd.DataFrame         # this period
    weak_links: pd.DataFrame      # this period, by rank
    data_quality: pd.DataFrame    # this period
    trends: pd.DataFrame          # all periods
    manifest: pd.DataFrame        # this period (file-level rows with no period kept too)
    rejects: pd.DataFrame         # this period
    language: str = "zh"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def city_label(self) -> str:
        return load.city_total_label()

    def county_now(self) -> pd.DataFrame:
        """County rows of this period in the canonical order (city row excluded)."""
        return ordered(_at(self.county, self.period).query("county != @self.city_label"))

    def city_now(self) -> pd.Series | None:
        rows = _at(self.county, self.period)
        rows = rows[rows["county"] == self.city_label]
        return None if rows.empty else rows.iloc[0]

    def city_before(self) -> pd.Series | None:
        if self.previous is None:
            return None
        rows = _at(self.county, self.previous)
        rows = rows[rows["county"] == self.city_label]
        return None if rows.empty else rows.iloc[0]

    def spec(self, indicator: str) -> dict[str, Any]:
        return next(s for s in self.indicators if s["id"] == indicator)


def ordered(df: pd.DataFrame, column: str = "county") -> pd.DataFrame:
    """Sort rows by the canonical county order (unknown counties last, by name)."""
    order = {name: i for i, name in enumerate(load.county_order())}
    order[load.city_total_label()] = len(order) + 1000
    key = df[column].map(lambda c: order.get(c, len(order)))
    return df.assign(_o=key).sort_values(["_o", column], kind="stable").drop(columns="_o").reset_index(drop=True)


def load_report_data(
    processed: Path | None = None,
    period: str | None = None,
    language: str = "zh",
    thresholds_file: Path | None = None,
) -> ReportData:
    """Read the processed folder and cut it to ``period`` (default: the latest)."""
    processed = Path(processed) if processed else config.PROCESSED_DIR
    county = pd.read_parquet(processed / config.COUNTY_METRICS_FILE)
    county["period"] = pd.to_datetime(county["period"])
    periods = sorted(county["period"].dropna().unique())
    periods = [pd.Timestamp(p) for p in periods]
    if not periods:
        raise ValueError(f"{processed / config.COUNTY_METRICS_FILE} holds no period")
    when = pd.Timestamp(period) if period else periods[-1]
    if when not in periods:
        raise ValueError(f"period {when.date()} not in {[p.date().isoformat() for p in periods]}")
    earlier = [p for p in periods if p < when]
    tables = {name: _read(processed, name) for name in OPTIONAL_COLUMNS}
    for df in tables.values():
        if "period" in df.columns and not df.empty:
            df["period"] = pd.to_datetime(df["period"])
    manifest = _with_undated(tables[config.MANIFEST_FILE], when)
    weak = _at(tables[config.WEAK_LINKS_FILE], when)
    if not weak.empty:
        weak = weak.sort_values("rank", kind="stable").reset_index(drop=True)
    return ReportData(
        period=when,
        previous=earlier[-1] if earlier else None,
        periods=[p for p in periods if p <= when],
        indicators=indicator_specs(thresholds_file),
        county=county[county["period"] <= when].reset_index(drop=True),
        township=_at(tables[config.TOWNSHIP_METRICS_FILE], when),
        balance=_at(tables[config.BALANCE_FILE], when),
        weak_links=weak,
        data_quality=_at(tables[config.DATA_QUALITY_FILE], when),
        trends=tables[config.TRENDS_FILE],
        manifest=manifest,
        rejects=_with_undated(tables[config.REJECTS_FILE], when),
        language=language,
    )
