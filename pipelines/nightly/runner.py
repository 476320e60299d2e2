"""``run_nightly``: lock, fingerprint, skip or run the three notebooks, render, record, promote.

The order matters for the guarantees: the lock comes first (two runs never interleave), then
the fingerprint (a skip costs a few file stats and one JSON read), then the parameter check
(refused before any folder is made), then the run folder (kept whatever happens), and `latest`
moves last, only after run.json says the run succeeded.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.nightly import fingerprint as fp
from pipelines.nightly import runfolder
from pipelines.nightly.errors import ExitStatus, NightlyError, StepFailedError, UsageError
from pipelines.nightly.lock import nightly_lock
from pipelines.nightly.params import NightlyParams, load_params

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


def run_nightly(
    raw: str | os.PathLike[str] | None = None,
    processed: str | os.PathLike[str] | None = None,
    reports: str | os.PathLike[str] | None = None,
    params: NightlyParams | Mapping[str, Any] | Iterable[str] | None = None,
    force: bool = False,
    *,
    params_file: str | os.PathLike[str] | None = None,
    notebooks_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> NightlyResult:
    """Run (or skip) the whole chain into reports/runs/<YYYY-MM-DDTHHMMSS>/.

    ``params`` overrides nightly.yaml (a mapping or ``key=value`` strings). Raises a
    :class:`NightlyError` when no run could start (:class:`UsageError`/:class:`ParameterError`,
    :class:`LockBusyError`, a missing kernel); once the run folder exists every outcome is
    returned, a failure as ``status="failed"`` with ``error`` set.
    """
    raw_p = Path(raw).expanduser().resolve() if raw else config.RAW_DIR
    processed_p = Path(processed).expanduser().resolve() if processed else config.PROCESSED_DIR
    reports_p = Path(reports).expanduser().resolve() if reports else config.REPORTS_DIR
    notebooks_p = Path(notebooks_dir).expanduser().resolve() if notebooks_dir else config.NOTEBOOKS_DIR
    say = progress or (lambda _line: None)

    if not raw_p.is_dir():
        raise UsageError(f"nightly: raw folder {raw_p} does not exist")
    if isinstance(params, str):
        params = [params]
    nparams = params if isinstance(params, NightlyParams) else load_params(params_file, params)
    folders = {"raw_dir": str(raw_p), "processed_dir": str(processed_p)}
    param_record = {**nparams.as_record(), "folders": folders, "notebooks_dir": str(notebooks_p)}

    with nightly_lock(reports_p):
        t0 = time.perf_counter()
        fingerprint = fp.compute(raw_p, param_record, notebooks_p, reports_p / fp.CACHE_NAME)
        if not fingerprint.inputs:
            raise UsageError(f"nightly: raw folder {raw_p} holds no files (python -m pipelines sample --out …?)")
        previous = runfolder.latest_record(reports_p)
        if not force and previous and previous.get("fingerprint", {}).get("digest") == fingerprint.digest \
                and _outputs_present(processed_p, previous):
            return _skipped(reports_p, previous, time.perf_counter() - t0)
        from pipelines.nightly.execution import RunContext, execute_run  # heavy: papermill, nbformat, pandas

        return execute_run(RunContext(
            raw=raw_p,
            processed=processed_p,
            reports=reports_p,
            notebooks_dir=notebooks_p,
            params=nparams,
            folders=folders,
            fingerprint=fingerprint,
            fingerprint_s=time.perf_counter() - t0,
            say=say,
        ))


def _outputs_present(processed: Path, previous: dict[str, Any]) -> bool:
    """The processed tables the last good run wrote are still there (someone may have cleared them)."""
    return all((processed / name).exists() for name in previous.get("rows", {}))


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
