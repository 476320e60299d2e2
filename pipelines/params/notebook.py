"""The validation cell under each notebook's parameters cell: :func:`check_notebook`.

The same rows as the nightly, plus what only a kernel can see: the names papermill injected
(its ``# Parameters`` cell, read from the kernel's input history), refused when the notebook
does not declare them, and the periods of the data the notebook will read.
"""

from __future__ import annotations

import ast
import difflib
import json
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.params.rules import Context, ParameterError, check_values, raw_periods
from pipelines.params.thresholds import check_thresholds


def declared_names(notebook: Path) -> list[str]:
    """Names assigned in a notebook's cell tagged ``parameters`` (read as text, no Jupyter import)."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return assigned_names("".join(cell.get("source", "")))
    return []


def assigned_names(source: str) -> list[str]:
    names: list[str] = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return names
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id not in names:
                names.append(target.id)
    return names


def injected_values() -> dict[str, Any]:
    """name → value papermill injected into this kernel (its cell starts with ``# Parameters``), or {}.

    Read from the kernel's input history (``In``), so it works under papermill's own command line
    too; in JupyterLab there is no such cell and nothing is found.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    history = shell.user_ns.get("In", []) if shell is not None else []
    out: dict[str, Any] = {}
    for source in history:
        if not isinstance(source, str) or source.split("\n", 1)[0].strip() != "# Parameters":
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    out[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    out[node.targets[0].id] = ast.unparse(node.value)
    return out


def data_periods(processed_dir: str | Path | None) -> tuple[list[str] | None, str]:
    """The periods the processed folder (or a nightly run folder's tables/) holds (its manifest.parquet),
    else config.RAW_DIR's period folders.

    For a notebook run alone; None when neither holds any (the period is then checked as a date only).
    """
    processed = Path(processed_dir).expanduser() if processed_dir else config.PROCESSED_DIR
    manifest = processed / config.MANIFEST_FILE
    if not manifest.is_file() and (processed / "tables" / config.MANIFEST_FILE).is_file():  # a nightly run folder
        manifest = processed / "tables" / config.MANIFEST_FILE
    if manifest.is_file():
        import pyarrow.parquet as pq

        column = pq.read_table(manifest, columns=["period"]).column("period").to_pylist()
        found = sorted({p.date().isoformat() if hasattr(p, "date") else str(p)[:10] for p in column if p})
        if found:
            return found, str(manifest)
    found = raw_periods(config.RAW_DIR)
    return (found, str(config.RAW_DIR)) if found else (None, "")  # no periods anywhere: cannot tell


def check_notebook(step: str, **values: Any) -> tuple[Any, ...]:
    """The validation cell under each notebook's parameters cell: check every parameter, return them.

    ``raw_dir, processed_dir = check_notebook("01_clean", raw_dir=raw_dir, processed_dir=processed_dir)``
    returns the values in the order given (a JSON string of overrides comes back as a dict).
    Names papermill injected that the notebook does not declare are refused (papermill only warns).
    """
    injected = injected_values()
    unknown = [n for n in injected if n not in values]
    if unknown:
        near = difflib.get_close_matches(unknown[0], list(values), n=1)
        problem = f"{step} has no such parameter" + (f"; did you mean {near[0]}?" if near else "")
        raise ParameterError(unknown[0], injected[unknown[0]], problem, ", ".join(values))
    periods, where = data_periods(values.get("processed_dir")) if values.get("period") is not None else (None, "")
    checked = check_values(values, Context(periods=periods, periods_from=where, values=values))
    if "overrides" in checked or values.get("thresholds_file"):
        check_thresholds(checked.get("thresholds_file"), checked.get("overrides"))
    return tuple(checked[name] for name in values)
