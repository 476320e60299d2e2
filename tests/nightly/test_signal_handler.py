"""The signal handler itself: a signal that lands inside an asyncio task still stops the run.

While a step runs, the main thread is inside nbclient's event loop. A handler that simply raised
put the exception into whichever task was running; inside nbclient's output-polling task it was
swallowed and the run went on until the cell timed out (CI saw exactly this, as a failed run).
"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from pipelines.nightly.signals import Interrupted, interrupts_raise, received


def _run(main) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def test_a_signal_inside_a_side_task_cancels_the_loop():
    finished = []

    async def side_task() -> None:  # the handler runs here, as in nbclient's output polling
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # bytecodes for the handler to run inside this task
            pass
        await asyncio.sleep(0)

    async def main() -> None:
        asyncio.ensure_future(side_task())
        await asyncio.sleep(5)
        finished.append(True)

    with interrupts_raise():
        with pytest.raises(asyncio.CancelledError):
            _run(main)
        assert received() == "SIGTERM"
    assert finished == []


def test_without_a_loop_the_signal_raises_where_the_main_thread_is():
    with interrupts_raise():
        with pytest.raises(Interrupted, match="SIGINT"):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):
                pass
        assert received() == "SIGINT"


def test_each_run_starts_with_no_signal_noted():
    with interrupts_raise():
        assert received() is None
