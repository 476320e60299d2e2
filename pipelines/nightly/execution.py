"""The full run (the heavy path): notebooks, manifest check, rendering, run.json, `latest`.

Everything here happens inside a run folder that is kept whatever the outcome; stderr (the
kernels' chatter, papermill's warnings) goes to the run's log so that cron stays quiet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.nightly import record as rec
from pipelines.nightly import runfolder
from pipelines.nightly.errors import ExitStatus, RunInterrupted, StepFailedError, UsageError
from pipelines.nightly.fingerprint import Fingerprint
from pipelines.nightly.kernels import KernelPool
from pipelines.nightly.params import NightlyParams, check_against_notebooks
from pipelines.nightly.render import render_report
from pipelines.nightly.runner import NightlyResult

LOG_NAME = "nightly.log"
log = logging.getLogger("pipelines.nightly")


class Interrupted(BaseException):
    """SIGTERM (systemd stop, kill) turned into an exception so the run folder is closed properly."""


@dataclass(frozen=True)
class RunContext:
    """What a full run needs, decided by the runner before anything heavy is imported."""

    raw: Path
    processed: Path
    reports: Path
    notebooks_dir: Path
    params: NightlyParams
    folders: dict[str, str]
    fingerprint: Fingerprint
    fingerprint_s: float
    say: Callable[[str], None]


def execute_run(ctx: RunContext) -> NightlyResult:
    # The log starts beside the run folders and moves into the run folder once that exists
    # (a usage error leaves no folder and no log); kernels inherit fd 2, so they write there too.
    pending = ctx.reports / f".nightly-{os.getpid()}.log"
    try:
        with _run_log(pending), _sigterm_raises(), KernelPool(
            ctx.params.settings["kernel"], ctx.notebooks_dir, ctx.params.settings.get("preload") or ()
        ) as pool:
            # The first kernel boots (~1 s) while this process imports papermill (~1 s).
            first_km = pool.start()
            from pipelines.nightly import steps as st

            return _execute(st, pool, first_km, pending, ctx)
    finally:
        with contextlib.suppress(FileNotFoundError):
            pending.unlink()


def _execute(st: Any, pool: KernelPool, km: Any, pending_log: Path, ctx: RunContext) -> NightlyResult:
    raw, processed, reports, notebooks_dir = ctx.raw, ctx.processed, ctx.reports, ctx.notebooks_dir
    params, folders, fingerprint, fingerprint_s, say = ctx.params, ctx.folders, ctx.fingerprint, ctx.fingerprint_s, ctx.say
    t_check = time.perf_counter()
    try:
        declared = st.declared_parameters(notebooks_dir)
    except StepFailedError as err:
        raise UsageError(f"nightly: {err.message}") from err
    check_against_notebooks(params, declared)
    check_s = time.perf_counter() - t_check

    started = dt.datetime.now().astimezone()
    run_dir = runfolder.new_run_dir(reports, started)
    os.replace(pending_log, run_dir / LOG_NAME)  # open handles keep writing to the moved file
    step_records = [
        st.StepRecord(s.name, s.notebook, params.for_notebook(s.name, declared[s.name], folders)) for s in st.STEPS
    ]
    record: dict[str, Any] = {
        "run_id": run_dir.name,
        "status": "running",
        "start": started.isoformat(timespec="seconds"),
        "end": None,
        "duration_s": None,
        "folders": {"raw": str(raw), "processed": str(processed), "reports": str(reports),
                    "notebooks": str(notebooks_dir)},
        "parameters": params.as_record(),
        "fingerprint": fingerprint.as_record(),
        "inputs": fingerprint.inputs,
        "code": rec.git_state(),
        "versions": rec.versions(),
        "pid": os.getpid(),
        "timings_s": {"fingerprint": round(fingerprint_s, 3), "parameter_check": round(check_s, 3)},
        "steps": [],
        "render": {},
        "rows": {},
        "manifest": {},
        "incomplete_files": [],
        "warnings": [],
        "error": None,
        "latest": False,
        "pruned": [],
    }

    def save() -> None:
        record["steps"] = [vars(r) for r in step_records]
        runfolder.write_json(run_dir / runfolder.RUN_JSON, record)

    save()
    n = len(st.STEPS) + 1
    status, error = "ok", None
    t_run = time.perf_counter()
    log.info("run %s: raw=%s processed=%s reports=%s", run_dir.name, raw, processed, reports)
    log.info("parameters: %s", params.as_record())
    current = st.STEPS[0].name
    try:
        for i, (step, srec) in enumerate(zip(st.STEPS, step_records, strict=True), start=1):
            current = step.name
            say(f"[{i}/{n}] {step.name} …")
            srec.status, srec.started = "running", dt.datetime.now().astimezone().isoformat(timespec="seconds")
            save()
            log.info("step %s: parameters %s", step.name, srec.parameters)
            t0 = time.perf_counter()
            next_km = pool.start() if i < len(st.STEPS) else None  # boots while this step runs
            try:
                srec.cells = st.execute(step, notebooks_dir, run_dir / step.notebook, srec.parameters,
                                        params.settings, km=km)
            finally:
                srec.duration_s = round(time.perf_counter() - t0, 3)
                pool.stop(km)
            km = next_km
            srec.status = "ok"
            log.info("step %s: ok in %.2f s", step.name, srec.duration_s)
            say(f"[{i}/{n}] {step.name} ok ({srec.duration_s:.1f} s)")
            if step.name == "01_clean":
                _check_manifest(processed, record)
            save()
        current = "render"
        say(f"[{n}/{n}] render …")
        t0 = time.perf_counter()
        record["render"] = render_report(
            run_dir / st.STEPS[-1].notebook, run_dir, pdf=bool(params.settings.get("pdf")),
            incomplete=record["incomplete_files"], language=str(step_records[-1].parameters.get("language") or "zh"),
        )
        record["render"]["duration_s"] = round(time.perf_counter() - t0, 3)
        record["warnings"].extend(record["render"].pop("warnings", []))
        say(f"[{n}/{n}] render ok ({record['render']['duration_s']:.1f} s)")
        status = "incomplete" if record["incomplete_files"] else "ok"
    except StepFailedError as err:
        status, error = "failed", err
    except (KeyboardInterrupt, Interrupted) as exc:
        status = "interrupted"
        signame = str(exc) if isinstance(exc, Interrupted) else "SIGINT"
        executed = run_dir / f"{current}.ipynb"
        cell, count, code = st.failed_cell(executed) if executed.exists() else (None, None, None)
        error = RunInterrupted(current, f"stopped by {signame}", cell_index=cell, exec_count=count,
                               source_line=code, notebook=executed if executed.exists() else None)
    except Exception as exc:  # a crash of ours or of the renderer: still a clear line and a record
        log.exception("crash in %s", current)
        status, error = "failed", StepFailedError(current, f"{type(exc).__name__}: {exc}")
    for srec in step_records:
        if srec.status == "running":
            srec.status = "interrupted" if status == "interrupted" else "failed"
    if error is not None:
        log.error("%s", error.one_line())
        record["error"] = {
            "step": error.step, "cell": error.cell_index, "exec_count": error.exec_count,
            "source_line": error.source_line,
            "ename": error.ename, "evalue": error.evalue, "line": error.one_line(),
            "notebook": str(error.notebook) if error.notebook else None,
        }
    with contextlib.suppress(Exception):
        record["rows"] = rec.row_counts(processed)
    ended = dt.datetime.now().astimezone()
    record.update(status=status, end=ended.isoformat(timespec="seconds"),
                  duration_s=round((ended - started).total_seconds(), 3))
    record["timings_s"]["steps_and_render"] = round(time.perf_counter() - t_run, 3)
    promote = status == "ok" or (status == "incomplete" and bool(params.settings.get("promote_incomplete")))
    record["latest"] = promote
    save()
    if promote:
        try:
            runfolder.promote(reports, run_dir)
            log.info("latest → %s", run_dir.name)
        except Exception as exc:  # noqa: BLE001
            log.exception("could not switch latest")
            record["latest"] = False
            record["warnings"].append(f"latest not switched: {exc}")
            status, error = "failed", StepFailedError("latest", f"could not switch latest: {exc}")
            record["status"] = status
            save()
    keep = params.settings.get("keep_runs") or 0
    pruned = runfolder.prune(reports, int(keep), current=run_dir)
    if pruned:
        log.info("retention (keep %s): removed %s", keep, ", ".join(p.name for p in pruned))
        record["pruned"] = [p.name for p in pruned]
        save()
    log.info("run %s: %s in %.1f s", run_dir.name, status, record["duration_s"])
    runfolder.seal(run_dir)  # open handles (this log) may still append; nobody can rewrite a file

    exit_status = {"ok": ExitStatus.OK, "incomplete": ExitStatus.INCOMPLETE,
                   "interrupted": ExitStatus.INTERRUPTED}.get(status, ExitStatus.FAILED)
    report = Path(record["render"]["html"]) if record["render"].get("html") else None
    if error is not None:
        message = error.one_line()
    elif status == "incomplete":
        files = ", ".join(f"{f['path']} ({f['status']})" for f in record["incomplete_files"])
        message = f"nightly: INCOMPLETE input, report produced but marked incomplete: {files} — {report}"
    else:
        message = str(report)
    return NightlyResult(status=status, exit_status=exit_status, run_dir=run_dir, report=report, message=message,
                         latest_moved=bool(record["latest"]), error=error, record=record)


def _check_manifest(processed: Path, record: dict[str, Any]) -> None:
    """Decide "incomplete input" from processed/manifest.parquet, not from a notebook exception."""
    manifest = rec.read_manifest(processed)
    if manifest is None:
        raise StepFailedError("01_clean", f"the notebook succeeded but wrote no {processed}/manifest.parquet")
    record["manifest"] = {"files": len(manifest)}
    for row in manifest:
        key = str(row.get("status"))
        record["manifest"][key] = record["manifest"].get(key, 0) + 1
    record["incomplete_files"] = rec.incomplete_files(manifest)
    record["warnings"].extend(rec.manifest_warnings(manifest))
    for f in record["incomplete_files"]:
        log.warning("incomplete input: %s (%s)", f["path"], f["status"])


@contextlib.contextmanager
def _run_log(path: Path) -> Iterator[None]:
    """Log to the run folder, and point fd 2 there too: kernels and papermill write to stderr."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("traitlets", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.stderr.flush()
    saved_fd = os.dup(2)
    log_fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Under systemd, `stop` sends SIGTERM: end the run as "interrupted" with its folder closed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted(signal.Signals(signum).name)

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
