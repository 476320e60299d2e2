"""Stand-in notebooks for the nightly tests (a module with a unique name, so no other conftest shadows it).

The stand-ins declare the same parameters as the real notebooks and honour the same contract
(01_clean writes manifest.parquet with a status per file — a file starting with ``BAD`` is
``unreadable`` — and whether it reused the file from its cache; the tables partitioned by period,
each stage's set switched in by one pointer), so the runner is exercised end to end in about a
second per notebook.
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


CLEAN_PARAMS = "raw_dir = None\nprocessed_dir = None\ncache_dir = None\nfull = False"
CLEAN_BODY = '''
import datetime as dt, hashlib, json
from pathlib import Path
import pandas as pd
from pipelines import datasets, schema, table_sets
raw, out = Path(raw_dir), Path(processed_dir)
out.mkdir(parents=True, exist_ok=True)
# the cache, as the real clean keeps one: a file whose bytes it saw last time is "reused"
cache = Path(cache_dir) / "clean" if cache_dir else out / ".cache" / "clean"
cache.mkdir(parents=True, exist_ok=True)
seen = {} if full or not (cache / "seen.json").exists() else json.loads((cache / "seen.json").read_text())

def period_of(folder):
    try:
        return pd.Timestamp(dt.datetime.fromisoformat(folder))
    except ValueError:
        return pd.NaT

rows, now = [], {}
for f in sorted(p for p in raw.rglob("*") if p.is_file()):
    data = f.read_bytes()
    rel = f.relative_to(raw)
    now[str(rel)] = hashlib.sha256(data).hexdigest()
    rows.append({"path": str(rel), "county": f.stem, "period": period_of(rel.parts[0]) if len(rel.parts) > 1 else pd.NaT,
                 "status": "unreadable" if data.startswith(b"BAD") else "ok", "warnings": "",
                 "reused": seen.get(str(rel)) == now[str(rel)]})
(cache / "seen.json").write_text(json.dumps(now))
manifest = pd.DataFrame(rows, columns=["path", "county", "period", "status", "warnings", "reused"])
manifest = manifest.astype({"path": "str", "county": "str", "period": "datetime64[ns]", "status": "str",
                            "warnings": "str", "reused": "boolean"})
# the tables of the contract, as one set: returns (a row per file) partitioned by period; nothing
# rejected or warned, no registry (the feedback workbooks read them)
returns = pd.DataFrame({"period": manifest["period"], "n": range(len(manifest))})
with table_sets.table_set(out, "clean") as tables:
    tables.write("manifest", manifest)
    tables.write("returns", returns)
    for name in ("rejects", "warnings", "registry"):
        tables.write(name, schema.empty(name))
print("clean:", len(rows), "files")
'''
METRICS_PARAMS = "processed_dir = None\nthresholds_file = None\noverrides = {}"
METRICS_BODY = '''
from pathlib import Path
import pandas as pd
from pipelines import datasets, table_sets
out = Path(processed_dir)
returns = datasets.read(out, "returns")
# no weak link, no registry branch: the judge's tables the feedback workbooks read, empty
findings = pd.DataFrame({"period": pd.Series(dtype="datetime64[ns]"), "rank": pd.Series(dtype="int64"),
                         **{c: pd.Series(dtype="str") for c in ("level", "county", "township", "branch",
                                                                  "indicator", "status")}})
reporting = pd.DataFrame({"period": pd.Series(dtype="datetime64[ns]"),
                          **{c: pd.Series(dtype="str") for c in ("county", "township", "branch")},
                          "members": pd.Series(dtype="int64"), "reported": pd.Series(dtype="bool")})
with table_sets.table_set(out, "metrics") as tables:
    tables.write("county_metrics", returns)
    tables.write("findings", findings)
    tables.write("reporting", reporting)
'''
REPORT_PARAMS = 'processed_dir = None\nperiod = None\nlanguage = "zh"\nthresholds_file = None\nmodified_code = []'
REPORT_BODY = '''
from IPython.display import Markdown, display
from pipelines.report import banner
banner.show(modified_code, language)
display(Markdown(f"# Stand-in report ({language})\\n\\nReport body for period {period}."))
'''


#: ``python -m pipelines`` with the code part of the fingerprint and of the modified-code check narrowed
#: to the stand-in notebooks, as the fixtures do in-process: the worktree's own pipelines/ may hold
#: uncommitted edits while the suite runs, which must not stop (or re-run) a test's nightly.
NARROWED_MAIN = """
import sys
from pipelines.nightly import fingerprint
fingerprint.code_roots = lambda notebooks_dir: [notebooks_dir]
from pipelines.cli import main
sys.exit(main(sys.argv[1:]))
"""


def nightly_command(argv: list[str]) -> list[str]:
    """The command line of a nightly run in its own process (argv from the ``cli_argv`` fixture)."""
    import sys

    return [sys.executable, "-c", NARROWED_MAIN, *argv]


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


class CellStarted:
    """An event a notebook cell sets when it starts: it connects to a Unix socket the test listens on.

    ``cell()`` is the code to put in the cell; :meth:`wait` blocks until a cell connects (no polling,
    no sleeps), failing early when the watched process has already ended.
    """

    def __init__(self) -> None:
        import socket
        import tempfile

        self.folder = tempfile.mkdtemp(prefix="rwb-ev-", dir="/tmp")  # short: AF_UNIX paths ≤ 107 bytes
        self.path = os.path.join(self.folder, "s")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(4)

    def cell(self, before: str = "", then: str = "import time\ntime.sleep(120)", hold: bool = False) -> str:
        """Code that runs ``before``, sets the event, then runs ``then`` (by default: waits two minutes).

        With ``hold`` the cell waits after setting the event until the test calls :meth:`release`.
        """
        wait = "_s.recv(2)\n" if hold else ""
        return (f"{before}\nimport socket\n_s = socket.socket(socket.AF_UNIX)\n_s.connect({self.path!r})\n"
                f"_s.sendall(b'started')\n{wait}_s.close()\n{then}")

    def wait(self, proc=None, timeout: float = 120) -> None:
        import time

        deadline = time.monotonic() + timeout
        self.server.settimeout(1.0)
        while True:
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                if proc is not None and proc.poll() is not None:
                    raise AssertionError(f"process ended before the cell started: {proc.communicate()}") from None
                if time.monotonic() > deadline:
                    raise AssertionError("the cell never started") from None
                continue
            self.conn = conn
            return

    def release(self) -> None:
        """Let a cell written with ``hold=True`` go on."""
        self.conn.sendall(b"go")

    def close(self) -> None:
        import shutil

        if getattr(self, "conn", None) is not None:
            self.conn.close()
        self.server.close()
        shutil.rmtree(self.folder, ignore_errors=True)
