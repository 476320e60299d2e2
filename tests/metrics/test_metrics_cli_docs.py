"""The CLI, parameters (file, --set, notebook overrides) and the generated docs table."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

import metrics_frames as mf
from pipelines import config
from pipelines.cli import main
from pipelines.metrics import load_indicators, load_thresholds
from pipelines.metrics.docs import DOCS_FILE, render_indicator_docs


@pytest.fixture()
def processed(tmp_path):
    mf.returns().to_parquet(tmp_path / config.RETURNS_FILE)
    mf.registry().to_parquet(tmp_path / config.REGISTRY_FILE)
    return tmp_path


def test_cli_writes_every_output(processed, capsys):
    assert main(["metrics", "--processed", str(processed), "--set", "weak_links.below_city.share=3"]) == 0
    for name in (config.COUNTY_METRICS_FILE, config.TOWNSHIP_METRICS_FILE, config.BALANCE_FILE,
                 config.WEAK_LINKS_FILE, config.DATA_QUALITY_FILE, config.TRENDS_FILE):
        assert (processed / name).exists(), name
    cm = pd.read_parquet(processed / config.COUNTY_METRICS_FILE)
    assert [i["id"] for i in yaml.safe_load(config.INDICATORS_FILE.read_text("utf-8"))["indicators"]] == [
        c for c in cm.columns if c in {i.id for i in load_indicators()}]
    assert "weak links" in capsys.readouterr().out
    assert not list(processed.glob(".*.tmp"))  # atomic writes leave no temp files


def test_cli_missing_input_exits_2(tmp_path, capsys):
    assert main(["metrics", "--processed", str(tmp_path)]) == 2
    assert "returns.parquet" in capsys.readouterr().err


def test_cli_thresholds_file_and_bad_key(processed, tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("indicators:\n  avg_score: {target: 85, warning: 80}\n", encoding="utf-8")
    assert main(["metrics", "--processed", str(processed), "--thresholds", str(f)]) == 0
    wl = pd.read_parquet(processed / config.WEAK_LINKS_FILE)
    below = wl.loc[(wl["indicator"] == "avg_score") & (wl["rule"] == "below_target"), "target"]
    assert (below == 85).all() and len(below) == 1
    f.write_text("indicators:\n  no_such_indicator: {target: 1}\n", encoding="utf-8")
    assert main(["metrics", "--processed", str(processed), "--thresholds", str(f)]) == 2


def test_overrides_dict_and_strings_agree():
    a = load_thresholds(overrides={"weak_links.funnel_z": 2.58, "quality.score_min": 70})
    b = load_thresholds(overrides=["weak_links.funnel_z=2.58", "quality.score_min=70"])
    assert a == b and a.weak_links["funnel_z"] == 2.58
    assert load_thresholds().weak_links["funnel_z"] == 3.09  # defaults untouched
    with pytest.raises(ValueError):
        load_thresholds(overrides={"nonsense.x": 1})


def test_warning_must_sit_on_the_bad_side_of_the_target():
    with pytest.raises(ValueError):
        load_indicators(load_thresholds(overrides={"indicators.avg_score.warning": 99, "indicators.avg_score.target": 90}))


def test_docs_indicators_md_is_up_to_date():
    assert DOCS_FILE.read_text(encoding="utf-8") == render_indicator_docs(), (
        "docs/indicators.md is stale: run `python -m pipelines metrics --write-docs`")


def test_indicator_ids_match_the_contract():
    contract = (config.PROJECT_ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    for ind in load_indicators():
        assert ind.id in contract


def test_outputs_are_validated_before_writing():
    import pandera.errors

    from pipelines.metrics import metrics_from_frames
    from pipelines.metrics.schema import validate

    th = load_thresholds()
    inds = load_indicators(th)
    res = metrics_from_frames(mf.returns(), mf.registry(), mf.rejects(), mf.manifest(), inds, th)
    validate(res.frames(), inds)  # the real outputs pass
    broken = res.frames()
    cm = broken["county_metrics"].copy()
    cm.loc[0, "report_rate"] = 1.5  # a share above 100 %
    broken["county_metrics"] = cm
    with pytest.raises(pandera.errors.SchemaError):
        validate(broken, inds)
    wl = res.weak_links.copy()
    wl.loc[0, "rule"] = "made_up"
    with pytest.raises(pandera.errors.SchemaError):
        validate({**res.frames(), "weak_links": wl}, inds)


def test_a_failure_late_in_the_stage_leaves_the_previous_outputs_whole(processed, monkeypatch):
    # The weak links are written to a temporary file while data quality is still being checked;
    # when a later output fails, none of the six files is replaced and no temporary file is left.
    from pipelines.metrics import api, schema

    assert main(["metrics", "--processed", str(processed)]) == 0
    names = list(api.OUTPUTS.values())
    before = {n: (processed / n).read_bytes() for n in names}
    rows = mf.returns_rows(mf.P1) + mf.returns_rows(mf.P2)  # a second period: every output changes
    mf.returns(rows).to_parquet(processed / config.RETURNS_FILE)
    real = schema.validate_one
    staged = []

    def failing(name, frame, indicators):
        staged.append(name)
        if name == "data_quality":
            raise ValueError("data_quality: broken on purpose")
        return real(name, frame, indicators)

    monkeypatch.setattr(schema, "validate_one", failing)
    assert main(["metrics", "--processed", str(processed)]) == 2
    assert staged[0] == "weak_links" and "data_quality" in staged  # weak links were staged first
    assert {n: (processed / n).read_bytes() for n in names} == before
    assert not list(processed.glob(".*.tmp"))
    monkeypatch.setattr(schema, "validate_one", real)
    assert main(["metrics", "--processed", str(processed)]) == 0
    assert pd.read_parquet(processed / config.WEAK_LINKS_FILE)["period"].nunique() == 2
