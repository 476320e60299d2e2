"""Read a raw file into plain grids (one per sheet): the only module that touches file formats.

.xlsx and legacy .xls go through python-calamine (≈10× faster than openpyxl); .csv is decoded
as UTF-8 (with or without BOM) or GBK/GB18030. A file that cannot be read raises
:class:`UnreadableFileError` with the reason, so the caller can report it and go on.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook, SheetTypeEnum

from pipelines.ingest.errors import UnreadableFileError

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".txt"})
SUPPORTED_SUFFIXES = EXCEL_SUFFIXES | CSV_SUFFIXES


@dataclass
class RawSheet:
    """A sheet as a grid of cells; ``row_numbers[i]`` is the row (CSV: line) a person sees."""

    name: str
    grid: list[list[Any]]
    row_numbers: list[int] | None = None  # None: row i is spreadsheet row i + 1

    def row_number(self, i: int) -> int:
        return self.row_numbers[i] if self.row_numbers is not None else i + 1


def read_file(path: Path, display: str | None = None) -> list[RawSheet]:
    """All sheets of ``path`` as grids; raises UnreadableFileError with the reason."""
    display = display or path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFileError(
            f"unsupported file type {suffix or '(none)'}; expected .xlsx, .xls or .csv",
            message_zh=f"不支持的文件类型 {suffix or '(无扩展名)'},应为 .xlsx、.xls 或 .csv",
            file=display,
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFileError(f"cannot open: {exc}", message_zh=f"无法打开:{exc}", file=display) from exc
    if size == 0:
        raise UnreadableFileError("empty file (0 bytes)", message_zh="空文件(0 字节)", file=display)
    if suffix in CSV_SUFFIXES:
        return [read_csv_grid(path.read_bytes(), display)]
    return read_excel_grids(path, display)


def read_excel_grids(path: Path, display: str) -> list[RawSheet]:
    """Every worksheet of an Excel workbook, cells as calamine gives them ('' for empty)."""
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheets = []
        for meta in wb.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            sheets.append(RawSheet(meta.name, sheet.to_python(skip_empty_area=False)))
        wb.close()
    except Exception as exc:  # calamine raises several unrelated types (ZipError, XmlError, ValueError…)
        raise UnreadableFileError(
            f"not a readable Excel workbook ({type(exc).__name__}: {exc})",
            message_zh=f"无法读取的 Excel 工作簿({type(exc).__name__}: {exc})",
            file=display,
        ) from exc
    return sheets


def decode_text(data: bytes, display: str) -> str:
    """UTF-8 (BOM or not), else GB18030 (a superset of GBK); binary junk is unreadable."""
    if b"\x00" in data[:65536]:
        raise UnreadableFileError(
            "binary content (NUL bytes), not a text CSV", message_zh="文件为二进制内容(含 NUL 字节),不是文本 CSV",
            file=display,
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFileError(
            "text is neither UTF-8 nor GBK/GB18030", message_zh="文本编码既不是 UTF-8 也不是 GBK/GB18030", file=display
        )
    sample = text[:4096]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if sample and control / len(sample) > 0.05:
        raise UnreadableFileError(
            "binary content (control characters), not a text CSV",
            message_zh="文件为二进制内容(含控制字符),不是文本 CSV",
            file=display,
        )
    return text


def read_csv_grid(data: bytes, display: str) -> RawSheet:
    """A CSV as one sheet; row numbers are the line numbers where each record starts."""
    text = decode_text(data, display)
    first = text[:4096]
    delimiter = max([",", "\t", ";"], key=first.count) if any(d in first for d in ",\t;") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid: list[list[Any]] = []
    lines: list[int] = []
    previous = 0
    try:
        for record in reader:
            grid.append(record)
            lines.append(previous + 1)
            previous = reader.line_num
    except csv.Error as exc:
        raise UnreadableFileError(
            f"malformed CSV near line {reader.line_num}: {exc}",
            message_zh=f"CSV 格式错误(约第 {reader.line_num} 行):{exc}",
            file=display,
            row=reader.line_num,
        ) from exc
    width = max((len(r) for r in grid), default=0)
    grid = [r if len(r) == width else r + [""] * (width - len(r)) for r in grid]  # rectangular, like calamine
    return RawSheet("", grid, lines)
