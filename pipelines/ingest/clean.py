"""The cleaning stage's one API function: ``clean(raw, out) -> CleanResult``.

Wiring only; each step lives in its own module:

1. ``discover``: which files are returns of which period, which are the registry, which are skipped;
2. ``sheets`` (with ``readers``, ``headers``, ``tables``): each file read alone into raw blocks;
3. ``rows``: every file's rows parsed and judged (row rules, totals, hidden rows) — still per file;
4. ``period_checks``: what spans files, per period — registry matching, corrections, duplicates;
5. ``outputs``: returns, registry, rejects, warnings and manifest, validated against
   pipelines.schema, then written together (all or none, ``pipelines.table_sets.table_set``);
   returns, rejects and warnings partitioned by period.

Steps 2–3 make each file's rows, rejects and warnings a function of its bytes, its period, the
domain data (including the registry's county list) and the code; only step 4 looks across files,
and only within a period. So each result is kept in a cache (``pipelines.ingest.cache``): a run
reads only new or changed files, checks again only the periods whose files (or the registry, or
the code) changed, and takes every other period whole from the cache — the outputs are those a
clean of everything would write (``full=True`` is that clean). The registry is cleaned first, the
same way: it may name counties beyond counties.yaml.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import config, datasets, schema, table_sets
from pipelines.ingest import file_results as F
from pipelines.ingest import outputs as O
from pipelines.ingest import values as V
from pipelines.ingest.cache import DONE, CleanCache, code_version, key_of, read_json, write_json
from pipelines.ingest.counties import CountyTable
from pipelines.ingest.discover import discover
from pipelines.ingest.errors import IngestError
from pipelines.ingest.headers import AliasTable, alias_table
from pipelines.ingest.identity import Matching, matching
from pipelines.ingest.manifest import FileReport, manifest_frame
from pipelines.ingest.period_checks import check_period
from pipelines.ingest.rows import judge_rows
from pipelines.ingest.sheets import read_report
from pipelines.ingest.tables import RawRows
from pipelines.ingest.warning_codes import Warn

#: The tables this stage writes (returns, rejects and warnings partitioned by period).
OUTPUT_TABLES = ("returns", "registry", "rejects", "warnings", "manifest")
DATED = ("returns", "rejects", "warnings")  # a period's partitions, as its cache entry keeps them


@dataclass
class CleanResult:
    """What a clean did: the registry and manifest (in memory), the partitioned tables (read on first
    use: ``result.returns``), the errors per file, which files were read and which reused."""

    registry: pd.DataFrame
    manifest: pd.DataFrame
    unmatched: pd.DataFrame  # branch rows not in the registry: period, county, township, branch, source_*
    errors: list[IngestError] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)  # files read and cleaned this run (paths under RAW)
    reused: list[str] = field(default_factory=list)  # files whose cleaned result came from the cache
    judged: list[pd.Timestamp] = field(default_factory=list)  # periods checked this run (the rest came whole)
    cache: Path | None = None
    frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)  # write=False: the tables

    @property
    def exit_status(self) -> int:
        """0 when every file was read; 1 when any was unreadable or lacked a required column."""
        return 1 if self.errors else 0

    def table(self, name: str, periods: list[Any] | None = None) -> pd.DataFrame:
        """Table ``name`` as written (of ``periods`` only, with the rows of unknown period, when given)."""
        if name in self.frames:
            frame = self.frames[name]
            if periods is None or "period" not in frame:
                return frame
            wanted = frame["period"].isin([pd.Timestamp(p) for p in periods]) | frame["period"].isna()
            return frame.loc[wanted].reset_index(drop=True)
        return datasets.read(self.outputs[name].parent, name, periods=periods)

    @cached_property
    def returns(self) -> pd.DataFrame:
        return self.table("returns")

    @cached_property
    def rejects(self) -> pd.DataFrame:
        return self.table("rejects")

    @cached_property
    def warnings(self) -> pd.DataFrame:
        return self.table("warnings")


@dataclass
class RegistryPart:
    """The registry, cleaned (or taken from the cache), and what it adds to the county table."""

    key: str
    table: pd.DataFrame
    counties: CountyTable
    counties_key: str
    folder: Path  # its cache entry: registry.parquet, rejects.parquet, warnings.parquet, manifest.parquet
    errors: list[IngestError]
    reused: bool


@dataclass
class PeriodPart:
    """One period's outputs, in its cache entry folder; the manifest rows and errors at hand."""

    period: dt.date
    folder: Path
    manifest: pd.DataFrame
    errors: list[IngestError]
    read: list[str]  # files of the period read this run
    judged: bool  # its checks ran this run

    def frame(self, name: str) -> pd.DataFrame:
        """A plain table of the entry (``unmatched``), empty when the entry has none."""
        path = self.folder / f"{name}.parquet"
        return pd.read_parquet(path) if path.is_file() else pd.DataFrame()


