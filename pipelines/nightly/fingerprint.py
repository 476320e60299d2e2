"""What a run depends on, as one digest: inputs, parameters and code.

When the digest equals the one recorded by the run `latest` points to, nothing can have
changed and the run is skipped. Content hashes are cached by (path, size, mtime): an untouched
file is not read again, a touched one is re-hashed (so a copy with a new mtime but the same bytes
still matches). Notebooks are hashed without their outputs and execution counts, so running one
in JupyterLab and saving it does not count as a code change.

Standard library only: this runs on the skip path, which must stay far below a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.hashing import HashCache, file_sha256

CACHE_NAME = ".nightly-hashes.json"
#: Project files that are code for the purpose of "did anything change" (besides pipelines/** and notebooks).
EXTRA_CODE_FILES = ("requirements.lock", "pyproject.toml")


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    inputs: dict[str, str]  # raw-relative path → sha256
    params: str  # sha256 of the canonical parameter record
    code: str  # sha256 over the code files' hashes
    code_files: int

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps(self.inputs, sort_keys=True).encode())
        h.update(self.params.encode())
        h.update(self.code.encode())
        return h.hexdigest()

    def as_record(self) -> dict[str, Any]:
        return {"digest": self.digest, "params": self.params, "code": self.code, "code_files": self.code_files}


def _digest(path: Path) -> str:
    return notebook_sha256(path) if path.suffix == ".ipynb" else file_sha256(path)


def hash_cache(path: Path | None) -> HashCache:
    """The fingerprint's hash cache: notebooks hashed without their outputs."""
    return HashCache(path, digest=_digest)


def notebook_code(nb: Mapping[str, Any]) -> list:
    """What of a notebook is code: its kernel and each cell's type, source and tags (not outputs or counts)."""
    cells = [
        [c.get("cell_type"), "".join(c.get("source", "")), sorted(c.get("metadata", {}).get("tags", []))]
        for c in nb.get("cells", [])
    ]
    return [nb.get("metadata", {}).get("kernelspec", {}).get("name"), cells]


def notebook_sha256(path: Path) -> str:
    """Hash a notebook's sources and tags only: outputs, counts and widget state are not code."""
    try:
        code = notebook_code(json.loads(path.read_text(encoding="utf-8")))
        return hashlib.sha256(json.dumps(code, ensure_ascii=False).encode()).hexdigest()
    except (OSError, ValueError, AttributeError, TypeError):
        return file_sha256(path)


def iter_files(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Regular files under ``root`` in a stable order, skipping hidden names and __pycache__."""
    if root.is_file():
        yield root, root.stat()
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith((".pyc", ".tmp")):
                continue
            path = Path(dirpath, name)
            try:
                st = path.stat()
            except OSError:
                continue
            yield path, st


def input_hashes(raw: Path, cache: HashCache) -> dict[str, str]:
    """raw-relative path → sha256 of every input file (run.json records them all)."""
    return {path.relative_to(raw).as_posix(): cache.sha256(path, st) for path, st in iter_files(raw)}


def code_roots(notebooks_dir: Path) -> list[Path]:
    roots = [config.PACKAGE_DIR, notebooks_dir]
    roots += [config.PROJECT_ROOT / name for name in EXTRA_CODE_FILES]
    return [r for r in roots if r.exists()]


def code_hash(notebooks_dir: Path, cache: HashCache) -> tuple[str, int, list[str]]:
    """One sha256 over pipelines/** (py, yaml, templates…), the notebooks and the lock file."""
    h = hashlib.sha256()
    seen: list[str] = []
    for root in code_roots(notebooks_dir):
        for path, st in iter_files(root):
            if root == notebooks_dir and path.suffix != ".ipynb":
                continue
            h.update(f"{path}\0{cache.sha256(path, st)}\n".encode())
            seen.append(str(path))
    return h.hexdigest(), len(seen), seen


def params_hash(record: Mapping[str, Any], extra_files: Iterable[Path] = ()) -> str:
    """Hash the parameter record plus the content of every file a parameter names (e.g. thresholds)."""
    h = hashlib.sha256(json.dumps(record, sort_keys=True, default=str, ensure_ascii=False).encode())
    for path in extra_files:
        h.update(f"{path}\0{file_sha256(path) if path.is_file() else 'missing'}\n".encode())
    return h.hexdigest()


def files_named_by(values: Iterable[Any]) -> list[Path]:
    """Parameter values that name an existing file (``thresholds_file: /etc/…``): their content counts."""
    out = []
    for value in values:
        if isinstance(value, str) and ("/" in value or value.endswith((".yaml", ".yml", ".json"))):
            path = Path(value).expanduser()
            if path.is_file():
                out.append(path.resolve())
    return out


def compute(
    raw: Path, param_record: Mapping[str, Any], notebooks_dir: Path, cache_path: Path | None
) -> Fingerprint:
    """The fingerprint of a would-be run; updates the hash cache beside the run folders."""
    cache = hash_cache(cache_path)
    inputs = input_hashes(raw, cache)
    code, n_code, code_seen = code_hash(notebooks_dir, cache)
    values: list[Any] = []
    for part in ("parameters", "per_notebook"):
        section = param_record.get(part, {})
        for v in section.values():
            values.extend(v.values() if isinstance(v, dict) else [v])
    phash = params_hash(param_record, files_named_by(values))
    cache.save([str(raw / p) for p in inputs] + code_seen)
    return Fingerprint(inputs=inputs, params=phash, code=code, code_files=n_code)
