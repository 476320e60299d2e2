"""Kernels started one step ahead, so a notebook never waits ~1 s for its kernel to boot.

Papermill runs each notebook on its own fresh kernel (no state leaks from one step to the
next), and a kernel spends about a second importing IPython before it answers. Starting the
next step's kernel while the current step runs hides that second; papermill hands a
pre-started manager through to nbclient (``km=``), which then neither starts nor owns it, so
:class:`KernelPool` shuts every kernel it started down, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.kernelspec import NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from pipelines.nightly.errors import NightlyError
from pipelines.nightly.fastimport import KERNEL_STUB_DIR

PRELOAD_CODE = """\
def _rwb_preload(names={modules!r}):
    import importlib
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass
_rwb_preload()
del _rwb_preload
"""


def kernel_env() -> dict[str, str]:
    """Our environment with the import stub first on PYTHONPATH (see pipelines/nightly/fastimport.py)."""
    env = dict(os.environ)
    paths = [str(KERNEL_STUB_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's warning about frozen modules
    return env


class KernelPool:
    """Start kernels ahead of use; shut down every one of them on close."""

    def __init__(self, kernel_name: str, cwd: Path, preload: Sequence[str] = ()) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.preload = tuple(preload)
        self._started: list[AsyncKernelManager] = []
        self._clients: dict[int, BlockingKernelClient] = {}

    def start(self) -> AsyncKernelManager:
        """Launch a kernel process and return at once (nbclient waits for it to be ready)."""
        km = AsyncKernelManager(kernel_name=self.kernel_name)
        try:
            run_sync(km.start_kernel)(cwd=str(self.cwd), env=kernel_env())
        except NoSuchKernel as exc:
            raise NightlyError(
                f"nightly: Jupyter kernel {self.kernel_name!r} is not installed (`make venv` registers it)"
            ) from exc
        self._started.append(km)
        if self.preload:
            self._preload(km)
        return km

    def _preload(self, km: AsyncKernelManager) -> None:
        """Queue a silent import of the heavy modules, so they load before the notebook asks for them.

        Sent without waiting (ZeroMQ holds the request until the kernel listens); ``silent`` leaves
        no history, no execution count and no names behind: the notebook still starts clean,
        it only finds pandas & co. already in ``sys.modules``. A module that fails is ignored here
        and fails, visibly, in the notebook's own import.
        """
        kc = BlockingKernelClient()
        kc.load_connection_info(km.get_connection_info())
        kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
        kc.execute(PRELOAD_CODE.format(modules=list(self.preload)), silent=True, store_history=False)
        self._clients[id(km)] = kc

    def stop(self, km: AsyncKernelManager | None) -> None:
        if km is None:
            return
        kc = self._clients.pop(id(km), None)
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        with contextlib.suppress(Exception):
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        with contextlib.suppress(ValueError):
            self._started.remove(km)

    def close(self) -> None:
        for km in list(self._started):
            self.stop(km)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
