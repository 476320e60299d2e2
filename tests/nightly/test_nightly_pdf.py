"""A PDF that cannot be printed leaves the HTML report standing; a run without its PDF replaces nothing.

nightly.yaml here asks for the PDF (as the project's does); Chromium is taken away, replaced by
one that cannot start, or the real one is used.
"""

from __future__ import annotations

import json
import stat

import pytest

from pipelines.cli import main
from pipelines.nightly import ExitStatus
from pipelines.report import render

NOISE = "FAKE-CHROMIUM-CANNOT-START "


@pytest.fixture
def pdf_tree(tree):
    tree["params"].write_text(tree["params"].read_text().replace("pdf: false", "pdf: true"), encoding="utf-8")
    return tree


def _record(run_dir):
    return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))


def test_without_chromium_the_run_is_incomplete_and_the_pdf_retried(pdf_tree, run, monkeypatch, cli_argv, capsys):
    real_chromium = render.chromium
    monkeypatch.setattr(render, "chromium", lambda: None)
    assert main(cli_argv) == ExitStatus.INCOMPLETE
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and len(err) <= 300, err
    assert "report.pdf not printed: Chromium not found" in err and "report.html promoted to latest" in err
    latest = pdf_tree["reports"] / "latest"
    rec = _record(latest.resolve())
    assert rec["status"] == "incomplete" and rec["incomplete"]["pdf"].startswith("Chromium not found")
    assert (latest / "report.html").is_file() and not (latest / "report.pdf").exists()
    again = run()  # nothing changed, but the PDF is missing: not a reference, so it is tried again
    assert not again.skipped and again.status == "incomplete"

    monkeypatch.setattr(render, "chromium", real_chromium)  # Chromium is back
    printed = run()
    assert printed.status == "ok" and (printed.run_dir / "report.pdf").stat().st_size > 1000
    assert latest.resolve() == printed.run_dir
    assert run().skipped


def test_chromium_that_cannot_start_is_one_short_line_and_the_detail_is_in_the_log(pdf_tree, monkeypatch,
                                                                                    cli_argv, capsys):
    fake = pdf_tree["root"] / "chromium"
    fake.write_text(f"#!/bin/sh\nfor i in $(seq 200); do printf '{NOISE}' >&2; done\necho >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(render, "chromium", lambda: str(fake))
    assert main(cli_argv) == ExitStatus.INCOMPLETE
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and len(err) <= 300 and "report.pdf not printed" in err, err
    assert NOISE not in err
    run_dir = (pdf_tree["reports"] / "latest").resolve()
    rec = _record(run_dir)
    assert rec["status"] == "incomplete" and rec["render"]["html"] and rec["render"]["pdf"] is None
    assert len(rec["incomplete"]["pdf"]) <= 160
    log = (run_dir / "nightly.log").read_text(encoding="utf-8")
    assert "render pdf: failed" in log and NOISE in log
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]  # no half-written PDF left


def test_a_run_without_the_configured_pdf_is_not_promoted(pdf_tree, run, cli_argv, capsys):
    good = run()
    assert good.status == "ok" and (good.run_dir / "report.pdf").exists()
    capsys.readouterr()
    assert main([*cli_argv, "-p", "pdf=false", "--force"]) == ExitStatus.OK
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "-p pdf=false" in err and "latest stays at the previous run" in err
    latest = pdf_tree["reports"] / "latest"
    assert latest.resolve() == good.run_dir and (latest / "report.pdf").exists()
    runs = sorted((pdf_tree["reports"] / "runs").iterdir())
    assert len(runs) == 2
    rec = _record(runs[-1])
    assert rec["status"] == "ok" and rec["latest"] is False and "pdf=false" in rec["not_promoted"]
    # where nightly.yaml itself says no PDF, such a run is the normal one and is promoted
    pdf_tree["params"].write_text(pdf_tree["params"].read_text().replace("pdf: true", "pdf: false"))
    html_only = run()
    assert html_only.latest_moved and latest.resolve() == html_only.run_dir
