"""Fixtures for the documents tests: the real sample chain, built once per session (per xdist worker).

``sample_chain`` runs ``python -m pipelines sample``, ``clean`` and ``metrics`` into a temp tree,
as a person would; the feedback tests read the workbooks written from it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import config


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pipelines", *args], check=True, capture_output=True,
                   cwd=config.PROJECT_ROOT, timeout=900)


@pytest.fixture(scope="session")
def sample_chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The processed folder of the seeded sample after clean and metrics (raw beside it, in ../raw)."""
    root = tmp_path_factory.mktemp("chain")
    _cli("sample", "--out", str(root / "raw"))
    _cli("clean", "--raw", str(root / "raw"), "--out", str(root / "processed"), "--quiet")
    _cli("metrics", "--processed", str(root / "processed"))
    return root / "processed"
