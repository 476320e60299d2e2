"""One end-to-end run of the real notebooks on the seeded sample (shared by the tests below).

The sample is written once per module; the full run (PDF included when Chromium is there) is
shared, then an unchanged rerun, one incomplete input (a county file replaced by garbage) made
from code reported as modified, and the real notebooks run standalone under papermill's own
command line on a copy of the run's tables.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from pipelines import config, datasets
from pipelines.nightly import ExitStatus, run_nightly

pytestmark = pytest.mark.slow
STEPS = ("01_clean", "02_metrics", "03_report")


@pytest.fixture(scope="module")
def sample_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not all((config.NOTEBOOKS_DIR / f"{s}.ipynb").exists() for s in STEPS):
        pytest.skip("the real notebooks have not all landed yet")
    raw = tmp_path_factory.mktemp("sample") / "raw"
    done = subprocess.run([sys.executable, "-m", "pipelines", "sample", "--out", str(raw)],
                          capture_output=True, text=True, timeout=300, cwd=config.PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    return raw


@pytest.fixture(scope="module")
def narrowed_code():
    """Code fingerprint and modified-code check = the notebooks only, so a colleague editing pipelines/
    meanwhile does not turn the "unchanged" rerun into a real one (the skip logic itself is tested
    with stand-ins); the runs pass allow_dirty, as a developer's notebooks may be edited."""
    from pipelines.nightly import fingerprint

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fingerprint, "code_roots", lambda notebooks_dir: [notebooks_dir])
        yield


@pytest.fixture(scope="module")
def real_run(sample_raw: Path, tmp_path_factory: pytest.TempPathFactory, narrowed_code):
    """The full real run, done once: (result, reports folder, pdf)."""
    base = tmp_path_factory.mktemp("e2e")
    reports = base / "reports"
    pdf = shutil.which("chromium") is not None or Path("/usr/bin/chromium").exists()
    result = run_nightly(sample_raw, reports, [f"pdf={str(pdf).lower()}"], allow_dirty=True)
    return result, reports, pdf


def test_real_run_on_the_sample(real_run, sample_raw):
    result, reports, pdf = real_run
    assert result.status == "ok" and result.exit_status == ExitStatus.OK, result.message
    assert (reports / "latest").resolve() == result.run_dir
    rec = json.loads((result.run_dir / "run.json").read_text(encoding="utf-8"))
    assert [s["status"] for s in rec["steps"]] == ["ok", "ok", "ok"]
    assert rec["rows"]["returns"] > 0 and rec["rows"]["county_metrics.parquet"] > 0
    assert rec["manifest"]["files"] > 0 and rec["inputs"]
    tables = result.run_dir / "tables"
    assert set(rec["tables"]) == {p.name for p in tables.iterdir() if not p.name.startswith(".")}
    assert {"returns", "manifest.parquet", "county_metrics.parquet", "findings", "reporting"} <= set(rec["tables"])
    assert rec["tables"]["returns"]["parts"] == 5  # four periods and the undated partition
    assert all(t["linked"] for t in rec["tables"].values())
    assert rec["clean"]["reused"] == 0 and len(rec["clean"]["read"]) == rec["manifest"]["files"]
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert "学习培训情况汇报" in html and "本期数据不完整" not in html
    if pdf:
        assert (result.run_dir / "report.pdf").stat().st_size > 10_000
    for step in STEPS:
        assert (result.run_dir / f"{step}.ipynb").exists()
    feedback = rec["feedback"]  # a workbook per county, for the report's period
    assert feedback["error"] is None and feedback["period"] == "2005-02-25"
    assert sorted(feedback["files"].values()) == sorted(
        p.relative_to(result.run_dir).as_posix() for p in (result.run_dir / "feedback").glob("*.xlsx"))
    assert "薄弱环节" in openpyxl.load_workbook(result.run_dir / feedback["files"]["大埔县"]).sheetnames

    again = run_nightly(sample_raw, reports, [f"pdf={str(pdf).lower()}"], allow_dirty=True)
    assert again.skipped and again.run_dir == result.run_dir


def test_real_run_writes_the_word_report_and_the_page_links_the_documents(real_run):
    """report.docx from the run's tables (figures drawn when Chromium is there); report.html's "下载" line
    links it, report.xlsx and every feedback workbook by relative path, and only on screen (not in the PDF)."""
    import re
    import urllib.parse

    import docx

    from pipelines.domain import load

    result, _, pdf = real_run
    rec = json.loads((result.run_dir / "run.json").read_text(encoding="utf-8"))
    assert rec["docx"]["error"] is None and rec["docx"]["path"] == "report.docx", rec["docx"]
    assert rec["docx"]["period"] == "2005-02-25" and rec["docx"]["figures"] == (3 if pdf else rec["docx"]["figures"])
    text = "".join(p.text for p in docx.Document(str(result.run_dir / "report.docx")).paragraphs)
    assert "全市2394个党支部、党员52417人" in text and "梅州市先进性教育活动领导小组办公室" in text
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    line = re.search(r'<p class="rwb-download rwb-files">(.*?)</p>', html).group(1)
    hrefs = [urllib.parse.unquote(h) for h in re.findall(r'href="([^"]+)"', line)]
    assert hrefs == ["report.docx", "report.xlsx", *(f"feedback/{c}.xlsx" for c in load.county_order())]
    assert all((result.run_dir / h).is_file() for h in hrefs)
    if pdf:
        first = subprocess.run(["pdftotext", "-l", "1", str(result.run_dir / "report.pdf"), "-"], capture_output=True,
                               text=True, check=True).stdout
        assert "2394" in first and "汇报（Word）" not in first


