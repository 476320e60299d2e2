"""Entries kept between runs, each a folder named by a key (a sha256 of what it depends on).

The clean stage keeps each file's and each period's result (pipelines/ingest/cache.py), the
metrics stage each period's engine products and verdicts (pipelines/metrics/incremental.py). An
entry is written into a temporary folder and renamed into place (atomic); its files' sizes and
mtimes are recorded, so an entry whose file was written over in place (an output that is a hard
link to it, saved onto by hand) is made again rather than trusted; a half-written or unreadable
entry is a miss, never an error. Entries a run did not use are removed when it ends (``prune``);
``full=True`` uses none.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from pipelines.hashing import HashCache, file_sha256

DONE = "entry.json"  # written last into an entry's folder: an entry without it is incomplete
STAT = "files.json"  # each file's size and mtime when the entry was made


def files_hash(paths: Iterable[Path]) -> str:
    """One hash over files' names and contents (a stage's code and data: its version)."""
    h = hashlib.sha256()
    for path in paths:
        try:
            digest = file_sha256(path)
        except OSError:
            digest = "missing"
        h.update(f"{Path(path).name}\0{digest}\n".encode())
    return h.hexdigest()


def library_versions(names: Iterable[str]) -> dict[str, str | None]:
    """Python's and the named distributions' versions (a part of a stage's version; run.json's ``versions``)."""
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def key_of(*parts: Any) -> str:
    """A sha256 of JSON-able parts (the key of an entry)."""
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


class EntryCache:
    """Entries under ``root``, one folder per kind (``kinds``), and a hash cache of the input files."""

    def __init__(self, root: Path, version: str, kinds: tuple[str, ...], *, full: bool = False) -> None:
        self.root = Path(root)
        self.kinds = kinds
        self.version = version
        self.full = full
        self.used: set[Path] = set()
        # by inode: a table's part file is the same file (a hard link) whichever folder shows it
        self.hashes = HashCache(self.root / "hashes.json", key=lambda _p, st: f"{st.st_dev}:{st.st_ino}")
        if full:
            self.hashes.entries = {}  # every file hashed afresh: nothing of the old cache is trusted
        self.hashed: list[str] = []

    def sha256(self, path: Path) -> str:
        """The file's content hash (reused while its size and mtime are unchanged, unless ``full``)."""
        st = Path(path).stat()
        self.hashed.append(f"{st.st_dev}:{st.st_ino}")
        return self.hashes.sha256(Path(path), st)

    def key(self, kind: str, *parts: Any) -> str:
        return key_of(kind, self.version, *parts)

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / key

    def get(self, kind: str, key: str) -> Path | None:
        """The entry's folder when it is complete and untouched (and ``full`` is off); marks it used.

        An output partition is a hard link to its entry's file: a file written over in place (a
        what-if saved onto data/processed/…) changes the entry too, and is caught here by its size
        and mtime, so the entry is made again rather than trusted."""
        path = self.path(kind, key)
        if self.full or not (path / DONE).is_file():
            return None
        try:
            files = read_json(path / STAT)
            intact = all(_stat(path / name) == tuple(facts) for name, facts in files.items())
        except (OSError, ValueError, TypeError):
            intact = False
        if not intact:
            self.drop(kind, key)
            return None
        self.used.add(path)
        return path

    def keep(self, kind: str, key: str) -> None:
        """Keep an entry this run did not need to read (a file of a period taken whole from the cache:
        needed again when another file of that period changes)."""
        path = self.path(kind, key)
        if path.is_dir():
            self.used.add(path)

    def drop(self, kind: str, key: str) -> None:
        """Forget an entry that turned out unreadable (it is written again)."""
        path = self.path(kind, key)
        self.used.discard(path)
        shutil.rmtree(path, ignore_errors=True)

    @contextlib.contextmanager
    def put(self, kind: str, key: str) -> Iterator[Path]:
        """A temporary folder to fill; renamed into place as the entry when the block succeeds
        (the caller writes ``entry.json`` last)."""
        final = self.path(kind, key)
        tmp = final.parent / f".{key}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp"
        tmp.mkdir(parents=True)
        try:
            yield tmp
            write_json(tmp / STAT, {p.relative_to(tmp).as_posix(): _stat(p) for p in sorted(tmp.rglob("*"))
                                    if p.is_file() and p.name != DONE})
            if final.exists():  # written meanwhile by another run, or an incomplete one: replace it
                shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
            self.used.add(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def prune(self) -> int:
        """Remove every entry this run did not use, and leftovers of runs that died; returns how many."""
        removed = 0
        for kind in self.kinds:
            for bucket in (self.root / kind).iterdir() if (self.root / kind).is_dir() else ():
                for entry in bucket.iterdir() if bucket.is_dir() else ():
                    if entry not in self.used:
                        shutil.rmtree(entry, ignore_errors=True)
                        removed += 1
                with contextlib.suppress(OSError):
                    bucket.rmdir()  # only when empty
        self.hashes.save(self.hashed)
        return removed


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
