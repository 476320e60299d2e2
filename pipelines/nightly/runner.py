"""``run_nightly``: check, lock, fingerprint, skip or run the three notebooks, render, record, promote.

The order matters for the guarantees: every parameter and the code state are checked first
(a refusal makes no folder and takes no lock), then the lock (two runs never interleave), then
runs left behind by a dead process are closed, then the fingerprint (a skip costs a few file stats
and one JSON read), then the checks that need the metrics stage, then the run folder (kept
whatever happens), and `latest` moves last, only after run.json says the run is good.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.nightly import abandoned, checks, runfolder, store
from pipelines.nightly import fingerprint as fp
from pipelines.nightly.errors import ExitStatus, NightlyError, StepFailedError, UsageError
from pipelines.nightly.lock import nightly_lock
from pipelines.nightly.params import NightlyParams, load_params
from pipelines.nightly.signals import interrupts_raise

Progress = Callable[[str], None]


@dataclasses.dataclass
class NightlyResult:
    """The outcome of one call: what happened, where, and the exit status it maps to."""

    status: str  # ok | incomplete | failed | skipped | interrupted
    exit_status: ExitStatus
    run_dir: Path | None = None
    report: Path | None = None
    message: str = ""
    skipped: bool = False
    latest_moved: bool = False
    error: StepFailedError | None = None
    record: dict[str, Any] = dataclasses.field(default_factory=dict)
    note: str = ""  # one line to show even on success (e.g. "not promoted: made with -p pdf=false")


def run_nightly(
    raw: str | os.PathLike[str] | None = None,
    reports: str | os.PathLike[str] | None = None,
    params: NightlyParams | Mapping[str, Any] | Iterable[str] | None = None,
    force: bool = False,
    *,
    full: bool = False,
    params_file: str | os.PathLike[str] | None = None,
    notebooks_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    allow_dirty: bool = False,
) -> NightlyResult:
    """Run (or skip) the whole chain into reports/runs/<YYYY-MM-DDTHHMMSS>/.

    ``params`` overrides nightly.yaml (a mapping or ``key=value`` strings). The run's tables are
    written into its own folder (``tables/``, hard links into ``reports/store``), never into the
    analysts' data/processed. Raises a :class:`NightlyError` when no run could start
    (:class:`UsageError`/:class:`ParameterError`/:class:`ModifiedCodeError`, :class:`LockBusyError`);
    once the run folder exists every outcome is returned, a failure as ``status="failed"`` with
    ``error`` set. ``force`` runs although nothing changed; ``full`` also discards the stages'
    caches (``<reports>/cache/clean`` and ``/metrics``): every file is read and every period computed
    again (and it runs, as ``force``).
    """
    raw_p = Path(raw).expanduser().resolve() if raw else config.RAW_DIR
    reports_p = Path(reports).expanduser().resolve() if reports else config.REPORTS_DIR
    notebooks_p = Path(notebooks_dir).expanduser().resolve() if notebooks_dir else config.NOTEBOOKS_DIR
    say = progress or (lambda _line: None)

    if not raw_p.is_dir():
        raise UsageError(f"nightly: raw folder {raw_p} does not exist")
    if isinstance(params, str):
        params = [params]
    nparams = params if isinstance(params, NightlyParams) else load_params(
        Path(params_file) if params_file else None, params)
    nparams, declared = checks.check_parameters(nparams, notebooks_p, raw_p)
    code = checks.check_code(notebooks_p, allow_dirty)
    runner_values = {"raw_dir": str(raw_p), "modified_code": list(code.modified)}
    param_record = {**nparams.as_record(), "runner": runner_values, "notebooks_dir": str(notebooks_p)}

    with interrupts_raise(), nightly_lock(reports_p):
        t0 = time.perf_counter()
        found_abandoned = abandoned.sweep(reports_p)
        fingerprint = fp.compute(raw_p, param_record, notebooks_p, reports_p / fp.CACHE_NAME)
        if not fingerprint.inputs:
            raise UsageError(f"nightly: raw folder {raw_p} holds no files (python -m pipelines sample --out …?)")
        previous = runfolder.latest_record(reports_p)
        if not (force or full) and previous is not None and _is_reference(reports_p, previous, fingerprint):
            return _skipped(reports_p, previous, time.perf_counter() - t0)
        checks.check_thresholds_and_kernel(nparams, declared)
        from pipelines.nightly.execution import RunContext, execute_run  # heavy: papermill, nbformat, pandas

        return execute_run(RunContext(
            raw=raw_p,
            reports=reports_p,
            notebooks_dir=notebooks_p,
            params=nparams,
            declared=declared,
            runner_values=runner_values,
            code=code,
            fingerprint=fingerprint,
            fingerprint_s=time.perf_counter() - t0,
            abandoned=found_abandoned,
            say=say,
            full=full,
        ))


def _is_reference(reports: Path, previous: dict[str, Any] | None, fingerprint: fp.Fingerprint) -> bool:
    """Whether `latest`'s run answers for this one: same digest, a report made, its tables all there.

    A run whose PDF could not be printed, or whose report.docx or feedback workbooks could not be
    written, is not a reference (the next night retries them), nor is a run recorded before runs kept
    their own tables.
    """
    if not previous or previous.get("fingerprint", {}).get("digest") != fingerprint.digest:
        return False
    if previous.get("status") not in ("ok", "incomplete") or "tables" not in previous:
        return False
    if any((previous.get("incomplete") or {}).get(key) for key in ("pdf", "docx", "feedback")):
        return False
    run_dir = runfolder.latest_run(reports)
    return run_dir is not None and store.tables_present(run_dir, previous["tables"])


def _skipped(reports: Path, previous: dict[str, Any], elapsed: float) -> NightlyResult:
    """Nothing changed: answer with the last good run, keeping its status (incomplete stays alerting)."""
    run_dir = runfolder.latest_run(reports)
    incomplete = previous.get("status") == "incomplete"
    exit_status = ExitStatus.INCOMPLETE if incomplete else ExitStatus.OK
    message = (
        f"nightly: nothing changed since run {previous.get('run_id')}"
        f" ({previous.get('status')}); skipped in {elapsed:.2f} s (--force runs anyway)"
    )
    report = run_dir / "report.html" if run_dir else None
    return NightlyResult(
        status="skipped", exit_status=exit_status, run_dir=run_dir, report=report,
        message=message, skipped=True, record=previous,
    )


__all__ = ["NightlyError", "NightlyResult", "Progress", "run_nightly"]