def test_real_incomplete_input_from_modified_code(sample_raw, narrowed_code, tmp_path, monkeypatch):
    """Both first-page lines: the input was incomplete, and the code was not as committed."""
    from pipelines.nightly import checks
    from pipelines.nightly.gitstate import CodeState

    raw = tmp_path / "raw"
    shutil.copytree(sample_raw, raw)
    victim = sorted(p for p in raw.glob("????-??-??/*.xls*"))[-1]
    victim.write_bytes(b"this is not a spreadsheet")
    modified = CodeState("0" * 40, ["notebooks/02_metrics.ipynb"], [], "1" * 64)
    monkeypatch.setattr(checks, "code_state", lambda paths: modified)
    incomplete = run_nightly(raw, tmp_path / "reports", ["pdf=false"], allow_dirty=True)
    assert incomplete.status == "incomplete" and incomplete.exit_status == ExitStatus.INCOMPLETE, incomplete.message
    rec = incomplete.record
    assert [f["path"] for f in rec["incomplete_files"]] == [victim.relative_to(raw).as_posix()]
    html = (incomplete.run_dir / "report.html").read_text(encoding="utf-8")
    assert "本期数据不完整" in html and victim.name in html
    assert html.index("本期数据不完整") < html.index("rwb-title")  # above the report's own title
    assert "非正式版本" in html and html.index("非正式版本") < html.index("rwb-title")


def _papermill(notebook: str, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "papermill", str(config.NOTEBOOKS_DIR / notebook), str(out),
                           "--cwd", str(config.NOTEBOOKS_DIR), *args],
                          capture_output=True, text=True, timeout=600, cwd=config.PROJECT_ROOT)


def test_real_notebooks_check_their_parameters_standalone_under_papermill(sample_raw, tmp_path):
    """papermill's own command line, as an analyst runs it: overrides as JSON text work; a misspelled
    name or an impossible date stops the notebook in its validation cell, before anything is read."""
    processed = tmp_path / "processed"
    clean = _papermill("01_clean.ipynb", tmp_path / "01.ipynb", "-p", "raw_dir", str(sample_raw),
                       "-p", "processed_dir", str(processed))
    assert clean.returncode == 0, clean.stderr[-2000:]
    overrides = '{"indicators.avg_score.target": 98}'
    done = _papermill("02_metrics.ipynb", tmp_path / "02.ipynb", "-p", "processed_dir", str(processed),
                      "-p", "overrides", overrides)
    assert done.returncode == 0, done.stderr[-2000:]
    injected = json.loads((tmp_path / "02.ipynb").read_text(encoding="utf-8"))["metadata"]["papermill"]
    assert injected["parameters"]["overrides"] == overrides  # papermill passed it as text

    typo = _papermill("02_metrics.ipynb", tmp_path / "typo.ipynb", "-p", "processed_dir", str(processed),
                      "-p", "thresholds_flie", "/tmp/t.yaml")
    assert typo.returncode != 0
    assert "ParameterError: parameter thresholds_flie='/tmp/t.yaml': 02_metrics has no such parameter;" \
           " did you mean thresholds_file?" in typo.stderr
    bad_date = _papermill("03_report.ipynb", tmp_path / "date.ipynb", "-p", "processed_dir", str(processed),
                          "-p", "period", "2005-02-30")
    assert bad_date.returncode != 0
    assert "parameter period='2005-02-30': not a real date" in bad_date.stderr
    executed = json.loads((tmp_path / "date.ipynb").read_text(encoding="utf-8"))
    failed = [c for c in executed["cells"] if c.get("metadata", {}).get("papermill", {}).get("exception")]
    assert failed and "validation" in failed[0]["metadata"]["tags"]


def test_an_override_given_to_the_nightly_reaches_status_findings_and_report(sample_raw, tmp_path, narrowed_code):
    """``-p overrides`` (the third way, after --set and --thresholds; see tests/metrics and tests/report):
    return_rate's target 0.99 with the city at 98.8% changes status.parquet, the findings' target
    and gap, and the report's colour of the city's answer-sheet rate, all from the run's own tables."""
    from pipelines.report.tables import load_report_data

    result = run_nightly(sample_raw, tmp_path / "reports", ['overrides={"indicators.return_rate.target": 0.99}',
                                                            "pdf=false"], allow_dirty=True)
    assert result.exit_status in (ExitStatus.OK, ExitStatus.INCOMPLETE), result.message
    tables = result.run_dir / "tables"
    status = datasets.read(tables, config.STATUS_TABLE)
    city = status.loc[(status["level"] == "city") & (status["indicator"] == "return_rate")
                      & (status["period"] == status["period"].max())].iloc[0]
    assert city["target"] == 0.99 and city["status"] == "watch"
    f = datasets.read(tables, config.FINDINGS_TABLE)
    rr = f.loc[f["indicator"] == "return_rate"]
    assert len(rr) and (rr["target"] == 0.99).all()
    data = load_report_data(tables)
    assert data.status_of("全市", "return_rate") == "watch"
    assert "全市尚有629份答卷未回收" in (result.run_dir / "report.html").read_text(encoding="utf-8")
