"""The full run (the heavy path): notebooks, manifest check, rendering, tables, run.json, `latest`.

Everything here happens inside a run folder that is kept whatever the outcome; stderr (papermill,
the kernels, Chromium) goes to the run's nightly.log, filtered, so that cron stays quiet. Which
outcome moves `latest` is decided in :func:`promotion`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.nightly import record as rec
from pipelines.nightly import runfolder, store
from pipelines.nightly import steps as st
from pipelines.nightly.docx_step import write_run_docx
from pipelines.nightly.errors import ExitStatus, RunInterrupted, StepFailedError, clamp
from pipelines.nightly.feedback_step import write_run_feedback
from pipelines.nightly.fingerprint import Fingerprint
from pipelines.nightly.gitstate import CodeState
from pipelines.nightly.logfile import run_log
from pipelines.nightly.params import NightlyParams
from pipelines.nightly.render import render_report
from pipelines.nightly.runner import NightlyResult
from pipelines.nightly.signals import Interrupted, held, received

LOG_NAME = "nightly.log"


def stage_caches(reports: Path) -> Path:
    """The stages' caches of the nightly (``clean/``, ``metrics/``): beside the runs, kept from night to night."""
    return reports / config.NIGHTLY_CACHE_DIR

log = logging.getLogger("pipelines.nightly")


@dataclass(frozen=True)
class RunContext:
    """What a full run needs, decided by the runner before anything heavy is imported."""

    raw: Path
    reports: Path
    notebooks_dir: Path
    params: NightlyParams
    declared: dict[str, list[str]]
    runner_values: dict[str, Any]  # raw_dir, modified_code (processed_dir is added per run)
    code: CodeState
    fingerprint: Fingerprint
    fingerprint_s: float
    abandoned: list[str]
    say: Callable[[str], None]
    full: bool = False  # --full: the clean stage's cache discarded (not in the fingerprint: it changes no output)


def execute_run(ctx: RunContext) -> NightlyResult:
    # The log starts beside the run folders and moves into the run folder once that exists.
    pending = ctx.reports / f".nightly-{os.getpid()}.log"
    try:
        with run_log(pending):
            return _execute(pending, ctx)
    finally:
        with contextlib.suppress(FileNotFoundError):
            pending.unlink()


def _new_record(ctx: RunContext, run_dir: Path, started: dt.datetime, tables: Path) -> dict[str, Any]:
    return {
        "run_id": run_dir.name,
        "status": "running",
        "start": started.isoformat(timespec="seconds"),
        "end": None,
        "duration_s": None,
        "folders": {"raw": str(ctx.raw), "tables": str(tables), "reports": str(ctx.reports),
                    "notebooks": str(ctx.notebooks_dir)},
        "parameters": ctx.params.as_record(),
        "fingerprint": ctx.fingerprint.as_record(),
        "inputs": ctx.fingerprint.inputs,
        "code": ctx.code.as_record(),
        "versions": rec.versions(),
        "pid": os.getpid(),
        "timings_s": {"fingerprint": round(ctx.fingerprint_s, 3)},
        "steps": [],
        "render": {},
        "docx": {},
        "feedback": {},
        "tables": {},
        "rows": {},
        "manifest": {},
        "incomplete_files": [],
        "clean": {"full": ctx.full, "cache": str(stage_caches(ctx.reports) / config.CLEAN_CACHE), "read": [], "reused": 0},
        "incomplete": {"input": False, "pdf": None, "docx": None, "feedback": None},
        "warnings": [],
        "error": None,
        "latest": False,
        "not_promoted": None,
        "abandoned_found": ctx.abandoned,
        "pruned": [],
    }


