"""glibc malloc settings for the processes that run the stages: freed memory is kept for reuse.

The metrics stage makes and drops arrays of tens of MB thousands of times (one column of 4.6
million rows is 37 MB). By default glibc maps every block over 32 MB on its own and unmaps it
when it is freed, and a worker thread's arena maps smaller ones too, so each new array is fresh
pages that the kernel faults in and zeroes: on the 4.6 M-row benchmark, 1.1–3.6 s of system CPU
in a 4–6 s run. With these settings large blocks come from the heap (``mmap_max`` 0), every
thread allocates from that one heap (``arena_max`` 1), and freed memory stays there for the
next array (``trim_threshold``, ``top_pad``): system CPU fell to 0.65–1.4 s and the stage's
median time by a tenth to a seventh, for up to 200 MB more at its peak (docs/metrics.md).

The settings must be in place before the process starts threads, so they are applied where a
process begins: the CLI's first line (``keep_freed_memory``) and the environment of the
nightly's notebook kernels (``with_tunables``). A process that only imports the package (an
analyst's notebook, the tests) keeps glibc's defaults. Elsewhere than glibc (macOS, Windows,
musl) nothing changes; ``RWB_KEEP_MEMORY=0`` turns the settings off.
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Mapping

# glibc tunable → value; the same settings as mallopt(3) options (<malloc.h>)
KEEP = {"arena_max": 1, "mmap_max": 0, "trim_threshold": 2**31 - 1, "top_pad": 64 << 20}
MALLOPT = {"trim_threshold": -1, "top_pad": -2, "mmap_max": -4, "arena_max": -8}
ENV = "RWB_KEEP_MEMORY"


def wanted(env: Mapping[str, str] | None = None) -> bool:
    """Whether the settings apply: on glibc, unless ``RWB_KEEP_MEMORY=0``."""
    env = os.environ if env is None else env
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc" and env.get(ENV, "1") != "0"


def keep_freed_memory() -> bool:
    """Apply the settings to this process (call before it starts any thread); True if applied."""
    if not wanted():
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return all(libc.mallopt(MALLOPT[name], value) == 1 for name, value in KEEP.items())


def tunables() -> str:
    """The settings as a ``GLIBC_TUNABLES`` value, read by glibc when a process starts."""
    return ":".join(f"glibc.malloc.{name}={value}" for name, value in KEEP.items())


def with_tunables(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for a child process that should start with the settings; tunables already set there
    come after ours, so they win (glibc reads them left to right)."""
    out = dict(env)
    if wanted(env):
        given = out.get("GLIBC_TUNABLES", "")
        out["GLIBC_TUNABLES"] = f"{tunables()}:{given}" if given else tunables()
    return out
