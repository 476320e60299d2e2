"""The run's feedback workbooks: written into feedback/ after the report and listed in run.json; a
failure to write them leaves the report standing, makes the run incomplete with one line, and is
retried by the next run (which is then no skip)."""

from __future__ import annotations

import json

import openpyxl

from pipelines.domain import load
from pipelines.nightly.errors import ExitStatus


def _record(run_dir):
    return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))


def test_a_run_leaves_a_workbook_per_county_and_lists_them(run):
    result = run()
    assert result.status == "ok", result.message
    rec = _record(result.run_dir)
    fb = rec["feedback"]
    assert fb["error"] is None and fb["dir"] == "feedback" and fb["period"] == "2005-02-25"
    assert list(fb["files"]) == load.county_order()
    on_disk = sorted(p.relative_to(result.run_dir).as_posix() for p in (result.run_dir / "feedback").iterdir())
    assert sorted(fb["files"].values()) == on_disk == sorted(f"feedback/{c}.xlsx" for c in load.county_order())
    # the stand-ins' tables hold nothing to fix: every county gets the one sheet saying so
    wb = openpyxl.load_workbook(result.run_dir / fb["files"]["平远县"])
    assert wb.sheetnames == [load.terms()["feedback"]["summary_sheet"]]
    assert rec["incomplete"] == {"input": False, "pdf": None, "docx": None, "feedback": None}
    assert not any(p.stat().st_mode & 0o222 for p in (result.run_dir / "feedback").iterdir())  # sealed with the run


def test_feedback_that_cannot_be_written_makes_the_run_incomplete_and_is_retried(run, monkeypatch):
    from pipelines.documents import feedback

    def broken(*args, **kwargs):
        raise RuntimeError("disk full\nand a second line")

    monkeypatch.setattr(feedback, "write_feedback", broken)
    failed = run()
    assert failed.status == "incomplete" and failed.exit_status == ExitStatus.INCOMPLETE
    assert "feedback workbooks not written: RuntimeError: disk full" in failed.message
    assert "\n" not in failed.message and len(failed.message) <= 300
    rec = _record(failed.run_dir)
    assert rec["incomplete"]["feedback"] == "RuntimeError: disk full" and rec["feedback"]["files"] == {}
    assert (failed.run_dir / "report.html").exists() and rec["latest"] is True  # the report stands
    assert "RuntimeError: disk full" in (failed.run_dir / "nightly.log").read_text(encoding="utf-8")
    monkeypatch.undo()
    again = run()  # nothing changed, but the workbooks are missing: no skip
    assert not again.skipped and again.status == "ok" and again.run_dir != failed.run_dir
    assert len(_record(again.run_dir)["feedback"]["files"]) == len(load.county_order())
