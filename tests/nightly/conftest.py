"""Fixtures for the nightly tests: tiny stand-in notebooks written into tmp folders.

The stand-ins declare the same parameters as the real notebooks and honour the same contract
(01_clean writes manifest.parquet with a status per file), so the runner is exercised end to
end in ~1 s per notebook; one slow test runs the real notebooks on the sample.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nightly_standins import (
    CLEAN_BODY,
    CLEAN_PARAMS,
    METRICS_BODY,
    METRICS_PARAMS,
    REPORT_BODY,
    REPORT_PARAMS,
    write_notebook,
)


@pytest.fixture
def standins(tmp_path: Path) -> Path:
    """A notebooks folder with the three stand-ins."""
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    write_notebook(nbdir / "01_clean.ipynb", CLEAN_PARAMS, CLEAN_BODY)
    write_notebook(nbdir / "02_metrics.ipynb", METRICS_PARAMS, METRICS_BODY)
    write_notebook(nbdir / "03_report.ipynb", REPORT_PARAMS, REPORT_BODY)
    return nbdir


@pytest.fixture
def tree(tmp_path: Path, standins: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """raw (two returns files), reports and a params file with PDF and report.docx off (speed; the stand-ins'
    tables hold no report to put into Word).

    The code part of the fingerprint is narrowed to the stand-in notebooks: the live pipelines/
    tree may be edited by someone else while the suite runs, which must not break "unchanged".
    """
    from pipelines.nightly import fingerprint

    monkeypatch.setattr(fingerprint, "code_roots", lambda notebooks_dir: [notebooks_dir])
    raw = tmp_path / "raw"
    (raw / "2005-02-25").mkdir(parents=True)
    (raw / "2005-02-25" / "meixian.csv").write_text("branch,members\na,3\n", encoding="utf-8")
    (raw / "2005-02-25" / "pingyuan.csv").write_text("branch,members\nb,5\n", encoding="utf-8")
    params = tmp_path / "nightly.yaml"
    params.write_text("pdf: false\ndocx: false\nexecution_timeout: 60\nkeep_runs: 5\nparameters:\n  language: zh\n",
                      encoding="utf-8")
    return {"raw": raw, "reports": tmp_path / "reports", "notebooks": standins, "params": params, "root": tmp_path}


@pytest.fixture
def run(tree: dict[str, Path]) -> Callable:
    """run_nightly over the tmp tree; keyword arguments pass through."""
    from pipelines.nightly import run_nightly

    def _run(params=None, force=False, **kw):
        return run_nightly(tree["raw"], tree["reports"], params, force,
                           params_file=tree["params"], notebooks_dir=tree["notebooks"], **kw)

    return _run


@pytest.fixture
def cli_argv(tree: dict[str, Path]) -> list[str]:
    return ["nightly", "--raw", str(tree["raw"]), "--reports", str(tree["reports"]),
            "--params-file", str(tree["params"]), "--notebooks", str(tree["notebooks"])]
