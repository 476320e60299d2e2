"""The metrics stage's one API function: aggregate, then judge, then write every table as one set.

``compute_metrics`` reads the cleaned tables from the processed folder, runs the aggregate layer
on the chosen engine (DuckDB embedded, or Spark) and the judge layer on its small tables, checks
every output against its schema, and writes them together (all or none: a new version of the
stage's tables switched in by one pointer, pipelines.table_sets.table_set; status, findings and
reporting partitioned by period). The CLI, the notebook and the tests share this one code path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import config, datasets, table_sets
from pipelines.aggregate import aggregate, public_units
from pipelines.aggregate.engine import Engine, engine
from pipelines.aggregate.reporting import public as reporting_public
from pipelines.cache import EntryCache
from pipelines.domain.indicators import Indicator, load_indicators
from pipelines.judge import judge
from pipelines.metrics import incremental, schema
from pipelines.params.thresholds import Overrides, Thresholds, load_thresholds

OUTPUTS = {
    "county_metrics": config.COUNTY_METRICS_FILE,
    "township_metrics": config.TOWNSHIP_METRICS_FILE,
    "balance": config.BALANCE_FILE,
    "data_quality": config.DATA_QUALITY_FILE,
    "trends": config.TRENDS_FILE,
    "status": config.STATUS_TABLE,
    "findings": config.FINDINGS_TABLE,
    "ranking": config.RANKING_FILE,
    "actions": config.ACTIONS_FILE,
}
# Optional inputs: a processed folder from before they existed, or a chain without a registry, still runs.
EMPTY_INPUTS: dict[str, tuple[str, ...]] = {
    config.REGISTRY_FILE: ("county", "county_code", "township", "branch", "members"),
    config.REJECTS_TABLE: ("source_file", "source_sheet", "source_row", "column", "raw_value", "rule", "message_zh",
                           "message_en", "period", "county", "branch"),
    config.MANIFEST_FILE: ("path", "county", "period", "status"),
    config.WARNINGS_TABLE: ("period", "county", "source_file", "source_sheet", "source_row", "column", "code"),
}


@dataclass
class MetricsResult:
    """Every output frame of the stage (the reporting record is written, not held), the parameters
    used, whether a registry was there, and where the files went."""

    county_metrics: pd.DataFrame
    township_metrics: pd.DataFrame
    balance: pd.DataFrame
    data_quality: pd.DataFrame
    trends: pd.DataFrame
    status: pd.DataFrame
    findings: pd.DataFrame
    ranking: pd.DataFrame
    actions: pd.DataFrame
    indicators: list[Indicator]
    thresholds: Thresholds
    registry_known: bool = True
    paths: dict[str, Path] = field(default_factory=dict)
    computed: list[pd.Timestamp] | None = None  # periods the engine was asked about (None: every one)
    judged: list[pd.Timestamp] | None = None  # periods judged this run (None: every one)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in OUTPUTS}

    def weak_links(self, period: Any = None) -> pd.DataFrame:
        """The findings that are weak links (status watch or alert), of ``period`` or every period."""
        f = self.findings.loc[self.findings["status"].isin(["watch", "alert"])]
        return f if period is None else f.loc[f["period"] == pd.Timestamp(period)]


def read_input(processed: Path, name: str) -> pd.DataFrame:
    if datasets.exists(processed, name):
        return datasets.read(processed, name, columns=_wanted(processed, name))
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in EMPTY_INPUTS[name]})
    if "period" in frame:
        frame["period"] = frame["period"].astype("datetime64[ns]")
    return frame


def read_inputs(processed: Path) -> dict[str, pd.DataFrame]:
    """The clean stage's tables the metrics stage reads besides the returns (absent ones empty)."""
    returns_path = datasets.table_path(processed, config.RETURNS_TABLE)
    if not returns_path.exists():
        raise FileNotFoundError(f"{returns_path} is missing: run `python -m pipelines clean` first")
    return {"registry": read_input(processed, config.REGISTRY_FILE), "rejects": read_input(processed, config.REJECTS_TABLE),
            "manifest": read_input(processed, config.MANIFEST_FILE),
            "warnings": read_input(processed, config.WARNINGS_TABLE)}


def metrics_on(
    eng: Engine, processed: Path, indicators: list[Indicator], thresholds: Thresholds,
    inputs: dict[str, pd.DataFrame] | None = None,
) -> tuple[MetricsResult, Any]:
    """Aggregate and judge the processed folder on ``eng``, every period; the reporting record comes
    back as an engine expression (written by the caller, streamed, never held in memory)."""
    inputs = inputs or read_inputs(processed)
    agg = aggregate(
        eng, eng.read_parquet(datasets.table_path(processed, config.RETURNS_TABLE)), inputs["registry"], indicators,
        thresholds, rejects=inputs["rejects"], manifest=inputs["manifest"], warnings=inputs["warnings"],
    )
    return _result(agg, judge(eng, agg, indicators, thresholds), indicators, thresholds), reporting_public(agg.reporting)