def _execute(pending_log: Path, ctx: RunContext) -> NightlyResult:
    reports, params, say = ctx.reports, ctx.params, ctx.say
    started = dt.datetime.now().astimezone()
    run_dir = runfolder.new_run_dir(reports, started)
    tables = store.tables_dir(run_dir)
    tables.mkdir()
    os.replace(pending_log, run_dir / LOG_NAME)  # open handles keep writing to the moved file
    values = {**ctx.runner_values, "processed_dir": str(tables), "cache_dir": str(stage_caches(ctx.reports)),
              "full": ctx.full}
    step_records = [st.StepRecord(s.name, s.notebook, params.for_notebook(s.name, ctx.declared[s.name], values))
                    for s in st.STEPS]
    record = _new_record(ctx, run_dir, started, tables)

    def save() -> None:
        record["steps"] = [vars(r) for r in step_records]
        runfolder.write_json(run_dir / runfolder.RUN_JSON, record)

    save()
    log.info("run %s: raw=%s tables=%s", run_dir.name, ctx.raw, tables)
    log.info("parameters: %s", params.as_record())
    _log_code(ctx.code)
    if ctx.abandoned:
        log.warning("closed runs left by a dead process as abandoned: %s", ", ".join(ctx.abandoned))
    if ctx.code.modified and "modified_code" not in ctx.declared.get(st.STEPS[-1].name, []):
        record["warnings"].append(f"{st.STEPS[-1].notebook} declares no modified_code parameter: "
                                  "the report cannot say it was made from modified code")
    n = len(st.STEPS) + 1
    status, error = "ok", None
    t_run = time.perf_counter()
    current = st.STEPS[0].name
    try:
        for i, (step, srec) in enumerate(zip(st.STEPS, step_records, strict=True), start=1):
            current = step.name
            say(f"[{i}/{n}] {step.name} …")
            srec.status, srec.started = "running", dt.datetime.now().astimezone().isoformat(timespec="seconds")
            save()
            log.info("step %s: started, parameters %s", step.name, srec.parameters)
            t0 = time.perf_counter()
            try:
                srec.cells = st.execute(step, ctx.notebooks_dir, run_dir / step.notebook, srec.parameters,
                                        params.settings)
            finally:
                srec.duration_s = round(time.perf_counter() - t0, 3)
            srec.status = "ok"
            log.info("step %s: ok in %.1f s (%s cells)", step.name, srec.duration_s, srec.cells)
            say(f"[{i}/{n}] {step.name} ok ({srec.duration_s:.1f} s)")
            if step.name == "01_clean":
                _check_manifest(tables, record)
            save()
        current = "render"
        say(f"[{n}/{n}] render …")
        t0 = time.perf_counter()
        report_params = step_records[-1].parameters
        # The documents first: the HTML report links to those that were written.
        record["docx"] = write_run_docx(run_dir, report_params) if params.settings.get("docx", True) else \
            {"path": None, "error": None, "off": "docx: false"}
        if record["docx"].get("figures_error"):
            record["warnings"].append(f"report.docx without its figures: {record['docx']['figures_error']}")
        record["feedback"] = write_run_feedback(run_dir, tables, report_params.get("period"))
        links = [run_dir / p for p in [record["docx"]["path"], *record["feedback"]["files"].values()] if p]
        record["render"] = render_report(
            run_dir / st.STEPS[-1].notebook, run_dir, pdf=bool(params.settings["pdf"]),
            incomplete=record["incomplete_files"], language=str(report_params.get("language") or "zh"), links=links,
        )
        record["render"]["duration_s"] = round(time.perf_counter() - t0, 3)
        record["warnings"].extend(record["render"].pop("warnings", []))
        record["incomplete"] = {"input": bool(record["incomplete_files"]), "pdf": record["render"].get("pdf_error"),
                                "docx": record["docx"]["error"], "feedback": record["feedback"]["error"]}
        missing = [name for name, key in (("PDF", "pdf"), ("docx", "docx"), ("feedback", "feedback"))
                   if record["incomplete"][key]]
        say(f"[{n}/{n}] render {'ok' if not missing else 'incomplete (no ' + ', '.join(missing) + ')'}"
            f" ({record['render']['duration_s']:.1f} s)")
        status = "incomplete" if any(record["incomplete"].values()) else "ok"
    except (KeyboardInterrupt, Interrupted, asyncio.CancelledError, Exception) as exc:
        status, error = _stopped(exc, run_dir, current)
    for srec in step_records:
        if srec.status == "running":
            srec.status = "interrupted" if status == "interrupted" else "failed"
    if error is not None:
        log.error("%s", error.one_line())
        record["error"] = {
            "step": error.step, "cell": error.cell_index, "exec_count": error.exec_count,
            "source_line": error.source_line, "ename": error.ename, "evalue": error.evalue,
            "line": error.one_line(), "notebook": str(error.notebook) if error.notebook else None,
        }
    with held():
        _finish(ctx, run_dir, record, status, save, t_run, started)
    return _result(ctx, run_dir, record, error)


