"""The CLI, parameters (file, --set, notebook overrides) and the generated docs table."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from pipelines import config, datasets, table_sets
from pipelines.cli import main
from pipelines.metrics import load_indicators, load_thresholds
from pipelines.metrics.docs import DOCS_FILE, render_indicator_docs

import metrics_frames as mf


@pytest.fixture()
def processed(tmp_path):
    return mf.write(tmp_path, rejects_frame=False, manifest_frame=False, warnings_frame=False)


OUTPUT_TABLES = (config.COUNTY_METRICS_FILE, config.TOWNSHIP_METRICS_FILE, config.BALANCE_FILE, config.DATA_QUALITY_FILE,
                 config.TRENDS_FILE, config.STATUS_TABLE, config.FINDINGS_TABLE, config.RANKING_FILE, config.ACTIONS_FILE,
                 config.REPORTING_TABLE)


def test_cli_writes_every_output(processed, capsys):
    assert main(["metrics", "--processed", str(processed), "--set", "weak_links.below_city.share=3"]) == 0
    for name in OUTPUT_TABLES:
        assert datasets.exists(processed, name), name
    for name in (config.STATUS_TABLE, config.FINDINGS_TABLE, config.REPORTING_TABLE):  # one folder per period
        assert sorted(datasets.partition_periods(processed / name)) == ["2005-02-04", datasets.NULL_PARTITION]
    cm = pd.read_parquet(processed / config.COUNTY_METRICS_FILE)
    assert [i["id"] for i in yaml.safe_load(config.INDICATORS_FILE.read_text("utf-8"))["indicators"]] == [
        c for c in cm.columns if c in {i.id for i in load_indicators()}]
    rep = datasets.read(processed, config.REPORTING_TABLE)
    assert list(rep.columns) == ["period", "county", "township", "branch", "members", "reported"]
    assert len(rep) == 7 and rep["reported"].sum() == 5 and str(rep["period"].dtype) == "datetime64[ns]"
    assert "weak links" in capsys.readouterr().out
    assert not list(processed.rglob("*.tmp"))  # atomic writes leave no temp files


def test_cli_missing_input_exits_2(tmp_path, capsys):
    assert main(["metrics", "--processed", str(tmp_path)]) == 2
    assert f"{tmp_path}/returns is missing" in capsys.readouterr().err


def test_cli_thresholds_file_and_bad_key(processed, tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("indicators:\n  avg_score: {target: 85, warning: 80}\n", encoding="utf-8")
    assert main(["metrics", "--processed", str(processed), "--thresholds", str(f)]) == 0
    st = datasets.read(processed, config.STATUS_TABLE)
    assert (st.loc[st["indicator"] == "avg_score", "target"] == 85).all()
    f.write_text("indicators:\n  no_such_indicator: {target: 1}\n", encoding="utf-8")
    assert main(["metrics", "--processed", str(processed), "--thresholds", str(f)]) == 2
    f.write_text("weak_links:\n  below_city: {sahre: 3}\n", encoding="utf-8")
    assert main(["metrics", "--processed", str(processed), "--thresholds", str(f)]) == 2
    assert main(["metrics", "--processed", str(processed), "--set", "indicators.avg_score.target=high"]) == 2


def test_overrides_dict_strings_and_json_agree():
    a = load_thresholds(overrides={"weak_links.funnel_z": 2.58, "quality.score_min": 70})
    b = load_thresholds(overrides=["weak_links.funnel_z=2.58", "quality.score_min=70"])
    c = load_thresholds(overrides='{"weak_links.funnel_z": 2.58, "quality": {"score_min": 70}}')
    assert a == b == c and a.weak_links["funnel_z"] == 2.58
    assert load_thresholds().weak_links["funnel_z"] == 3.09  # defaults untouched
    for bad, named in (({"nonsense.x": 1}, "nonsense"), ({"weak_links.funnel_zz": 1}, "funnel_zz"),
                       ({"quality.score_min": "high"}, "score_min"), ({"weak_links.funnel_z": -1}, "funnel_z"),
                       (["indicators.exchange_coverage.due=2005-02-30"], "due")):
        with pytest.raises(ValueError, match=named):
            load_thresholds(overrides=bad)


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


def test_outputs_are_validated_before_writing(processed):
    import pandera.errors

    from pipelines.metrics import compute_metrics
    from pipelines.metrics.schema import validate

    res = compute_metrics(processed, write=False)
    validate(res.frames(), res.indicators)  # the real outputs pass
    broken = res.frames()
    cm = broken["county_metrics"].copy()
    cm.loc[0, "report_rate"] = 1.5  # a share above 100 %
    with pytest.raises(pandera.errors.SchemaError):
        validate({**res.frames(), "county_metrics": cm}, res.indicators)
    f = res.findings.copy()
    f.at[0, "rules"] = ["made_up"]
    with pytest.raises(pandera.errors.SchemaError):
        validate({**res.frames(), "findings": f}, res.indicators)
    st = res.status.copy()
    st.loc[0, "status"] = "fine"
    with pytest.raises(pandera.errors.SchemaError):
        validate({**res.frames(), "status": st}, res.indicators)


def test_a_failure_late_in_the_stage_leaves_the_previous_outputs_whole(processed, monkeypatch):
    """Outputs are staged while the next ones are written; when one fails, none of the files is
    replaced and no temporary file is left."""
    from pipelines.aggregate import engine as engine_mod
    from pipelines.metrics import api

    assert main(["metrics", "--processed", str(processed)]) == 0
    names = [*api.OUTPUTS.values(), config.REPORTING_TABLE]

    def snapshot():
        return {n: {f.relative_to(processed).as_posix(): f.read_bytes() for f in datasets.part_files(processed, n)}
                for n in names}

    before = snapshot()
    rows = mf.returns_rows(mf.P1) + mf.returns_rows(mf.P2)  # a second period: every output changes
    mf.write(processed, mf.returns(rows), rejects_frame=False, manifest_frame=False, warnings_frame=False)

    def failing(self, expr, path):
        (path / "period=2005-02-04").mkdir(parents=True)
        (path / "period=2005-02-04" / "part-0.parquet").write_bytes(b"half a file")
        raise OSError("disk full (on purpose)")

    monkeypatch.setattr(engine_mod.Engine, "write_partitioned", failing)
    with pytest.raises(OSError, match="on purpose"):
        main(["metrics", "--processed", str(processed)])
    assert snapshot() == before
    assert not list(processed.rglob("*.tmp")) and len(list((processed / table_sets.VERSIONS).iterdir())) == 1
    monkeypatch.undo()
    assert main(["metrics", "--processed", str(processed)]) == 0
    assert datasets.read(processed, config.FINDINGS_TABLE)["period"].nunique() == 2
