"""pipelines.load() on the real sample chain: lazy typed tables, period filters, run folders, the one
reader on a period-partitioned folder, the one-line answers, and pipelines.indicator()."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipelines
from pipelines import config, datasets, schema, table_sets
from pipelines.aggregate.reporting import PUBLIC as REPORTING_COLUMNS
from pipelines.domain import load as domain
from pipelines.judge.findings import COLUMNS as FINDING_COLUMNS
from pipelines.judge.status import COLUMNS as STATUS_COLUMNS
from pipelines.loader import TABLES, read_table

LATEST = pd.Timestamp("2005-02-25")
PERIODS = [pd.Timestamp(p) for p in ("2005-02-04", "2005-02-11", "2005-02-18", "2005-02-25")]
CITY_ORDER = [*domain.county_order(), "全市"]


#: The contract's column order of the tables partitioned by period (docs/contracts.md).
CONTRACT = {"returns": schema.RETURNS_COLUMNS, "rejects": schema.REJECTS_COLUMNS, "warnings": schema.WARNINGS_COLUMNS,
            "findings": FINDING_COLUMNS, "status": STATUS_COLUMNS, "reporting": REPORTING_COLUMNS}


def raw(folder: Path, name: str) -> pd.DataFrame:
    """A table as pandas reads it, untouched: what the loader's answers are checked against. A table
    partitioned by period is read file by file, the period taken from each folder's name (rows of no
    period first, then the periods in order), in the contract's column order."""
    path = folder / TABLES[name]
    if path.is_file():
        return pd.read_parquet(path)
    frames = []
    for part in sorted(path.glob("period=*/*.parquet"), key=lambda p: (not p.parent.name.endswith("PARTITION__"), p)):
        value = part.parent.name.split("=", 1)[1]
        frame = pd.read_parquet(part)
        day = pd.NaT if value == "__HIVE_DEFAULT_PARTITION__" else pd.Timestamp(value)
        frames.append(frame.assign(period=pd.Series(day, index=frame.index, dtype="datetime64[ns]")))
    whole = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(whole, ignore_index=True)[list(CONTRACT[name])]


# --- the package stays light -----------------------------------------------------------------------

def test_import_pipelines_reads_no_pandas_until_load_is_used(sample_processed: Path) -> None:
    code = ("import sys, pipelines; light = 'pandas' not in sys.modules and 'pyarrow' not in sys.modules; "
            f"t = pipelines.load({str(sample_processed)!r}); print(light, 'pandas' in sys.modules, len(t.registry))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "2394"]


# --- tables: lazy, typed ---------------------------------------------------------------------------

def test_every_table_of_the_folder_is_an_attribute_with_the_contract_values(sample_processed: Path) -> None:
    t = pipelines.load(sample_processed)
    for name in TABLES:
        got, want = getattr(t, name), raw(sample_processed, name)
        assert list(got.columns) == list(want.columns), name
        for col in ("county", "best_county", "worst_county"):
            if col in got:
                got = got.assign(**{col: got[col].astype("str")})
                want = want.assign(**{col: want[col].astype("str")})
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)
    assert t.returns is t.returns  # read once, then kept


def test_periods_are_dates_and_counties_ordered_in_the_citys_order(sample_processed: Path) -> None:
    t = pipelines.load(sample_processed)
    assert t.periods == PERIODS and t.period == LATEST
    for name in ("returns", "county_metrics", "findings", "status", "reporting", "manifest"):
        frame = getattr(t, name)
        assert frame["period"].dtype == "datetime64[ns]", name
        assert isinstance(frame["county"].dtype, pd.CategoricalDtype) and frame["county"].cat.ordered, name
    assert t.findings["due"].dtype == "datetime64[ns]"
    assert list(t.county_metrics["county"].cat.categories) == CITY_ORDER
    city_order = t.latest.county_metrics.sort_values("county")["county"].astype(str).tolist()
    assert city_order == CITY_ORDER  # sorting follows counties.yaml, 全市 last
    # a county the city does not list (the manifest's registry row names them all) comes before 全市
    manifest = t.manifest["county"].cat.categories.tolist()
    assert manifest[:9] == CITY_ORDER[:9] and manifest[-1] == "全市" and len(manifest) == 11


def test_a_table_is_read_only_when_asked_for(processed_copy: Path) -> None:
    (processed_copy / config.BALANCE_FILE).write_bytes(b"not parquet")
    t = pipelines.load(processed_copy)
    assert len(t.county_metrics) == 40 and len(t.latest.findings) == 36
    with pytest.raises(pa.ArrowInvalid):
        _ = t.balance


