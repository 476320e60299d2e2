"""Cleaning stage: raw county returns (workbooks, HTML tables, text) → validated Parquet tables.

The one entry point is :func:`clean`; the CLI (``python -m pipelines clean``) and
notebooks/01_clean.ipynb both call it. (``clean`` here is the function; the module that
holds it is ``pipelines.ingest.clean`` in sys.modules.)
"""

from __future__ import annotations

from pipelines.ingest.clean import CleanResult, clean
from pipelines.ingest.errors import (
    IngestError,
    MissingRequiredColumnError,
    OutputSchemaError,
    UnreadableFileError,
)

__all__ = [
    "CleanResult",
    "IngestError",
    "MissingRequiredColumnError",
    "OutputSchemaError",
    "UnreadableFileError",
    "clean",
]