def read_all(reports: list[FileReport], aliases: AliasTable, counties: CountyTable) -> RawRows:
    """Every readable file's blocks, stacked; a file that fails gets its error and is left out."""
    blocks = []
    for i, rep in enumerate(reports):
        if rep.error is not None:
            continue
        try:
            blocks.extend(read_report(rep, i, aliases, counties))
        except IngestError as exc:
            rep.error = exc
    return RawRows(blocks)


def _file_counties(kept: pd.DataFrame, reports: list[FileReport], counties: CountyTable) -> None:
    order = {n: i for i, n in enumerate(counties.names)}
    for file_id, c in kept.groupby("_file")["county"].unique().items():
        reports[int(file_id)].counties = sorted({x for x in c if isinstance(x, str)},
                                                key=lambda n: (order.get(n, len(order)), n))


@contextlib.contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector: reading makes millions of acyclic cell objects, and
    each automatic collection would walk all of them again (≈30 % of the run on a province)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def clean(
    raw: Path,
    out: Path | None = None,
    *,
    counties_file: Path = config.COUNTIES_FILE,
    headers_file: Path = config.HEADERS_FILE,
    write: bool = True,
    cache: Path | bool | None = None,
    full: bool = False,
) -> CleanResult:
    """Clean RAW into returns/registry/rejects/warnings/manifest; validate all five, then write them.

    ``out`` defaults to pipelines.config.PROCESSED_DIR; ``write=False`` returns the tables only.
    ``cache``: where each file's cleaned result is kept between runs (default
    ``<out>/.cache/clean``; ``False``: none); ``full=True`` uses nothing from it and rebuilds it.
    Data problems never raise: they become rejects, warnings and manifest rows (see
    ``CleanResult.errors``); an :class:`OutputSchemaError` means a bug and nothing is written.
    """
    raw, out = Path(raw), Path(out) if out is not None else config.PROCESSED_DIR
    with _no_cyclic_gc(), contextlib.ExitStack() as stack:
        target = out if write else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rwb-clean-")))
        if cache is None and write:
            cache = out / config.CLEAN_CACHE_DIR
        kept = bool(cache)
        if not cache:  # a cache for this run only, beside the outputs (so they can be hard links into it)
            cache = target / config.CLEAN_CACHE_DIR / f"run-{uuid.uuid4().hex[:8]}"
            stack.callback(shutil.rmtree, cache, True)
        result = _clean(raw, target, counties_file=Path(counties_file), headers_file=Path(headers_file),
                        cache=Path(cache), full=full)
        result.cache = Path(cache) if kept else None
        if not write:  # the tables into memory before the temporary folder goes
            result.frames = {name: result.table(name) for name in ("returns", "rejects", "warnings")}
            result.outputs = {}
        return result


def _clean(raw: Path, out: Path, *, counties_file: Path, headers_file: Path, cache: Path, full: bool) -> CleanResult:
    aliases = alias_table(headers_file)
    counties = CountyTable.from_yaml(counties_file)
    rules = matching()
    found = discover(raw)
    store = CleanCache(cache, code_version(counties_file, headers_file), full=full)
    for rep in [*found.registry, *found.returns]:
        if rep.error is None:  # the key of its cached result; read_report sets the same when it reads
            rep.sha256 = store.sha256(rep.path)

    reg = _registry(found.registry, store, aliases, counties, rules)
    parts = [_period(p, found.periods[p], [r for r in found.returns if r.period == p], reg, store, aliases, rules)
             for p in sorted(found.periods)]
    strays = [r for r in found.returns if r.period is None]

    manifest = pd.concat([pd.read_parquet(reg.folder / "manifest.parquet"), *(p.manifest for p in parts),
                          manifest_frame(strays)], ignore_index=True)
    read = set(p for part in parts for p in part.read) | {r.rel for r in strays}
    if not reg.reused:
        read |= {r.rel for r in found.registry}
    manifest["reused"] = pd.array(~manifest["path"].isin(read), dtype="boolean")
    manifest = schema.enforce(manifest, "manifest")
    undated = _undated(reg, parts, strays)

    outputs: dict[str, Path] = {}
    with table_sets.table_set(out, "clean") as tables:
        for part in parts:
            for name in DATED:
                table_sets.link_or_copy(part.folder / f"{name}.parquet", tables.partition(name, part.period))
        for name, frame in undated.items():
            table_sets.write_partition(frame, tables.partition(name, None))
        table_sets.link_or_copy(reg.folder / "registry.parquet", tables.file("registry"))
        tables.write("manifest", manifest)
        outputs = {name: tables.public(name) for name in OUTPUT_TABLES}
    store.prune()

    errors = [*reg.errors, *(e for p in parts for e in p.errors), *(r.error for r in strays if r.error is not None)]
    unmatched = [p.frame("unmatched") for p in parts]
    unmatched = [u for u in unmatched if len(u)]
    return CleanResult(
        registry=reg.table, manifest=manifest, errors=errors, outputs=outputs,
        unmatched=pd.concat(unmatched, ignore_index=True) if unmatched else pd.DataFrame(columns=O.UNMATCHED_COLUMNS),
        read=sorted(read & set(manifest["path"])), reused=sorted(set(manifest["path"]) - read),
        judged=[pd.Timestamp(p.period) for p in parts if p.judged], cache=cache,
    )


