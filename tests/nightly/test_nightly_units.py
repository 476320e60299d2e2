"""Small pieces without a kernel: fingerprint, retention, latest switching."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.nightly import fingerprint as fp
from pipelines.nightly import runfolder


def _nb(path: Path, source: str, outputs: list | None = None) -> None:
    cell = {"cell_type": "code", "metadata": {"tags": []}, "source": source, "execution_count": 3 if outputs else None,
            "outputs": outputs or []}
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_fingerprint_tracks_content_params_and_code(tmp_path, monkeypatch):
    raw, nbs = tmp_path / "raw", tmp_path / "nb"
    raw.mkdir(), nbs.mkdir()
    (raw / "a.csv").write_text("1")
    _nb(nbs / "01_clean.ipynb", "x = 1")
    monkeypatch.setattr(fp, "code_roots", lambda d: [d])
    cache = tmp_path / "cache.json"
    base = fp.compute(raw, {"parameters": {"language": "zh"}}, nbs, cache)
    assert base.inputs == {"a.csv": fp.file_sha256(raw / "a.csv")}
    assert fp.compute(raw, {"parameters": {"language": "zh"}}, nbs, cache).digest == base.digest
    assert fp.compute(raw, {"parameters": {"language": "en"}}, nbs, cache).digest != base.digest
    # outputs saved from JupyterLab are not code
    _nb(nbs / "01_clean.ipynb", "x = 1", outputs=[{"output_type": "stream", "name": "stdout", "text": "hi"}])
    assert fp.compute(raw, {"parameters": {"language": "zh"}}, nbs, cache).digest == base.digest
    _nb(nbs / "01_clean.ipynb", "x = 2")
    changed_code = fp.compute(raw, {"parameters": {"language": "zh"}}, nbs, cache)
    assert changed_code.code != base.code
    # same size, same mtime would fool the shortcut; a new mtime forces re-hashing the content
    (raw / "a.csv").write_text("2")
    later = time.time() + 10
    os.utime(raw / "a.csv", (later, later))
    assert fp.compute(raw, {"parameters": {"language": "zh"}}, nbs, cache).inputs["a.csv"] != base.inputs["a.csv"]


def test_fingerprint_counts_the_content_of_a_named_parameter_file(tmp_path, monkeypatch):
    raw, nbs = tmp_path / "raw", tmp_path / "nb"
    raw.mkdir(), nbs.mkdir()
    monkeypatch.setattr(fp, "code_roots", lambda d: [d])
    thresholds = tmp_path / "t.yaml"
    thresholds.write_text("a: 1\n")
    rec = {"parameters": {"thresholds_file": str(thresholds)}}
    before = fp.compute(raw, rec, nbs, None).digest
    thresholds.write_text("a: 2\n")
    assert fp.compute(raw, rec, nbs, None).digest != before


def test_retention_keeps_n_and_never_latest(tmp_path):
    reports = tmp_path / "reports"
    names = [f"2026-11-{d:02d}T020000" for d in range(1, 8)]
    for name in names:
        (reports / "runs" / name).mkdir(parents=True)
    runfolder.promote(reports, reports / "runs" / names[0])  # latest = the oldest (later runs failed)
    removed = runfolder.prune(reports, keep=3, current=reports / "runs" / names[-1])
    left = sorted(p.name for p in (reports / "runs").iterdir())
    assert left == [names[0], *names[-3:]]
    assert {p.name for p in removed} == set(names[1:4])
    assert (reports / "latest").resolve() == reports / "runs" / names[0]


def test_promote_switches_atomically_and_relatively(tmp_path, monkeypatch):
    """Observed during the switch: before and after every filesystem call promote makes, `latest`
    resolves to a run folder (the old one until the one call that replaces it), never to nothing."""
    reports = tmp_path / "reports"
    a, b = reports / "runs" / "A", reports / "runs" / "B"
    a.mkdir(parents=True), b.mkdir()
    runfolder.promote(reports, a)
    link = reports / "latest"
    seen: list[tuple[str, str, str]] = []

    def served() -> str:
        try:
            return link.resolve(strict=True).name
        except OSError:
            return "nothing"

    def watch(name):
        real = getattr(os, name)

        def call(*args, **kwargs):
            before = served()
            out = real(*args, **kwargs)
            seen.append((name, before, served()))
            return out
        monkeypatch.setattr(os, name, call)

    for name in ("symlink", "replace", "rename", "unlink", "remove", "rmdir"):
        watch(name)
    runfolder.promote(reports, b)
    monkeypatch.undo()
    assert seen and all(before != "nothing" and after != "nothing" for _, before, after in seen), seen
    switches = [(name, before, after) for name, before, after in seen if before != after]
    assert [(before, after) for _, before, after in switches] == [("A", "B")], seen  # one call moves it
    assert switches[0][0] in ("replace", "rename")  # a rename over the old link: atomic on POSIX
    assert os.readlink(link) == "runs/B"  # relative: the reports tree can move
    assert not [p for p in reports.iterdir() if p.name.startswith(".latest")]


def test_promote_refuses_to_replace_a_real_folder_named_latest(tmp_path):
    reports = tmp_path / "reports"
    (reports / "runs" / "A").mkdir(parents=True)
    (reports / "latest").mkdir()
    (reports / "latest" / "report.html").write_text("kept")
    with pytest.raises(RuntimeError, match="not a symlink"):
        runfolder.promote(reports, reports / "runs" / "A")
    assert (reports / "latest" / "report.html").read_text() == "kept"


def test_run_ids_in_the_same_second_do_not_collide(tmp_path):
    when = dt.datetime(2026, 11, 27, 2, 30, 0)
    first = runfolder.new_run_dir(tmp_path / "reports", when)  # the reports folder made when missing
    second = runfolder.new_run_dir(tmp_path / "reports", when)
    assert first.name == "2026-11-27T023000" and second.name == "2026-11-27T023000-2"
    for n in range(3, 1000):
        (tmp_path / "reports" / "runs" / f"2026-11-27T023000-{n}").mkdir()
    with pytest.raises(RuntimeError, match="cannot create a run folder under .*runs"):
        runfolder.new_run_dir(tmp_path / "reports", when)


def test_promotion_only_for_a_report_made_as_configured():
    """(move latest?, why not): a failed or interrupted run never; a run made with -p pdf=false where
    nightly.yaml prints a PDF is kept in runs/ only; an incomplete run as promote_incomplete says."""
    from types import SimpleNamespace

    from pipelines.nightly.execution import promotion

    def params(pdf: bool = True, configured_pdf: bool = True, promote_incomplete: bool = True):
        return SimpleNamespace(configured={"pdf": configured_pdf},
                               settings={"pdf": pdf, "promote_incomplete": promote_incomplete})

    assert promotion("ok", {}, params()) == (True, None)
    assert promotion("incomplete", {"input": True}, params()) == (True, None)
    for status in ("failed", "interrupted", "running"):
        assert promotion(status, {}, params()) == (False, None)
    assert promotion("ok", {}, params(pdf=False)) == (
        False, "made with -p pdf=false while nightly.yaml prints a PDF: kept in runs/ only")
    assert promotion("ok", {}, params(pdf=False, configured_pdf=False)) == (True, None)
    assert promotion("incomplete", {}, params(promote_incomplete=False)) == (
        False, "incomplete and promote_incomplete is false")
    assert promotion("ok", {}, params(promote_incomplete=False)) == (True, None)


def test_a_report_made_without_its_word_copy_is_not_promoted():
    """nightly.yaml writes report.docx unless it says docx: false (the default is true): a run made with
    -p docx=false is kept in runs/ only, like one made without its PDF."""
    from types import SimpleNamespace

    from pipelines.nightly.execution import promotion

    def params(configured: dict, settings: dict):
        return SimpleNamespace(configured=configured, settings={"promote_incomplete": True, **settings})

    kept = (False, "made with -p docx=false while nightly.yaml writes report.docx: kept in runs/ only")
    assert promotion("ok", {}, params({"docx": True}, {"docx": False})) == kept
    assert promotion("incomplete", {}, params({}, {"docx": False})) == kept  # docx not named: true by default
    assert promotion("ok", {}, params({"docx": False}, {"docx": False})) == (True, None)
    assert promotion("ok", {}, params({"docx": True}, {})) == (True, None)
    assert promotion("ok", {}, params({"docx": True}, {"docx": True})) == (True, None)


def test_run_json_is_written_whole_and_read_back_or_none(tmp_path):
    path = runfolder.write_json(tmp_path / "run.json", {"status": "ok", "n": 3, "when": dt.date(2005, 2, 25),
                                                        "place": "梅县"})
    assert path.read_text(encoding="utf-8") == '{\n  "status": "ok",\n  "n": 3,\n  "when": "2005-02-25",\n  "place": "梅县"\n}\n'
    assert runfolder.read_json(path) == {"status": "ok", "n": 3, "when": "2005-02-25", "place": "梅县"}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # no temporary file left
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "bad.json").write_text("{not json")
    assert runfolder.read_json(tmp_path / "list.json") is None and runfolder.read_json(tmp_path / "bad.json") is None
    assert runfolder.read_json(tmp_path / "missing.json") is None


def test_latest_run_and_its_record(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    assert runfolder.latest_run(reports) is None and runfolder.latest_record(reports) is None
    run = runfolder.new_run_dir(reports, dt.datetime(2005, 2, 25, 2, 0, 0))
    assert run == reports / "runs" / "2005-02-25T020000"
    runfolder.write_json(run / "run.json", {"status": "ok"})
    runfolder.promote(reports, run)
    assert runfolder.latest_run(reports) == run and runfolder.latest_record(reports) == {"status": "ok"}
    (run / "run.json").unlink()
    assert runfolder.latest_record(reports) is None
    run.rmdir()  # a dangling link: no latest run
    assert runfolder.latest_run(reports) is None
    (reports / "latest").unlink()
    (reports / "latest").mkdir()  # a real folder (an old layout): read, never switched
    assert runfolder.latest_run(reports) == reports / "latest"


def test_retention_keeps_everything_when_keep_is_zero_and_skips_hidden_folders(tmp_path):
    reports = tmp_path / "reports"
    assert runfolder.prune(reports, keep=2) == []  # no runs folder yet
    names = ["2026-11-01T020000", "2026-11-02T020000", "2026-11-03T020000"]
    for name in names:
        (reports / "runs" / name).mkdir(parents=True)
    (reports / "runs" / ".staging").mkdir()
    (reports / "runs" / "notes.txt").write_text("x")
    assert runfolder.prune(reports, keep=0) == [] and runfolder.prune(reports, keep=-1) == []
    assert runfolder.prune(reports, keep=5) == []  # fewer runs than kept
    removed = runfolder.prune(reports, keep=1, current=reports / "runs" / names[0])
    assert [p.name for p in removed] == [names[1]]
    assert sorted(p.name for p in (reports / "runs").iterdir()) == [".staging", names[0], names[2], "notes.txt"]


def test_sealed_runs_cannot_be_changed_until_unsealed(tmp_path):
    run = tmp_path / "runs" / "A"
    (run / "tables").mkdir(parents=True)
    (run / "report.html").write_text("report")
    (run / "tables" / "findings.parquet").write_bytes(b"PAR1")
    (run / "link").symlink_to("report.html")
    assert not runfolder.is_sealed(run)
    paths = (run, run / "tables", run / "report.html", run / "tables" / "findings.parquet")
    before = {p: p.stat().st_mode for p in paths}
    runfolder.seal(run)
    assert runfolder.is_sealed(run) and runfolder.is_sealed(run / "tables")
    for path in paths:  # the write bits go, nothing else
        assert path.stat().st_mode == before[path] & ~0o222, path
    if os.geteuid() != 0:  # root ignores the mode bits
        with pytest.raises(PermissionError):
            (run / "new.txt").write_text("x")
    runfolder.unseal(run)
    assert not runfolder.is_sealed(run)
    for path in (run, run / "tables"):  # the owner's write bit back on folders, nothing else
        assert path.stat().st_mode == (before[path] & ~0o222) | 0o200, path
    assert not (run / "report.html").stat().st_mode & 0o200  # files stay read-only: only folders open



def test_run_json_is_utf8_under_any_locale(tmp_path):
    """run.json names places in Chinese: written and read as UTF-8 even where the locale's encoding is
    not (here the plain C locale, ASCII, without Python's UTF-8 coercion)."""
    script = ("import sys\nfrom pathlib import Path\nfrom pipelines.nightly import runfolder as r\n"
              "place = chr(0x6885) + chr(0x53bf)\n"  # 梅县: the command line itself is ASCII in this locale
              "p = r.write_json(Path(sys.argv[1]), {'place': place})\n"
              "print(r.read_json(p) == {'place': place})\n")
    # the child imports the same pipelines package as this test (under mutmut: the mutated copy)
    package_root = str(Path(runfolder.__file__).resolve().parents[2])
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
           "PYTHONIOENCODING": "utf-8", "PYTHONPATH": package_root}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "run.json")], env=env, cwd=package_root,
                          capture_output=True,
                          text=True, encoding="utf-8", check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr
    assert (tmp_path / "run.json").read_text(encoding="utf-8") == '{\n  "place": "梅县"\n}\n'
    # the same bytes as written here, and read back here (this process's locale is UTF-8)
    here = runfolder.write_json(tmp_path / "here.json", {"place": "梅县"})
    assert here.read_bytes() == (tmp_path / "run.json").read_bytes()
    assert runfolder.read_json(tmp_path / "run.json") == {"place": "梅县"}


