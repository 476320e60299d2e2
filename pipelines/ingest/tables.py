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


def sheet_frame(grid: list[list[Any]], header: HeaderMap, row_numbers: list[int] | None) -> dict[str, np.ndarray]:
    """Rows below the header as object arrays by canonical name; ``_row`` is the row a person sees.

    Plain numpy arrays, not a DataFrame: pandas would infer (and convert) string columns per
    sheet; the stage stacks all sheets first and builds one frame with explicit dtypes.
    """
    block = grid[header.data_start:]
    n = len(block)
    width = len(block[0]) if n else 0  # grids are rectangular (readers pad CSV rows)
    grid2d = np.empty((n, width), dtype=object)
    if n and width:
        grid2d[:] = block  # one C-level copy of the cells (rows are equally long)
    blank = np.full(n, "", dtype=object)

    def column(c: int) -> np.ndarray:
        return np.ascontiguousarray(grid2d[:, c]) if c < width else blank

    cols: dict[str, np.ndarray] = {name: column(c) for name, c in header.columns.items()}
    cols["_first"] = column(0)
    if row_numbers is None:
        cols["_row"] = np.arange(header.data_start + 1, header.data_start + 1 + n, dtype=np.int64)
    else:
        cols["_row"] = np.asarray(row_numbers[header.data_start:], dtype=np.int64)
    return cols
