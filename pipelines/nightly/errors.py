"""Exit statuses and structured errors, so cron, systemd and tests can tell outcomes apart.

Modelled on papermill's own errors: each carries the facts (step, cell, run folder) and
renders one clear line; the CLI maps it to a documented exit status (docs/nightly.md).
"""

from __future__ import annotations

import enum
from pathlib import Path


class ExitStatus(enum.IntEnum):
    """Every status `python -m pipelines nightly` exits with (documented in docs/nightly.md)."""

    OK = 0  # a run succeeded and `latest` points to it, or nothing changed since the last good run
    FAILED = 1  # a notebook raised, the kernel died, rendering crashed: run folder kept, latest untouched
    USAGE = 2  # bad command line or nightly.yaml: unknown parameter, missing raw folder (no run folder)
    INCOMPLETE = 3  # the report was produced but at least one input file could not be read
    LOCKED = 4  # another nightly run holds reports/.nightly.lock; this one did nothing
    INTERRUPTED = 130  # SIGINT/SIGTERM during the run: run folder kept as failed, latest untouched


class NightlyError(Exception):
    """Base class: ``status`` is the exit status, ``str(err)`` the one line to print."""

    status: ExitStatus = ExitStatus.FAILED


class UsageError(NightlyError):
    """The run cannot start as asked: a missing raw folder or notebook (nothing was done)."""

    status = ExitStatus.USAGE


class ParameterError(UsageError, ValueError):
    """A parameter no notebook declares, a malformed ``key=value``, or a bad nightly.yaml."""


class LockBusyError(NightlyError):
    """Another nightly run is in progress on the same reports folder."""

    status = ExitStatus.LOCKED

    def __init__(self, lock_path: Path, holder: str) -> None:
        self.lock_path = lock_path
        self.holder = holder
        super().__init__(
            f"nightly: another run is in progress ({holder or 'unknown holder'}; lock {lock_path}); nothing done"
        )


class StepFailedError(NightlyError):
    """A step failed; names the step, the cell and where its executed notebook is."""

    status = ExitStatus.FAILED
    verb = "FAILED"

    def __init__(
        self,
        step: str,
        message: str,
        *,
        cell_index: int | None = None,
        exec_count: int | None = None,
        source_line: str | None = None,
        ename: str | None = None,
        evalue: str | None = None,
        notebook: Path | None = None,
    ) -> None:
        self.step = step
        self.cell_index = cell_index
        self.exec_count = exec_count
        self.source_line = source_line
        self.ename = ename
        self.evalue = evalue
        self.notebook = notebook
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """e.g. ``nightly: FAILED at step 02_metrics, cell 3 (In [4]: ratio = 1 / 0): ZeroDivisionError: … — see …``.

        ``cell`` is the 1-based position in the source notebook (markdown cells count, the cells
        papermill inserts do not), ``In [n]`` the execution count shown in the executed copy.
        """
        where = f"step {self.step}"
        if self.cell_index is not None:
            where += f", cell {self.cell_index}"
            detail = [f"In [{self.exec_count}]" if self.exec_count is not None else "", self.source_line or ""]
            if any(detail):
                where += f" ({': '.join(d for d in detail if d)})"
        line = f"nightly: {self.verb} at {where}: {self.message}"
        if self.notebook is not None:
            line += f" — see {self.notebook}"
        return " ".join(line.split())


class RunInterrupted(StepFailedError):
    """SIGINT/SIGTERM arrived during a step: the run folder is closed as ``interrupted``."""

    status = ExitStatus.INTERRUPTED
    verb = "INTERRUPTED"
