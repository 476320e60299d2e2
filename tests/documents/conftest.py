"""Fixtures for the documents tests: the real sample chain, built once per session (per xdist worker).

``sample_chain`` runs ``python -m pipelines sample``, ``clean`` and ``metrics`` into a temp tree,
as a person would; the feedback tests read the workbooks written from it. ``word_report`` writes the
sample's 汇报 as Word from it (and copies it to tests/artifacts/ for a person to open).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines import config

ARTIFACTS = config.PROJECT_ROOT / "tests" / "artifacts"


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


@dataclass
class WordReport:
    """The sample's 汇报 as Word, written by the API as the nightly writes it, with the model it came from."""

    path: Path
    model: dict
    result: object


ADDRESSEE = "省委先进办、省委督导组："


@pytest.fixture(scope="session")
def word_report(sample_chain: Path, tmp_path_factory: pytest.TempPathFactory) -> WordReport:
    """report.docx of the sample (zh, with its figures and an addressee), built once per session."""
    from pipelines.documents.word import write_report_docx
    from pipelines.report import tables
    from pipelines.report.model import report_model

    out = tmp_path_factory.mktemp("word") / "report.docx"
    result = write_report_docx(sample_chain, out, addressee=ADDRESSEE)
    model = report_model(tables.load_report_data(sample_chain), "zh", addressee=ADDRESSEE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(out, ARTIFACTS / "report.docx")
    return WordReport(out, model, result)
