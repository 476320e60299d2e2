"""The nightly runner: the whole chain into a dated, immutable run folder; `latest` on success.

Importing this package is cheap on purpose (no pandas, papermill or nbformat): the "nothing
changed" path must answer in well under a second. The heavy modules load only when a run starts.
Each run keeps the tables its report was made from (``runs/<id>/tables``, hard links into
``reports/store``); the analysts' data/processed is never read or written.
"""

from __future__ import annotations

from pipelines.nightly.errors import (
    ExitStatus,
    LockBusyError,
    ModifiedCodeError,
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
    "ModifiedCodeError",
    "NightlyError",
    "NightlyResult",
    "ParameterError",
    "RunInterrupted",
    "StepFailedError",
    "UsageError",
    "run_nightly",
]
