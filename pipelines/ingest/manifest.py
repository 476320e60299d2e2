"""One manifest row per input file: what was read, what was kept, what went wrong.

Files are hashed (sha256) so a later run can tell whether a county re-sent a return. The
warnings of a file are counted per code (``warning_counts``, a JSON object) and summed up in a
human-readable line (``warnings``); the rows themselves are in warnings.parquet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.ingest.errors import IngestError
from pipelines.ingest.warning_codes import Warn, counts_json, summary
from pipelines.schema import MANIFEST_COLUMNS, PERIOD_DTYPE


@dataclass
class FileReport:
    """What happened to one input file; becomes its manifest row."""

    path: Path
    rel: str  # path relative to RAW, POSIX separators: the name every message uses
    kind: str  # "returns" or "registry"
    period: dt.date | None
    sha256: str | None = None
    size: int | None = None
    format: str | None = None  # what the bytes are (xlsx, xls, html, text, utf16 …)
    counties: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    hidden_rows: int = 0
    warns: list[Warn] = field(default_factory=list)
    error: IngestError | None = None
    unmatched: int | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "missing_required_column" if self.error.rule == "missing_required_column" else "unreadable"
        return "warning" if any(w.level == "warning" for w in self.warns) else "ok"


def manifest_frame(reports: list[FileReport]) -> pd.DataFrame:
    """The manifest table, in the column order of pipelines.schema.MANIFEST."""
    df = pd.DataFrame(
        {
            "path": pd.array([r.rel for r in reports], dtype="str"),
            "sha256": pd.array([r.sha256 for r in reports], dtype="str"),
            "size": pd.array([r.size for r in reports], dtype="Int64"),
            "format": pd.array([r.format for r in reports], dtype="str"),
            "county": pd.array(["; ".join(r.counties) if r.counties else None for r in reports], dtype="str"),
            "period": pd.Series(
                [pd.Timestamp(r.period) if r.period else pd.NaT for r in reports], dtype=PERIOD_DTYPE
            ),
            "sheets": pd.array(["; ".join(s for s in r.sheets if s) for r in reports], dtype="str"),
            "rows_read": pd.array([r.rows_read for r in reports], dtype="Int64"),
            "rows_kept": pd.array([r.rows_kept for r in reports], dtype="Int64"),
            "rows_rejected": pd.array([r.rows_rejected for r in reports], dtype="Int64"),
            "hidden_rows": pd.array([r.hidden_rows for r in reports], dtype="Int64"),
            "status": pd.array([r.status for r in reports], dtype="str"),
            "warnings": pd.array([summary(r.warns) for r in reports], dtype="str"),
            "warning_counts": pd.array([counts_json(r.warns) for r in reports], dtype="str"),
            "unmatched_branches": pd.array([r.unmatched for r in reports], dtype="Int64"),
            "reused": pd.array([False] * len(reports), dtype="boolean"),  # the clean says which it reused
        }
    )
    return df[list(MANIFEST_COLUMNS)]
