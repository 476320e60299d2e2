"""One sheet's grid → its raw cells under canonical column names; every sheet's rows stacked.

Nothing is parsed here: cells stay as read (factorized, not converted), so that a reject can
show the value the county typed. Title rows give the county and the 统计截止 date when there is
one. :class:`RawRows` stacks the sheets of many files into one set of columns, so that parsing
and checking run once over all rows; every computation on it stays within a file's own rows.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from pipelines.ingest.headers import HeaderMap
from pipelines.ingest.values import Encoded, factorize_cells

_PERIOD_RE = re.compile(
    r"(?:统计)?截[止至](?:日期|时间)?[::]?\s*(\d{4})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})"
)
_ANY_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


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


@dataclass(frozen=True)
class SheetCells:
    """One sheet's data rows, factorized once: ``codes[:, columns[name]]`` indexes ``uniques``.

    One hash pass over the whole block (not one per column) and no per-column object copies;
    the grid can be dropped as soon as this exists. Code -1 is a missing cell.
    """

    codes: np.ndarray  # (rows, k) int64
    uniques: np.ndarray  # object: the distinct cell values of the block
    columns: dict[str, int]  # canonical name (and "_first", grid column 0) → column of ``codes``
    rows: np.ndarray  # int64: the row a person sees

    @property
    def n(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> Encoded:
        return Encoded(np.ascontiguousarray(self.codes[:, self.columns[name]]), self.uniques)

    def renamed(self, old: str, new: str) -> SheetCells:
        columns = {(new if k == old else k): v for k, v in self.columns.items()}
        return replace(self, columns=columns)


def _rectangular(block: list[list[Any]]) -> tuple[list[list[Any]], int]:
    """The rows and their common width (short rows padded with blanks, as calamine gives them)."""
    widths = set(map(len, block))
    width = max(widths, default=0)
    if len(widths) > 1:
        block = [r if len(r) == width else [*r, *[""] * (width - len(r))] for r in block]
    return block, width


def sheet_cells(grid: list[list[Any]], header: HeaderMap, row_numbers: list[int] | None) -> SheetCells:
    """Rows below the header, the mapped columns (and column 0, for row markers) factorized once.

    Nothing is parsed here: distinct values stay as read, so that a reject can show the value
    the county typed; parsing happens once per distinct value after all sheets are stacked.
    """
    block, width = _rectangular(grid[header.data_start:])
    n = len(block)
    wanted = {**header.columns, "_first": 0}
    used = sorted({c for c in wanted.values() if c < width})
    flat = np.fromiter(chain.from_iterable(block), dtype=object, count=n * width).reshape(n, width)
    cells = flat if used == list(range(width)) else flat[:, used]
    codes, uniques = factorize_cells(cells.ravel())
    codes = codes.reshape(n, len(used))
    at = {c: j for j, c in enumerate(used)}
    if any(c >= width for c in wanted.values()):  # only for an empty block: nothing below the header
        codes = np.hstack([codes, np.full((n, 1), -1, dtype=np.int64)])
    columns = {name: at.get(c, len(used)) for name, c in wanted.items()}
    if row_numbers is None:
        rows = np.arange(header.data_start + 1, header.data_start + 1 + n, dtype=np.int64)
    else:
        rows = np.asarray(row_numbers[header.data_start:], dtype=np.int64)
    return SheetCells(codes, uniques, columns, rows)


def stack_sheets(sheets: list[SheetCells]) -> dict[str, Encoded]:
    """Every sheet's columns stacked, one Encoded per name, all sharing one table of distinct values.

    The sheets' tables are merged in one pass; a column a sheet lacks is missing (-1) there.
    """
    remap, uniques = factorize_cells(np.concatenate([s.uniques for s in sheets]) if sheets else np.empty(0, dtype=object))
    maps, offset = [], 0
    for s in sheets:  # local code → stacked code; the appended slot keeps -1 (missing) at -1
        maps.append(np.append(remap[offset:offset + len(s.uniques)], -1))
        offset += len(s.uniques)
    names = dict.fromkeys(["_first", *(name for s in sheets for name in s.columns)])
    out = {}
    for name in names:
        parts = [m[s.codes[:, s.columns[name]]] if name in s.columns else np.full(s.n, -1, dtype=np.int64)
                 for s, m in zip(sheets, maps, strict=True)]
        out[name] = Encoded(np.concatenate(parts) if parts else np.empty(0, dtype=np.int64), uniques)
    return out


@dataclass(frozen=True)
class SheetBlock:
    """One table sheet's cells and what every one of its rows shares (file, sheet, hints)."""

    cells: SheetCells
    file_id: int
    sheet_no: int
    sheet: str | None
    county_hint: str | None
    township_hint: str | None
    hidden: frozenset[int] = field(default_factory=frozenset)  # rows (as a person sees them) that are hidden


class RawRows:
    """Every sheet's rows stacked: meta columns as arrays, raw cells as Encoded columns."""

    def __init__(self, blocks: list[SheetBlock]) -> None:
        lengths = [b.cells.n for b in blocks]
        self.n = sum(lengths)
        self.index = pd.RangeIndex(self.n)
        block_of_row = np.repeat(np.arange(len(blocks)), lengths)

        def per_block(values: list, dtype: type | str) -> np.ndarray | pd.api.extensions.ExtensionArray:
            """One value per sheet → one per row (text gathered in Arrow, no string per row)."""
            if dtype == "str":
                return pd.array(values, dtype=dtype).take(block_of_row)
            return np.array(values, dtype=dtype)[block_of_row]

        self.data: dict[str, object] = {
            "_row": np.concatenate([b.cells.rows for b in blocks]) if blocks else np.empty(0, dtype=np.int64),
            "_file": per_block([b.file_id for b in blocks], np.int64),
            "_sheet_no": per_block([b.sheet_no for b in blocks], np.int64),
            "_sheet": per_block([b.sheet for b in blocks], "str"),
            "_county_hint": per_block([b.county_hint for b in blocks], "str"),
            "_township_hint": per_block([b.township_hint for b in blocks], "str"),
            **stack_sheets([b.cells for b in blocks]),
        }
        hidden = np.zeros(self.n, dtype=bool)
        start = 0
        for b, n in zip(blocks, lengths, strict=True):
            if b.hidden:
                hidden[start:start + n] = np.isin(b.cells.rows, list(b.hidden))
            start += n
        self.data["_hidden"] = hidden
        self.columns = frozenset(self.data)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str):  # noqa: ANN204
        return self.data[name]
