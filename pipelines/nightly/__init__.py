"""The nightly runner: the whole chain into a dated, immutable run folder; `latest` on success.

Importing this package is cheap on purpose (no pandas, papermill or nbformat): the "nothing
changed" path must answer in well under a second. The heavy modules load only when a run starts.
"""

from __future__ import annotations

from pipelines.nightly.errors import (
    ExitStatus,
    LockBusyError,
    NightlyError,
    ParameterError,
    RunInterrupted,
    StepFailedError,
    UsageError,
)
from pipelines.nightly.runner import NightlyResult, run_nightly

__all__ = [
    "ExitStatus",
    "LockBusyError",
    "NightlyError",
    "NightlyResult",
    "ParameterError",
    "RunInterrupted",
    "StepFailedError",
    "UsageError",
    "run_nightly",
]
