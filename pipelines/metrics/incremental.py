"""The metrics stage a period at a time (issue 19): a night asks the engine only about the weeks
that changed, and judges only them; every other period comes from what earlier runs kept.

What a period's figures depend on decides what is kept and under which key (``pipelines/cache.py``):

- ``products/`` — the engine's per-period work (``pipelines.aggregate.products``): the unit sums and
  rates of every township, county and the city, the rows kept and unregistered, the most common
  value's share, the branches without a return, the branch candidates of the judge's branch rules
  and the reporting record's partition. Key: the stage's version (code, indicators, thresholds,
  engine, registry) and the content of that period's returns.
- ``fell/`` — whether branches' cumulative figures fell since their previous return, which looks
  back across periods. Key: the chain of every period's key up to it (a change to any earlier week
  changes it). Each run keeps every branch's last return as of its last period (``snapshots/``),
  so a new week is judged against it without reading the year; when an older week changed, the
  engine reads the year again.
- ``judged/`` — the verdicts of a period (status, findings, ranking, actions, data quality). They
  depend on the weeks up to it, on the median gap between periods (the trends' pace) and on the
  next week too (a run of missed weeks is one finding, at its last week). Key: the chain up to the
  period, the next period's, and that gap.

Everything across periods that is small is made again each night from the kept per-period frames:
the unit tables, runs of missed weeks, trends, balance, the data-quality values; then the judge runs
on the periods whose verdicts are not kept, with the one before as context (ranking and "fell back"
compare with the previous period). The outputs equal those of a stage that recomputes everything
(``tests/metrics/test_metrics_incremental.py``); ``full=True`` is that stage (and rebuilds the entries).
Without a registry, or with a returns table that is one file, the stage recomputes everything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import config, datasets, table_sets
from pipelines.aggregate import Aggregates, Products, assemble, last_returns, products, registry_of
from pipelines.aggregate.engine import Engine
from pipelines.aggregate.reporting import public as reporting_public
from pipelines.cache import DONE, EntryCache, files_hash, key_of, library_versions, read_json, write_json
from pipelines.domain.indicators import Indicator
from pipelines.judge import Judgement, candidates_of, judge
from pipelines.params.thresholds import Thresholds

KINDS = ("products", "fell", "judged", "snapshots")
PRODUCT_FRAMES = ("levels", "rows", "uniform", "missed", "candidates")
JUDGED = ("status", "findings", "ranking", "actions", "data_quality")
PARTITIONED = ("status", "findings")
LIBRARIES = ("duckdb", "ibis-framework", "pyspark", "pandas", "pyarrow", "numpy", "scipy")
#: The list columns of findings, typed once (a week whose lists are all empty must not make another type).
FINDING_LISTS = {
    "rules": pa.list_(pa.string()), "covers": pa.list_(pa.string()),
    "contributors": pa.list_(pa.struct([("name", pa.string()), ("outstanding", pa.int64()), ("share", pa.float64())])),
}


@lru_cache(maxsize=1)
def code_files() -> tuple[Path, ...]:
    """What the metrics stage runs: the aggregate, judge and metrics packages and what they read."""
    pkg = config.PACKAGE_DIR
    files = [*sorted((pkg / "aggregate").glob("*.py")), *sorted((pkg / "judge").glob("*.py")),
             *sorted((pkg / "metrics").glob("*.py")), pkg / "domain" / "indicators.py", pkg / "domain" / "load.py",
             pkg / "params" / "thresholds.py", pkg / "numbers.py", pkg / "datasets.py", pkg / "cache.py",
             config.INDICATORS_FILE, config.COUNTIES_FILE, config.TERMS_FILE, config.THRESHOLDS_FILE]
    return tuple(files)


def stage_version(indicators: list[Indicator], thresholds: Thresholds, engine_name: str) -> str:
    """The code, libraries, engine, indicators (targets, due dates) and thresholds in force."""
    record = {"indicators": [dataclasses.asdict(i) for i in indicators],
              "thresholds": {f.name: getattr(thresholds, f.name) for f in dataclasses.fields(thresholds)},
              "engine": engine_name, "libraries": library_versions(LIBRARIES)}
    h = hashlib.sha256(files_hash(code_files()).encode())
    h.update(json.dumps(record, sort_keys=True, default=str).encode())
    return h.hexdigest()


@dataclasses.dataclass
class Outcome:
    """What the stage made: the aggregates and verdicts, and where each partition's files are."""

    agg: Aggregates
    verdicts: Judgement
    partitions: dict[str, dict[pd.Timestamp, list[Path]]]  # table → period → files to link
    computed: list[pd.Timestamp]  # periods the engine was asked about
    judged: list[pd.Timestamp]  # periods judged this run