# --- the registry ----------------------------------------------------------------------------------

def _registry(reports: list[FileReport], store: CleanCache, aliases: AliasTable, counties: CountyTable,
              rules: Matching) -> RegistryPart:
    """The registry cleaned once per change of its files (or of the code)."""
    key = store.key("registry", [[r.rel, r.sha256] for r in reports])
    folder = store.get("registry", key)
    if folder is not None:
        try:
            entry = read_json(folder / DONE)
            return _registry_part(key, folder, entry, counties, reused=True)
        except (OSError, ValueError, KeyError):
            store.drop("registry", key)
    reg_raw = read_all(reports, aliases, counties)
    pairs: list[list[Any]] = []
    if len(reg_raw) and "county" in reg_raw.columns:
        frame = pd.DataFrame({
            "county": V.to_names(reg_raw["county"]),
            "code": V.to_text(reg_raw["county_code"]) if "county_code" in reg_raw.columns else None,
        }).drop_duplicates()  # a few distinct (county, code) pairs, not one per branch
        pairs = [[c if isinstance(c, str) else None, k if isinstance(k, str) else None]
                 for c, k in zip(frame["county"], frame["code"])]
    extended = _extended(counties, pairs)
    stage = judge_rows(reg_raw, reports, "registry", extended, aliases)
    checked = check_period(stage, reports, "registry", None, rules)
    registry = _enforce(O.registry_table(checked.kept, extended), "registry")
    _file_counties(checked.kept, reports, extended)
    rec = checked.rejects.copy()
    rec["raw_value"] = F.record_raw_values(rec, stage.df, reg_raw)
    rejects = _enforce(O.rejects_table([O.row_rejects(rec, stage.df, reports)], reports), "rejects")
    warnings = _enforce(O.warnings_table(reports, []), "warnings")
    manifest = manifest_frame(reports)
    entry = {"pairs": pairs, "errors": [F.error_record(r.error) for r in reports if r.error is not None]}
    with store.put("registry", key) as tmp:
        registry.to_parquet(tmp / "registry.parquet", index=False, compression="zstd")
        for name, frame in (("rejects", rejects), ("warnings", warnings), ("manifest", manifest)):
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        write_json(tmp / DONE, entry)
    return _registry_part(key, store.path("registry", key), entry, counties, reused=False, table=registry)


def _extended(counties: CountyTable, pairs: list[list[Any]]) -> CountyTable:
    if not pairs:
        return counties
    frame = pd.DataFrame(pairs, columns=["county", "code"])
    return counties.extended(pd.array(frame["county"], dtype="str").tolist(),
                             pd.array(frame["code"], dtype="str").tolist())


def _registry_part(key: str, folder: Path, entry: dict[str, Any], counties: CountyTable, *, reused: bool,
                   table: pd.DataFrame | None = None) -> RegistryPart:
    table = table if table is not None else pd.read_parquet(folder / "registry.parquet")
    return RegistryPart(key=key, table=table, counties=_extended(counties, entry["pairs"]),
                        counties_key=key_of(entry["pairs"]), folder=folder,
                        errors=[F.error_from(e) for e in entry["errors"]], reused=reused)


# --- one period --------------------------------------------------------------------------------------

