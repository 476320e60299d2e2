"""Write environment.yml from requirements-dev.lock so conda users get the same pinned versions.

conda cannot run on the machines that build this project; tests/test_environment.py checks
that the two files agree, and `make lock` runs this script after re-resolving the lock.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)")


def pinned(lock: Path) -> list[tuple[str, str]]:
    pins = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line.strip())
        if m:
            pins.append((m.group(1).lower(), m.group(2)))
    return pins


def render(pins: list[tuple[str, str]]) -> str:
    lines = [
        "# Generated from requirements-dev.lock by scripts/sync_environment.py (make lock); do not edit.",
        "# conda users: conda env create -f environment.yml && conda activate returns-workbench",
        "#              pip install --no-deps -e . && python -m ipykernel install --sys-prefix --name returns-workbench",
        "name: returns-workbench",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {name}=={version}" for name, version in pins]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (ROOT / "environment.yml").write_text(render(pinned(ROOT / "requirements-dev.lock")), encoding="utf-8")