def metrics_on(eng: Engine, processed: Path, indicators: list[Indicator], thresholds: Thresholds,
               store: EntryCache, inputs: dict[str, pd.DataFrame]) -> Outcome | None:
    """Aggregate and judge ``processed`` a period at a time; None when it cannot be (no registry, a
    returns table in one file): the caller then recomputes everything."""
    registry = inputs["registry"]
    returns_path = datasets.table_path(processed, config.RETURNS_TABLE)
    if registry.empty or not returns_path.is_dir():
        return None
    periods = _periods(processed, inputs["manifest"])
    if not periods:
        return None
    base = key_of(store.version, store.sha256(datasets.table_path(processed, config.REGISTRY_FILE)))
    keys = {p: store.key("products", base, [store.sha256(f) for f in _parts(processed, config.RETURNS_TABLE, p)])
            for p in periods}
    quality = {p: _quality_key(store, processed, inputs["manifest"], p) for p in periods}
    chain, previous = {}, "start"
    for p in periods:
        chain[p] = previous = key_of(previous, keys[p], quality[p])

    kept = {p: store.get("products", keys[p]) for p in periods}
    fell_kept = {p: store.get("fell", chain[p]) for p in periods}
    since = next((i for i, p in enumerate(periods) if fell_kept[p] is None), len(periods))
    before = None
    if 0 < since < len(periods):
        snap = store.get("snapshots", chain[periods[since - 1]])
        before = pd.read_parquet(snap / "last.parquet") if snap is not None else None
        if before is None:  # an older week changed: the year is read again for the fallen figures
            since = 0
    asked = sorted({p for p in periods if kept[p] is None} | set(periods[since:]))

    reg, known = registry_of(eng, None, registry)
    values = record = None
    made = None
    if asked:
        returns = eng.read_parquet(returns_path, periods=asked)
        made, values, record = products(eng, returns, reg, known, asked, indicators, thresholds,
                                        before=before if since > 0 else None)
    frames = _assembled(periods, kept, fell_kept, made, since)
    agg = assemble(eng, periods, reg, known, frames, indicators, thresholds, values=values, reporting_record=None,
                   rejects=inputs["rejects"], manifest=inputs["manifest"], warnings=inputs["warnings"])
    candidates = _candidates(eng, agg, indicators, thresholds, periods, kept, asked)

    gap = _gap(periods)
    judged_keys = {p: store.key("judged", chain[p], chain.get(periods[i + 1]) if i + 1 < len(periods) else "end", gap)
                   for i, p in enumerate(periods)}
    judged_kept = {p: store.get("judged", judged_keys[p]) for p in periods}
    start = next((i for i, p in enumerate(periods) if judged_kept[p] is None), len(periods))
    verdicts = _judged(eng, agg, indicators, thresholds, candidates, periods, start, judged_kept)

    # keep what this run made, then say where every partition is
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rwb-record-", dir=store.root) as tmp:
        record_dir = Path(tmp) / "reporting"
        if record is not None:
            eng.write_partitioned(reporting_public(record), record_dir)
        for p in periods:
            if kept[p] is None:
                kept[p] = _put_products(store, keys[p], p, frames, candidates, record_dir)
    for i, p in enumerate(periods):
        if i >= since:
            fell_kept[p] = _put_frames(store, "fell", chain[p], {"fell": _at(frames.fell, p)})
        if i >= start:
            judged_kept[p] = _put_judged(store, judged_keys[p], p, verdicts)
    if since < len(periods):  # the engine saw every return the last week's snapshot needs
        assert values is not None  # periods[since:] were asked of the engine
        last = last_returns(eng, values, before if since > 0 else None)
        _put_frames(store, "snapshots", chain[periods[-1]], {"last": last})
        if since <= len(periods) - 2:  # and the week before's too: the current week may change tomorrow
            upto = values.filter(values.period <= periods[-2].to_pydatetime())
            _put_frames(store, "snapshots", chain[periods[-2]],
                        {"last": last_returns(eng, upto, before if since > 0 else None)})
    else:
        store.keep("snapshots", chain[periods[-1]])
    products_at, judged_at = _every(kept), _every(judged_kept)
    partitions = {
        "reporting": {p: sorted((products_at[p] / "reporting").glob("*.parquet")) for p in periods},
        **{name: {p: [judged_at[p] / f"{name}.parquet"] for p in periods} for name in PARTITIONED},
    }
    return Outcome(agg, verdicts, partitions, computed=asked, judged=periods[start:])


def _every(entries: dict[pd.Timestamp, Path | None]) -> dict[pd.Timestamp, Path]:
    """Every period's entry, now that this run has kept what it made (a gap is a bug, said here)."""
    missing = [p for p, folder in entries.items() if folder is None]
    if missing:
        raise RuntimeError(f"metrics cache: no entry kept for {[str(p.date()) for p in missing]}")
    return {p: folder for p, folder in entries.items() if folder is not None}


