"""Is the code about to run the code as committed? HEAD, and the tracked files that differ from it.

The nightly makes the office's official report, so it runs the notebooks and pipelines as
committed: a saved edit in a parameters cell must not change the leadership report silently.
Only tracked files count (an analyst's untracked notebook is not the nightly's code), and a
notebook counts only when its code differs: outputs and execution counts saved from JupyterLab
are compared away, as the skip fingerprint does. Outside a git checkout (or without git) the
state is recorded as unknown and the run goes on.

Standard library only, one or two ``git`` calls: this runs before the skip decision.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipelines.nightly.fingerprint import notebook_code


@dataclasses.dataclass(frozen=True)
class CodeState:
    commit: str | None  # HEAD, or None when it could not be told
    modified: list[str]  # tracked files whose code differs from HEAD (repository-relative)
    outputs_only: list[str]  # notebooks that differ from HEAD only in outputs, counts or metadata
    diff_sha256: str | None
    note: str = ""  # why the state is unknown

    @property
    def dirty(self) -> bool | None:
        return None if self.commit is None else bool(self.modified)

    def as_record(self) -> dict[str, Any]:
        return {"commit": self.commit, "dirty": self.dirty, "modified": self.modified,
                "outputs_only": self.outputs_only, "diff_sha256": self.diff_sha256, "note": self.note or None}


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=20,
                              check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def code_state(paths: Iterable[Path]) -> CodeState:
    """HEAD and the modified tracked files under ``paths`` (folders of one checkout)."""
    paths = [Path(p).resolve() for p in paths if Path(p).is_dir()]
    if not paths:
        return CodeState(None, [], [], None, "no code folder to check")
    top = _git(paths[0], "rev-parse", "--show-toplevel")
    head = _git(paths[0], "rev-parse", "HEAD") if top else None
    if not top or not head:
        return CodeState(None, [], [], None, f"{paths[0]} is not in a git checkout (or git is missing)")
    root = Path(top.strip())
    inside = [p for p in paths if p == root or root in p.parents]
    if not inside:
        return CodeState(None, [], [], None, f"{paths[0]} is outside {root}")
    rel = [p.relative_to(root).as_posix() or "." for p in inside]
    names = _git(root, "diff", "HEAD", "--name-only", "--no-renames", "--", *rel)
    if names is None:
        return CodeState(None, [], [], None, f"git diff failed in {root}")
    modified, outputs_only = [], []
    for name in (n for n in names.splitlines() if n.strip()):
        if name.endswith(".ipynb") and _same_notebook_code(root, name):
            outputs_only.append(name)
        else:
            modified.append(name)
    diff = _git(root, "diff", "HEAD", "--no-renames", "--", *modified) if modified else ""
    return CodeState(head.strip(), modified, outputs_only,
                     hashlib.sha256(diff.encode()).hexdigest() if diff else None)


def _same_notebook_code(root: Path, name: str) -> bool:
    """True when the working notebook's sources and tags equal HEAD's (only outputs differ)."""
    committed = _git(root, "show", f"HEAD:{name}")
    path = root / name
    if committed is None or not path.is_file():
        return False
    try:
        return notebook_code(json.loads(committed)) == notebook_code(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError, TypeError):
        return False
