"""The workbook itself: a 说明 sheet, then one table sheet per kind of problem that has rows.

Each table sheet has a title row, one header row (frozen, with an autofilter), columns as wide as
their text up to a limit past which it wraps (row heights computed, as spreadsheet programs do not
refit rows a program wrote), and an A4 landscape print set-up with the header repeated on every
page. What goes in the cells is decided elsewhere (feedback_rows.py); this module only lays it out.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from pipelines.documents import layout


@dataclass(frozen=True)
class Col:
    """A column of a table sheet: its header, how its cells look, and the widest it grows (CJK characters)."""

    header: str
    kind: str = "text"  # text (wraps past ``most``) | center | number
    most: int = 16


@dataclass(frozen=True)
class Sheet:
    """One table sheet: its name, its title line, its columns and rows (str, int or None per cell)."""

    name: str
    title: str
    cols: tuple[Col, ...]
    rows: list[list[Any]]


@dataclass(frozen=True)
class SummaryLine:
    """A row of the 说明 sheet's table: which sheet, what it lists, how many rows, what to do."""

    sheet: str
    about: str
    count: str
    ask: str
    linked: bool  # the sheet is in the workbook (it has rows): the name links to it


TITLE_ROW, HEADER_ROW = 0, 1
FIRST_ROW = HEADER_ROW + 1
SUMMARY_WIDTHS = (11, 31, 7, 24)  # 工作表, 内容, 条数, 请县(市、区): CJK characters, within an A4 landscape page
ONE_LINE_HEADER = 8  # a header up to this many characters stays on one line; a longer one takes two


def _formats(wb: Any) -> dict[str, Any]:
    fmt = layout.formats(wb)
    base = {"font_name": layout.FONT, "font_size": layout.BODY_SIZE, "valign": "vcenter", "border": 1}
    extra = {
        "sheet_title": {"font_name": layout.FONT, "font_size": 12, "bold": True, "valign": "vcenter"},
        "cell": {**base, "text_wrap": True},
        "center": {**base, "align": "center", "text_wrap": True},
        "number": {**base, "align": "center", "num_format": "0"},
        "link": {**base, "text_wrap": True, "font_color": "#0563C1", "underline": 1},
        "period": {"font_name": layout.FONT, "font_size": 11, "align": "center", "valign": "vcenter"},
        "conclusion": {"font_name": layout.FONT, "font_size": 12, "bold": True, "text_wrap": True, "valign": "top"},
    }
    fmt.update({k: wb.add_format(v) for k, v in extra.items()})
    return fmt


def _chars(value: Any) -> int:
    """Width of a cell's text in CJK characters (an ASCII character counts half)."""
    return 0 if value is None else math.ceil(layout.text_width(str(value)) / 2)


def widths(sheet: Sheet) -> list[float]:
    """Each column as wide as its longest cell up to ``most`` characters (then it wraps), never
    narrower than its header (on one line up to ONE_LINE_HEADER characters, else on two), nor
    than three characters."""
    out = []
    for i, col in enumerate(sheet.cols):
        longest = max([_chars(r[i]) for r in sheet.rows] + [0])
        header = _chars(col.header)
        header = header if header <= ONE_LINE_HEADER else math.ceil(header / 2)
        out.append(layout.width_for(max(3, header, min(longest, col.most)) + 1))
    return out