# --- the periods and their keys ------------------------------------------------------------------------

def _periods(processed: Path, manifest: pd.DataFrame) -> list[pd.Timestamp]:
    """The periods with returns rows or with files in the manifest (pipelines.aggregate.periods_of)."""
    root = datasets.table_path(processed, config.RETURNS_TABLE)
    found = set()
    for key, folder in datasets.partition_periods(root).items():
        if key != datasets.NULL_PARTITION and any(pq.read_metadata(f).num_rows for f in folder.glob("*.parquet")):
            found.add(pd.Timestamp(key))
    if "period" in manifest:
        found |= {pd.Timestamp(p) for p in pd.to_datetime(manifest["period"], errors="coerce").dropna().dt.normalize()}
    return sorted(found)


def _parts(processed: Path, name: str, period: pd.Timestamp) -> list[Path]:
    return datasets.part_files(processed, name, [period], undated=False)


def _quality_key(store: EntryCache, processed: Path, manifest: pd.DataFrame, period: pd.Timestamp) -> str:
    """What the data-quality checks of a period read besides the returns: its rejects and warnings
    partitions and its files' statuses in the manifest."""
    files = [store.sha256(f) for name in (config.REJECTS_TABLE, config.WARNINGS_TABLE)
             if datasets.exists(processed, name) for f in _parts(processed, name, period)]
    rows = manifest.loc[pd.to_datetime(manifest["period"], errors="coerce") == period] if "period" in manifest else manifest
    facts = rows[[c for c in ("path", "county", "status") if c in rows]].astype(str).to_numpy().tolist()
    return key_of(files, sorted(facts))


def _gap(periods: list[pd.Timestamp]) -> str:
    """The median gap between periods: the trends' pace is per that gap, in every period's verdict."""
    if len(periods) < 2:
        return "none"
    return str(pd.Series(pd.DatetimeIndex(periods)).diff().dropna().median())


# --- the engine's products, kept and new -----------------------------------------------------------------

def _assembled(periods: list[pd.Timestamp], kept: dict, fell_kept: dict, made: Products | None,
               since: int) -> Products:
    """Every period's products: this run's where the engine was asked, the kept ones elsewhere."""
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("levels", "rows", "uniform", "missed", "fell")}
    for i, p in enumerate(periods):
        for name in ("levels", "rows", "uniform", "missed"):
            if kept[p] is not None:
                parts[name].append(pd.read_parquet(kept[p] / f"{name}.parquet"))
            else:
                parts[name].append(_at(getattr(made, name), p))
        if i >= since:
            assert made is not None  # periods[since:] were asked of the engine
            parts["fell"].append(_at(made.fell, p))
        else:
            parts["fell"].append(pd.read_parquet(fell_kept[p] / "fell.parquet"))
    return Products(**{k: _concat(v) for k, v in parts.items()})


def _candidates(eng: Engine, agg: Aggregates, indicators: list[Indicator], thresholds: Thresholds,
                periods: list[pd.Timestamp], kept: dict, asked: list[pd.Timestamp]) -> pd.DataFrame:
    """The judge's branch candidates of every period: asked of the engine for the periods it read now."""
    new = candidates_of(eng, agg, indicators, thresholds) if asked else pd.DataFrame()
    parts = [pd.read_parquet(kept[p] / "candidates.parquet") for p in periods if p not in asked and kept[p] is not None]
    if len(new):
        parts.append(new)
    return _concat(parts)


def _put_products(store: EntryCache, key: str, period: pd.Timestamp, frames: Products, candidates: pd.DataFrame,
                  record_dir: Path) -> Path:
    with store.put("products", key) as tmp:
        for name in ("levels", "rows", "uniform", "missed"):
            _at(getattr(frames, name), period).to_parquet(tmp / f"{name}.parquet", index=False)
        _at(candidates, period).to_parquet(tmp / "candidates.parquet", index=False)
        (tmp / "reporting").mkdir()
        for i, part in enumerate(sorted((datasets.partition_dir(record_dir, period)).glob("*.parquet"))):
            shutil.move(str(part), tmp / "reporting" / f"part-{i}.parquet")
        write_json(tmp / DONE, {"period": period.isoformat()})
    return store.path("products", key)


def _put_frames(store: EntryCache, kind: str, key: str, frames: dict[str, pd.DataFrame]) -> Path:
    with store.put(kind, key) as tmp:
        for name, frame in frames.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        write_json(tmp / DONE, {name: len(frame) for name, frame in frames.items()})
    return store.path(kind, key)


# --- the judge, on the periods whose verdicts are not kept -----------------------------------------------

