"""Runs that are stopped: SIGTERM and SIGINT however the process was started, and a real ``kill -9``.

Each test starts the real command line in its own process, waits for an event the stand-in
01_clean cell sets when it starts (no sleeps), then signals the process.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from pipelines import config, datasets, table_sets
from pipelines.nightly import ExitStatus

from nightly_standins import CLEAN_BODY, CLEAN_PARAMS, CellStarted, nightly_command, subprocess_env, write_notebook

PY = sys.executable


@pytest.fixture
def event():
    ev = CellStarted()
    yield ev
    ev.close()


def _only_run(tree: dict[str, Path]) -> Path:
    runs = list((tree["reports"] / "runs").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def _stop(children: list[psutil.Process]) -> list[psutil.Process]:
    """Wait for the processes a run started to end; return (and then kill) any still alive."""
    _, alive = psutil.wait_procs(children, timeout=30)
    for proc in alive:
        proc.kill()
    return alive


def test_a_background_job_starts_with_sigint_ignored():
    """The condition the issue met: a shell script's `cmd &` starts Python with SIGINT ignored."""
    probe = "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
    done = subprocess.run(["bash", "-c", f"{shlex.join([PY, '-c', probe])} & wait $!"], capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT in a background job"])
def test_signal_closes_the_run_as_interrupted(how, tree, cli_argv, event):
    """exit 130, run.json `interrupted`, latest untouched, no kernel left behind; SIGINT as SIGTERM."""
    write_notebook(tree["notebooks"] / "01_clean.ipynb", CLEAN_PARAMS, CLEAN_BODY, event.cell())
    command = nightly_command(cli_argv)
    if how == "SIGTERM":
        proc = subprocess.Popen(command, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=config.PROJECT_ROOT)
        pid, sig = proc.pid, signal.SIGTERM
    else:
        script = f"{shlex.join(command)} & echo $!; wait $!"
        proc = subprocess.Popen(["bash", "-c", script], env=subprocess_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=config.PROJECT_ROOT)
        pid, sig = int(proc.stdout.readline()), signal.SIGINT
    event.wait(proc)
    children = psutil.Process(pid).children(recursive=True)
    assert children  # the step's kernel
    os.kill(pid, sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == ExitStatus.INTERRUPTED, err
    line = err.strip()
    assert "\n" not in line and len(line) <= 300, err
    assert line.startswith("nightly: INTERRUPTED at step 01_clean, cell 3") and f"stopped by {sig.name}" in line
    run_dir = _only_run(tree)
    rec = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert rec["status"] == "interrupted" and rec["steps"][0]["status"] == "interrupted"
    assert not (tree["reports"] / "latest").exists()
    assert not any(p.stat().st_mode & 0o222 for p in run_dir.rglob("*"))  # closed and sealed
    assert _stop(children) == []


def test_killed_run_is_marked_abandoned_by_the_next_run(tree, cli_argv, event, run):
    """kill -9 leaves run.json `running`, writable files and a temporary file; the next run closes it."""
    half_written = ("from pathlib import Path\nfrom pipelines.io import atomic_path\n"
                    "_w = atomic_path(Path(processed_dir) / 'rejects.parquet')\n_w.__enter__().write_bytes(b'half')")
    write_notebook(tree["notebooks"] / "01_clean.ipynb", CLEAN_PARAMS, CLEAN_BODY, event.cell(before=half_written))
    proc = subprocess.Popen(nightly_command(cli_argv), env=subprocess_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=config.PROJECT_ROOT)
    event.wait(proc)
    children = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    _stop(children)
    dead = _only_run(tree)
    before = json.loads((dead / "run.json").read_text(encoding="utf-8"))
    assert before["status"] == "running" and (dead / "run.json").stat().st_mode & 0o200
    assert [p.name for p in dead.rglob(".*.tmp")], "the half-written table is there"

    write_notebook(tree["notebooks"] / "01_clean.ipynb", CLEAN_PARAMS, CLEAN_BODY)
    after_run = run()
    assert after_run.status == "ok" and after_run.record["abandoned_found"] == [dead.name]
    rec = json.loads((dead / "run.json").read_text(encoding="utf-8"))
    assert rec["status"] == "abandoned" and rec["steps"][0]["status"] == "abandoned"
    assert rec["abandoned"]["found"] >= before["start"] and rec["abandoned"]["by_pid"] == os.getpid()
    assert [Path(p).name.startswith(".rejects.parquet") for p in rec["abandoned"]["removed"]] == [True]
    left = [p for p in dead.rglob(".*") if not table_sets.is_machinery(p)]  # the tables' versions and pointers stay
    assert not left, "temporary files removed"
    assert datasets.read(dead / "tables", "manifest")["path"].tolist()  # what 01_clean wrote, still readable
    assert not any(p.stat().st_mode & 0o222 for p in [dead, *dead.rglob("*")]), "sealed read-only"
    assert (tree["reports"] / "latest").resolve() == after_run.run_dir
    assert run().skipped  # and it is closed once: the unchanged run finds nothing more to do
