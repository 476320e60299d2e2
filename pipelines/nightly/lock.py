"""One nightly run per reports folder at a time: ``fcntl.flock`` on reports/.nightly.lock.

flock is released by the kernel when the process dies, so a crashed run never leaves a stale
lock behind; the file's content (pid, host, start) only serves the message of the run refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from pipelines.nightly.errors import LockBusyError

LOCK_NAME = ".nightly.lock"


@contextlib.contextmanager
def nightly_lock(reports: Path) -> Iterator[Path]:
    """Hold the lock for the body; raise :class:`LockBusyError` at once when someone else holds it."""
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            raise LockBusyError(path, holder) from None
        os.ftruncate(fd, 0)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {stamp}\n".encode(), 0)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
