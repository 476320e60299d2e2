"""Every notebook runs top to bottom with its defaults, the way JupyterLab runs it.

Working directory notebooks/, kernel returns-workbench, the data folders pointed at a temp tree
holding the sample through RWB_RAW / RWB_PROCESSED / RWB_REPORTS (which pipelines.config reads).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from pipelines import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_with_its_defaults(notebook: Path, sample_tree, tmp_path: Path, monkeypatch) -> None:
    import papermill as pm

    processed = tmp_path / "processed"  # a copy: 01_clean rewrites it, other tests read the shared one
    shutil.copytree(sample_tree.processed, processed)
    monkeypatch.setenv("RWB_RAW", str(sample_tree.raw))
    monkeypatch.setenv("RWB_PROCESSED", str(processed))
    monkeypatch.setenv("RWB_REPORTS", str(tmp_path / "reports"))
    out = tmp_path / notebook.name
    pm.execute_notebook(str(notebook), str(out), kernel_name=config.KERNEL_NAME, cwd=str(config.NOTEBOOKS_DIR),
                        progress_bar=False)
    executed = nbformat.read(str(out), as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_committed_clean_with_a_parameters_cell(notebook: Path) -> None:
    nb = nbformat.read(str(notebook), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    assert nb.metadata.get("kernelspec", {}).get("name") == config.KERNEL_NAME
