"""pipelines.params: the checks a notebook's validation cell and the nightly share."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import config
from pipelines import params as parameters
from pipelines.params import ParameterError, check_notebook
from pipelines.report.banner import banner_html


def test_languages_are_the_narrative_templates_found(tmp_path, monkeypatch):
    assert parameters.languages() == ["en", "zh"]
    for name in ("narrative.zh.html.j2", "narrative.fr.html.j2", "weak_links.html.j2"):
        (tmp_path / name).write_text("{{ x }}", encoding="utf-8")
    monkeypatch.setattr(config, "TEMPLATES_DIR", tmp_path)
    assert parameters.languages() == ["fr", "zh"]
    assert check_notebook("03_report", language="fr") == ("fr",)
    with pytest.raises(ParameterError, match=r"language='en': no narrative template .*allowed: fr or zh"):
        check_notebook("03_report", language="en")


def test_a_notebook_checks_its_period_against_the_periods_of_its_data(tmp_path):
    """Run standalone (JupyterLab, papermill), 03_report's period is checked against manifest.parquet."""
    manifest = pa.table({"period": pa.array([None, "2005-02-04", "2005-02-25"]).cast(pa.timestamp("ns"))})
    pq.write_table(manifest, tmp_path / config.MANIFEST_FILE)
    assert check_notebook("03_report", processed_dir=str(tmp_path), period="2005-02-25") == (str(tmp_path),
                                                                                           "2005-02-25")
    with pytest.raises(ParameterError) as info:
        check_notebook("03_report", processed_dir=str(tmp_path), period="2005-02-11")
    assert "no such period in" in str(info.value) and "2005-02-04, 2005-02-25" in str(info.value)
    with pytest.raises(ParameterError, match="not an ISO date"):
        check_notebook("03_report", processed_dir=str(tmp_path), period="25/02/2005")


def test_overrides_as_json_text_and_every_name_needs_a_check(tmp_path):
    assert check_notebook("02_metrics", overrides='{"trends.window": 4}') == ({"trends.window": 4},)
    assert check_notebook("02_metrics", overrides={}) == ({},)
    with pytest.raises(ParameterError, match=r"unknown threshold trends\.windw \(did you mean trends\.window\?\)"):
        check_notebook("02_metrics", overrides={"trends.windw": 4})
    with pytest.raises(ParameterError, match="thresholds_file=.*no such file"):
        check_notebook("02_metrics", thresholds_file=str(tmp_path / "none.yaml"))
    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="thresholds_file="):
        check_notebook("02_metrics", thresholds_file=str(bad))
    with pytest.raises(ParameterError, match="no check is defined"):
        check_notebook("02_metrics", colour="red")


def test_modified_code_banner():
    assert banner_html([], "zh") == ""
    one = banner_html(["notebooks/02_metrics.ipynb"], "zh")
    assert "非正式版本" in one and "notebooks/02_metrics.ipynb" in one
    many = banner_html([f"pipelines/m{i}.py" for i in range(5)], "zh")
    assert "pipelines/m0.py、pipelines/m1.py、pipelines/m2.py 等 5 个文件" in many and "m3.py" not in many
    assert "and 2 more" in banner_html([f"f{i}" for i in range(5)], "en")
    assert "&lt;b&gt;" in banner_html(["<b>.py"], "en")
