"""The runner over stand-in notebooks: success, skip, failure, incomplete input, timeout."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from nightly_standins import CLEAN_BODY, CLEAN_PARAMS, METRICS_PARAMS, write_notebook

from pipelines.nightly import ExitStatus


def _record(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))


def test_success_then_skip_then_force(run, tree):
    tree["params"].write_text(tree["params"].read_text() + "preload: [pyarrow.parquet, no_such_module]\n")
    first = run()
    assert first.status == "ok" and first.exit_status == ExitStatus.OK, first.message
    latest = tree["reports"] / "latest"
    assert latest.is_symlink() and latest.resolve() == first.run_dir
    assert not os.path.isabs(os.readlink(latest))  # relative: the reports tree can move
    for name in ("01_clean.ipynb", "02_metrics.ipynb", "03_report.ipynb", "report.html", "nightly.log", "run.json"):
        assert (first.run_dir / name).is_file(), name
    rec = _record(first.run_dir)
    assert rec["status"] == "ok" and rec["latest"] is True
    assert set(rec["inputs"]) == {"2005-02-25/meixian.csv", "2005-02-25/pingyuan.csv"}
    assert all(len(h) == 64 for h in rec["inputs"].values())
    assert [s["name"] for s in rec["steps"]] == ["01_clean", "02_metrics", "03_report"]
    assert all(s["status"] == "ok" and s["duration_s"] > 0 for s in rec["steps"])
    assert rec["steps"][0]["parameters"] == {"raw_dir": str(tree["raw"]), "processed_dir": str(tree["processed"])}
    assert rec["steps"][2]["parameters"]["language"] == "zh"
    assert rec["rows"]["returns.parquet"] == 2 and rec["manifest"]["ok"] == 2
    assert rec["versions"]["papermill"] and rec["code"]["commit"]
    assert rec["start"] and rec["end"] and rec["duration_s"] > 0
    assert "Stand-in report" in (first.run_dir / "report.html").read_text(encoding="utf-8")
    assert not any(p.stat().st_mode & 0o222 for p in first.run_dir.iterdir())  # sealed
    executed = json.loads((first.run_dir / "01_clean.ipynb").read_text(encoding="utf-8"))
    assert executed["cells"][0]["execution_count"] == 1  # the silent preload left no trace
    assert "_rwb_preload" not in json.dumps(executed)

    t0 = time.perf_counter()
    second = run()
    assert time.perf_counter() - t0 < 1.0
    assert second.skipped and second.exit_status == ExitStatus.OK and second.run_dir == first.run_dir
    assert len(list((tree["reports"] / "runs").iterdir())) == 1

    # the processed tables were cleared: not "unchanged", whatever the inputs say
    (tree["processed"] / "county_metrics.parquet").unlink()
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


def test_unreadable_input_gives_incomplete_report(run, tree):
    (tree["raw"] / "2005-02-25" / "jiaoling.xls").write_bytes(b"BAD not a spreadsheet")
    result = run()
    assert result.status == "incomplete" and result.exit_status == ExitStatus.INCOMPLETE
    assert "jiaoling.xls" in result.message and "\n" not in result.message
    rec = _record(result.run_dir)
    expected = {"path": "2005-02-25/jiaoling.xls", "county": "jiaoling", "status": "unreadable"}
    assert rec["incomplete_files"] == [expected]
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
