"""One sheet's grid → a frame of raw cells under canonical column names, plus what the title says.

Nothing is parsed here: cells stay as read (object), so that a reject can show the value the
county typed. Title rows give the county and the 统计截止 date when there is one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelines.ingest.headers import HeaderMap

_PERIOD_RE = re.compile(
    r"(?:统计)?截[止至](?:日期|时间)?[::]?\s*(\d{4})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})"
)
_ANY_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")

META = ("_file", "_sheet", "_row", "_first")


@dataclass
class SheetTable:
    """The raw cells of one sheet's data rows (object columns named by canonical name)."""

    sheet: str
    frame: pd.DataFrame
    header: HeaderMap
    title: str
    title_period: dt.date | None


def title_text(grid: list[list[Any]], header_row: int) -> str:
    """The text of the rows above the header (title, subtitle, 填报单位, 统计截止)."""
    parts = []
    for row in grid[:header_row]:
        for cell in row:
            if isinstance(cell, (dt.datetime, dt.date)):
                parts.append(f"{cell:%Y年%m月%d日}")
            elif cell not in ("", None):
                parts.append(str(cell))
    return unicodedata.normalize("NFKC", " ".join(parts))


def title_period(title: str) -> dt.date | None:
    """The 统计截止 date written in a title row, if any (2005年2月25日, 2005-02-25, 2005.2.25)."""
    m = _PERIOD_RE.search(title)
    if not m and "截" in title:
        m = _ANY_DATE_RE.search(title[title.index("截"):])
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def sheet_frame(grid: list[list[Any]], header: HeaderMap, row_numbers: list[int] | None) -> pd.DataFrame:
    """Rows below the header as object columns; ``_row`` is the 1-based row a person sees."""
    block = grid[header.data_start:]
    n = len(block)
    width = max((len(r) for r in block), default=0)
    if n and any(len(r) != width for r in block):  # ragged CSV: pad
        block = [r + [""] * (width - len(r)) for r in block]
    arr = np.empty((n, max(width, 1)), dtype=object)
    if n and width:
        arr[:, :width] = np.array(block, dtype=object).reshape(n, width)
    else:
        arr[:] = ""
    cols: dict[str, Any] = {}
    for name, c in header.columns.items():
        cols[name] = arr[:, c] if c < width else np.full(n, "", dtype=object)
    cols["_first"] = arr[:, 0] if width else np.full(n, "", dtype=object)
    if row_numbers is None:
        rows = np.arange(header.data_start + 1, header.data_start + 1 + n, dtype=np.int64)
    else:
        rows = np.asarray(row_numbers[header.data_start:], dtype=np.int64)
    cols["_row"] = rows
    return pd.DataFrame(cols)
