"""Cleaning stage: raw county returns (xlsx/xls/csv) → validated Parquet tables.

The one entry point is :func:`clean`; the CLI (``python -m pipelines clean``) and
notebooks/01_clean.ipynb both call it. Imported lazily so that ``pipelines.ingest.values``
and friends load without the whole stage.
"""

from __future__ import annotations

from typing import Any

from pipelines.ingest.errors import (
    IngestError,
    MissingRequiredColumnError,
    NoTableError,
    OutputSchemaError,
    UnreadableFileError,
)

__all__ = [
    "CleanResult",
    "IngestError",
    "MissingRequiredColumnError",
    "NoTableError",
    "OutputSchemaError",
    "UnreadableFileError",
    "clean",
]


def __getattr__(name: str) -> Any:
    if name in {"clean", "CleanResult"}:
        from pipelines.ingest import clean as _clean_module

        return getattr(_clean_module, name)
    raise AttributeError(name)
