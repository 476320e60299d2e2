"""Sizes and cell styles shared by the form's two sheets: widths from the text, heights from wrapping.

Spreadsheet programs do not grow a row for wrapped text in merged cells, and Excel does not
refit rows written by a program, so every height here is computed from the text it holds.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

FONT = "宋体"  # SimSun: the Song face Windows offices have (LibreOffice falls back to Noto CJK)
BODY_SIZE = 10
LINE_HEIGHT = 14.0  # points per line of 10-pt CJK text
PREFILLED = "#F2F2F2"  # cells filled from the registry
HEADER_FILL = "#D9D9D9"
INVALID_FILL = "#FFC7CE"
INVALID_FONT = "#9C0006"


def text_width(text: str) -> int:
    """Width in character units: a CJK or full-width character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


# A column of width w (in units of the default font's digit) is w × 7 + 5 pixels at 96 dpi; a
# 10-pt CJK character is 13⅓ pixels wide; a cell keeps a few pixels of padding.
CHAR_PX = BODY_SIZE * 96 / 72
PADDING_PX = 6


def chars_per_line(width: float, size: float = BODY_SIZE) -> int:
    """CJK characters a wrapped cell of ``width`` holds on one line."""
    return max(1, math.floor((width * 7 + 5 - PADDING_PX) / (CHAR_PX * size / BODY_SIZE)))


def lines_needed(text: str, width: float, size: float = BODY_SIZE) -> int:
    """Lines a wrapped cell of ``width`` needs for ``text`` (one line at least)."""
    per_line = chars_per_line(width, size)
    return sum(max(1, math.ceil(text_width(part) / 2 / per_line)) for part in str(text).split("\n"))


def row_height(lines: int, size: float = BODY_SIZE) -> float:
    return round(lines * LINE_HEIGHT * size / BODY_SIZE + 4, 1)


def width_for(chars: int) -> float:
    """The narrowest column width whose wrapped cells hold ``chars`` CJK characters a line."""
    return math.ceil((chars * CHAR_PX + PADDING_PX + 1 - 5) / 7 * 10) / 10  # a pixel to spare for rounding


def header_width(label: str) -> float:
    """A value column as narrow as its label allows, broken into even lines: 4 | 4+3 | 3+3+3 characters."""
    chars = math.ceil(text_width(label) / 2)
    lines = 1 if chars <= 4 else 2 if chars <= 8 else 3
    return width_for(max(3, math.ceil(chars / lines)))


def formats(wb: Any) -> dict[str, Any]:
    """The named cell formats of the workbook (xlsxwriter Format objects)."""
    base = {"font_name": FONT, "font_size": BODY_SIZE, "valign": "vcenter"}
    box = {**base, "border": 1}
    f = {
        "title": {**base, "font_size": 18, "bold": True, "align": "center"},
        "subtitle": {**base, "font_size": 11},
        "subtitle_right": {**base, "font_size": 11, "align": "right"},
        "header": {**box, "bold": True, "align": "center", "text_wrap": True, "bg_color": HEADER_FILL},
        "name_prefilled": {**box, "locked": False, "bg_color": PREFILLED, "num_format": "@", "text_wrap": True},
        "name_input": {**box, "locked": False, "num_format": "@", "text_wrap": True},
        "count_prefilled": {**box, "locked": False, "bg_color": PREFILLED, "align": "center", "num_format": "0"},
        "count_input": {**box, "locked": False, "align": "center", "num_format": "0"},
        "score_input": {**box, "locked": False, "align": "center", "num_format": "0.0"},
        "choice_input": {**box, "locked": False, "align": "center"},
        "sign_label": {**base, "align": "right"},
        "sign_input": {**base, "locked": False, "bottom": 1},
        "invalid": {"bg_color": INVALID_FILL, "font_color": INVALID_FONT},
        "doc_title": {**base, "font_size": 16, "bold": True, "align": "center"},
        "doc_heading": {**base, "font_size": 12, "bold": True},
        "doc_text": {**base, "text_wrap": True, "valign": "top"},
        "doc_header": {**box, "bold": True, "align": "center", "text_wrap": True, "bg_color": HEADER_FILL},
        "doc_cell": {**box, "text_wrap": True, "valign": "top"},
        "doc_center": {**box, "align": "center", "valign": "top"},
    }
    return {k: wb.add_format(v) for k, v in f.items()}


def a4_landscape(ws: Any, *, repeat: tuple[int, int] | None, last_row: int, last_col: int) -> None:
    """A4 landscape, one page wide, header rows repeated, page number centred at the foot."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.center_horizontally()
    ws.fit_to_pages(1, 0)
    if repeat is not None:
        ws.repeat_rows(*repeat)
    ws.print_area(0, 0, last_row, last_col)
    ws.set_footer("&C&\"宋体\"&10第 &P 页，共 &N 页")