def _stopped(exc: BaseException, run_dir: Path, current: str) -> tuple[str, StepFailedError]:
    """The status and error for a run that did not reach its end: ``interrupted`` if a signal came
    (whatever the unwinding raised: a signal during a step cancels nbclient's tasks), else ``failed``."""
    signame = received() or (str(exc) if isinstance(exc, Interrupted) else None) or \
        ("SIGINT" if isinstance(exc, KeyboardInterrupt) else None)
    if signame is not None:
        executed = run_dir / f"{current}.ipynb"
        cell, count, code = st.failed_cell(executed) if executed.exists() else (None, None, None)
        return "interrupted", RunInterrupted(current, f"stopped by {signame}", cell_index=cell, exec_count=count,
                                             source_line=code, notebook=executed if executed.exists() else None)
    if isinstance(exc, StepFailedError):
        return "failed", exc
    if not isinstance(exc, Exception):
        raise exc
    # a crash of ours or of the renderer: still a clear line and a record
    log.error("crash in %s", current, exc_info=exc)
    return "failed", StepFailedError(current, f"{type(exc).__name__}: {exc}", notebook=run_dir / LOG_NAME)


def _finish(ctx: RunContext, run_dir: Path, record: dict[str, Any], status: str, save: Callable[[], None],
            t_run: float, started: dt.datetime) -> None:
    """Keep the tables, close run.json, move `latest` when the run earns it, prune, seal."""
    reports = ctx.reports
    try:
        record["tables"], warnings = store.keep_tables(reports, run_dir)
        record["rows"] = {name: facts["rows"] for name, facts in record["tables"].items()}
        record["warnings"].extend(warnings)
    except Exception as exc:  # noqa: BLE001 - the run's outcome stands; without "tables" it is no skip reference
        log.exception("could not keep the tables in the store")
        record.pop("tables", None)
        record["warnings"].append(f"tables not kept in the store: {exc}")
    ended = dt.datetime.now().astimezone()
    record.update(status=status, end=ended.isoformat(timespec="seconds"),
                  duration_s=round((ended - started).total_seconds(), 3))
    record["timings_s"]["steps_and_render"] = round(time.perf_counter() - t_run, 3)
    promote, reason = promotion(status, record["incomplete"], ctx.params)
    record["latest"], record["not_promoted"] = promote, reason
    save()
    if promote:
        try:
            runfolder.promote(reports, run_dir)
            log.info("latest → %s", run_dir.name)
        except Exception as exc:  # noqa: BLE001
            log.exception("could not switch latest")
            record["latest"] = False
            record["warnings"].append(f"latest not switched: {exc}")
            record["status"] = "failed"
            record["error"] = {"step": "latest", "line": clamp(f"nightly: FAILED: could not switch latest: {exc}")}
            save()
    elif reason:
        log.info("latest not moved: %s", reason)
    keep = ctx.params.settings.get("keep_runs") or 0
    pruned = runfolder.prune(reports, int(keep), current=run_dir)
    if pruned:
        log.info("retention (keep %s): removed %s", keep, ", ".join(p.name for p in pruned))
        record["pruned"] = [p.name for p in pruned]
        save()
    freed = store.collect_garbage(reports)
    if freed:
        log.info("store: removed %d tables no run links to any more", len(freed))
    log.info("run %s: %s in %.1f s", run_dir.name, record["status"], record["duration_s"])
    runfolder.seal(run_dir)  # open handles (this log) may still append; nobody can rewrite a file


