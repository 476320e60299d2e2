"""The processed tables the report reads, for one period: the judge layer's verdicts and the
aggregates, never a threshold.

Loading lives here (not in the notebook) so that the notebook, the CLI and the tests see the
same frames: absent optional tables come back empty with their contract columns, and the
period defaults to the latest one in county_metrics. Targets, warnings and colours come from
status.parquet (what the judge layer used), so an override reaches the report's colours and text
the same way it reaches the findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import config, datasets
from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.domain.indicators import load_indicators
from pipelines.judge.actions import COLUMNS as ACTION_COLUMNS
from pipelines.judge.findings import COLUMNS as FINDING_COLUMNS
from pipelines.judge.quality import COLUMNS as QUALITY_COLUMNS
from pipelines.judge.ranking import COLUMNS as RANKING_COLUMNS
from pipelines.judge.status import COLUMNS as STATUS_COLUMNS
from pipelines.judge.status import WEAK

# Contract columns (docs/contracts.md) of the tables the report can live without.
OPTIONAL_COLUMNS: dict[str, list[str]] = {
    config.TOWNSHIP_METRICS_FILE: ["period", "county", "township"],
    config.BALANCE_FILE: [
        "scope", "period", "indicator", "county", "n_counties", "min", "max", "best_county",
        "worst_county", "difference", "ratio", "mean_diff_best", "mean_diff_best_weighted",
        "index_disparity", "index_disparity_weighted", "cv", "cv_weighted", "city_value", "par",
        "paf", "refused_reason", "branches", "branches_below_target", "share_below_target",
    ],
    config.FINDINGS_TABLE: list(FINDING_COLUMNS),
    config.STATUS_TABLE: list(STATUS_COLUMNS),
    config.ACTIONS_FILE: list(ACTION_COLUMNS),
    config.RANKING_FILE: list(RANKING_COLUMNS),
    config.DATA_QUALITY_FILE: list(QUALITY_COLUMNS),
    config.TRENDS_FILE: [
        "period", "county", "indicator", "value", "target", "pace_per_period",
        "projected_period", "reaches_target",
    ],
    config.MANIFEST_FILE: [
        "path", "sha256", "size", "county", "period", "sheets", "rows_read", "rows_kept",
        "rows_rejected", "status",
    ],
    config.REJECTS_TABLE: [
        "source_file", "source_sheet", "source_row", "column", "raw_value", "rule",
        "message_zh", "message_en", "period", "county", "branch",
    ],
    config.REPORTING_TABLE: ["period", "county", "township", "branch", "members", "reported"],
}


def indicator_specs(status: pd.DataFrame) -> list[dict[str, Any]]:
    """Every indicator's labels (indicators.yaml); a judged one (in status.parquet) carries the target
    and warning the judge layer used, an unjudged one none (it is shown, never coloured)."""
    used = status.drop_duplicates("indicator").set_index("indicator") if len(status) else pd.DataFrame()
    specs = []
    for ind in load_indicators():
        spec = {k: getattr(ind, k) for k in ("id", "zh", "en", "short_zh", "short_en", "unit", "direction",
                                             "count_unit")}
        spec["judged"] = ind.id in used.index
        spec["target"] = float(used.at[ind.id, "target"]) if spec["judged"] else None
        spec["warning"] = float(used.at[ind.id, "warning"]) if spec["judged"] else None
        specs.append(spec)
    return specs


def _read(processed: Path, name: str, period: pd.Timestamp | None = None) -> pd.DataFrame:
    """A table of the processed folder (a table partitioned by period: that period's rows and those
    of no period only), or an empty one with its contract columns when it is absent."""
    if datasets.exists(processed, name):
        return datasets.read(processed, name, periods=None if period is None else [period])
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
    county: pd.DataFrame          # county_metrics, all periods up to this one
    township: pd.DataFrame        # township_metrics, this period
    balance: pd.DataFrame         # this period
    status: pd.DataFrame          # this period: every unit × judged indicator
    findings: pd.DataFrame        # this period, by rank (every status)
    actions: pd.DataFrame         # this period, by rank
    ranking: pd.DataFrame         # this period
    data_quality: pd.DataFrame    # this period
    trends: pd.DataFrame          # all periods
    manifest: pd.DataFrame        # this period (file-level rows with no period kept too)
    rejects: pd.DataFrame         # this period
    reporting: pd.DataFrame = field(default_factory=pd.DataFrame)  # this period: branch × reported
    processed: Path | None = None  # where the tables came from (the county pages read the branch rows lazily)
    language: str = "zh"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def city_label(self) -> str:
        return load.city_total_label()

    @property
    def weak_links(self) -> pd.DataFrame:
        """The findings that are weak links (status watch or alert), by rank: what the text counts."""
        return self.findings.loc[self.findings["status"].isin(WEAK)].reset_index(drop=True)

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

    @property
    def judged(self) -> list[dict[str, Any]]:
        """The indicators the judge layer gave a status: the ones charts colour and draw targets for."""
        return [s for s in self.indicators if s["judged"]]

    def spec(self, indicator: str) -> dict[str, Any]:
        return next(s for s in self.indicators if s["id"] == indicator)

    def status_of(self, county: str, indicator: str, township: str | None = None) -> str:
        """The judge's verdict on a county (or the city, or a township of a county) for an indicator
        this period (no_data if none)."""
        row = self.status_row(county, indicator, township)
        return "no_data" if row is None else str(row["status"])

    def status_row(self, county: str, indicator: str, township: str | None = None) -> dict[str, Any] | None:
        """The status.parquet row of a unit and indicator this period (value, target, warning, status…)."""
        index = self._status_index()
        return index.get((str(county), "" if township is None else str(township), indicator))

    def _status_index(self) -> dict[tuple[str, str, str], dict[str, Any]]:
        if "status_index" not in self.extra:
            s = self.status
            keys = zip(s["county"].astype("str"),
                       s["township"].astype("object").where(s["level"] == "township", "").fillna("").astype("str"),
                       s["indicator"].astype("str"), strict=True)
            self.extra["status_index"] = dict(zip(keys, s.to_dict("records"), strict=True))
        return self.extra["status_index"]

    def figure(self, county: str, indicator: str, value: Any = None, lang: str | None = None,
               township: str | None = None) -> str:
        """A unit's value of an indicator, printed with the decimals that keep it apart from the target
        and the city's value beside it (99.95%, never 100% for a value short of 100%).

        The target comes from status.parquet (the one the judge used); the rule is numbers.digits_apart.
        """
        lang = lang or self.language
        spec = self.spec(indicator)
        row = self.status_row(county, indicator, township)
        if value is None:
            value = None if row is None else row["value"]
        city = self.status_row(self.city_label, indicator)
        others = [row["target"] if row is not None else None, city["value"] if city is not None else None]
        digits = fmt.digits_apart(value, others, spec["unit"])
        return fmt.value(value, spec["unit"], lang, digits)


def ordered(df: pd.DataFrame, column: str = "county") -> pd.DataFrame:
    """Sort rows by the canonical county order (unknown counties last, by name)."""
    order = {name: i for i, name in enumerate(load.county_order())}
    order[load.city_total_label()] = len(order) + 1000
    key = df[column].map(lambda c: order.get(c, len(order)))
    return df.assign(_o=key).sort_values(["_o", column], kind="stable").drop(columns="_o").reset_index(drop=True)


def load_report_data(processed: Path | None = None, period: str | None = None, language: str = "zh") -> ReportData:
    """Read the processed folder and cut it to ``period`` (default: the latest)."""
    processed = Path(processed) if processed else config.PROCESSED_DIR
    county = datasets.read(processed, config.COUNTY_METRICS_FILE)
    county["period"] = pd.to_datetime(county["period"])
    periods = [pd.Timestamp(p) for p in sorted(county["period"].dropna().unique())]
    if not periods:
        raise ValueError(f"{processed / config.COUNTY_METRICS_FILE} holds no period")
    when = pd.Timestamp(period) if period else periods[-1]
    if when not in periods:
        raise ValueError(f"period {when.date()} not in {[p.date().isoformat() for p in periods]}")
    earlier = [p for p in periods if p < when]
    tables = {name: _read(processed, name, when if name in datasets.PARTITIONED else None) for name in OPTIONAL_COLUMNS}
    for df in tables.values():
        if "period" in df.columns and not df.empty:
            df["period"] = pd.to_datetime(df["period"])
    status = _at(tables[config.STATUS_TABLE], when)
    findings = _at(tables[config.FINDINGS_TABLE], when)
    actions = _at(tables[config.ACTIONS_FILE], when)
    return ReportData(
        period=when,
        previous=earlier[-1] if earlier else None,
        periods=[p for p in periods if p <= when],
        indicators=indicator_specs(status),
        county=county[county["period"] <= when].reset_index(drop=True),
        township=_at(tables[config.TOWNSHIP_METRICS_FILE], when),
        balance=_at(tables[config.BALANCE_FILE], when),
        status=status,
        findings=findings.sort_values("rank", kind="stable").reset_index(drop=True) if len(findings) else findings,
        actions=actions.sort_values("rank", kind="stable").reset_index(drop=True) if len(actions) else actions,
        ranking=_at(tables[config.RANKING_FILE], when),
        data_quality=_at(tables[config.DATA_QUALITY_FILE], when),
        trends=tables[config.TRENDS_FILE],
        manifest=_with_undated(tables[config.MANIFEST_FILE], when),
        rejects=_with_undated(tables[config.REJECTS_TABLE], when),
        reporting=_at(tables[config.REPORTING_TABLE], when),
        processed=processed,
        language=language,
    )
