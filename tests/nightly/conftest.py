"""Fixtures for the nightly tests: tiny stand-in notebooks written into tmp folders.

The stand-ins declare the same parameters as the real notebooks and honour the same contract
(01_clean writes manifest.parquet with a status per file), so the runner is exercised end to
end in ~1 s per notebook; one slow test runs the real notebooks on the sample.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

KERNEL = "returns-workbench"


def _cell(source: str, *, tags: list[str] | None = None, kind: str = "code") -> dict:
    cell: dict = {"cell_type": kind, "metadata": {"tags": tags or []}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def write_notebook(path: Path, parameters: str, *bodies: str) -> Path:
    nb = {
        "cells": [_cell(parameters, tags=["parameters"]), *(_cell(b) for b in bodies)],
        "metadata": {
            "kernelspec": {"name": KERNEL, "display_name": "Returns Workbench", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i}"
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


CLEAN_PARAMS = "raw_dir = None\nprocessed_dir = None"
CLEAN_BODY = '''
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
raw, out = Path(raw_dir), Path(processed_dir)
out.mkdir(parents=True, exist_ok=True)
rows = []
for f in sorted(p for p in raw.rglob("*") if p.is_file()):
    data = f.read_bytes()
    status = "unreadable" if data.startswith(b"BAD") else "ok"
    rows.append({"path": str(f.relative_to(raw)), "county": f.stem, "status": status, "warnings": ""})
pq.write_table(pa.Table.from_pylist(rows or [{"path": "", "county": "", "status": "ok", "warnings": ""}][:0],
               schema=pa.schema([("path", pa.string()), ("county", pa.string()), ("status", pa.string()),
                                 ("warnings", pa.string())])), out / "manifest.parquet")
pq.write_table(pa.table({"n": list(range(len(rows)))}), out / "returns.parquet")
print("clean:", len(rows), "files")
'''
METRICS_PARAMS = "processed_dir = None\nthresholds_file = None\noverrides = None"
METRICS_BODY = '''
from pathlib import Path
import pyarrow.parquet as pq
t = pq.read_table(Path(processed_dir) / "returns.parquet")
pq.write_table(t, Path(processed_dir) / "county_metrics.parquet")
'''
REPORT_PARAMS = 'processed_dir = None\nperiod = None\nlanguage = "zh"\nthresholds_file = None'
REPORT_BODY = '''
from IPython.display import Markdown, display
display(Markdown(f"# Stand-in report ({language})\\n\\nReport body for period {period}."))
'''


@pytest.fixture
def standins(tmp_path: Path) -> Path:
    """A notebooks folder with the three stand-ins."""
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    write_notebook(nbdir / "01_clean.ipynb", CLEAN_PARAMS, CLEAN_BODY)
    write_notebook(nbdir / "02_metrics.ipynb", METRICS_PARAMS, METRICS_BODY)
    write_notebook(nbdir / "03_report.ipynb", REPORT_PARAMS, REPORT_BODY)
    return nbdir


@pytest.fixture
def tree(tmp_path: Path, standins: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """raw (two returns files), processed, reports and a params file with PDF off (speed).

    The code part of the fingerprint is narrowed to the stand-in notebooks: the live pipelines/
    tree may be edited by someone else while the suite runs, which must not break "unchanged".
    """
    from pipelines.nightly import fingerprint

    monkeypatch.setattr(fingerprint, "code_roots", lambda notebooks_dir: [notebooks_dir])
    raw = tmp_path / "raw"
    (raw / "2005-02-25").mkdir(parents=True)
    (raw / "2005-02-25" / "meixian.csv").write_text("branch,members\na,3\n", encoding="utf-8")
    (raw / "2005-02-25" / "pingyuan.csv").write_text("branch,members\nb,5\n", encoding="utf-8")
    params = tmp_path / "nightly.yaml"
    params.write_text("pdf: false\nexecution_timeout: 60\nkeep_runs: 5\nparameters:\n  language: zh\n",
                      encoding="utf-8")
    return {"raw": raw, "processed": tmp_path / "processed", "reports": tmp_path / "reports",
            "notebooks": standins, "params": params, "root": tmp_path}


@pytest.fixture
def run(tree: dict[str, Path]) -> Callable:
    """run_nightly over the tmp tree; keyword arguments pass through."""
    from pipelines.nightly import run_nightly

    def _run(params=None, force=False, **kw):
        return run_nightly(tree["raw"], tree["processed"], tree["reports"], params, force,
                           params_file=tree["params"], notebooks_dir=tree["notebooks"], **kw)

    return _run


@pytest.fixture
def cli_argv(tree: dict[str, Path]) -> list[str]:
    return ["nightly", "--raw", str(tree["raw"]), "--processed", str(tree["processed"]),
            "--reports", str(tree["reports"]), "--params-file", str(tree["params"]),
            "--notebooks", str(tree["notebooks"])]


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env
