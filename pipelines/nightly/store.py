"""The nightly's own tables: each run folder holds the tables its report was made from.

The notebooks of a run write into ``runs/<id>/tables/`` (their ``processed_dir``), never into the
analysts' data/processed, so a what-if in JupyterLab can neither overwrite nor be mistaken for an
official table, and ``reports/latest`` is self-contained. So that thirty nights of unchanged
tables do not cost thirty copies, every table is then kept once in a content-addressed store,
``reports/store/<sha256[:2]>/<sha256>.parquet``, and the run folder's file becomes a hard link
to it (same inode, no copy). A table nobody links to any more (its runs were pruned) has a link
count of 1 and is removed by :func:`collect_garbage`. Where hard links are not possible (another
file system) the run keeps its own copy and says so.

Which tables: every ``*.parquet`` the steps wrote, and every table folder partitioned by period
(``returns/period=…/part-0.parquet``, pipelines/datasets.py): each part file is kept in the store
the same way, so a year of weekly partitions that did not change since last night costs no copy;
their hashes are remembered by inode (``reports/.store-hashes.json``: a part file the clean stage
kept in its cache is the same file night after night) so they are not read again. Standard
library only.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pipelines.hashing import HashCache

STORE_DIR = "store"
TABLES_DIR = "tables"
TABLE_GLOB = "*.parquet"
HASHES = ".store-hashes.json"


def tables_dir(run_dir: Path) -> Path:
    return run_dir / TABLES_DIR


def store_path(reports: Path, sha256: str) -> Path:
    return reports / STORE_DIR / sha256[:2] / f"{sha256}.parquet"


def keep_tables(reports: Path, run_dir: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Put the run's tables into the store and link them back; returns (name → facts, warnings).

    Facts per table: ``sha256``, ``bytes``, ``rows`` (from the Parquet footer, -1 if unreadable)
    and ``linked`` (whether the run folder's file is the store's file).
    """
    facts: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    folder = tables_dir(run_dir)
    hashes = HashCache(reports / HASHES, key=lambda _p, st: f"{st.st_dev}:{st.st_ino}")
    seen: list[str] = []

    def keep(table: Path) -> dict[str, Any]:
        table = table.resolve()  # a public name is a symlink into the stage's version folder
        st = table.stat()
        seen.append(f"{st.st_dev}:{st.st_ino}")
        sha = hashes.sha256(table, st)
        target = store_path(reports, sha)
        linked = True
        try:
            _link_into_store(table, target)
        except OSError as exc:
            linked = False
            if not warnings:
                warnings.append(f"tables kept as copies in the run folder (no hard link into {target.parent.parent}: "
                                f"{exc.strerror or exc})")
        return {"sha256": sha, "bytes": st.st_size, "rows": _rows(table), "linked": linked}

    for table in sorted(folder.iterdir()) if folder.is_dir() else ():
        if table.name.startswith("."):
            continue
        if table.is_dir():  # a table partitioned by period: every part file, one fact for the table
            parts = {p.relative_to(table).as_posix(): keep(p) for p in sorted(table.rglob(TABLE_GLOB))
                     if not p.name.startswith(".")}
            digest = hashlib.sha256(json.dumps({k: v["sha256"] for k, v in parts.items()}, sort_keys=True).encode())
            facts[table.name] = {"sha256": digest.hexdigest(), "bytes": sum(v["bytes"] for v in parts.values()),
                                 "rows": sum(v["rows"] for v in parts.values()) if all(v["rows"] >= 0 for v in
                                                                                       parts.values()) else -1,
                                 "linked": all(v["linked"] for v in parts.values()), "parts": len(parts)}
        elif table.suffix == ".parquet":
            facts[table.name] = keep(table)
    hashes.save(seen)
    return facts, warnings


def _link_into_store(table: Path, target: Path) -> None:
    """Make ``table`` and ``target`` one file: link the table in, or replace the table by the stored one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if os.path.samefile(table, target):
            return
        tmp = table.with_name(f".{table.name}.link.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.link(target, tmp)
        os.replace(tmp, table)
        return
    try:
        os.link(table, target)
    except FileExistsError:  # raced by nothing under the lock; kept for a store shared by hand
        _link_into_store(table, target)
        return
    with contextlib.suppress(OSError):
        os.chmod(target, target.stat().st_mode & ~0o222)


def _rows(table: Path) -> int:
    try:
        import pyarrow.parquet as pq

        return int(pq.read_metadata(table).num_rows)
    except Exception:  # noqa: BLE001 - a broken table is recorded as such, not fatal here
        return -1


def collect_garbage(reports: Path) -> list[Path]:
    """Remove stored tables no run folder links to any more (link count 1)."""
    removed = []
    root = reports / STORE_DIR
    for path in sorted(root.glob(f"*/{TABLE_GLOB}")) if root.is_dir() else ():
        try:
            if path.stat().st_nlink == 1:
                path.unlink()
                removed.append(path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
    for sub in root.iterdir() if root.is_dir() else ():
        with contextlib.suppress(OSError):
            sub.rmdir()  # only when empty
    return removed


def tables_present(run_dir: Path, names: Any) -> bool:
    """Every table a run recorded is still in its folder (someone may have removed one)."""
    folder = tables_dir(run_dir)
    return all((folder / name).exists() for name in names or ())
