"""One manifest row per input file: what was read, what was kept, what went wrong.

Files are hashed (sha256) so a later run can tell whether a county re-sent a return.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.ingest.errors import IngestError
from pipelines.schema import MANIFEST_COLUMNS, PERIOD_DTYPE


def sha256_of(path: Path) -> str:
    """The file's sha256, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class FileReport:
    """What happened to one input file; becomes its manifest row."""

    path: Path
    rel: str  # path relative to RAW, POSIX separators: the name every message uses
    kind: str  # "returns" or "registry"
    period: dt.date | None
    sha256: str | None = None
    size: int | None = None
    counties: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    error: IngestError | None = None
    unmatched: int | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "missing_required_column" if self.error.rule == "missing_required_column" else "unreadable"
        return "warning" if self.warnings else "ok"


def manifest_frame(reports: list[FileReport]) -> pd.DataFrame:
    """The manifest table, in the column order of pipelines.schema.MANIFEST."""
    df = pd.DataFrame(
        {
            "path": pd.array([r.rel for r in reports], dtype="str"),
            "sha256": pd.array([r.sha256 for r in reports], dtype="str"),
            "size": pd.array([r.size for r in reports], dtype="Int64"),
            "county": pd.array(["; ".join(r.counties) if r.counties else None for r in reports], dtype="str"),
            "period": pd.Series(
                [pd.Timestamp(r.period) if r.period else pd.NaT for r in reports], dtype=PERIOD_DTYPE
            ),
            "sheets": pd.array(["; ".join(s for s in r.sheets if s) for r in reports], dtype="str"),
            "rows_read": pd.array([r.rows_read for r in reports], dtype="Int64"),
            "rows_kept": pd.array([r.rows_kept for r in reports], dtype="Int64"),
            "rows_rejected": pd.array([r.rows_rejected for r in reports], dtype="Int64"),
            "status": pd.array([r.status for r in reports], dtype="str"),
            "warnings": pd.array(["; ".join(r.warnings) for r in reports], dtype="str"),
            "unmatched_branches": pd.array([r.unmatched for r in reports], dtype="Int64"),
        }
    )
    return df[list(MANIFEST_COLUMNS)]
