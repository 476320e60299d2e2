"""Structured errors: each carries the file, sheet, row and column it is about.

Like papermill's exception hierarchy, callers catch :class:`IngestError` for anything the
stage raises and the subclasses for the cases they treat differently; the fields let the CLI,
the manifest and rejects name the exact place without parsing message text.
"""

from __future__ import annotations


class IngestError(Exception):
    """Base class: a problem located in a file / sheet / row / column (any may be None)."""

    rule = "ingest_error"

    def __init__(
        self,
        message_en: str,
        *,
        message_zh: str | None = None,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        super().__init__(str(self))

    def where(self) -> str:
        parts = [self.file or "?"]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message_en}"


class UnreadableFileError(IngestError):
    """The file cannot be opened or decoded (corrupt, empty, binary, unsupported type)."""

    rule = "unreadable_file"


class MissingRequiredColumnError(IngestError):
    """The file was read but gives no branch/members table (or no county)."""

    rule = "missing_required_column"


class OutputSchemaError(IngestError):
    """An output frame broke its pandera schema: a bug in the stage, never written."""

    rule = "schema_violation"
