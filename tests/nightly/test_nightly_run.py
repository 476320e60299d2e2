"""The runner over stand-in notebooks: success, skip, own tables, failure, incomplete input, timeout."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pyarrow.parquet as pq

from pipelines import config
from pipelines.nightly import ExitStatus
from pipelines.nightly.fingerprint import file_sha256
from pipelines.nightly.store import STORE_DIR

from nightly_standins import CLEAN_BODY, CLEAN_PARAMS, METRICS_PARAMS, write_notebook


def _record(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))


def test_success_then_skip_then_force(run, tree):
    first = run()
    assert first.status == "ok" and first.exit_status == ExitStatus.OK, first.message
    latest = tree["reports"] / "latest"
    assert latest.is_symlink() and latest.resolve() == first.run_dir
    assert not os.path.isabs(os.readlink(latest))  # relative: the reports tree can move
    for name in ("01_clean.ipynb", "02_metrics.ipynb", "03_report.ipynb", "report.html", "nightly.log", "run.json",
                 "tables/returns.parquet", "tables/manifest.parquet", "tables/county_metrics.parquet"):
        assert (first.run_dir / name).is_file(), name
    rec = _record(first.run_dir)
    assert rec["status"] == "ok" and rec["latest"] is True
    assert set(rec["inputs"]) == {"2005-02-25/meixian.csv", "2005-02-25/pingyuan.csv"}
    assert all(len(h) == 64 for h in rec["inputs"].values())
    assert [s["name"] for s in rec["steps"]] == ["01_clean", "02_metrics", "03_report"]
    assert all(s["status"] == "ok" and s["duration_s"] > 0 for s in rec["steps"])
    tables = first.run_dir / "tables"
    assert rec["steps"][0]["parameters"] == {"raw_dir": str(tree["raw"]), "processed_dir": str(tables)}
    assert rec["steps"][2]["parameters"]["language"] == "zh"
    assert rec["steps"][2]["parameters"]["modified_code"] == []
    assert rec["rows"]["returns.parquet"] == 2 and rec["manifest"]["ok"] == 2
    assert rec["tables"]["returns.parquet"]["sha256"] == file_sha256(tables / "returns.parquet")
    assert rec["versions"]["papermill"] and rec["code"]["dirty"] is None and rec["code"]["note"]
    assert rec["start"] and rec["end"] and rec["duration_s"] > 0
    assert "Stand-in report" in (first.run_dir / "report.html").read_text(encoding="utf-8")
    sealed = [first.run_dir, tables, *first.run_dir.rglob("*")]
    assert not any(p.stat().st_mode & 0o222 for p in sealed)  # files and folders read-only

    second = run()
    assert second.skipped and second.exit_status == ExitStatus.OK and second.run_dir == first.run_dir
    assert len(list((tree["reports"] / "runs").iterdir())) == 1

    # a table of the last good run was removed: not "unchanged", whatever the inputs say
    (tables).chmod(0o755)
    (tables / "county_metrics.parquet").unlink()
    rebuilt = run()
    assert not rebuilt.skipped and rebuilt.status == "ok"
    assert run().skipped
    # a touched file with the same bytes is still "unchanged" (mtime shortcut, then content)
    f = tree["raw"] / "2005-02-25" / "meixian.csv"
    os.utime(f, (time.time() + 5, time.time() + 5))
    assert run().skipped
    forced = run(["language=en"], force=True)
    assert not forced.skipped and forced.status == "ok" and forced.run_dir != rebuilt.run_dir
    assert _record(forced.run_dir)["steps"][2]["parameters"]["language"] == "en"
    assert run(["language=en"]).skipped
    assert (tree["reports"] / "latest").resolve() == forced.run_dir
    older = _record(run(["keep_runs=1"], force=True).run_dir)
    assert older["pruned"] == [first.run_dir.name, rebuilt.run_dir.name, forced.run_dir.name]


def test_each_run_keeps_its_tables_once_in_the_store(run, tree):
    """Unchanged tables are one file shared by the runs (hard links), changed ones a new file;
    a table no kept run links to leaves the store with the run."""
    first = run()
    second = run(force=True)
    a, b = first.run_dir / "tables" / "manifest.parquet", second.run_dir / "tables" / "manifest.parquet"
    assert os.path.samefile(a, b)
    stored = tree["reports"] / STORE_DIR / file_sha256(a)[:2] / f"{file_sha256(a)}.parquet"
    assert os.path.samefile(a, stored) and stored.stat().st_nlink == 3  # the store and two runs
    # the stand-in's county_metrics is a copy of returns: one stored file under two names
    assert os.path.samefile(first.run_dir / "tables" / "returns.parquet",
                            first.run_dir / "tables" / "county_metrics.parquet")
    assert not stored.stat().st_mode & 0o222
    # new input: returns changes, so a new stored file; the old one is still linked by both runs
    (tree["raw"] / "2005-02-25" / "jiaoling.csv").write_text("branch,members\nc,7\n", encoding="utf-8")
    third = run()
    c = third.run_dir / "tables" / "manifest.parquet"
    assert not os.path.samefile(a, c) and pq.read_metadata(c).num_rows == 3
    assert (tree["reports"] / "latest" / "tables" / "manifest.parquet").stat().st_ino == c.stat().st_ino
    kept_sha = file_sha256(c)
    last = run(["keep_runs=1"], force=True)
    assert not stored.exists()  # only pruned runs linked it
    kept = tree["reports"] / STORE_DIR / kept_sha[:2] / f"{kept_sha}.parquet"
    assert os.path.samefile(last.run_dir / "tables" / "manifest.parquet", kept)
    distinct = {facts["sha256"] for facts in _record(last.run_dir)["tables"].values()}
    assert len(list((tree["reports"] / STORE_DIR).glob("*/*.parquet"))) == len(distinct)


def test_analysts_folder_is_never_read_or_written(run, tree, monkeypatch):
    """A what-if in data/processed (JupyterLab, papermill) and the nightly do not meet."""
    analysts = tree["root"] / "analysts_processed"
    analysts.mkdir()
    whatif = analysts / "county_metrics.parquet"
    whatif.write_bytes(b"what-if table written from JupyterLab")
    monkeypatch.setattr(config, "PROCESSED_DIR", analysts)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in analysts.iterdir()}
    first = run()
    assert first.status == "ok"
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in analysts.iterdir()} == before
    official = first.run_dir / "tables" / "county_metrics.parquet"
    assert pq.read_metadata(official).num_rows == 2
    # the what-if is rewritten after the run: the next night still knows its own tables are intact
    whatif.write_bytes(b"another what-if")
    again = run()
    assert again.skipped and again.run_dir == first.run_dir
    assert _record(first.run_dir)["tables"]["county_metrics.parquet"]["sha256"] == file_sha256(official)


def test_failing_notebook_keeps_latest_and_explains(run, tree):
    good = run()
    assert good.status == "ok"
    write_notebook(tree["notebooks"] / "02_metrics.ipynb", METRICS_PARAMS, "x = 1", "ratio = 1 / 0", "print('never')")
    bad = run()
    assert bad.status == "failed" and bad.exit_status == ExitStatus.FAILED
    assert (tree["reports"] / "latest").resolve() == good.run_dir
    line = bad.message
    assert "\n" not in line and "02_metrics" in line and "cell" in line and "ZeroDivisionError" in line
    rec = _record(bad.run_dir)
    assert rec["status"] == "failed" and rec["latest"] is False
    assert rec["error"]["step"] == "02_metrics" and rec["error"]["ename"] == "ZeroDivisionError"
    assert [s["status"] for s in rec["steps"]] == ["ok", "failed", "pending"]
    executed = json.loads((bad.run_dir / "02_metrics.ipynb").read_text(encoding="utf-8"))
    cells = [c for c in executed["cells"]
             if not {"injected-parameters", "papermill-error-cell-tag"} & set(c["metadata"].get("tags", []))]
    failing = cells[rec["error"]["cell"] - 1]  # 1-based position in the source notebook
    assert "cell 3 (In [" in line and "ratio = 1 / 0" in line
    assert "1 / 0" in "".join(failing["source"])
    assert any(o.get("ename") == "ZeroDivisionError" for o in failing["outputs"])
    assert not (bad.run_dir / "report.html").exists()
    assert "ZeroDivisionError" in (bad.run_dir / "nightly.log").read_text(encoding="utf-8")
    assert "returns.parquet" in rec["tables"]  # what 01_clean wrote is kept with the failed run


def test_unreadable_input_gives_incomplete_report(run, tree):
    (tree["raw"] / "2005-02-25" / "jiaoling.xls").write_bytes(b"BAD not a spreadsheet")
    result = run()
    assert result.status == "incomplete" and result.exit_status == ExitStatus.INCOMPLETE
    assert "jiaoling.xls" in result.message and "\n" not in result.message
    rec = _record(result.run_dir)
    expected = {"path": "2005-02-25/jiaoling.xls", "county": "jiaoling", "status": "unreadable"}
    assert rec["incomplete_files"] == [expected]
    assert rec["incomplete"] == {"input": True, "pdf": None, "docx": None, "feedback": None}
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert "本期数据不完整" in html and html.index("本期数据不完整") < html.index("Stand-in report")
    assert (tree["reports"] / "latest").resolve() == result.run_dir  # promote_incomplete: true
    # unchanged input: skipped, but still alerting with the incomplete status
    again = run()
    assert again.skipped and again.exit_status == ExitStatus.INCOMPLETE


def test_cell_timeout_fails_the_step(run, tree):
    write_notebook(tree["notebooks"] / "01_clean.ipynb", CLEAN_PARAMS, CLEAN_BODY, "import time\ntime.sleep(30)")
    result = run(["execution_timeout=1"])
    assert result.status == "failed"
    assert "01_clean" in result.message and "timed out" in result.message and "cell 3 (" in result.message
    assert _record(result.run_dir)["error"]["ename"] == "CellTimeoutError"
    assert not (tree["reports"] / "latest").exists()


def test_log_has_each_step_and_render_with_its_time_and_no_kernel_chatter(run):
    result = run()
    text = (result.run_dir / "nightly.log").read_text(encoding="utf-8")
    for step in ("01_clean", "02_metrics", "03_report"):
        assert f"step {step}: started" in text and f"step {step}: ok in " in text
    assert "render html: ok in " in text and "render pdf: off" in text
    assert "code: could not tell" in text
    for chatter in ("without encryption", "Could not destroy zmq context", "frozen modules",
                    "KeyboardInterrupt caught in kernel"):
        assert chatter not in text, chatter
