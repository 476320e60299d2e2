"""The run's report.docx (stand-in notebooks; the real one is in test_nightly_e2e): written before the
HTML, which links to it and to the feedback workbooks; a failure to write it leaves the report
standing, makes the run incomplete with one line and is retried by the next run; ``-p docx=false``
against nightly.yaml is not promoted. The stand-ins' tables hold no report, so the writer is replaced
by one that records what it was asked for."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from pipelines.domain import load
from pipelines.nightly.errors import ExitStatus


def _record(run_dir):
    return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))


@pytest.fixture
def docx_on(tree):
    tree["params"].write_text(tree["params"].read_text().replace("docx: false", "docx: true"), encoding="utf-8")
    return tree


@pytest.fixture
def fake_writer(monkeypatch):
    """write_report_docx replaced: writes a few bytes where it is told and keeps the arguments."""
    from pipelines.documents import word

    calls = []

    def write(processed, out, **kwargs):
        calls.append({"processed": processed, "out": out, **kwargs})
        out.write_bytes(b"PK stand-in")
        return word.DocxResult(path=out, period="2005-02-25", figures=3, figures_error=None)

    monkeypatch.setattr(word, "write_report_docx", write)
    return calls


def test_the_run_writes_report_docx_and_the_report_links_it_and_the_workbooks(docx_on, run, fake_writer):
    result = run()
    assert result.status == "ok", result.message
    rec = _record(result.run_dir)
    assert rec["docx"]["path"] == "report.docx" and rec["docx"]["error"] is None and rec["docx"]["figures"] == 3
    assert rec["incomplete"] == {"input": False, "pdf": None, "docx": None, "feedback": None}
    (call,) = fake_writer
    assert call["out"] == result.run_dir / "report.docx" and call["processed"] == str(result.run_dir / "tables")
    assert call["language"] == "zh" and call["period"] is None  # 03_report's own parameters
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    line = re.search(r'<p class="rwb-download rwb-files">(.*?)</p>', html).group(1)
    hrefs = [urllib.parse.unquote(h) for h in re.findall(r'href="([^"]+)"', line)]
    assert hrefs == ["report.docx", *(f"feedback/{c}.xlsx" for c in load.county_order())]  # relative, Word first
    assert "汇报（Word）" in line and ">平远县</a>" in line
    assert (result.run_dir / "report.docx").stat().st_mode & 0o222 == 0  # sealed with the run


def test_a_docx_that_cannot_be_written_makes_the_run_incomplete_and_is_retried(docx_on, run, monkeypatch):
    from pipelines.documents import word

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(word, "write_report_docx", broken)
    failed = run()
    assert failed.status == "incomplete" and failed.exit_status == ExitStatus.INCOMPLETE
    assert "report.docx not written: OSError: [Errno 28] No space left on device" in failed.message
    assert "\n" not in failed.message and len(failed.message) <= 300
    rec = _record(failed.run_dir)
    assert rec["incomplete"]["docx"].startswith("OSError") and rec["docx"]["path"] is None
    assert (failed.run_dir / "report.html").exists() and rec["latest"] is True  # the report stands
    assert not (failed.run_dir / "report.docx").exists()
    assert "report.docx" not in (failed.run_dir / "report.html").read_text(encoding="utf-8")  # no dead link
    assert "docx: report.docx not written" in (failed.run_dir / "nightly.log").read_text(encoding="utf-8")
    monkeypatch.setattr(word, "write_report_docx", lambda processed, out, **kw: (
        out.write_bytes(b"PK"), word.DocxResult(out, "2005-02-25", 0, None))[1])
    again = run()  # nothing changed, but the document is missing: no skip
    assert not again.skipped and again.status == "ok" and (again.run_dir / "report.docx").exists()


def test_docx_off_by_hand_is_not_promoted_over_the_configured_report(docx_on, run, fake_writer):
    first = run()
    assert first.status == "ok" and first.latest_moved
    off = run(params=["docx=false"], force=True)
    assert off.exit_status == ExitStatus.OK and not off.latest_moved
    assert "docx=false" in _record(off.run_dir)["not_promoted"] and "docx=false" in off.note
    assert not (off.run_dir / "report.docx").exists() and len(fake_writer) == 1
