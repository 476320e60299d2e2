"""Runs that died (``kill -9``, the OOM killer, a power cut) are closed by the next run as ``abandoned``.

A dying process cannot write its own end, so its run.json says ``running`` for ever, its files
stay writable and a half-written ``.report.pdf.*.tmp`` may lie beside them. Only one nightly
runs per reports folder at a time (the lock, released by the kernel when a process dies), so
while this run holds the lock any folder still ``running`` belongs to a process that is gone.
:func:`sweep` marks it ``abandoned`` with the time it was found, removes the temporary files,
keeps its tables in the store like any run's, and seals it read-only.

Cheap when there is nothing to do (it runs on the skip path too): a sealed run folder (no write
bit) is a closed run and costs one stat.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

from pipelines.nightly import runfolder, store
from pipelines.table_sets import is_machinery, remove_stale_versions

#: Leftovers beside the run folders: a log whose run folder never came, a half-made `latest` link.
STALE_IN_REPORTS = (".nightly-*.log", f".{runfolder.LATEST}.*.tmp", ".nightly-hashes.json.*.tmp")


def sweep(reports: Path, now: dt.datetime | None = None) -> list[str]:
    """Close every unsealed run folder left by a dead process; returns the run ids marked abandoned."""
    now = now or dt.datetime.now().astimezone()
    for pattern in STALE_IN_REPORTS:
        for path in reports.glob(pattern):
            if f".{os.getpid()}." not in path.name and f"-{os.getpid()}." not in path.name:
                with contextlib.suppress(OSError):
                    path.unlink()
    runs = reports / runfolder.RUNS_DIR
    marked = []
    for run_dir in sorted(runs.iterdir()) if runs.is_dir() else ():
        if not run_dir.is_dir() or run_dir.name.startswith(".") or runfolder.is_sealed(run_dir):
            continue  # sealed: the run was closed
        record_path = run_dir / runfolder.RUN_JSON
        record = runfolder.read_json(record_path)
        changed = record is None  # died between making the folder and writing its record
        record = record or {"run_id": run_dir.name, "status": "running", "steps": []}
        if record.get("status") == "running":
            record["status"] = "abandoned"
            record["abandoned"] = {
                "found": now.isoformat(timespec="seconds"),
                "by_pid": os.getpid(),
                "note": f"process {record.get('pid', '?')} ended without closing the run"
                        " (killed, or the machine stopped)",
            }
            for step in record.get("steps", []):
                if step.get("status") == "running":
                    step["status"] = "abandoned"
            facts, warnings = store.keep_tables(reports, run_dir)
            record["tables"] = facts
            record.setdefault("warnings", []).extend(warnings)
            marked.append(run_dir.name)
            changed = True
        removed = remove_temporary(run_dir)
        if removed:
            record.setdefault("abandoned", {})["removed"] = removed
            changed = True
        if changed:
            runfolder.write_json(record_path, record)
        runfolder.seal(run_dir)
    return marked


def remove_temporary(run_dir: Path) -> list[str]:
    """Delete the run's hidden files (every temporary file the runner and the writers make starts with "."),
    but not its tables' versions and pointers (pipelines/datasets.py); a version no pointer names
    (a write the process died in) goes whole."""
    removed = [p.relative_to(run_dir).as_posix() + "/" for p in remove_stale_versions(store.tables_dir(run_dir))]
    for path in sorted(run_dir.rglob(".*")):
        if is_machinery(path):
            continue
        if path.is_file() or path.is_symlink():
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path.relative_to(run_dir).as_posix())
    return removed
