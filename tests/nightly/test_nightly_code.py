"""The nightly runs the code as committed: modified tracked files stop it (exit 2) unless --allow-dirty.

The stand-in notebooks are committed to a git repository made in the test's folder (the code
check is narrowed to them by the ``tree`` fixture, as the fingerprint is).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from pipelines.cli import main
from pipelines.nightly import ExitStatus
from pipelines.nightly.checks import check_code

from nightly_standins import METRICS_BODY, write_notebook

EDITED_PARAMS = 'processed_dir = None\nthresholds_file = None\noverrides = {"weak_links.below_city.share": 3}'


def _git(root, *args):
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture
def committed(tree):
    root = tree["root"]
    _git(root, "init", "-q")
    _git(root, "add", "notebooks")
    _git(root, "commit", "-q", "-m", "stand-ins")
    return _git(root, "rev-parse", "HEAD").strip()


def test_a_saved_edit_in_a_parameters_cell_stops_the_run(tree, committed, cli_argv, capsys):
    """The issue's case: overrides edited in 02_metrics and saved; the report changed silently."""
    write_notebook(tree["notebooks"] / "02_metrics.ipynb", EDITED_PARAMS, METRICS_BODY)
    assert main(cli_argv) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err.strip()) <= 300
    assert "notebooks/02_metrics.ipynb" in err and committed[:10] in err and "--allow-dirty" in err
    assert not (tree["reports"] / "runs").exists()


def test_outputs_saved_from_lab_and_untracked_notebooks_are_not_modified_code(tree, committed):
    nb_path = tree["notebooks"] / "01_clean.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "clean: 2 files\n"}]
    nb["cells"][1]["execution_count"] = 7
    nb["metadata"]["widgets"] = {"state": {}}
    nb_path.write_text(json.dumps(nb, indent=2), encoding="utf-8")
    (tree["notebooks"] / "scratch").mkdir()
    write_notebook(tree["notebooks"] / "scratch" / "mine.ipynb", "x = 1", "x + 1")
    write_notebook(tree["notebooks"] / "04_untracked.ipynb", "x = 1", "x + 1")
    state = check_code(tree["notebooks"], allow_dirty=False)
    assert state.commit == committed and state.dirty is False
    assert state.modified == [] and state.outputs_only == ["notebooks/01_clean.ipynb"]
    # a staged change is a change too
    write_notebook(tree["notebooks"] / "02_metrics.ipynb", EDITED_PARAMS, METRICS_BODY)
    _git(tree["root"], "add", "notebooks/02_metrics.ipynb")
    assert check_code(tree["notebooks"], allow_dirty=True).modified == ["notebooks/02_metrics.ipynb"]


def test_allow_dirty_runs_and_the_report_says_so_on_its_first_lines(tree, committed, run):
    write_notebook(tree["notebooks"] / "02_metrics.ipynb", EDITED_PARAMS, METRICS_BODY)
    result = run(allow_dirty=True)
    assert result.status == "ok", result.message
    rec = result.record
    assert rec["code"]["commit"] == committed and rec["code"]["dirty"] is True
    assert rec["code"]["modified"] == ["notebooks/02_metrics.ipynb"] and rec["code"]["diff_sha256"]
    assert rec["steps"][2]["parameters"]["modified_code"] == ["notebooks/02_metrics.ipynb"]
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert "非正式版本" in html and "notebooks/02_metrics.ipynb" in html
    assert html.index("非正式版本") < html.index("Stand-in report")
    assert "made from modified code" in (result.run_dir / "nightly.log").read_text(encoding="utf-8")
    # committed again: the same code is now official, and the next run is a real one without the banner
    _git(tree["root"], "commit", "-q", "-am", "overrides")
    clean = run()
    assert not clean.skipped and clean.record["code"]["dirty"] is False
    assert "非正式版本" not in (clean.run_dir / "report.html").read_text(encoding="utf-8")
