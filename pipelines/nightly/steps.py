"""The three notebooks and how one is executed with papermill (imported only when a step runs).

Each step runs on a fresh kernel of the project's named kernelspec with a per-cell timeout;
whatever goes wrong (a cell raising, a timeout, the kernel dying) comes back as one
:class:`StepFailedError` that names the step and the cell, while the executed notebook stays in
the run folder to show it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pipelines import params as parameters
from pipelines.nightly.errors import StepFailedError, UsageError


@dataclasses.dataclass(frozen=True)
class Step:
    name: str  # also the notebook's stem and the executed copy's name in the run folder

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"


STEPS: tuple[Step, ...] = (Step("01_clean"), Step("02_metrics"), Step("03_report"))


@dataclasses.dataclass
class StepRecord:
    """What run.json says about one step."""

    name: str
    notebook: str
    parameters: dict[str, Any]
    status: str = "pending"  # pending | running | ok | failed | interrupted
    started: str | None = None
    duration_s: float | None = None
    cells: int | None = None


def declared_parameters(notebooks_dir: Path, steps: Iterable[Step] = STEPS) -> dict[str, list[str]]:
    """step → names in its ``parameters`` cell (read as text: this runs before the skip decision)."""
    out: dict[str, list[str]] = {}
    for step in steps:
        path = notebooks_dir / step.notebook
        if not path.is_file():
            raise UsageError(f"nightly: notebook {path} does not exist")
        try:
            out[step.name] = parameters.declared_names(path)
        except (OSError, ValueError) as exc:
            raise UsageError(f"nightly: notebook {path} cannot be read: {exc}") from exc
    return out


def execute(
    step: Step,
    notebooks_dir: Path,
    output: Path,
    values: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> int:
    """Run one notebook into ``output`` on a fresh kernel; return its number of cells or raise StepFailedError."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    timeout = settings.get("execution_timeout") or None
    try:
        nb = papermill.execute_notebook(
            str(notebooks_dir / step.notebook),
            str(output),
            parameters=dict(values),
            kernel_name=settings["kernel"],
            cwd=str(notebooks_dir),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=True,  # a timeout or dead kernel still leaves the notebook
            execution_timeout=timeout,
            start_timeout=settings.get("start_timeout") or 60,
        )
    except PapermillExecutionError as exc:
        cell, _count, code = failed_cell(output)
        message = f"{exc.ename}: {_first_line(exc.evalue)}"
        if not exc.evalue:  # IPython failed to format the traceback: find it in the cell's stderr
            message = _exception_in_streams(output, cell) or message
        raise StepFailedError(
            step.name,
            message,
            cell_index=cell,
            exec_count=exc.exec_count,
            source_line=code or _first_line(exc.source),
            ename=exc.ename,
            evalue=exc.evalue,
            notebook=output,
        ) from exc
    except Exception as exc:  # timeout, dead kernel, missing kernel…
        cell, count, code = failed_cell(output)
        kind = type(exc).__name__
        if kind == "CellTimeoutError":
            message = f"cell timed out after {timeout} s (execution_timeout in nightly.yaml)"
        elif kind == "DeadKernelError":
            message = "the kernel died"
        elif kind == "NoSuchKernel":
            message = f"Jupyter kernel {settings['kernel']!r} is not installed (make venv registers it)"
        else:
            message = f"{kind}: {_first_line(str(exc))}"
        raise StepFailedError(
            step.name, message, cell_index=cell, exec_count=count, source_line=code, ename=kind,
            evalue=str(exc), notebook=output if output.exists() else None,
        ) from exc
    return len(nb.cells)


def _first_line(text: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[0][:120] if lines else ""


#: Cells papermill adds to the executed copy; they are not counted when naming the failing cell.
PAPERMILL_TAGS = {"injected-parameters", "papermill-error-cell-tag"}


def failed_cell(output: Path) -> tuple[int | None, int | None, str | None]:
    """(1-based position in the source notebook, execution count, first code line) of the failing cell.

    Read back from the saved notebook, where papermill marks the cell ``failed`` (an exception);
    after a timeout or a dead kernel it is the last cell that started. Papermill's own cell_index counts the
    cells it inserted; a person opening notebooks/NN.ipynb counts without them.
    """
    try:
        nb = json.loads(output.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None, None
    position = 0
    last: tuple[int | None, Any, str | None] = (None, None, None)
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        if PAPERMILL_TAGS & set(meta.get("tags", [])):
            continue
        position += 1
        pm = meta.get("papermill", {})
        found = (position, cell.get("execution_count"), _first_line("".join(cell.get("source", ""))))
        if pm.get("exception") or pm.get("status") in ("running", "failed"):
            return found
        if pm.get("status") == "completed" and not pm.get("start_time"):
            return found  # interrupted: papermill closed the cell it was waiting on without a start
        if pm.get("start_time"):
            last = found  # a timeout ends with the cell marked "completed": the last one started
    return last


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): ?(.*)$")


def _exception_in_streams(output: Path, position: int | None) -> str | None:
    """The first ``SomeError: message`` line in the failing cell's stream outputs."""
    if position is None:
        return None
    try:
        nb = json.loads(output.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    cells = [c for c in nb.get("cells", []) if not PAPERMILL_TAGS & set(c.get("metadata", {}).get("tags", []))]
    if not 0 < position <= len(cells):
        return None
    for out in cells[position - 1].get("outputs", []):
        for line in "".join(out.get("text", "")).splitlines():
            match = _EXCEPTION_LINE.match(line.strip())
            if match:
                name = match.group(1).rsplit(".", 1)[-1]
                return f"{name}: {match.group(2)}"[:200]
    return None
