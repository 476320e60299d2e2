"""What a county's feedback workbook lists, read from the processed tables and cut to one period.

Nothing here decides what is wrong: the rows come from the clean stage's tables (rejects,
warnings: their codes and params, never their messages) and the judge layer's (findings with
status watch/alert, the reporting record). This module reads them once for all counties, keeps
the period asked for, and gives every row the county it belongs to: its own, else the county
the manifest gives its file (a file that could not be read names no county in rejects).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from pipelines import config, datasets
from pipelines.domain import load
from pipelines.judge.status import WEAK

# The tables the workbooks are made from: the clean stage's and the judge layer's.
NEEDED = {
    config.MANIFEST_FILE: "clean", config.REJECTS_TABLE: "clean", config.WARNINGS_TABLE: "clean",
    config.REGISTRY_FILE: "clean", config.FINDINGS_TABLE: "metrics", config.REPORTING_TABLE: "metrics",
}
# Warnings about the run, not about a county's file (docs/contracts.md, warnings.parquet "run").
RUN_CODES = ("no_registry", "period_without_returns")
# Rows a correction file replaced: the county's own correction, nothing for it to fix (its file
# carries the correction_supersedes / superseded_by_correction notes instead).
NOT_TO_FIX = ("superseded",)
LEVELS = ("county", "township", "branch")


class FeedbackError(ValueError):
    """A request the workbooks cannot be made for: the reason in Chinese and English, and the CLI's status."""

    def __init__(self, message_en: str, message_zh: str, *, status: int = 1) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.status = status  # 2: a request it cannot take; 1: tables it cannot read

    def line(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


@dataclass(frozen=True)
class Tables:
    """Every county's rows for one period (``county`` set on each), ready to be cut per county."""

    processed: Path
    period: pd.Timestamp
    periods: list[pd.Timestamp]
    counties: list[str]
    rejects: pd.DataFrame
    warnings: pd.DataFrame
    unreported: pd.DataFrame  # county, township, branch, members, missed (consecutive periods up to this one)
    findings: pd.DataFrame  # the weak links of the counties, their townships and branches, by rank; `finding` its key
    registry: pd.DataFrame
    unattributed: int  # reject and warning rows that name no county, nor does their file
    received: frozenset[str]  # counties that sent rows for this period (reported branches, rejects, warnings)

    def of(self, county: str) -> CountyRows:
        def cut(df: pd.DataFrame) -> pd.DataFrame:
            return df.loc[df["county"] == county].reset_index(drop=True)

        warns = cut(self.warnings)
        unregistered = warns["code"] == "unregistered_branch"
        return CountyRows(
            county=county, period=self.period, rejects=cut(self.rejects),
            warnings=warns.loc[~unregistered].reset_index(drop=True),
            unregistered=warns.loc[unregistered].reset_index(drop=True),
            unreported=cut(self.unreported), findings=cut(self.findings), received=county in self.received,
        )


@dataclass(frozen=True)
class CountyRows:
    """One county's rows of each kind, for one period."""

    county: str
    period: pd.Timestamp
    rejects: pd.DataFrame
    warnings: pd.DataFrame  # every code but unregistered_branch, warnings and notes
    unregistered: pd.DataFrame  # warnings coded unregistered_branch
    unreported: pd.DataFrame
    findings: pd.DataFrame
    received: bool  # it sent rows for this period (a county with nothing to fix may have sent nothing)

    @property
    def to_fix(self) -> bool:
        """Anything the county is asked to correct or chase (notes alone are not)."""
        return bool(len(self.rejects) or (self.warnings["level"] == "warning").any() or len(self.unregistered)
                    or len(self.unreported) or len(self.findings))


def parse_period(text: str) -> pd.Timestamp:
    """A period written YYYY-MM-DD naming a real day; FeedbackError (status 2) otherwise."""
    try:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError(text)
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise FeedbackError(f"--period {text!r} is not a real date written YYYY-MM-DD",
                            f"统计截至日期「{text}」不是有效日期(应写作 YYYY-MM-DD,如 2005-02-25)", status=2) from None


def _read(processed: Path, name: str, **kw: Any) -> pd.DataFrame:
    """A table through pipelines.datasets.read (``periods=[…]`` opens those partitions only)."""
    path = datasets.table_path(processed, name)
    if not path.exists():
        step = NEEDED[name]
        raise FeedbackError(f"{path} is missing: run `python -m pipelines {step}` first",
                            f"缺少 {path}:请先运行 python -m pipelines {step}")
    try:
        return datasets.read(processed, name, **kw)
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:  # not Parquet, or not the contract's columns
        raise FeedbackError(f"cannot read {path}: {exc}", f"无法读取 {path}:{exc}") from exc


def _periods(column: pd.Series) -> list[pd.Timestamp]:
    return [pd.Timestamp(p) for p in sorted(pd.to_datetime(column).dropna().unique())]


def _choose(periods: list[pd.Timestamp], period: str | dt.date | pd.Timestamp | None, where: Path) -> pd.Timestamp:
    when = parse_period(period) if isinstance(period, str) else None if period is None else pd.Timestamp(period)
    if not periods:
        raise FeedbackError(f"{where} holds no period", f"{where} 中没有任何统计期的数据")
    if when is None:
        return periods[-1]  # the latest, as the report's default
    if when not in periods:
        known = ", ".join(p.date().isoformat() for p in periods)
        raise FeedbackError(f"period {when.date()} is not in the tables ({known})",
                            f"数据中没有统计期 {when.date()}(已有:{known})", status=2)
    return when


def _this_period(df: pd.DataFrame, period: pd.Timestamp) -> pd.DataFrame:
    """Rows of ``period`` and rows with no period (a file whose period could not be told), as the report shows."""
    when = pd.to_datetime(df["period"])
    return df.loc[when.isna() | (when == period)].reset_index(drop=True)


def _attribute(df: pd.DataFrame, file_county: dict[str, str]) -> pd.DataFrame:
    """Each row's county: its own, else its file's (when the manifest names exactly one county)."""
    own = df["county"].astype(object).where(df["county"].notna(), None)
    by_file = df["source_file"].map(file_county)
    return df.assign(county=own.where(own.notna(), by_file))


def unreported(processed: Path, periods: list[pd.Timestamp], when: pd.Timestamp) -> pd.DataFrame:
    """The registry branches without a return at ``when`` (the reporting record's rows with
    ``reported`` false), with how many periods in a row they have missed up to it: a count of the
    record's rows, nothing judged. It reads back period by period only while a branch missing now
    was missing then too: a year of history is not read for a branch that missed one week."""
    keys = ["county", "township", "branch"]

    def missing_at(period: pd.Timestamp) -> pd.DataFrame:
        rows = _read(processed, config.REPORTING_TABLE, periods=[period], filters=[("reported", "==", False)])
        return rows.loc[pd.to_datetime(rows["period"]) == period]

    now = missing_at(when)[[*keys, "members"]].reset_index(drop=True)
    at = pd.MultiIndex.from_frame(now[keys])
    streak = pd.Series(1, index=now.index, dtype="int64")
    alive = pd.Series(True, index=now.index)
    for earlier in sorted((p for p in periods if p < when), reverse=True):
        if not alive.any():
            break
        alive &= at.isin(pd.MultiIndex.from_frame(missing_at(earlier)[keys]))
        streak += alive.astype("int64")
    return now.assign(missed=streak)


def _counties(registry: pd.DataFrame, *frames: pd.DataFrame) -> list[str]:
    """counties.yaml's counties in its order, then any other county the tables name, by name."""
    order = load.county_order()
    named = set(registry["county"].dropna().astype(str))
    for df in frames:
        named |= set(df["county"].dropna().astype(str))
    return order + sorted(named - set(order))


def read_tables(processed: Path | None = None, period: str | dt.date | pd.Timestamp | None = None) -> Tables:
    """The rows of every county's workbook for ``period`` (default: the latest period in the tables)."""
    processed = Path(processed) if processed else config.PROCESSED_DIR
    manifest = _read(processed, config.MANIFEST_FILE, columns=["path", "county", "period"])
    periods = _periods(manifest["period"])  # every period the clean stage saw: the metrics stage's too
    when = _choose(periods, period, processed)
    registry = _read(processed, config.REGISTRY_FILE)
    reported = _read(processed, config.REPORTING_TABLE, periods=[when], columns=["county"],
                     filters=[("reported", "==", True)])
    rejects = _this_period(_read(processed, config.REJECTS_TABLE, periods=[when]), when)
    rejects = rejects.loc[~rejects["rule"].isin(NOT_TO_FIX)]
    warnings = _this_period(_read(processed, config.WARNINGS_TABLE, periods=[when]), when)
    warnings = warnings.loc[~warnings["code"].isin(RUN_CODES)]
    findings = _read(processed, config.FINDINGS_TABLE, periods=[when])
    findings = findings.loc[(pd.to_datetime(findings["period"]) == when) & findings["level"].isin(LEVELS)
                            & findings["status"].isin(WEAK)].sort_values("rank", kind="stable").reset_index(drop=True)
    findings["finding"] = findings.index  # the key the branches behind each finding refer to

    known = set(load.county_order()) | set(registry["county"].dropna().astype(str))
    file_county = {str(p): str(c) for p, c in zip(manifest["path"], manifest["county"], strict=True) if c in known}
    rejects, warnings = _attribute(rejects, file_county), _attribute(warnings, file_county)
    unattributed = int(rejects["county"].isna().sum() + warnings["county"].isna().sum())
    missed = unreported(processed, periods, when)
    received = set(reported["county"].dropna()) | set(rejects["county"].dropna()) | set(warnings["county"].dropna())
    return Tables(
        processed=processed, period=when, periods=periods,
        counties=_counties(registry, rejects, warnings, findings, missed),
        rejects=rejects.reset_index(drop=True), warnings=warnings.reset_index(drop=True),
        unreported=missed, findings=findings.reset_index(drop=True), registry=registry,
        unattributed=unattributed, received=frozenset(received),
    )
