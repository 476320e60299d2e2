"""Exit statuses and structured errors, so cron, systemd and tests can tell outcomes apart.

Modelled on papermill's own errors: each carries the facts (step, cell, run folder) and
renders one clear line; the CLI maps it to a documented exit status (docs/nightly.md).
"""

from __future__ import annotations

import enum
from pathlib import Path

#: Longest line the command prints (cron mails it; systemd's journal shows it): the detail is in nightly.log.
MAX_LINE = 300


def clamp(line: str, limit: int = MAX_LINE) -> str:
    """One line of at most ``limit`` characters; what is cut ends in "…" (the log keeps it whole)."""
    line = " ".join(str(line).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ExitStatus(enum.IntEnum):
    """Every status `python -m pipelines nightly` exits with (documented in docs/nightly.md)."""

    OK = 0  # a run succeeded and `latest` points to it, or nothing changed since the last good run
    FAILED = 1  # a notebook raised, the kernel died, rendering crashed: run folder kept, latest untouched
    USAGE = 2  # a parameter, option or nightly.yaml value refused, modified code, missing raw folder (no run folder)
    INCOMPLETE = 3  # the report was produced but an input file could not be read or the PDF could not be printed
    LOCKED = 4  # another nightly run holds reports/.nightly.lock; this one did nothing
    INTERRUPTED = 130  # SIGINT/SIGTERM during the run: run folder kept as interrupted, latest untouched


class NightlyError(Exception):
    """Base class: ``status`` is the exit status, ``str(err)`` the one line to print."""

    status: ExitStatus = ExitStatus.FAILED


class UsageError(NightlyError):
    """The run cannot start as asked: a missing raw folder or notebook (nothing was done)."""

    status = ExitStatus.USAGE


class ParameterError(UsageError, ValueError):
    """A parameter no notebook declares, a value not allowed, a malformed ``key=value``, or a bad nightly.yaml."""


class ModifiedCodeError(UsageError):
    """Tracked files under notebooks/ or pipelines/ differ from HEAD and --allow-dirty was not given."""

    def __init__(self, files: list[str], commit: str | None) -> None:
        self.files = files
        shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        super().__init__(
            f"nightly: the code differs from the last commit{f' ({commit[:10]})' if commit else ''} in {shown};"
            " commit or stash it, or run with --allow-dirty (the report then says it was made from modified code)"
        )


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
        see = f" — see {self.notebook}" if self.notebook is not None else ""
        return clamp(line, MAX_LINE - len(see)) + see


class RunInterrupted(StepFailedError):
    """SIGINT/SIGTERM arrived during a step: the run folder is closed as ``interrupted``."""

    status = ExitStatus.INTERRUPTED
    verb = "INTERRUPTED"
