"""The registry and each period, cleaned — or taken whole from the clean stage's cache.

A period is taken from the cache when its files, the registry and the code are those of an entry;
otherwise its files are read (only those whose own result is not cached, stacked and judged
together for speed, then cut per file and kept) and the checks across files run again over all of
the period's files. The registry is cleaned first: it may name counties beyond counties.yaml, which
every file's result depends on. (``clean.py`` wires these steps; ``cache.py`` keeps the entries.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import schema, table_sets
from pipelines.ingest import file_results as F
from pipelines.ingest import outputs as O
from pipelines.ingest import values as V
from pipelines.ingest.cache import DONE, CleanCache, key_of, read_json, write_json
from pipelines.ingest.counties import CountyTable
from pipelines.ingest.errors import IngestError
from pipelines.ingest.headers import AliasTable
from pipelines.ingest.identity import Matching
from pipelines.ingest.manifest import FileReport, manifest_frame
from pipelines.ingest.period_checks import check_period
from pipelines.ingest.rows import judge_rows
from pipelines.ingest.sheets import read_report
from pipelines.ingest.tables import RawRows
from pipelines.ingest.warning_codes import Warn


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


def file_counties(kept: pd.DataFrame, reports: list[FileReport], counties: CountyTable) -> None:
    order = {n: i for i, n in enumerate(counties.names)}
    for file_id, c in kept.groupby("_file")["county"].unique().items():
        reports[int(file_id)].counties = sorted({x for x in c if isinstance(x, str)},
                                                key=lambda n: (order.get(n, len(order)), n))


# --- the registry ----------------------------------------------------------------------------------

def registry_part(reports: list[FileReport], store: CleanCache, aliases: AliasTable, counties: CountyTable,
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
                 for c, k in zip(frame["county"], frame["code"], strict=True)]
    extended = _extended(counties, pairs)
    stage = judge_rows(reg_raw, reports, "registry", extended, aliases)
    checked = check_period(stage, reports, "registry", None, rules)
    registry = enforce(O.registry_table(checked.kept, extended), "registry")
    file_counties(checked.kept, reports, extended)
    rec = checked.rejects.copy()
    rec["raw_value"] = F.record_raw_values(rec, stage.df, reg_raw)
    rejects = enforce(O.rejects_table([O.row_rejects(rec, stage.df, reports)], reports), "rejects")
    warnings = enforce(O.warnings_table(reports, []), "warnings")
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

def period_part(period: dt.date, written: str, reports: list[FileReport], reg: RegistryPart, store: CleanCache,
            aliases: AliasTable, rules: Matching) -> PeriodPart:
    """A period's outputs: whole from the cache when its files and the registry are unchanged; else
    checked again over all its files, each file read only when its own result is not cached."""
    day = period.isoformat()
    file_keys = [store.key("files", reg.counties_key, r.rel, day, r.sha256) for r in reports]
    key = store.key("periods", reg.key, day, written, [[r.rel, k] for r, k in zip(reports, file_keys, strict=True)])
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
    for i, fkey in enumerate(file_keys):
        hit = store.get("files", fkey)
        if hit is None:
            continue
        try:
            results[i] = F.load(hit)
        except (OSError, ValueError, KeyError):
            store.drop("files", fkey)
    todo = [i for i in range(len(reports)) if i not in results]
    for i, res in zip(todo, _judge([reports[i] for i in todo], aliases, reg.counties), strict=True):
        with store.put("files", file_keys[i]) as tmp:
            F.save(res, tmp)
        results[i] = res
    for i, rep in enumerate(reports):
        F.restore(rep, results[i].facts)  # the same state whether read now or taken from the cache

    stage = F.stack([results[i] for i in range(len(reports))])
    n_file_records = len(stage.rejects)
    checked = check_period(stage, reports, "returns", reg.table if len(reg.table) else None, rules)
    file_counties(checked.kept, reports, reg.counties)
    rec = checked.rejects.copy()
    rec["raw_value"] = F.period_raw_values(rec, stage.df, n_file_records)
    run_level = [] if any(r.error is None for r in reports) else [
        Warn("period_without_returns", written + "/", {"period": day}, period=period)]
    tables = {
        "returns": enforce(O.returns_table(checked.kept, reports, reg.counties), "returns"),
        "rejects": enforce(O.rejects_table([O.row_rejects(rec, stage.df, reports)], reports), "rejects"),
        "warnings": enforce(O.warnings_table(reports, run_level), "warnings"),
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


def enforce(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """pipelines.schema.enforce; an empty frame made by outputs.as_schema has the schema's columns and
    dtypes by construction (a run has many periods with nothing rejected: each check costs ~0.1 s)."""
    return frame if frame.empty and list(frame.columns) == [c for c, _ in O._dtypes(name)] else \
        schema.enforce(frame, name)
