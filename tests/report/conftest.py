"""Report fixtures: the sample chain and the rendered report, built ONCE per test session.

``sample_tree`` runs sample → clean → metrics into a temp tree; ``rendered_report`` executes
03_report on it, renders the HTML and PDF, and copies them to tests/artifacts/ for a person.
``frames_dir`` is a fresh copy of that processed folder for a test to change (its inputs, then
the metrics stage again: the report never reads hand-made verdicts).
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
PYTHON = sys.executable


def _cli(*args: str) -> None:
    subprocess.run([PYTHON, "-m", "pipelines", *args], check=True, capture_output=True, cwd=config.PROJECT_ROOT,
                   timeout=600)


@dataclass
class Tree:
    root: Path
    raw: Path
    processed: Path
    reports: Path


@pytest.fixture(scope="session")
def sample_tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    root = tmp_path_factory.mktemp("rwb")
    tree = Tree(root, root / "raw", root / "processed", root / "reports")
    _cli("sample", "--out", str(tree.raw))
    _cli("clean", "--raw", str(tree.raw), "--out", str(tree.processed))
    _cli("metrics", "--processed", str(tree.processed))
    tree.reports.mkdir()
    return tree


@dataclass
class Rendered:
    executed: Path
    html: Path
    pdf: Path | None


@pytest.fixture(scope="session")
def rendered_report(sample_tree: Tree) -> Rendered:
    from pipelines.report.cli import execute
    from pipelines.report.render import render_html, render_pdf

    out = sample_tree.reports
    executed = execute(out, sample_tree.processed, None, "zh")
    html = render_html(executed, out / "report.html")
    pdf = render_pdf(html, out / "report.pdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(html, ARTIFACTS / "report.html")
    if pdf:
        shutil.copy(pdf, ARTIFACTS / "report.pdf")
    return Rendered(executed, html, pdf)


@pytest.fixture
def frames_dir(sample_tree: Tree, tmp_path: Path) -> Path:
    """A copy of the sample's processed folder, for a test to change and re-run the metrics on."""
    return Path(shutil.copytree(sample_tree.processed, tmp_path / "processed"))
