"""nightly.log: one line per step and render with its time, errors in full, and no kernel chatter.

The runner logs through :mod:`logging`; the notebook kernels, papermill and Chromium write to
stderr, which would otherwise reach cron's mail. For the length of a run, fd 2 is a pipe read by
a thread that copies each line into the log, except the chatter every healthy run produces
(ZeroMQ over TCP, "Could not destroy zmq context", debugpy's frozen-modules note, the interrupt
jupyter_client sends every kernel it shuts down): those lines say nothing about this run and hid
the ones that did.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

#: Substrings of lines that every run prints and that carry no news (see the module docstring).
CHATTER = (
    "running over TCP without encryption",
    "Could not destroy zmq context",
    "frozen modules",
    "PYDEVD_DISABLE_FILE_VALIDATION",
    "-Xfrozen_modules=off",
    "Debugging will proceed",
    "KeyboardInterrupt caught in kernel",  # jupyter_client interrupts every kernel it shuts down
)
#: Loggers whose INFO lines repeat what the runner logs itself (input/output notebook, kernel name).
QUIET_LOGGERS = ("papermill", "traitlets", "asyncio", "nbclient")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
stderr_log = logging.getLogger("pipelines.nightly.stderr")


def is_chatter(line: str) -> bool:
    return any(token in line for token in CHATTER)


class ChatterFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not is_chatter(record.getMessage())


@contextlib.contextmanager
def run_log(path: Path) -> Iterator[logging.Handler]:
    """Log to ``path`` and send this process's (and its children's) stderr there, filtered."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ChatterFilter())
    root = logging.getLogger()
    old_level = root.level
    old_levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    stderr_log.addHandler(handler)
    stderr_log.propagate = False  # a handler that writes to stderr would feed the pipe back to itself
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    sys.stderr.flush()
    saved_fd = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    reader = threading.Thread(target=_copy_lines, args=(read_fd,), name="nightly-stderr", daemon=True)
    reader.start()
    try:
        yield handler
    finally:
        # A stopped kernel's cell task is collected later and asyncio logs "Task exception was never
        # retrieved" when it is: collect now, so that line goes to the log and not to cron's mail.
        gc.collect()
        sys.stderr.flush()
        os.dup2(saved_fd, 2)  # closes the pipe's last write end this process holds: the reader sees EOF
        os.close(saved_fd)
        reader.join(timeout=5)  # a leftover child still holding the pipe must not hang the run
        root.removeHandler(handler)
        stderr_log.removeHandler(handler)
        stderr_log.propagate = True
        root.setLevel(old_level)
        for name, level in old_levels.items():
            logging.getLogger(name).setLevel(level)
        handler.close()


def _copy_lines(fd: int) -> None:
    with open(fd, encoding="utf-8", errors="replace", closefd=True) as pipe:
        for line in pipe:
            line = line.rstrip()
            if line and not is_chatter(line):
                stderr_log.info("%s", line)
