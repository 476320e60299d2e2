"""SIGINT and SIGTERM end a run the same way, however the process was started.

A shell starts a background job (``nightly &`` in a script) with SIGINT ignored, and Python then
installs no KeyboardInterrupt handler: ``kill -INT`` did nothing and the run went on to move
`latest`. Both signals get the same handler here, which raises :class:`Interrupted` in the main
thread; the runner closes the run folder as ``interrupted`` (kernels shut down, `latest` untouched).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; ``str(exc)`` is the signal's name. A BaseException, so that no
    ``except Exception`` on the way (papermill, nbclient, our own) swallows it."""


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """For the body, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted(signal.Signals(signum).name)

    old = {sig: signal.signal(sig, handler) for sig in HANDLED}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """For the body, SIGINT and SIGTERM are noted and not acted on: closing a run (run.json, `latest`,
    sealing) takes a moment and must not be cut in half. A run that ends right after is not worth
    stopping; the run is recorded with the outcome it reached."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, lambda signum, frame: None) for sig in HANDLED}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)
