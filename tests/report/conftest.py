"""Report fixtures: the sample chain and the rendered report, built ONCE per test session.

``sample_tree`` runs sample → clean → metrics into a temp tree (falling back to the hand-built
contract tables of report_frames when those stages are absent); ``rendered_report`` executes
03_report on it, renders the HTML and PDF, and copies them to tests/artifacts/ for a person.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines import config

sys.path.insert(0, str(Path(__file__).parent))
import report_frames  # noqa: E402

ARTIFACTS = config.PROJECT_ROOT / "tests" / "artifacts"
PYTHON = sys.executable


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _cli(*args: str) -> None:
    subprocess.run([PYTHON, "-m", "pipelines", *args], check=True, capture_output=True, cwd=config.PROJECT_ROOT,
                   timeout=600)


@dataclass
class Tree:
    root: Path
    raw: Path
    processed: Path
    reports: Path
    real: bool  # True: built by the real sample → clean → metrics chain


@pytest.fixture(scope="session")
def sample_tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    root = tmp_path_factory.mktemp("rwb")
    tree = Tree(root, root / "raw", root / "processed", root / "reports", False)
    if all(_have(f"pipelines.{m}.cli") for m in ("sample", "ingest", "metrics")):
        _cli("sample", "--out", str(tree.raw))
        _cli("clean", "--raw", str(tree.raw), "--out", str(tree.processed))
        _cli("metrics", "--processed", str(tree.processed))
        tree.real = True
    else:
        tree.raw.mkdir()
        report_frames.write_processed(tree.processed)
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
    executed = execute(out, sample_tree.processed, None, "zh", None)
    html = render_html(executed, out / "report.html")
    pdf = render_pdf(html, out / "report.pdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(html, ARTIFACTS / "report.html")
    if pdf:
        shutil.copy(pdf, ARTIFACTS / "report.pdf")
    return Rendered(executed, html, pdf)


@pytest.fixture
def frames_dir(tmp_path: Path) -> Path:
    """The hand-built contract tables in a fresh processed folder (tests may edit them)."""
    return report_frames.write_processed(tmp_path / "processed")
