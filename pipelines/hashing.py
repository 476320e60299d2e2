"""Content hashes, and a cache of them by (path, size, mtime) so an untouched file is not read again.

Shared by the nightly's fingerprint (did anything change since the last run) and the clean stage's
cache (which files changed since the last clean). A touched file is hashed again, so a copy with a
new mtime but the same bytes still matches. Standard library only: the nightly's skip path uses it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

_CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The file's sha256, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class HashCache:
    """sha256 by absolute path (or another ``key``, such as the inode), reused while size and mtime are
    unchanged; kept in a JSON file."""

    def __init__(self, path: Path | None, digest: Callable[[Path], str] = file_sha256,
                 key: Callable[[Path, os.stat_result], str] | None = None) -> None:
        self.path = path
        self.digest = digest
        self.key = key or (lambda p, _st: str(p))
        self.entries: dict[str, list] = {}
        self.dirty = False
        if path is not None:
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def sha256(self, path: Path, st: os.stat_result | None = None) -> str:
        st = st or path.stat()
        key = self.key(path, st)
        hit = self.entries.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        digest = self.digest(path)
        self.entries[key] = [st.st_size, st.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def save(self, keep: Iterable[str]) -> None:
        """Write the cache (only the paths seen this time) when it changed."""
        if self.path is None or not self.dirty:
            return
        keep = set(keep)
        data = {k: v for k, v in self.entries.items() if k in keep}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)  # a reader never sees half a cache
        self.dirty = False