def test_a_missing_table_names_the_file_and_the_command_that_makes_it(processed_copy: Path) -> None:
    shutil.rmtree(processed_copy / config.FINDINGS_TABLE)
    shutil.rmtree(processed_copy / config.REJECTS_TABLE)
    (processed_copy / config.BALANCE_FILE).unlink()
    t = pipelines.load(processed_copy)
    with pytest.raises(FileNotFoundError, match=r"processed/findings is missing: `python -m pipelines metrics "
                                                r"--processed .*processed` makes it"):
        _ = t.weak_links
    with pytest.raises(FileNotFoundError, match=r"processed/rejects is missing: `python -m pipelines clean"):
        _ = t.rejects
    with pytest.raises(FileNotFoundError, match=r"balance\.parquet is missing: `python -m pipelines metrics"):
        _ = t.balance
    with pytest.raises(AttributeError, match="no table 'retrns'; did you mean returns"):
        _ = t.retrns
    with pytest.raises(FileNotFoundError, match="no such folder"):
        pipelines.load(processed_copy / "nowhere")


# --- periods --------------------------------------------------------------------------------------

def test_latest_and_the_period_filters_read_those_periods_only(sample_processed: Path) -> None:
    t = pipelines.load(sample_processed)
    returns = raw(sample_processed, "returns")
    assert len(t.latest.returns) == (returns["period"] == LATEST).sum() == 2394
    assert set(t.latest.status["period"]) == {LATEST}
    assert len(t.latest.registry) == 2394  # a table without periods is whole in every slice
    week = pipelines.load(sample_processed, period="2005-02-18")
    assert week.periods == [PERIODS[2]] and week.latest is week
    assert len(week.returns) == (returns["period"] == PERIODS[2]).sum() == 2331
    two = pipelines.load(sample_processed, periods=["2005-02-04", dt.date(2005, 2, 11)])
    assert sorted(set(two.county_metrics["period"])) == PERIODS[:2] and two.period == PERIODS[1]
    assert t.at("2005-02-11").returns["period"].unique().tolist() == [PERIODS[1]]
    with pytest.raises(ValueError, match="no period 2005-02-26 .* its periods are 2005-02-04, 2005-02-11"):
        pipelines.load(sample_processed, period="2005-02-26")
    with pytest.raises(ValueError, match="20050225.*not an ISO date"):
        pipelines.load(sample_processed, period="20050225")
    with pytest.raises(ValueError, match="not both"):
        pipelines.load(sample_processed, period="2005-02-25", periods=["2005-02-18"])


