"""Stand-in notebooks for the nightly tests (a module with a unique name, so no other conftest shadows it).

The stand-ins declare the same parameters as the real notebooks and honour the same contract
(01_clean writes manifest.parquet with a status per file: a file starting with ``BAD`` is
``unreadable``), so the runner is exercised end to end in about a second per notebook.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

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


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env