def _judged(eng: Engine, agg: Aggregates, indicators: list[Indicator], thresholds: Thresholds,
            candidates: pd.DataFrame, periods: list[pd.Timestamp], start: int, kept: dict) -> Judgement:
    """Verdicts of every period: kept ones before ``start``, the judge's from it (the period before it
    given as context: the ranking and "fell back" compare with the previous period)."""
    if start >= len(periods):
        new = None
    elif start == 0:
        new = judge(eng, agg, indicators, thresholds, candidates=candidates)
    else:
        context = periods[start - 1]
        new = judge(eng, _from(agg, context), indicators, thresholds, candidates=_since(candidates, context))
        new = Judgement(**{name: _since(getattr(new, name), periods[start]) for name in JUDGED})
    out = {}
    for name in JUDGED:
        older = [_read_judged(kept[p], name) for p in periods[:start]]
        frames = [f for f in older if len(f)] + ([getattr(new, name)] if new is not None else [])
        if new is None and not frames:
            frames = [_read_judged(kept[periods[0]], name)] if periods else []
        whole = pd.concat(frames, ignore_index=True) if frames else getattr(judge_empty(), name)
        # the periods in the judge's own order: findings and actions latest first, the others oldest first
        descending = name in ("findings", "actions")
        order = whole["period"].rank(method="dense", ascending=not descending) if len(whole) else whole["period"]
        out[name] = whole.iloc[order.argsort(kind="stable")].reset_index(drop=True) if len(whole) else whole
    return Judgement(**out)


def judge_empty() -> Judgement:
    from pipelines.judge import actions, findings, quality, ranking, status

    def empty(columns: tuple[str, ...]) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})

    return Judgement(status=empty(status.COLUMNS), findings=findings.empty(), ranking=empty(ranking.COLUMNS),
                     actions=empty(actions.COLUMNS), data_quality=empty(quality.COLUMNS))


def _from(agg: Aggregates, first: pd.Timestamp) -> Aggregates:
    """The aggregates of the periods from ``first`` on (runs of missed weeks ending there or later)."""
    runs = agg.missed_runs
    if len(runs):
        runs = runs.loc[pd.to_datetime(runs["last_missed"]) >= first].reset_index(drop=True)
    return dataclasses.replace(
        agg, periods=[p for p in agg.periods if p >= first], county_metrics=_since(agg.county_metrics, first),
        township_metrics=_since(agg.township_metrics, first), balance=_since(agg.balance, first),
        trends=_since(agg.trends, first), quality=_since(agg.quality, first), missed_runs=runs)


def _put_judged(store: EntryCache, key: str, period: pd.Timestamp, verdicts: Judgement) -> Path:
    with store.put("judged", key) as tmp:
        for name in JUDGED:
            frame = _at(getattr(verdicts, name), period)
            if name in PARTITIONED:  # the table's partition file itself, linked into the outputs
                table_sets.write_partition(frame, tmp / f"{name}.parquet", schema=partition_schema(name, frame))
            else:
                frame.to_parquet(tmp / f"{name}.parquet", index=False)
        write_json(tmp / DONE, {"period": period.isoformat()})
    return store.path("judged", key)


def _read_judged(folder: Path, name: str) -> pd.DataFrame:
    if name in PARTITIONED:
        return _with_period(folder, name, pd.read_parquet(folder / f"{name}.parquet"))
    return pd.read_parquet(folder / f"{name}.parquet")


def _with_period(folder: Path, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A partition file read back whole: its period (in the entry) put back where the contract has it."""
    period = pd.Timestamp(read_json(folder / DONE)["period"])
    columns = json.loads(pq.read_schema(folder / f"{name}.parquet").metadata[datasets.COLUMNS_KEY])
    frame = frame.assign(period=pd.Series(period, index=frame.index, dtype="datetime64[ns]"))
    return frame[columns]


def partition_schema(name: str, frame: pd.DataFrame) -> pa.Schema:
    """One Arrow schema for a table's partitions, whatever the week's rows hold (findings' lists)."""
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    if name == "findings":
        for col, kind in FINDING_LISTS.items():
            if col in schema.names:
                schema = schema.set(schema.get_field_index(col), pa.field(col, kind))
    return schema


# --- small helpers -----------------------------------------------------------------------------------------

def _at(frame: pd.DataFrame, period: pd.Timestamp) -> pd.DataFrame:
    if frame is None or not len(frame) or "period" not in frame:
        return frame if frame is not None else pd.DataFrame()
    return frame.loc[pd.to_datetime(frame["period"]) == period].reset_index(drop=True)


def _since(frame: pd.DataFrame, first: pd.Timestamp) -> pd.DataFrame:
    if frame is None or not len(frame) or "period" not in frame:
        return frame
    return frame.loc[pd.to_datetime(frame["period"]) >= first].reset_index(drop=True)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    usable = [f for f in frames if f is not None and len(f)]
    if usable:
        return pd.concat(usable, ignore_index=True)
    return frames[0].iloc[:0] if frames else pd.DataFrame()
