"""The clean stage's cache: what each input file, each period and the registry came to, kept by
what they depend on, so a night reads only the files that arrived or changed (issue 19).

Three kinds of entries, each a folder named by its key (a sha256):

- ``files/``: one input file alone — its judged branch rows, row-rule rejects and warnings, its
  manifest facts. Key: the code version, the file's path, period and content hash, and the
  registry's county list (the registry may name counties beyond counties.yaml).
- ``periods/``: one period's outputs after the checks that span files (registry matching,
  corrections, duplicates) — its returns, rejects and warnings partitions, manifest rows and
  unmatched branches. Key: the code version, the registry, and every file key of the period; so a
  period whose files and registry are unchanged is not checked again, and one whose files changed
  is checked again over all its files, from their file entries.
- ``registry/``: the registry, cleaned. Key: the code version and the registry files' hashes.

The **code version** is a hash of what the cleaning runs: the ingest package's source, the modules
it shares (pipelines/schema.py, pipelines/domain/load.py), the domain files it reads (headers.yaml,
counties.yaml, matching.yaml, terms.yaml, warnings.yaml) and the versions of the libraries that
read the bytes (python-calamine, lxml, charset-normalizer, pandas, pyarrow, numpy, Python itself:
its Unicode tables normalise names). A change to any of them misses every entry.

An entry is written into a temporary folder and renamed into place (atomic); a half-written or
unreadable entry is a miss, never an error. Entries a run did not use are removed when it ends
(``prune``): files removed from RAW, earlier versions of edited files, an older code version.
``full=True`` uses no entry (and so removes them all once the run is written).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.hashing import HashCache

KINDS = ("files", "periods", "registry")
#: What the cleaning runs besides the ingest package, and the domain files it reads (counties.yaml and
#: headers.yaml are the ones ``clean`` is given).
SHARED_CODE = (config.PACKAGE_DIR / "schema.py", config.DOMAIN_DIR / "load.py", config.PACKAGE_DIR / "hashing.py")
DOMAIN_FILES = ("matching.yaml", "terms.yaml", "warnings.yaml")
LIBRARIES = ("python-calamine", "lxml", "charset-normalizer", "pandas", "pyarrow", "numpy")
DONE = "entry.json"  # written last into an entry's folder: an entry without it is incomplete
STAT = "files.json"  # each file's size and mtime when the entry was made


def code_version(counties_file: Path, headers_file: Path) -> str:
    """One hash over the ingest code, the domain data it reads and the libraries' versions."""
    h = hashlib.sha256()
    files = sorted((config.PACKAGE_DIR / "ingest").glob("*.py")) + list(SHARED_CODE)
    files += [config.DOMAIN_DIR / n for n in DOMAIN_FILES] + [Path(counties_file), Path(headers_file)]
    for path in files:
        h.update(f"{path.name}\0{_content_hash(path)}\n".encode())
    h.update(json.dumps(_library_versions(), sort_keys=True).encode())
    return h.hexdigest()


def _content_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


@lru_cache(maxsize=1)
def _library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def key_of(*parts: Any) -> str:
    """A sha256 of JSON-able parts (the key of an entry)."""
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


class CleanCache:
    """Entries under ``root`` (``files/``, ``periods/``, ``registry/``) and the input files' hashes."""

    def __init__(self, root: Path, version: str, *, full: bool = False) -> None:
        self.root = Path(root)
        self.version = version
        self.full = full
        self.used: set[Path] = set()
        self.hashes = HashCache(self.root / "hashes.json")
        if full:
            self.hashes.entries = {}  # every file hashed afresh: nothing of the old cache is trusted
        self.hashed: list[str] = []

    def sha256(self, path: Path) -> str:
        """The file's content hash (reused while its size and mtime are unchanged, unless ``full``)."""
        self.hashed.append(str(path))
        return self.hashes.sha256(path)

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
            write_json(tmp / STAT, {p.name: _stat(p) for p in sorted(tmp.iterdir()) if p.name != DONE})
            if final.exists():  # written meanwhile by another run, or an incomplete one: replace it
                shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
            self.used.add(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def prune(self) -> int:
        """Remove every entry this run did not use, and leftovers of runs that died; returns how many."""
        removed = 0
        for kind in KINDS:
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
