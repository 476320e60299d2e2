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

Entries are kept by pipelines/cache.py (atomic, checked for in-place changes); those a run did
not use are removed when it ends: files removed from RAW, earlier versions of edited files, an
older code version. ``full=True`` uses no entry (and so removes them all once the run is written).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from pipelines import config
from pipelines.cache import DONE, STAT, EntryCache, files_hash, key_of, library_versions, read_json, write_json

__all__ = ["DONE", "STAT", "CleanCache", "code_version", "key_of", "read_json", "write_json"]

KINDS = ("files", "periods", "registry")
#: What the cleaning runs besides the ingest package, and the domain files it reads (counties.yaml and
#: headers.yaml are the ones ``clean`` is given).
SHARED_CODE = (config.PACKAGE_DIR / "schema.py", config.DOMAIN_DIR / "load.py", config.PACKAGE_DIR / "hashing.py",
               config.PACKAGE_DIR / "cache.py")
DOMAIN_FILES = ("matching.yaml", "terms.yaml", "warnings.yaml")
LIBRARIES = ("python-calamine", "lxml", "charset-normalizer", "pandas", "pyarrow", "numpy")


def code_version(counties_file: Path, headers_file: Path) -> str:
    """One hash over the ingest code, the domain data it reads and the libraries' versions."""
    files = sorted((config.PACKAGE_DIR / "ingest").glob("*.py")) + list(SHARED_CODE)
    files += [config.DOMAIN_DIR / n for n in DOMAIN_FILES] + [Path(counties_file), Path(headers_file)]
    h = hashlib.sha256(files_hash(files).encode())
    h.update(json.dumps(_libraries(), sort_keys=True).encode())
    return h.hexdigest()


@lru_cache(maxsize=1)
def _libraries() -> dict[str, str | None]:
    return library_versions(LIBRARIES)


class CleanCache(EntryCache):
    """The clean stage's entries: ``files/``, ``periods/``, ``registry/``."""

    def __init__(self, root: Path, version: str, *, full: bool = False) -> None:
        super().__init__(root, version, KINDS, full=full)
