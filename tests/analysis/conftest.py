"""The real sample chain (sample → clean → metrics), built ONCE per test session and shared by the
xdist workers (a lock beside their temp folders), for the loader's tests to read."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import config


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pipelines", *args], check=True, capture_output=True,
                   cwd=config.PROJECT_ROOT, timeout=600)


@pytest.fixture(scope="session")
def sample_processed(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A processed folder of the seeded sample: every table of docs/contracts.md. Read only."""
    base = tmp_path_factory.getbasetemp()
    root = (base if worker_id == "master" else base.parent) / "analysis-sample"
    root.mkdir(exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds, the others wait for it
        processed = root / "processed"
        if not (root / ".done").exists():
            _cli("sample", "--out", str(root / "raw"))
            _cli("clean", "--raw", str(root / "raw"), "--out", str(processed))
            _cli("metrics", "--processed", str(processed))
            (root / ".done").touch()
    return processed


@pytest.fixture
def processed_copy(sample_processed: Path, tmp_path: Path) -> Path:
    """A copy of the sample's processed folder for a test to change."""
    return Path(shutil.copytree(sample_processed, tmp_path / "processed", ignore=shutil.ignore_patterns(".*")))
