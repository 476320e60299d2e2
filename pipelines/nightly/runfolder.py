"""The run folders: reports/runs/<YYYY-MM-DDTHHMMSS>/, run.json, `latest`, and retention.

A run folder is written once and never changed afterwards (immutable; its tables are hard links
into the store, see store.py); `latest` is a relative
symlink, created under a temporary name and renamed over the old one with ``os.replace`` so a
reader always finds either the previous good run or the new one, never nothing.

Standard library only: the skip path reads the latest run.json through here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

from pipelines.io import fsync_folder

RUNS_DIR = "runs"
LATEST = "latest"
RUN_JSON = "run.json"
RUN_ID_FORMAT = "%Y-%m-%dT%H%M%S"


def new_run_dir(reports: Path, started: dt.datetime) -> Path:
    """Create the run folder for ``started`` (local time); a second run in the same second gets ``-2``."""
    runs = reports / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    base = started.strftime(RUN_ID_FORMAT)
    for n in range(1, 1000):
        path = runs / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a run folder under {runs}")


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Atomic JSON write (temp file, fsync, rename): run.json is read by the next night's skip check.

    pipelines.io.write_text does the same but imports pandas, which the light path must not.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def latest_run(reports: Path) -> Path | None:
    """The run folder `latest` points to, or None."""
    link = reports / LATEST
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def latest_record(reports: Path) -> dict[str, Any] | None:
    run = latest_run(reports)
    return read_json(run / RUN_JSON) if run else None


def promote(reports: Path, run_dir: Path) -> Path:
    """Point reports/latest at ``run_dir`` atomically (relative link, so the tree can move)."""
    link = reports / LATEST
    if link.exists() and not link.is_symlink():
        raise RuntimeError(f"{link} exists and is not a symlink; move it away so latest can be switched")
    tmp = reports / f".{LATEST}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(os.path.relpath(run_dir, reports), tmp)
    os.replace(tmp, link)
    fsync_folder(reports)
    return link


def prune(reports: Path, keep: int, current: Path | None = None) -> list[Path]:
    """Delete the oldest run folders beyond ``keep``, never `latest`'s target nor the current run."""
    runs = reports / RUNS_DIR
    if keep <= 0 or not runs.is_dir():
        return []
    folders = sorted((p for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    protected = {p.resolve() for p in (latest_run(reports), current) if p is not None}
    removed = []
    for path in folders[: max(0, len(folders) - keep)]:
        if path.resolve() in protected:
            continue
        unseal(path)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def seal(run_dir: Path) -> None:
    """Drop the write bits of a finished run's files and folders: immutable by convention, and by mode.

    Nothing can then be added to, replaced in or removed from the run folder (a what-if pointed at
    it by mistake fails) without first giving the bits back, as retention does (:func:`unseal`).
    A table is the store's file under another name (a hard link), so it is sealed there too.
    Open handles (the log of the run being closed) can still append.
    """
    paths = sorted(run_dir.rglob("*"), key=lambda p: len(p.parts), reverse=True) + [run_dir]
    for path in paths:  # files and inner folders first, the run folder last
        if not path.is_symlink():
            with contextlib.suppress(OSError):
                path.chmod(path.stat().st_mode & ~0o222)


def is_sealed(run_dir: Path) -> bool:
    return not run_dir.stat().st_mode & 0o200


def unseal(run_dir: Path) -> None:
    """Give a sealed run folder's folders their owner write bit back (to delete it)."""
    for path in [run_dir, *run_dir.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.chmod(path.stat().st_mode | 0o200)