def test_retention_goes_on_past_a_run_folder_it_cannot_remove(tmp_path, monkeypatch):
    """A file that will not go (held open on a share, say) leaves its run behind, not the night failed."""
    reports = tmp_path / "reports"
    names = ["2026-11-01T020000", "2026-11-02T020000", "2026-11-03T020000", "2026-11-04T020000"]
    for name in names:
        (reports / "runs" / name).mkdir(parents=True)
        (reports / "runs" / name / "report.html").write_text(name)
    (reports / "runs" / names[0] / "stuck.txt").write_text("held")
    unlink = os.unlink

    def held(path, *args, **kwargs):
        if os.fspath(path).endswith("stuck.txt"):
            raise PermissionError(13, "held open", os.fspath(path))
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", held)
    removed = runfolder.prune(reports, keep=1)
    assert [p.name for p in removed] == names[:3]
    assert sorted(p.name for p in (reports / "runs").iterdir()) == [names[0], names[3]]
    assert [p.name for p in (reports / "runs" / names[0]).iterdir()] == ["stuck.txt"]


def test_a_path_whose_mode_cannot_change_does_not_stop_sealing_or_unsealing(tmp_path, monkeypatch):
    """A folder left by another user (its mode is not ours to change) is skipped, the rest sealed and unsealed."""
    run = tmp_path / "runs" / "A"
    for sub in ("a_foreign", "tables"):  # the foreign folder first, before tables, in every walk
        (run / sub).mkdir(parents=True)
    (run / "report.html").write_text("report")
    chmod = Path.chmod

    def refuse(self, mode, *args, **kwargs):
        if self.name == "a_foreign":
            raise PermissionError(1, "operation not permitted", str(self))
        return chmod(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "chmod", refuse)
    runfolder.seal(run)
    assert runfolder.is_sealed(run) and runfolder.is_sealed(run / "tables") and not runfolder.is_sealed(run / "a_foreign")
    assert not (run / "report.html").stat().st_mode & 0o222
    runfolder.unseal(run)
    assert not runfolder.is_sealed(run) and not runfolder.is_sealed(run / "tables")