def promotion(status: str, incomplete: dict[str, Any], params: NightlyParams) -> tuple[bool, str | None]:
    """(move `latest`?, why not). Only a report made as configured replaces the office's report."""
    if status not in ("ok", "incomplete"):
        return False, None
    if params.configured.get("pdf") and not params.settings.get("pdf"):
        return False, "made with -p pdf=false while nightly.yaml prints a PDF: kept in runs/ only"
    if params.configured.get("docx", True) and not params.settings.get("docx", True):
        return False, "made with -p docx=false while nightly.yaml writes report.docx: kept in runs/ only"
    if status == "incomplete" and not params.settings.get("promote_incomplete"):
        return False, "incomplete and promote_incomplete is false"
    return True, None


def _result(ctx: RunContext, run_dir: Path, record: dict[str, Any], error: StepFailedError | None) -> NightlyResult:
    status = record["status"]
    exit_status = {"ok": ExitStatus.OK, "incomplete": ExitStatus.INCOMPLETE,
                   "interrupted": ExitStatus.INTERRUPTED}.get(status, ExitStatus.FAILED)
    report = Path(record["render"]["html"]) if record["render"].get("html") else None
    latest = "report.html promoted to latest" if record["latest"] else "latest not moved"
    note = ""
    if error is not None:
        message = error.one_line()
    elif record.get("error"):
        message = record["error"]["line"]
    elif status == "incomplete":
        parts = []
        if record["incomplete"]["input"]:
            files = ", ".join(f"{f['path']} ({f['status']})" for f in record["incomplete_files"])
            parts.append(f"input not usable: {files}")
        if record["incomplete"]["pdf"]:
            parts.append(f"report.pdf not printed: {record['incomplete']['pdf']}")
        if record["incomplete"].get("docx"):
            parts.append(f"report.docx not written: {record['incomplete']['docx']}")
        if record["incomplete"].get("feedback"):
            parts.append(f"feedback workbooks not written: {record['incomplete']['feedback']}")
        see = f" — see {run_dir / LOG_NAME}"
        message = clamp(f"nightly: INCOMPLETE, {'; '.join(parts)}; {latest}", 300 - len(see)) + see
    else:
        message = str(report)
    if record.get("not_promoted") and exit_status == ExitStatus.OK:  # otherwise the message says it
        note = clamp(f"nightly: run {run_dir.name} {record['not_promoted']}; latest stays at the previous run")
    return NightlyResult(status=status, exit_status=exit_status, run_dir=run_dir, report=report, message=message,
                         latest_moved=bool(record["latest"]), error=error, record=record, note=note)


def _log_code(code: CodeState) -> None:
    if code.commit is None:
        log.warning("code: could not tell whether it is as committed (%s)", code.note)
    elif code.modified:
        log.warning("code: made from modified code (--allow-dirty), commit %s; modified: %s",
                    code.commit[:10], ", ".join(code.modified))
    else:
        log.info("code: as committed, %s", code.commit[:10])


def _check_manifest(tables: Path, record: dict[str, Any]) -> None:
    """Decide "incomplete input" from manifest.parquet, not from a notebook exception."""
    manifest = rec.read_manifest(tables)
    if manifest is None:
        raise StepFailedError("01_clean", f"the notebook succeeded but wrote no {tables}/manifest.parquet")
    record["manifest"] = {"files": len(manifest)}
    for row in manifest:
        key = str(row.get("status"))
        record["manifest"][key] = record["manifest"].get(key, 0) + 1
    # which files 01_clean read tonight and how many it took from its cache (manifest column reused)
    record["clean"]["read"] = [row.get("path") for row in manifest if not row.get("reused")]
    record["clean"]["reused"] = sum(1 for row in manifest if row.get("reused"))
    log.info("01_clean read %d files, reused %d from its cache%s", len(record["clean"]["read"]),
             record["clean"]["reused"], " (--full: cache discarded)" if record["clean"]["full"] else "")
    record["incomplete_files"] = rec.incomplete_files(manifest)
    record["warnings"].extend(rec.manifest_warnings(manifest))
    for f in record["incomplete_files"]:
        log.warning("incomplete input: %s (%s)", f["path"], f["status"])