def _period(period: dt.date, written: str, reports: list[FileReport], reg: RegistryPart, store: CleanCache,
            aliases: AliasTable, rules: Matching) -> PeriodPart:
    """A period's outputs: whole from the cache when its files and the registry are unchanged; else
    checked again over all its files, each file read only when its own result is not cached."""
    day = period.isoformat()
    file_keys = [store.key("files", reg.counties_key, r.rel, day, r.sha256) for r in reports]
    key = store.key("periods", reg.key, day, written, [[r.rel, k] for r, k in zip(reports, file_keys)])
    folder = store.get("periods", key)
    if folder is not None:
        try:
            entry = read_json(folder / DONE)
            for fkey in file_keys:
                store.keep("files", fkey)
            return PeriodPart(period, folder, pd.read_parquet(folder / "manifest.parquet"),
                              [F.error_from(e) for e in entry["errors"]], read=[], judged=False)
        except (OSError, ValueError, KeyError):
            store.drop("periods", key)

    results: dict[int, F.FileResult] = {}
    for i, (rep, fkey) in enumerate(zip(reports, file_keys)):
        hit = store.get("files", fkey)
        if hit is None:
            continue
        try:
            results[i] = F.load(hit)
        except (OSError, ValueError, KeyError):
            store.drop("files", fkey)
    todo = [i for i in range(len(reports)) if i not in results]
    for i, res in zip(todo, _judge([reports[i] for i in todo], aliases, reg.counties)):
        with store.put("files", file_keys[i]) as tmp:
            F.save(res, tmp)
        results[i] = res
    for i, rep in enumerate(reports):
        F.restore(rep, results[i].facts)  # the same state whether read now or taken from the cache

    stage = F.stack([results[i] for i in range(len(reports))])
    n_file_records = len(stage.rejects)
    checked = check_period(stage, reports, "returns", reg.table if len(reg.table) else None, rules)
    _file_counties(checked.kept, reports, reg.counties)
    rec = checked.rejects.copy()
    rec["raw_value"] = F.period_raw_values(rec, stage.df, n_file_records)
    run_level = [] if any(r.error is None for r in reports) else [
        Warn("period_without_returns", written + "/", {"period": day}, period=period)]
    tables = {
        "returns": _enforce(O.returns_table(checked.kept, reports, reg.counties), "returns"),
        "rejects": _enforce(O.rejects_table([O.row_rejects(rec, stage.df, reports)], reports), "rejects"),
        "warnings": _enforce(O.warnings_table(reports, run_level), "warnings"),
    }
    manifest = manifest_frame(reports)
    unmatched = O.unmatched_table(checked.unmatched, reports, reg.counties)
    errors = [r.error for r in reports if r.error is not None]
    with store.put("periods", key) as tmp:
        for name, frame in tables.items():
            at = frame["period"] == pd.Timestamp(period)
            if (~at & frame["period"].notna()).any():
                raise RuntimeError(f"{name} rows of {day} carry another period")
            table_sets.write_partition(frame.loc[at], tmp / f"{name}.parquet")
            if not at.all():  # rows of no period (a lock-file name's note): the undated partition
                frame.loc[~at].to_parquet(tmp / f"{name}_undated.parquet", index=False)
        manifest.to_parquet(tmp / "manifest.parquet", index=False)
        if len(unmatched):
            unmatched.to_parquet(tmp / "unmatched.parquet", index=False)
        write_json(tmp / DONE, {"errors": [F.error_record(e) for e in errors], "files": [r.rel for r in reports]})
    return PeriodPart(period, store.path("periods", key), manifest, errors,
                      read=[reports[i].rel for i in todo], judged=True)


def _judge(reports: list[FileReport], aliases: AliasTable, counties: CountyTable) -> list[F.FileResult]:
    """Read and judge files together (whole-column speed), then cut the result per file."""
    if not reports:
        return []
    raw = read_all(reports, aliases, counties)
    stage = judge_rows(raw, reports, "returns", counties, aliases)
    return F.split(stage, raw, reports)


# --- rows of no period -------------------------------------------------------------------------------

def _undated(reg: RegistryPart, parts: list[PeriodPart], strays: list[FileReport]) -> dict[str, pd.DataFrame]:
    """The undated partitions, in the order of a whole clean: the registry's rows, each period's
    rows of no period, files outside any period folder, then the run's own warnings. The cached
    pieces were checked against the schema when they were made; the rest is checked now."""
    run_level = [Warn("no_registry", None)] if reg.table.empty else []
    out = {"returns": schema.empty("returns")}
    for name, own in (("rejects", O.rejects_table([], strays)), ("warnings", O.warnings_table(strays, run_level))):
        pieces = [pd.read_parquet(reg.folder / f"{name}.parquet")]
        pieces += [pd.read_parquet(p.folder / f"{name}_undated.parquet") for p in parts
                   if (p.folder / f"{name}_undated.parquet").is_file()]
        pieces.append(_enforce(own, name))
        usable = [p for p in pieces if len(p)]
        out[name] = O.as_schema(pd.concat(usable, ignore_index=True), name) if usable else schema.empty(name)
    return out


def _enforce(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """pipelines.schema.enforce; an empty frame made by outputs.as_schema has the schema's columns and
    dtypes by construction (a run has many periods with nothing rejected: each check costs ~0.1 s)."""
    return frame if frame.empty and list(frame.columns) == [c for c, _ in O._dtypes(name)] else \
        schema.enforce(frame, name)
