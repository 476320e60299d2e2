"""Read a raw file into plain grids (one per sheet): the only module that touches file formats.

The format comes from the bytes (:mod:`pipelines.ingest.formats`), not the extension. Workbooks
(.xlsx, .xls, .xlsb, .ods) go through python-calamine, opened from the bytes so that a renamed
file still reads; an .xlsx is first looked into (:mod:`pipelines.ingest.xlsx_look`) for what
calamine does not tell and for a sheet too large for a dense grid, which is then read sparsely.
HTML tables go through ``pandas.read_html`` (lxml); text through :mod:`pipelines.ingest.text`.
A file that cannot be read raises :class:`UnreadableFileError` with the reason.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from pipelines.ingest import xlsx_look as X
from pipelines.ingest.errors import UnreadableFileError
from pipelines.ingest.formats import READABLE, SPREADSHEET, Detected, describe, detect, ole_kind
from pipelines.ingest.text import csv_grid, decode_text

Merge = tuple[tuple[int, int], tuple[int, int]]  # ((first row, first col), (last row, last col)), grid indices


@dataclass
class RawSheet:
    """A sheet as a grid of cells; ``row_numbers[i]`` is the row (CSV: line) a person sees."""

    name: str
    grid: list[list[Any]]
    row_numbers: list[int] | None = None  # None: row i is spreadsheet row i + 1
    merges: list[Merge] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)  # grid row indices
    hidden_cols: set[int] = field(default_factory=set)  # grid column indices
    stray: list[tuple[str, Any]] = field(default_factory=list)  # (cell, value) left out of the grid
    percent_examples: dict[int, tuple[str, str]] = field(default_factory=dict)  # column → (stored, shown)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (grid row, col) → #DIV/0!
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (grid row, col) → =SUM(…)

    def row_number(self, i: int) -> int:
        return self.row_numbers[i] if self.row_numbers is not None else i + 1


@dataclass
class ReadResult:
    """The sheets of one file, its format, and the text lines that held undecodable bytes."""

    sheets: list[RawSheet]
    detected: Detected
    encoding: str | None = None
    bad_lines: list[tuple[int, int, int]] = field(default_factory=list)  # (line, byte offset, bad bytes)
    hidden_sheets: list[str] = field(default_factory=list)  # worksheets hidden in the workbook: not read

    def __iter__(self):  # noqa: ANN204 - a ReadResult reads as its sheets (``(sheet, *rest) = read_file(p)``)
        return iter(self.sheets)

    def __len__(self) -> int:
        return len(self.sheets)

    def __getitem__(self, i: int) -> RawSheet:
        return self.sheets[i]


def read_file(path: Path, display: str | None = None) -> ReadResult:
    """All sheets of ``path`` as grids; raises UnreadableFileError with the reason."""
    display = display or path.name
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise UnreadableFileError(f"cannot open: {exc}", message_zh=f"无法打开:{exc}", file=display) from exc
    if size == 0:
        raise UnreadableFileError("empty file (0 bytes)", message_zh="空文件(0 字节)", file=display)
    found = detect(path, head)
    if not found.known_extension and found.kind not in SPREADSHEET:
        ext = found.extension or "(none)"
        raise UnreadableFileError(
            f"unsupported file type {ext} ({found.describe('en')}); expected a workbook, an HTML table or a CSV",
            message_zh=f"不支持的文件类型 {found.extension or '(无扩展名)'}({found.describe('zh')}),"
                       "应为工作簿、网页表格或 CSV",
            file=display,
        )
    if found.kind not in READABLE:
        raise UnreadableFileError(
            f"the content is {found.describe('en')}, not a return", message_zh=f"文件内容为{found.describe('zh')},不是报表",
            file=display)
    try:
        if found.kind in ("text", "utf16"):
            decoded = decode_text(path.read_bytes(), display, utf16=found.kind == "utf16")
            grid, lines = csv_grid(decoded.text, display)
            return ReadResult([RawSheet("", grid, lines)], found, decoded.encoding, decoded.bad_lines)
        if found.kind == "html":
            return ReadResult(read_html_grids(path.read_bytes(), display), found)
        hidden: list[str] = []
        return ReadResult(read_workbook(path, display, found, hidden), found, hidden_sheets=hidden)
    except UnreadableFileError:
        raise
    except MemoryError as exc:
        raise UnreadableFileError("too large to read within the memory limit",
                                  message_zh="文件过大,超出内存限制,无法读取", file=display) from exc


# ----------------------------------------------------------------------------- workbooks


def _calamine_error(exc: Exception, path: Path, found: Detected, display: str) -> UnreadableFileError:
    kind = ole_kind(path.read_bytes()) if found.kind == "xls" else None
    if kind in ("word", "encrypted"):
        zh, en = describe(kind, "zh"), describe(kind, "en")
        return UnreadableFileError(f"the content is {en}, not a readable workbook",
                                   message_zh=f"文件内容为{zh},不是可读取的工作簿", file=display)
    return UnreadableFileError(
        f"not a readable Excel workbook ({type(exc).__name__}: {exc})",
        message_zh=f"无法读取的 Excel 工作簿({type(exc).__name__}: {exc})", file=display)


def read_workbook(path: Path, display: str, found: Detected, hidden: list[str] | None = None) -> list[RawSheet]:
    """Every visible worksheet, cells as calamine gives them ('' for empty), corrected by the second look.

    A hidden worksheet (stale data a person does not see) is not read; its name goes to ``hidden``."""
    looks: dict[str, X.SheetLook] = {}
    if found.kind == "xlsx":
        try:
            looks = X.look_into(path)
        except Exception:  # noqa: BLE001 - a broken part: calamine below says why, or reads it anyway
            looks = {}
    sheets = []
    try:
        with open(path, "rb") as fh:
            # by path when the extension tells calamine the format (faster); else from the bytes
            wb = CalamineWorkbook.from_path(str(path)) if not found.lied else CalamineWorkbook.from_filelike(fh)
            for meta in wb.sheets_metadata:
                if meta.typ != SheetTypeEnum.WorkSheet:
                    continue
                if meta.visible != SheetVisibleEnum.Visible:
                    if hidden is not None:
                        hidden.append(meta.name)
                    continue
                look = looks.get(meta.name)
                if look is not None and not look.fits:
                    sheets.append(_sparse_sheet(path, meta.name, look))
                    continue
                sheet = wb.get_sheet_by_name(meta.name)
                raw = RawSheet(meta.name, sheet.to_python(skip_empty_area=False),
                               merges=[(first, last) for first, last in (sheet.merged_cell_ranges or [])])
                if look is not None:
                    _apply_look(raw, look)
                sheets.append(raw)
            wb.close()
    except UnreadableFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine raises several unrelated types
        raise _calamine_error(exc, path, found, display) from exc
    return sheets


def _shown_percent(value: float) -> str:
    text = repr(round(value * 100, 9))
    return (text[:-2] if text.endswith(".0") else text) + "%"


def _apply_look(raw: RawSheet, look: X.SheetLook, origin: tuple[int, int] = (1, 0)) -> None:
    """Hidden rows/columns, percentages, errors and uncached formulas written into the grid."""
    r0, c0 = origin
    grid = raw.grid
    raw.hidden_rows = {r - r0 for r in look.hidden_rows if 0 <= r - r0 < len(grid)}
    raw.hidden_cols = {c - c0 for c in look.hidden_cols if c - c0 >= 0}
    shown_of: dict[float, str] = {}  # a column of percentages holds few distinct values
    height = len(grid)
    for r, c in look.percent:
        i, j = r - r0, c - c0
        if 0 <= i < height and 0 <= j < len(grid[i]):
            v = grid[i][j]
            if type(v) is float and v == v or type(v) is int:  # a number (not NaN, not a bool)
                shown = shown_of.get(v)
                if shown is None:
                    shown = shown_of[v] = _shown_percent(float(v))
                grid[i][j] = shown
                if j not in raw.percent_examples:
                    raw.percent_examples[j] = (repr(v), shown)
    for (r, c), text in look.errors.items():
        i, j = r - r0, c - c0
        if 0 <= i < len(grid) and 0 <= j < len(grid[i]):
            grid[i][j] = text
            raw.errors[(i, j)] = text
    for (r, c), formula in look.formulas.items():
        i, j = r - r0, c - c0
        if 0 <= i < len(grid) and 0 <= j < len(grid[i]) and grid[i][j] in ("", None):
            grid[i][j] = formula
            raw.formulas[(i, j)] = formula


def _sparse_sheet(path: Path, name: str, look: X.SheetLook) -> RawSheet:
    """A sheet whose extent is beyond the budget: stored cells only, far ones reported, not read."""
    cells = X.sparse_cells(path, look)
    budget = X.MIN_CELL_BUDGET
    stray: list[tuple[str, Any]] = []
    while cells:
        max_r = max(r for r, _, _ in cells)
        max_c = max(c for _, c, _ in cells)
        if max_r * (max_c + 1) <= budget:
            break
        rows = sorted({r for r, _, _ in cells})
        cols = sorted({c for _, c, _ in cells})
        row_gap = rows[-1] - (rows[-2] if len(rows) > 1 else 0)
        col_gap = cols[-1] - (cols[-2] if len(cols) > 1 else -1)
        if row_gap * (max_c + 1) >= col_gap * max_r:
            far = [x for x in cells if x[0] == max_r]
        else:
            far = [x for x in cells if x[1] == max_c]
        stray += [(f"{X.col_letter(c)}{r}", v) for r, c, v in far]
        cells = [x for x in cells if x not in far]
    height = max((r for r, _, _ in cells), default=0)
    width = max((c for _, c, _ in cells), default=-1) + 1
    grid: list[list[Any]] = [[""] * width for _ in range(height)]
    for r, c, v in cells:
        grid[r - 1][c] = v
    look.xml = None
    raw = RawSheet(name, grid, stray=stray)
    _apply_look(raw, look)
    return raw


# ----------------------------------------------------------------------------- HTML


def read_html_grids(data: bytes, display: str) -> list[RawSheet]:
    """Every <table> of an HTML page (what web systems export as .xls), spans repeated into cells."""
    import pandas as pd

    text = _html_text(data, display)
    try:
        frames = pd.read_html(io.StringIO(text), header=None, flavor="lxml", keep_default_na=False,
                              na_values=[], displayed_only=True, thousands=None)
    except ValueError as exc:  # "No tables found"
        raise UnreadableFileError(f"an HTML page without a table ({exc})", message_zh="网页中没有表格",
                                  file=display) from exc
    sheets = []
    for i, df in enumerate(frames, start=1):
        grid = [["" if v is None else v for v in row] for row in df.astype(object).itertuples(index=False)]
        sheets.append(RawSheet(f"表格{i}" if len(frames) > 1 else "", grid))
    return sheets


def _html_text(data: bytes, display: str) -> str:
    import re

    m = re.search(rb'charset\s*=\s*["\']?([A-Za-z0-9_\-]+)', data[:4096], re.I)
    if m:
        enc = m.group(1).decode("ascii").lower()
        enc = {"gb2312": "gb18030", "gbk": "gb18030"}.get(enc, enc)
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data, display).text