def write_table(wb: Any, fmt: dict[str, Any], sheet: Sheet) -> None:
    """A table sheet: title, header (frozen, autofilter), rows, A4 landscape print set-up."""
    ws = wb.add_worksheet(sheet.name)
    w = widths(sheet)
    last_col = len(sheet.cols) - 1
    for i, width in enumerate(w):
        ws.set_column(i, i, width)
    ws.set_row(TITLE_ROW, 26)
    if last_col:
        ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col, sheet.title, fmt["sheet_title"])
    else:
        ws.write(TITLE_ROW, 0, sheet.title, fmt["sheet_title"])
    ws.set_row(HEADER_ROW, layout.row_height(max(layout.lines_needed(c.header, x) for c, x in zip(sheet.cols, w, strict=True))))
    for i, col in enumerate(sheet.cols):
        ws.write_string(HEADER_ROW, i, col.header, fmt["doc_header"])
    for r, row in enumerate(sheet.rows, start=FIRST_ROW):
        lines = max(layout.lines_needed(str(v), x) for v, x in zip(row, w, strict=True) if v is not None) if any(
            v is not None for v in row) else 1
        if lines > 1:
            ws.set_row(r, layout.row_height(lines))
        for i, (col, value) in enumerate(zip(sheet.cols, row, strict=True)):
            style = fmt["number" if col.kind == "number" else "center" if col.kind == "center" else "cell"]
            if value is None or value == "":
                ws.write_blank(r, i, None, style)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(r, i, value, style)
            else:
                ws.write_string(r, i, str(value), style)
    last_row = FIRST_ROW + len(sheet.rows) - 1
    ws.freeze_panes(FIRST_ROW, 0)
    ws.autofilter(HEADER_ROW, 0, max(last_row, HEADER_ROW), last_col)
    layout.a4_landscape(ws, repeat=(TITLE_ROW, HEADER_ROW), last_row=max(last_row, HEADER_ROW), last_col=last_col)


def write_summary(wb: Any, fmt: dict[str, Any], *, name: str, title: str, period_line: str, about: str,
                  conclusion: str | None, header: list[str], lines: list[SummaryLine]) -> None:
    """The 说明 sheet: title, 统计截至 line, what the workbook is, a conclusion when there is nothing
    to fix, and one line per kind of problem with its count (linked to its sheet when it has rows)."""
    ws = wb.add_worksheet(name)
    ws.hide_gridlines(2)
    w = [layout.width_for(c) for c in SUMMARY_WIDTHS]
    for i, x in enumerate(w):
        ws.set_column(i, i, x)
    last = len(w) - 1
    total = sum(w) - 2
    ws.set_row(0, 32)
    ws.merge_range(0, 0, 0, last, title, fmt["doc_title"])
    ws.set_row(1, 22)
    ws.merge_range(1, 0, 1, last, period_line, fmt["period"])
    r = 3
    ws.set_row(r, layout.row_height(layout.lines_needed(about, total)))
    ws.merge_range(r, 0, r, last, about, fmt["doc_text"])
    r += 2
    if conclusion:
        ws.set_row(r, layout.row_height(layout.lines_needed(conclusion, total, 12), 12))
        ws.merge_range(r, 0, r, last, conclusion, fmt["conclusion"])
        r += 2
    ws.set_row(r, 22)
    for i, h in enumerate(header):
        ws.write_string(r, i, h, fmt["doc_header"])
    for line in lines:
        r += 1
        cells = [line.sheet, line.about, line.count, line.ask]
        ws.set_row(r, layout.row_height(max(layout.lines_needed(v, x) for v, x in zip(cells, w, strict=True))))
        if line.linked:
            ws.write_url(r, 0, f"internal:'{line.sheet}'!A1", fmt["link"], string=line.sheet,
                         tip=f"转到「{line.sheet}」")
        else:
            ws.write_string(r, 0, line.sheet, fmt["cell"])
        ws.write_string(r, 1, line.about, fmt["cell"])
        ws.write_string(r, 2, line.count, fmt["center"])
        ws.write_string(r, 3, line.ask, fmt["cell"])
    ws.activate()
    layout.a4_landscape(ws, repeat=None, last_row=r, last_col=last)


def write_book(path: Path, *, title: str, period: dt.date, summary: dict[str, Any], sheets: list[Sheet]) -> Path:
    """Write the workbook to ``path`` (a temporary file the caller renames): 说明 first, then the tables."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"title": title, "created": dt.datetime.combine(period, dt.time(0, 0))})
    fmt = _formats(wb)
    write_summary(wb, fmt, title=title, **summary)
    for sheet in sheets:
        write_table(wb, fmt, sheet)
    wb.close()
    return path
