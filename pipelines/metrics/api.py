"""The metrics stage's one API function: read the processed tables, compute, write atomically.

``compute_metrics`` is the only place that touches files; every other function of the package is
a pure, typed transformation of frames (Kedro-node style), so the CLI, the notebook and the tests
share one code path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import config, io
from pipelines.metrics import aggregate, quality, schema, threads
from pipelines.metrics import balance as balance_mod
from pipelines.metrics import trends as trends_mod
from pipelines.metrics import weak_links as weak_mod
from pipelines.metrics.indicators import Indicator, Thresholds, load_indicators, load_thresholds

RETURNS_READ = (
    "period", "county", "township", "branch", "members", "studied", "discussion_meetings",
    "deeds_reports", "situation_reports", "exchange_meetings", "party_lectures", "test_takers", "sheets_returned",
    "avg_score", "special_sick", "special_travel", "special_laid_off", "special_retired_away", "special_floating",
    "delivered_study", "makeup_study", "has_work_plan",
)
OUTPUTS = {
    "county_metrics": config.COUNTY_METRICS_FILE,
    "township_metrics": config.TOWNSHIP_METRICS_FILE,
    "balance": config.BALANCE_FILE,
    "weak_links": config.WEAK_LINKS_FILE,
    "data_quality": config.DATA_QUALITY_FILE,
    "trends": config.TRENDS_FILE,
}
REJECTS_EMPTY = {c: pd.Series(dtype="str") for c in (
    "source_file", "source_sheet", "source_row", "column", "raw_value", "rule", "message_zh", "message_en",
    "county", "branch")}
MANIFEST_EMPTY = {c: pd.Series(dtype="str") for c in ("path", "county", "status", "warnings")}


@dataclass
class MetricsResult:
    """Every output frame of the stage, the parameters used, and where the files went."""

    county_metrics: pd.DataFrame
    township_metrics: pd.DataFrame
    balance: pd.DataFrame
    weak_links: pd.DataFrame
    data_quality: pd.DataFrame
    trends: pd.DataFrame
    indicators: list[Indicator]
    thresholds: Thresholds
    paths: dict[str, Path] = field(default_factory=dict)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in OUTPUTS}


def periods_of(returns: pd.DataFrame, manifest: pd.DataFrame) -> list[pd.Timestamp]:
    """The periods present in the returns or the manifest (a period whose files all failed counts)."""
    # distinct values first: normalising millions of rows to find a few dozen dates is wasted work
    ps = [pd.Series(pd.unique(pd.to_datetime(returns["period"])))]
    if "period" in manifest and len(manifest):
        ps.append(pd.to_datetime(manifest["period"], errors="coerce"))
    s = pd.concat(ps, ignore_index=True).dropna().dt.normalize().astype("datetime64[ns]")
    return sorted(pd.unique(s))


def metrics_from_frames(
    returns: pd.DataFrame, registry: pd.DataFrame, rejects: pd.DataFrame, manifest: pd.DataFrame,
    indicators: list[Indicator], thresholds: Thresholds,
    ready: Callable[[str, pd.DataFrame], None] | None = None,
) -> MetricsResult:
    """All metrics from in-memory frames (no file access): what compute_metrics and tests call.

    ``ready(name, frame)``, when given, is called on this thread with each output as soon as it is
    final (the weak links while data quality may still be running on the worker), so that the
    caller can check and write it meanwhile.
    """
    returns = returns.copy(deep=False)
    returns["period"] = pd.to_datetime(returns["period"]).astype("datetime64[ns]")
    periods = [pd.Timestamp(p) for p in periods_of(returns, manifest)]
    if not periods:
        # Nothing reported yet: run on a placeholder period and keep no rows, so that every
        # output still has its columns and dtypes (the report shows "no data", not an error).
        empty = metrics_from_frames(
            returns, registry, rejects,
            pd.DataFrame({"period": [pd.Timestamp("1970-01-01")], "county": [None], "status": ["ok"],
                          "warnings": [""], "path": [""]}),
            indicators, thresholds,
        )
        for name in OUTPUTS:
            setattr(empty, name, getattr(empty, name).iloc[0:0].reset_index(drop=True))
            if ready is not None:
                ready(name, getattr(empty, name))
        return empty
    reg = aggregate.clean_registry(registry)
    ids = aggregate.match_branches(returns, reg)
    values = aggregate.branch_values(returns, reg, ids)
    # Only data quality reads the returns from here on: the other columns (names, the five kinds
    # of special members…) are let go, which lowers the stage's peak memory when the caller
    # holds no other reference to the frame (compute_metrics does not).
    returns = returns[[c for c in returns.columns if c in quality.READS]]
    sums = aggregate.township_sums(values)
    cm_full = aggregate.county_metrics(values, reg, periods, indicators, sums)
    tm_full = aggregate.township_metrics(values, reg, periods, indicators, sums)
    with threads.side_by_side() as submit:
        # Independent tables over the same (read-only) frames, in two lanes of about equal work
        # when a second core is there: the worker takes the branch rules (wanted first), the
        # within-county counts and the data-quality checks; this thread the rest of the weak links
        # (the not-reported branches while the branch rules run).
        codes = aggregate.period_county_codes(values)
        labelled = weak_mod.registry_labels(reg)
        at = weak_mod.period_positions(values, periods)
        branch_links = submit(weak_mod.branch_rules, values, labelled, cm_full, indicators, thresholds, at)
        within = submit(balance_mod.within_county, values, cm_full, indicators, codes)
        dq = submit(quality.data_quality, returns, values, reg, cm_full, rejects, manifest, periods, indicators,
                    thresholds, ids, codes)
        across = balance_mod.across_counties(cm_full, indicators)
        parts = weak_mod.unit_rules(cm_full, tm_full, across, indicators, thresholds)
        missing = weak_mod.not_reported_branches(values, labelled, periods, indicators, cm_full, at)
        parts += [*branch_links.result(), missing]  # the order weak_links() puts them in
        links = weak_mod.ranked_table(parts, labelled, indicators, thresholds)
        if ready is not None:
            ready("weak_links", links)
        tr = trends_mod.trends(cm_full, indicators, thresholds)
        bal = pd.concat([across, within.result()], ignore_index=True)
        dq = dq.result()
    result = MetricsResult(
        county_metrics=aggregate.public(cm_full, indicators),
        township_metrics=aggregate.public(tm_full, indicators, township=True),
        balance=bal, weak_links=links, data_quality=dq, trends=tr,
        indicators=indicators, thresholds=thresholds,
    )
    if ready is not None:
        for name, frame in result.frames().items():
            if name != "weak_links":
                ready(name, frame)
    return result


def _read(path: Path, empty: dict[str, pd.Series], columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(empty)
    return io.read_parquet(path, columns=list(columns) if columns else None)


def compute_metrics(
    processed: Path | str | None = None,
    thresholds: Thresholds | Path | str | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
    out: Path | str | None = None,
    write: bool = True,
) -> MetricsResult:
    """Read returns/registry/rejects/manifest from ``processed``, compute, write the six outputs.

    processed: the processed folder (None: pipelines.config.PROCESSED_DIR); out: where to write
    (default: the same folder); thresholds: a Thresholds, or a YAML file of overrides layered on
    pipelines/params/thresholds.yaml; overrides: dotted keys on top (CLI ``--set``, papermill).
    """
    processed = Path(processed) if processed else config.PROCESSED_DIR
    out = Path(out) if out else processed
    if not isinstance(thresholds, Thresholds):
        thresholds = load_thresholds(Path(thresholds) if thresholds else None, overrides)
    elif overrides:
        raise ValueError("pass overrides with a thresholds file, not with a Thresholds object")
    indicators = load_indicators(thresholds)
    returns_file = processed / config.RETURNS_FILE
    registry_file = processed / config.REGISTRY_FILE
    for f in (returns_file, registry_file):
        if not f.exists():
            raise FileNotFoundError(f"{f} is missing: run `python -m pipelines clean` first")
    registry = io.read_parquet(registry_file)
    rejects = _read(processed / config.REJECTS_FILE, REJECTS_EMPTY)
    manifest = _read(processed / config.MANIFEST_FILE, MANIFEST_EMPTY)
    # The returns are passed without keeping a name for them here, so that the columns the stage
    # no longer needs are freed as it goes (see metrics_from_frames).
    # Two reads of 11 columns: about 0.1 s faster than four of 6 for some 40 MiB more at the peak of
    # the read, which stays well below the stage's own peak. County and township come as
    # categoricals from the file's dictionary pages (matching and data quality look up 9 names).
    paths: dict[str, Path] = {}
    # Each output is checked against docs/contracts.md, and written to a temporary file in the
    # background, as soon as it is final; the six files replace the previous ones together only
    # once all are written and checked, so a failed run leaves the last good set whole.
    with io.staged_parquet() as stage:
        def ready(name: str, frame: pd.DataFrame) -> None:
            if write:  # written in the background while the frame is checked: renamed only if all pass
                paths[name] = stage(frame, out / OUTPUTS[name])
            schema.validate_one(name, frame, indicators)

        result = metrics_from_frames(
            io.read_parquet(returns_file, columns=list(RETURNS_READ), group=11, categorical=("county", "township")),
            registry, rejects, manifest, indicators, thresholds, ready=ready)
    result.paths.update(paths)
    return result
