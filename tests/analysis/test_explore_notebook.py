"""04_explore on a nightly run folder and an earlier period, as an analyst would point it
(``papermill 04_explore.ipynb out.ipynb -p processed_dir ../reports/latest -p period 2005-02-18``);
its run with the defaults is in tests/report/test_report_notebooks.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from pipelines import config
from pipelines.params import ParameterError, check_notebook

NOTEBOOK = config.NOTEBOOKS_DIR / "04_explore.ipynb"


@pytest.fixture
def latest_run(sample_processed: Path, tmp_path: Path) -> Path:
    """reports/latest → runs/<id>, whose tables/ are the sample's tables (as the nightly keeps them)."""
    reports = tmp_path / "reports"
    shutil.copytree(sample_processed, reports / "runs" / "2026-11-28T023000" / "tables",
                    ignore=shutil.ignore_patterns(".*"))
    os.symlink("runs/2026-11-28T023000", reports / "latest")
    return reports / "latest"


def test_a_run_folders_period_is_checked_against_its_own_tables(latest_run: Path) -> None:
    assert check_notebook("04_explore", processed_dir=str(latest_run), period="2005-02-18",
                          language="zh") == (str(latest_run), "2005-02-18", "zh")
    with pytest.raises(ParameterError, match=r"period='2005-03-04': no such period in .*tables/manifest\.parquet"):
        check_notebook("04_explore", processed_dir=str(latest_run), period="2005-03-04", language="zh")


@pytest.mark.slow
def test_explore_runs_on_a_run_folder_for_an_earlier_period(latest_run: Path, sample_processed: Path,
                                                           tmp_path: Path) -> None:
    import papermill as pm

    out = tmp_path / "04_explore.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name=config.KERNEL_NAME, cwd=str(config.NOTEBOOKS_DIR),
                        parameters={"processed_dir": str(latest_run), "period": "2005-02-18"}, progress_bar=False)
    cells = {c.get("id"): c for c in nbformat.read(str(out), as_version=4).cells}
    assert not [o for c in cells.values() for o in c.get("outputs", []) if o.output_type == "error"]
    tm = pd.read_parquet(sample_processed / config.TOWNSHIP_METRICS_FILE)
    tm = tm.loc[tm["period"] == "2005-02-18"].sort_values("special_reached_rate")
    answer = cells["e05-q1"].outputs[0]["data"]["text/plain"]
    assert answer.count("2005-02-18") == 10 and tm["township"].iloc[0] in answer.splitlines()[1]
    assert "run" in cells["e03-load"].outputs[0]["data"]["text/plain"]  # the loader read the run's tables
    charts = [c for c in cells.values() for o in c.get("outputs", []) if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 6
