"""The cleaning stage's one API function: ``clean(raw, out) -> CleanResult``.

Wiring only; each step lives in its own module:

1. ``discover``: which files are returns of which period, which are the registry, which are skipped;
2. ``sheets`` (with ``readers``, ``headers``, ``tables``): each file read alone into raw blocks;
3. ``rows``: every file's rows parsed and judged (row rules, totals, hidden rows) — still per file;
4. ``period_checks``: what spans files — registry matching, corrections, duplicates;
5. ``outputs``: returns, registry, rejects, warnings and manifest, validated against
   pipelines.schema, then written together (all or none, ``pipelines.io.staged``).

Steps 2–3 make each file's rows, rejects and warnings a function of its bytes, its period, the
domain data (including the registry's county list) and the code; only step 4 looks across files.
The registry is cleaned first, the same way: it may name counties beyond counties.yaml.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines import config, schema
from pipelines.ingest import outputs as O
from pipelines.ingest import values as V
from pipelines.ingest.counties import CountyTable
from pipelines.ingest.discover import discover
from pipelines.ingest.errors import IngestError
from pipelines.ingest.headers import AliasTable, alias_table
from pipelines.ingest.identity import matching
from pipelines.ingest.manifest import FileReport, manifest_frame
from pipelines.ingest.period_checks import check_period
from pipelines.ingest.rows import judge_rows
from pipelines.ingest.sheets import read_report
from pipelines.ingest.tables import RawRows
from pipelines.ingest.warning_codes import Warn
from pipelines.io import staged

OUTPUT_FILES = {"returns": config.RETURNS_FILE, "registry": config.REGISTRY_FILE, "rejects": config.REJECTS_FILE,
                "warnings": config.WARNINGS_FILE, "manifest": config.MANIFEST_FILE}


@dataclass
class CleanResult:
    """The five tables (as written), unmatched branches, the errors per file, and where they went."""

    returns: pd.DataFrame
    registry: pd.DataFrame
    rejects: pd.DataFrame
    manifest: pd.DataFrame
    warnings: pd.DataFrame
    unmatched: pd.DataFrame
    errors: list[IngestError] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        """0 when every file was read; 1 when any was unreadable or lacked a required column."""
        return 1 if self.errors else 0


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


def _run_warnings(found, registry: pd.DataFrame) -> list[Warn]:  # noqa: ANN001
    out = []
    if registry.empty:
        out.append(Warn("no_registry", None))
    for period in sorted(found.periods):
        files = [r for r in found.returns if r.period == period]
        if not any(r.error is None for r in files):
            out.append(Warn("period_without_returns", found.periods[period] + "/", {"period": period.isoformat()},
                            period=period))
    return out


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
) -> CleanResult:
    """Clean RAW into returns/registry/rejects/warnings/manifest; validate all five, then write them.

    ``out`` defaults to pipelines.config.PROCESSED_DIR; ``write=False`` returns the tables only.
    Data problems never raise: they become rejects, warnings and manifest rows (see
    ``CleanResult.errors``); an :class:`OutputSchemaError` means a bug and nothing is written.
    """
    with _no_cyclic_gc():
        return _clean(Path(raw), Path(out) if out is not None else config.PROCESSED_DIR,
                      counties_file=counties_file, headers_file=headers_file, write=write)


def _clean(raw: Path, out: Path, *, counties_file: Path, headers_file: Path, write: bool) -> CleanResult:
    aliases = alias_table(Path(headers_file))
    counties = CountyTable.from_yaml(Path(counties_file))
    rules = matching()
    found = discover(raw)
    reg_reports, ret_reports = found.registry, found.returns

    # the registry first: it may name counties beyond counties.yaml
    reg_raw = read_all(reg_reports, aliases, counties)
    if len(reg_raw) and "county" in reg_raw.columns:
        pairs = pd.DataFrame({
            "county": V.to_names(reg_raw["county"]),
            "code": V.to_text(reg_raw["county_code"]) if "county_code" in reg_raw.columns else None,
        }).drop_duplicates()  # a few distinct (county, code) pairs, not one per branch
        counties = counties.extended(pairs["county"].tolist(), pairs["code"].tolist())
    reg_stage = judge_rows(reg_raw, reg_reports, "registry", counties, aliases)
    reg = check_period(reg_stage, reg_reports, "registry", None, rules)
    registry = O.registry_table(reg.kept, counties)
    _file_counties(reg.kept, reg_reports, counties)

    ret_raw = read_all(ret_reports, aliases, counties)
    ret_stage = judge_rows(ret_raw, ret_reports, "returns", counties, aliases)
    ret = check_period(ret_stage, ret_reports, "returns", registry if len(registry) else None, rules)
    _file_counties(ret.kept, ret_reports, counties)
    returns = O.returns_table(ret.kept, ret_reports, counties)
    unmatched = O.unmatched_table(ret.unmatched, ret_reports, counties)

    all_reports = reg_reports + ret_reports
    reg_rej = O.row_rejects(reg.rejects, reg_stage.df, reg_raw, reg_reports)
    ret_rej = O.row_rejects(ret.rejects, ret_stage.df, ret_raw, ret_reports)
    if len(ret_rej):
        ret_rej["_file"] += len(reg_reports)
    rejects = O.rejects_table([reg_rej, ret_rej], all_reports)
    warnings = O.warnings_table(all_reports, _run_warnings(found, registry))
    manifest = manifest_frame(all_reports)

    tables = {
        "returns": schema.enforce(returns, "returns"),
        "registry": schema.enforce(registry, "registry"),
        "rejects": schema.enforce(rejects, "rejects"),
        "warnings": schema.enforce(warnings, "warnings"),
        "manifest": schema.enforce(manifest, "manifest"),
    }
    outputs: dict[str, Path] = {}
    if write:  # all validated above: written together, all or none
        with staged() as stage:
            for name, df in tables.items():
                outputs[name] = stage(df, out / OUTPUT_FILES[name])
    errors = [r.error for r in all_reports if r.error is not None]
    return CleanResult(
        returns=tables["returns"], registry=tables["registry"], rejects=tables["rejects"],
        manifest=tables["manifest"], warnings=tables["warnings"], unmatched=unmatched, errors=errors,
        outputs=outputs,
    )
