"""SIGINT and SIGTERM end a run the same way, however the process was started.

A shell starts a background job (``nightly &`` in a script) with SIGINT ignored, and Python then
installs no KeyboardInterrupt handler: ``kill -INT`` did nothing and the run went on to move
`latest`. Both signals get the same handler here, which raises :class:`Interrupted` in the main
thread; the runner closes the run folder as ``interrupted`` (kernels shut down, `latest` untouched).

While a step runs, the main thread is inside nbclient's asyncio loop, and an exception raised by a
handler lands in whichever task happened to be running: raised inside nbclient's output-polling
task it was swallowed ("Task exception was never retrieved") and the run went on until the cell
timed out, as a failure. So, as :class:`asyncio.Runner` does for Ctrl-C, the handler notes the
signal and, with a loop running, cancels the loop's tasks instead of raising; whatever error the
unwinding produces, the runner asks :func:`received` and closes the run as interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM)
_received: list[str] = []


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
        name = signal.Signals(signum).name
        first = not _received
        _received.append(name)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: raise where the main thread is
            raise Interrupted(name) from None
        if not first:  # a second signal while the loop unwinds: stop at once
            raise Interrupted(name)
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.call_soon_threadsafe(lambda: None)  # wake a loop blocked in select()

    _received.clear()
    old = {sig: signal.signal(sig, handler) for sig in HANDLED}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def received() -> str | None:
    """The name of the first signal received inside :func:`interrupts_raise`, or None."""
    return _received[0] if _received else None


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
