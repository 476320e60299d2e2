"""One end-to-end run of the real notebooks on the seeded sample (shared by the tests below).

The sample is written once per module; the full run (PDF included when Chromium is there) is
shared, then an unchanged rerun and one incomplete input (a county file replaced by garbage).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines import config
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
    """Code fingerprint = the notebooks only, so a colleague editing pipelines/ meanwhile does not
    turn the "unchanged" rerun into a real one (the skip logic itself is tested with stand-ins)."""
    from pipelines.nightly import fingerprint

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fingerprint, "code_roots", lambda notebooks_dir: [notebooks_dir])
        yield


@pytest.fixture(scope="module")
def real_run(sample_raw: Path, tmp_path_factory: pytest.TempPathFactory, narrowed_code):
    """The full real run, done once: (result, reports folder, processed folder, pdf)."""
    base = tmp_path_factory.mktemp("e2e")
    reports, processed = base / "reports", base / "processed"
    pdf = shutil.which("chromium") is not None or Path("/usr/bin/chromium").exists()
    result = run_nightly(sample_raw, processed, reports, [f"pdf={str(pdf).lower()}"])
    return result, reports, processed, pdf


def test_real_run_on_the_sample(real_run, sample_raw):
    result, reports, processed, pdf = real_run
    assert result.status == "ok" and result.exit_status == ExitStatus.OK, result.message
    assert (reports / "latest").resolve() == result.run_dir
    rec = json.loads((result.run_dir / "run.json").read_text(encoding="utf-8"))
    assert [s["status"] for s in rec["steps"]] == ["ok", "ok", "ok"]
    assert rec["rows"]["returns.parquet"] > 0 and rec["rows"]["county_metrics.parquet"] > 0
    assert rec["manifest"]["files"] > 0 and rec["inputs"]
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert "学习培训情况汇报" in html and "本期数据不完整" not in html
    if pdf:
        assert (result.run_dir / "report.pdf").stat().st_size > 10_000
    for step in STEPS:
        assert (result.run_dir / f"{step}.ipynb").exists()

    t0 = time.perf_counter()
    again = run_nightly(sample_raw, processed, reports, [f"pdf={str(pdf).lower()}"])
    assert again.skipped and time.perf_counter() - t0 < 1.0


def test_real_incomplete_input(real_run, sample_raw, tmp_path):
    result, *_ = real_run
    assert result.status == "ok"
    raw = tmp_path / "raw"
    shutil.copytree(sample_raw, raw)
    victim = sorted(p for p in raw.glob("????-??-??/*.xls*"))[-1]
    victim.write_bytes(b"this is not a spreadsheet")
    incomplete = run_nightly(raw, tmp_path / "processed", tmp_path / "reports", ["pdf=false"])
    assert incomplete.status == "incomplete" and incomplete.exit_status == ExitStatus.INCOMPLETE, incomplete.message
    rec = incomplete.record
    assert [f["path"] for f in rec["incomplete_files"]] == [victim.relative_to(raw).as_posix()]
    html = (incomplete.run_dir / "report.html").read_text(encoding="utf-8")
    assert "本期数据不完整" in html and victim.name in html
    assert html.index("本期数据不完整") < html.index("rwb-title")  # above the report's own title
