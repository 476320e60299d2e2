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
from pipelines.ingest import outputs as O
from pipelines.ingest.cache import CleanCache, code_version
from pipelines.ingest.cached_steps import (
    PeriodPart,
    RegistryPart,
    enforce,
    period_part,
    registry_part,
)
from pipelines.ingest.counties import CountyTable
from pipelines.ingest.discover import discover
from pipelines.ingest.errors import IngestError
from pipelines.ingest.headers import alias_table
from pipelines.ingest.identity import matching
from pipelines.ingest.manifest import FileReport, manifest_frame
from pipelines.ingest.warning_codes import Warn

__all__ = ["OUTPUT_TABLES", "CleanResult", "clean"]

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
        folder = Path(cache) if isinstance(cache, (str, Path)) else \
            out / config.CLEAN_CACHE_DIR if cache is True or (cache is None and write) else None
        kept = folder is not None
        if folder is None:  # a cache for this run only, beside the outputs (so they can be hard links into it)
            folder = target / config.CLEAN_CACHE_DIR / f"run-{uuid.uuid4().hex[:8]}"
            stack.callback(shutil.rmtree, folder, True)
        result = _clean(raw, target, counties_file=Path(counties_file), headers_file=Path(headers_file),
                        cache=folder, full=full)
        result.cache = folder if kept else None
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

    reg = registry_part(found.registry, store, aliases, counties, rules)
    parts = [period_part(p, found.periods[p], [r for r in found.returns if r.period == p], reg, store, aliases, rules)
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
        table_sets.link_or_copy(reg.folder / "registry.parquet", tables.path("registry"))
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
        pieces.append(enforce(own, name))
        usable = [p for p in pieces if len(p)]
        out[name] = O.as_schema(pd.concat(usable, ignore_index=True), name) if usable else schema.empty(name)
    return out