def test_a_run_folder_is_read_from_its_tables(sample_processed: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    run = reports / "runs" / "2026-11-28T023000"
    shutil.copytree(sample_processed, run / "tables", ignore=shutil.ignore_patterns(".*", "findings"))
    os.symlink("runs/2026-11-28T023000", reports / "latest")
    for source in (reports / "latest", reports, run):
        t = pipelines.load(source)
        assert t.run and t.folder.name == "tables" and len(t.latest.county_metrics) == 10
    with pytest.raises(FileNotFoundError, match="this nightly run did not keep findings .*02_metrics"):
        _ = pipelines.load(reports / "latest").findings


# --- the one reader: a folder partitioned by period, or a file -------------------------------------

def test_one_period_is_read_without_opening_any_other_periods_file(sample_processed: Path, processed_copy: Path) -> None:
    """Every other period's file of every partitioned table is broken: one period still reads whole —
    through the loader, the report's tables and the feedback workbooks — and the whole table does not."""
    from pipelines.documents.feedback_tables import read_tables
    from pipelines.report.lacking import lacking
    from pipelines.report.tables import load_report_data

    # a reject of no period (a file whose period could not be told) is read with every period
    undated = next((processed_copy / "rejects" / f"period={datasets.NULL_PARTITION}").glob("*.parquet"))
    stray = raw(sample_processed, "rejects").iloc[:1].drop(columns="period").assign(source_file="无期别.xlsx")
    schema_of = pq.read_schema(undated)
    pq.write_table(pa.Table.from_pandas(stray[schema_of.names], schema=schema_of, preserve_index=False), undated)
    keep = {f"period={LATEST.date()}", f"period={datasets.NULL_PARTITION}"}
    broken = 0
    for name in datasets.PARTITIONED:
        for part in (processed_copy / name).glob("period=*/*.parquet"):
            if part.parent.name not in keep:
                part.write_bytes(b"not parquet")
                broken += 1
    assert broken == 6 * 3
    t = pipelines.load(processed_copy, period=LATEST)
    assert t.periods == [LATEST]
    for name in datasets.PARTITIONED:
        want = raw(sample_processed, name)
        want = want.loc[want["period"].isna() | (want["period"] == LATEST)]
        got = getattr(t, name)
        assert len(got) == len(want) + (name == "rejects"), name
        assert len(got) > 0 or name == "warnings", name
        assert set(got["period"].dropna()) <= {LATEST}
    assert list(t.rejects.loc[t.rejects["period"].isna(), "source_file"]) == ["无期别.xlsx"]
    assert len(t.returns) == 2394 and len(t.weak_links) == 26
    with pytest.raises(pa.ArrowInvalid):
        _ = pipelines.load(processed_copy).returns
    data = load_report_data(processed_copy, period="2005-02-25")
    assert len(data.findings) == 36 and len(data.status) and len(data.reporting) == 2394
    assert len(lacking(data)) > 0  # the period's branch rows, read on their own
    assert read_tables(processed_copy, "2005-02-25").period == LATEST


def test_an_older_folder_with_one_file_per_table_is_still_read(sample_processed: Path, tmp_path: Path) -> None:
    """A run folder from before the tables were partitioned (returns.parquet …) reads the same."""
    old = tmp_path / "old"
    old.mkdir()
    for name in TABLES:
        datasets.read(sample_processed, name).to_parquet(old / f"{name}.parquet", index=False)
    now, then = pipelines.load(sample_processed), pipelines.load(old)
    assert then.periods == now.periods == PERIODS
    for name in datasets.PARTITIONED:
        pd.testing.assert_frame_equal(getattr(then.latest, name), getattr(now.latest, name), obj=name)
    week = read_table(old / "returns.parquet", periods=[LATEST])
    assert set(week["period"]) == {LATEST} and len(week) == 2394


# --- one-line answers -----------------------------------------------------------------------------

def test_lowest_townships_on_special_members_reached_are_all_in_wuhua(sample_processed: Path) -> None:
    t = pipelines.load(sample_processed)
    low = t.lowest("township", "送学补学", n=10)
    tm = raw(sample_processed, "township_metrics")
    tm = tm.loc[(tm["period"] == LATEST) & tm["special_reached_rate"].notna()]
    want = tm.sort_values("special_reached_rate").head(10)
    assert low["township"].tolist() == want["township"].tolist()
    assert low["value"].is_monotonic_increasing and set(low["county"]) == {"五华县"}
    first = low.iloc[0]
    assert (first["township"], first["numerator"], first["denominator"]) == ("岐岭镇", 20, 32)
    assert first["indicator"] == "special_reached_rate"
    assert first["value"] == pytest.approx(0.625) and set(low["status"]) == {"alert"}
    by_id = t.lowest("township", "special_reached_rate", n=10)
    pd.testing.assert_frame_equal(by_id, t.lowest("township", "Special members reached", n=10))
    assert by_id["township"].tolist() == low["township"].tolist()
    counties = t.lowest("county", "送学补学", n=3)
    assert counties["county"].astype(str).tolist() == ["五华县", "梅江区", "市直单位"]
    dabu = t.lowest("township", "四会一课", n=3, county="大埔")
    assert dabu["township"].tolist() == ["光德镇", "青溪镇", "大东镇"] and set(dabu["county"]) == {"大埔县"}
    earlier = t.lowest("township", "送学补学", n=1, period="2005-02-04")
    assert set(earlier["period"]) == {PERIODS[0]}


def test_series_of_dabu_across_periods_with_status(sample_processed: Path) -> None:
    t = pipelines.load(sample_processed)
    s = t.series("大埔县", "五项全开")
    cm = raw(sample_processed, "county_metrics")
    cm = cm.loc[cm["county"] == "大埔县"].sort_values("period")
    assert s["period"].tolist() == PERIODS
    assert s["value"].tolist() == pytest.approx(cm["all_activities_rate"].tolist())
    assert s["numerator"].tolist() == [0, 0, 6, 21] and s["denominator"].tolist() == cm["branches_reported"].tolist()
    assert s["status"].isna().all()  # 五项全开 (all five, 交流会 not due yet) is shown, not judged
    due = t.series("大埔", "四会一课")
    st = raw(sample_processed, "status")
    st = st.loc[(st["level"] == "county") & (st["county"] == "大埔县") & (st["indicator"] == "due_activities_rate")]
    assert due["status"].tolist() == st.sort_values("period")["status"].tolist() and due["status"].iloc[-1] == "alert"
    city = t.series("全市", "送学补学")
    assert city["numerator"].iloc[-1] == 4249 and city["status"].tolist() == ["alert", "alert", "alert", "watch"]
    town = t.series("光德镇", "四会一课")
    assert set(town["county"]) == {"大埔县"} and town["value"].iloc[-1] == pytest.approx(3 / 28)
    with pytest.raises(KeyError, match="县直机关工委.* is in 梅县, 平远县.*give county="):
        t.series("县直机关工委", "送学补学")
    assert len(t.series("县直机关工委", "送学补学", county="五华县")) == 4
    with pytest.raises(KeyError, match="no county or township '光得镇'; did you mean 光德镇"):
        t.series("光得镇", "送学补学")


def test_never_reported_from_the_reporting_record(sample_processed: Path) -> None:
    t = pipelines.load(sample_processed)
    assert t.never_reported().empty  # by 2005-02-25 every registry branch had sent a return
    registry, returns = raw(sample_processed, "registry"), raw(sample_processed, "returns")
    sent = set(map(tuple, returns.loc[returns["period"] == PERIODS[0], ["county", "branch"]].to_numpy()))
    silent = registry.loc[[k not in sent for k in map(tuple, registry[["county", "branch"]].to_numpy())]]
    first = t.never_reported(until="2005-02-04")
    assert len(first) == len(silent) == 590
    assert (set(zip(first["county"].astype(str), first["branch"], strict=True))
            == set(zip(silent["county"], silent["branch"], strict=True)))
    assert first["members"].sum() == silent["members"].sum() and set(first["periods"]) == {1}
    by_county = first.groupby("county", observed=True).size()
    assert by_county.index.tolist()[:2] == ["梅江区", "梅县"] and by_county["五华县"] == 126
    # the same through a period filter: only the periods loaded count
    assert len(t.at(*PERIODS[:3]).never_reported()) == len(t.never_reported(until=PERIODS[2])) == 62


def test_sentences_word_findings_actions_and_checks_as_the_report_does(sample_processed: Path) -> None:
    t = pipelines.load(sample_processed)
    weak = t.latest.weak_links
    assert len(weak) == 26
    said = weak.assign(sentence=t.sentences)["sentence"]
    assert said.index.equals(weak.index)
    assert said.iloc[0].startswith("大埔县“四会一课”应开展项目全部开展率为67.7%") and "光德镇" in said.iloc[0]
    actions = t.sentences(t.latest.actions)
    assert actions.iloc[1].startswith("全市尚有267名特殊群体党员未送学补学，要督促五华县")
    dq = t.data_quality
    failed = dq.loc[dq["passed"].eq(False) & (dq["county"] == "五华县") & (dq["period"] == PERIODS[2])]
    assert t.sentences(failed).tolist() == ["五华县报表完整率94.8%（应不低于95%）。",
                                            "五华县数据质量得分68.4分（应不低于80分）。"]
    assert t.sentences(t.actions, lang="en").iloc[0].startswith("Across the city")
    with pytest.raises(TypeError, match="findings, actions or data_quality"):
        t.sentences(t.registry)


# --- indicators -----------------------------------------------------------------------------------

def test_indicator_by_any_name_with_its_formula_and_thresholds() -> None:
    card = pipelines.indicator("送学补学")
    for name in ("special_reached_rate", "特殊群体党员送学补学覆盖率", "special members REACHED", "Special members reached"):
        assert pipelines.indicator(name) == card
    assert (card.formula, card.unit, card.direction, card.count_unit) == (
        "special_reached / special_members", "share", "higher", "members")
    assert (card.target, card.warning, card.due) == (1.0, 0.9, None)
    assert "特殊群体党员" in card.formula_zh and "target    100.0%, warning below 90.0%" in repr(card)
    exchange = pipelines.indicator("交流会")
    assert exchange.due == dt.date(2005, 3, 4) and exchange.count_unit == "branches"
    assert "shown, not judged" in repr(pipelines.indicator("五项全开"))
    with pytest.raises(KeyError, match=r"no indicator '送学'; did you mean 送学补学 \(special_reached_rate\)\? "
                                       r"known: 上报率 = report_rate"):
        pipelines.indicator("送学")
    table = pipelines.indicators()
    assert len(table) == 15 and table.loc["avg_score", "target"] == 95.0


def test_the_tables_indicator_carries_the_target_they_were_judged_by(processed_copy: Path) -> None:
    status = datasets.read(processed_copy, config.STATUS_TABLE)
    mine = status["indicator"] == "special_reached_rate"
    status.loc[mine, "target"], status.loc[mine, "warning"] = 0.95, 0.85  # as after --set indicators.…
    shutil.rmtree(processed_copy / config.STATUS_TABLE)
    table_sets.write_partitioned(status, processed_copy / config.STATUS_TABLE)
    t = pipelines.load(processed_copy)
    assert (t.indicator("送学补学").target, t.indicator("送学补学").warning) == (0.95, 0.85)
    assert pipelines.indicator("送学补学").target == 1.0
