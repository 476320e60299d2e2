"""pipelines/memory.py: with the stages' malloc settings, freed arrays are reused instead of faulted in again.

Each case runs in a child process (the settings are process-wide and must precede any thread);
a worker thread makes and drops a 64 MB array, then twenty more, and the page faults those
twenty caused in that thread are counted.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipelines import config, memory

CHURN = r"""
import resource, sys, threading
if sys.argv[1] == "in-process":
    from pipelines import memory
    assert memory.keep_freed_memory()
import numpy as np
faults = []

def churn():
    a = np.ones(8_000_000)  # 64 MB, every page written: the first one is always fresh memory
    del a
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    for _ in range(20):
        a = np.ones(8_000_000)
        del a
    faults.append(resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before)

t = threading.Thread(target=churn)
t.start()
t.join()
print(faults[0])
"""

glibc_only = pytest.mark.skipif(not memory.wanted({}), reason="the settings apply to glibc only")


def faults(mode: str, env: dict[str, str]) -> int:
    child = subprocess.run([sys.executable, "-c", CHURN, mode], env=env, cwd=config.PROJECT_ROOT,
                           capture_output=True, text=True, check=True)
    return int(child.stdout.strip())


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("GLIBC_TUNABLES", memory.ENV)}


@glibc_only
@pytest.mark.parametrize("mode", ["in-process", "environment"])
def test_freed_arrays_are_reused_rather_than_faulted_in_again(mode: str) -> None:
    default = faults("default", clean_env())
    env = memory.with_tunables(clean_env()) if mode == "environment" else clean_env()
    kept = faults(mode, env)
    # by default every 64 MB array is fresh pages (at least 32 faults even as 2 MB huge pages);
    # kept, the first array's memory serves all the others
    assert default >= 20 * 32 and default > 10 * kept, (default, kept)


def test_switched_off_by_the_environment_variable() -> None:
    env = {**clean_env(), memory.ENV: "0"}
    assert memory.with_tunables(env) == env
    assert not memory.wanted(env)


@glibc_only
def test_tunables_already_set_come_last_and_so_win() -> None:
    env = memory.with_tunables({"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"})
    assert env["GLIBC_TUNABLES"] == memory.tunables() + ":glibc.malloc.arena_max=4"
    assert memory.tunables().startswith("glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:")


@glibc_only
def test_the_nightly_kernels_start_with_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.nightly.kernels import kernel_env

    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.delenv(memory.ENV, raising=False)
    assert kernel_env()["GLIBC_TUNABLES"] == memory.tunables()
    monkeypatch.setenv(memory.ENV, "0")
    assert "GLIBC_TUNABLES" not in kernel_env()