def _result(agg: Any, verdicts: Any, indicators: list[Indicator], thresholds: Thresholds) -> MetricsResult:
    return MetricsResult(
        county_metrics=public_units(agg.county_metrics, indicators),
        township_metrics=public_units(agg.township_metrics, indicators, township=True),
        balance=agg.balance, data_quality=verdicts.data_quality, trends=agg.trends, status=verdicts.status,
        findings=verdicts.findings, ranking=verdicts.ranking, actions=verdicts.actions,
        indicators=indicators, thresholds=thresholds, registry_known=agg.registry_known,
    )


def compute_metrics(
    processed: Path | str | None = None,
    thresholds: Thresholds | Path | str | None = None,
    overrides: Overrides | Mapping[str, Any] = None,
    out: Path | str | None = None,
    write: bool = True,
    *,
    engine_name: str | None = None,
    memory_limit: str | None = None,
    spark_master: str | None = None,
    spark_remote: str | None = None,
    cache: Path | str | bool | None = None,
    full: bool = False,
) -> MetricsResult:
    """Read returns/registry/rejects/manifest/warnings from ``processed``, aggregate, judge, write.

    processed: the processed folder (None: pipelines.config.PROCESSED_DIR); out: where to write
    (default: the same folder); thresholds: a Thresholds, or a YAML file of overrides layered on
    pipelines/params/thresholds.yaml; overrides: dotted keys on top (CLI ``--set``, papermill);
    engine_name: duckdb (default, ``config.ENGINE``) or spark. cache: where each period's products
    and verdicts are kept between runs (default ``<out>/.cache/metrics`` when writing; ``False``:
    none, every period recomputed); full: use nothing kept (and keep this run's afresh).
    """
    processed = Path(processed) if processed else config.PROCESSED_DIR
    out = Path(out) if out else processed
    if not isinstance(thresholds, Thresholds):
        thresholds = load_thresholds(Path(thresholds) if thresholds else None, overrides)
    elif overrides:
        raise ValueError("pass overrides with a thresholds file, not with a Thresholds object")
    indicators = load_indicators(thresholds)
    options = {"memory_limit": memory_limit or config.ENGINE_MEMORY_LIMIT, "spark_master": spark_master,
               "spark_remote": spark_remote}
    name = engine_name or config.ENGINE
    root = Path(cache) if isinstance(cache, (str, Path)) else out / config.METRICS_CACHE_DIR
    store = None
    if write and cache is not False:
        store = EntryCache(root, incremental.stage_version(indicators, thresholds, name), incremental.KINDS, full=full)
    with engine(name, out, **options) as eng:
        inputs = read_inputs(processed)
        outcome = incremental.metrics_on(eng, processed, indicators, thresholds, store, inputs) if store else None
        if outcome is None:
            result, record = metrics_on(eng, processed, indicators, thresholds, inputs)
            schema.validate(result.frames(), indicators)
        else:
            result, record = _result(outcome.agg, outcome.verdicts, indicators, thresholds), None
            result.computed, result.judged = outcome.computed, outcome.judged
            schema.validate(_new_rows(result.frames(), outcome.judged), indicators)  # kept verdicts were checked
        if write:
            with table_sets.table_set(out, "metrics") as tables:
                for table, frame in result.frames().items():
                    if outcome is not None and OUTPUTS[table] in outcome.partitions:
                        continue
                    result.paths[table] = tables.write(OUTPUTS[table], frame)
                if outcome is None:
                    eng.write_partitioned(record, tables.path(config.REPORTING_TABLE))
                else:
                    for table, parts in outcome.partitions.items():
                        _link_partitions(tables, table, parts)
                        result.paths[table] = tables.public(table)
                result.paths["reporting"] = tables.public(config.REPORTING_TABLE)
            if store is not None and outcome is not None:
                store.prune()
    return result


def _new_rows(frames: dict[str, pd.DataFrame], judged: list[pd.Timestamp]) -> dict[str, pd.DataFrame]:
    """The verdicts of the periods judged now, and every small table whole."""
    out = {}
    for table, frame in frames.items():
        if table in incremental.JUDGED and "period" in frame:
            frame = frame.loc[frame["period"].isin(pd.DatetimeIndex(judged))]
        out[table] = frame
    return out


def _link_partitions(tables: Any, table: str, parts: dict[pd.Timestamp, list[Path]]) -> None:
    """A partitioned table of kept part files: each linked into its period's folder, and the undated
    partition written empty with their columns."""
    import pyarrow.parquet as pq

    schema = None
    for period, files in parts.items():
        for i, f in enumerate(files):
            target = tables.partition(table, period).with_name(f"part-{i}.parquet")
            table_sets.link_or_copy(f, target)
            schema = schema or pq.read_schema(f)
    undated = tables.partition(table, None)
    if schema is None:
        raise ValueError(f"{table}: no period to write")
    pq.write_table(schema.empty_table(), undated, compression="zstd")


#: The columns the aggregate layer reads of the clean stage's wide tables (their messages are not needed).
READ_COLUMNS: dict[str, tuple[str, ...]] = {
    config.REJECTS_TABLE: ("source_file", "source_sheet", "source_row", "rule", "period", "county"),
    config.WARNINGS_TABLE: ("period", "county", "source_file", "code"),
}


def _wanted(processed: Path, name: str) -> list[str] | None:
    wanted = READ_COLUMNS.get(name)
    if wanted is None:
        return None
    have = set(datasets.dataset(processed, name).schema.names)
    return [c for c in wanted if c in have]
