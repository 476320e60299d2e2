"""Find the header of a sheet, of any depth, and map each column to its one English name.

Counties put title rows above the header and use headers of one to four rows: a group row
(学习培训情况), a sub-group (“四会一课”开展情况, merged across its five columns) and the leaves,
with cells merged across and down. Each column's name is built from its path down the header
block (merged cells filled from the workbook's merge list, or inferred where a format has
none), and the deepest part that names something decides: a known column, a derived one
(read, never trusted) or a group with no leaf under it (a warning naming the column letter).
Every spelling goes through one alias table (pipelines/domain/headers.yaml) after the same
normalisation. Rows of units (人/个/次) and 栏次 rows (甲 乙 1 2 3) right under the header are
layout: skipped with a note. Where a hidden column has the same header as a visible one, the
visible one is read.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.domain import load

_UNIT_PAREN_RE = re.compile(r"[(\[](人次|人|分|个|%|次|名|场|户|位|个数|百分比)[)\]]$")
_STRIP_RE = re.compile(r"[\s()\[\]{}【】〔〕《》<>“”\"'‘’「」『』\u200b-\u200f\u202a-\u202e\u2060\ufeff]")
HEADER_SCAN_ROWS = 30
MAX_HEADER_ROWS = 4
MAX_LAYOUT_ROWS = 2

# Columns a file of each kind must give; the rest are optional and stay null when absent.
REQUIRED: dict[str, tuple[str, ...]] = {"returns": ("branch", "members"), "registry": ("branch",)}


def normalize_header(value: Any) -> str:
    """NFKC, units such as (人)(分) stripped, then spaces, line breaks, brackets and quotes removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text)
    text = _UNIT_PAREN_RE.sub("", text)
    return _STRIP_RE.sub("", text)


@dataclass(frozen=True)
class AliasTable:
    """Normalised header spelling → canonical column / group / derived / row markers."""

    columns: dict[str, str]
    groups: dict[str, str]
    derived: frozenset[str]
    subtotal_markers: tuple[str, ...]
    ignore_markers: tuple[str, ...]
    units: frozenset[str] = frozenset()
    column_numbers: frozenset[str] = frozenset()

    def kind(self, header: str) -> str | None:
        if header in self.columns:
            return "column"
        if header in self.groups:
            return "group"
        if header in self.derived:
            return "derived"
        return None


@lru_cache(maxsize=8)
def alias_table(path: Path = config.HEADERS_FILE) -> AliasTable:
    """Build the alias table once per process from headers.yaml."""
    raw = load.headers(Path(path))
    columns: dict[str, str] = {}
    for name, aliases in raw["columns"].items():
        for alias in [name, *aliases]:
            columns.setdefault(normalize_header(alias), name)
    groups = {normalize_header(a): g for g, aliases in raw.get("groups", {}).items() for a in aliases}
    derived = frozenset(normalize_header(a) for a in raw.get("derived", []))

    def marker(m: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", m))

    layout = raw.get("layout_rows", {})
    return AliasTable(
        columns=columns,
        groups=groups,
        derived=derived,
        subtotal_markers=tuple(marker(m) for m in raw.get("subtotal_markers", [])),
        ignore_markers=tuple(marker(m) for m in raw.get("ignore_markers", [])),
        units=frozenset(marker(str(u)) for u in layout.get("units", [])),
        column_numbers=frozenset(marker(str(u)) for u in layout.get("column_numbers", [])),
    )


@dataclass
class HeaderMap:
    """Where the header is and which grid column holds each canonical column."""

    header_row: int  # 0-based index of the first header row in the grid
    data_start: int  # 0-based index of the first row below the header (and its layout rows)
    columns: dict[str, int]  # canonical name → 0-based grid column
    labels: dict[str, str]  # canonical name → the header text as written (path joined with " / ")
    derived: list[str] = field(default_factory=list)  # headers read but never trusted
    unknown: list[str] = field(default_factory=list)  # headers not in the alias table
    duplicates: list[str] = field(default_factory=list)  # second columns mapping to a name
    layout_rows: list[tuple[int, str]] = field(default_factory=list)  # (grid row, units|column_numbers)
    notes: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)  # (code, params, grid column)
    width: int = 0  # columns the header spans

    def missing(self, required: tuple[str, ...] = REQUIRED["returns"]) -> list[str]:
        """Required columns this header does not give."""
        return [c for c in required if c not in self.columns]


def _resolve(path: list[str], table: AliasTable) -> tuple[str, str | None]:
    """(kind, canonical) for a column's header path (top → leaf, normalised, no blanks)."""
    parts = [p for p in path if p not in table.units] or path
    leaf = parts[-1]
    groups = parts[:-1]
    if leaf in table.columns:
        return "column", table.columns[leaf]
    for g in reversed(groups):
        if g + leaf in table.columns:
            return "column", table.columns[g + leaf]
    if leaf in table.derived:
        return "derived", None
    for g in table.groups:  # "四会一课专题学习讨论会" written in one cell
        if leaf.startswith(g) and leaf[len(g):] in table.columns:
            return "column", table.columns[leaf[len(g):]]
    if leaf in table.groups:
        return "group", None
    return "unknown", None


def _is_number(cell: Any) -> bool:
    return isinstance(cell, (int, float)) and not isinstance(cell, bool)


def _row_hits(row: list[Any], table: AliasTable) -> tuple[int, bool]:
    hits, branch = 0, False
    for cell in row:
        h = normalize_header(cell) if isinstance(cell, str) else ""
        if not h:
            continue
        kind = table.kind(h)
        if kind:
            hits += 1
            branch = branch or table.columns.get(h) == "branch"
    return hits, branch


def layout_kind(row: list[Any], table: AliasTable) -> str | None:
    """'units' for a row of units (人 个 次), 'column_numbers' for a 栏次 row (甲 乙 1 2 3), else None."""
    cells: list[int | str] = []
    for cell in row:
        if cell in ("", None):
            continue
        if _is_number(cell):
            if float(cell).is_integer():
                cells.append(int(cell))
                continue
            return None
        text = normalize_header(cell) if not isinstance(cell, str) else re.sub(
            r"[\s()()\[\]]", "", unicodedata.normalize("NFKC", cell))
        if not text:
            continue
        cells.append(int(text) if text.isdigit() else text)
    if len(cells) < 2:
        return None
    texts = [c for c in cells if isinstance(c, str)]
    numbers = [c for c in cells if isinstance(c, int)]
    if not numbers and all(t in table.units for t in texts):
        return "units"
    if (all(t in table.column_numbers for t in texts) and len(cells) >= 3
            and (not numbers or all(b - a == 1 for a, b in itertools.pairwise(numbers)))):
        return "column_numbers"
    return None


def find_header(
    grid: list[list[Any]], table: AliasTable, merges: list | None = None, hidden_cols: set[int] | None = None
) -> HeaderMap | None:
    """Locate the header block (1–4 rows) in the first rows; None when the sheet has no table.

    The header starts at the first row that, with the row below it, holds at least three known
    headers (or two, one of them the branch). It extends down over rows that hold known headers
    and no numbers, or that a merged header cell covers.
    """
    scan = grid[:HEADER_SCAN_ROWS]
    hits: dict[int, tuple[int, bool]] = {}
    merges = [m for m in (merges or []) if m[0][0] < HEADER_SCAN_ROWS + MAX_HEADER_ROWS]

    def hit(i: int) -> tuple[int, bool]:
        if i not in hits:
            hits[i] = _row_hits(scan[i], table) if i < len(scan) else (0, False)
        return hits[i]

    for r in range(len(scan)):
        if hit(r)[0] == 0:
            continue
        # two adjacent rows carry at least three known headers (a list of column names in a
        # 填表说明, one per row, does not), or the row names the branch and one more column
        if hit(r)[0] + hit(r + 1)[0] < 3 and not (hit(r)[1] and hit(r)[0] >= 2):
            continue
        end = r
        while end + 1 < min(len(grid), r + MAX_HEADER_ROWS):
            nxt = grid[end + 1]
            if layout_kind(nxt, table):
                break
            # a header cell merged down (党员数 over the group and leaf rows) covers the next row
            covered = max((m[1][0] for m in merges if r <= m[0][0] <= end), default=end)
            if end + 1 <= covered or (hit(end + 1)[0] > 0 and not any(_is_number(c) for c in nxt)):
                end += 1
                continue
            break
        return _map_columns(grid, r, end, table, merges, hidden_cols or set())
    return None


def _block(grid: list[list[Any]], r: int, end: int, merges: list) -> list[list[Any]]:
    """The header rows with merged cells filled (from the merge list, else inferred across)."""
    width = max(len(grid[i]) for i in range(r, end + 1))
    block = [list(grid[i]) + [""] * (width - len(grid[i])) for i in range(r, end + 1)]
    for (r1, c1), (r2, c2) in merges:
        if r2 < r or r1 > end:
            continue
        value = grid[r1][c1] if r1 < len(grid) and c1 < len(grid[r1]) else ""
        for i in range(max(r1, r), min(r2, end) + 1):
            for j in range(c1, min(c2, width - 1) + 1):
                block[i - r][j] = value
    if not merges:  # no merge list (CSV, HTML, a writer that lost it): a group spans the blanks to its right
        for k in range(len(block) - 1):
            row = block[k]
            for j in range(1, width):
                below = any(block[x][j] not in ("", None) for x in range(k + 1, len(block)))
                left_below = any(block[x][j - 1] not in ("", None) for x in range(k + 1, len(block)))
                if row[j] in ("", None) and row[j - 1] not in ("", None) and below and left_below:
                    row[j] = row[j - 1]
    return block


def _map_columns(grid: list[list[Any]], r: int, end: int, table: AliasTable, merges: list,
                 hidden: set[int]) -> HeaderMap:
    from pipelines.ingest.xlsx_look import col_letter

    block = _block(grid, r, end, merges)
    width = len(block[0]) if block else 0
    data_start = end + 1
    hm = HeaderMap(header_row=r, data_start=data_start, columns={}, labels={}, width=width)
    while len(hm.layout_rows) < MAX_LAYOUT_ROWS and hm.data_start < len(grid):
        kind = layout_kind(grid[hm.data_start], table)
        if kind is None:
            break
        hm.layout_rows.append((hm.data_start, kind))
        hm.data_start += 1
    for c in range(width):
        written_parts: list[str] = []
        path: list[str] = []
        for k in range(len(block)):
            cell = block[k][c]
            norm = normalize_header(cell) if cell not in ("", None) else ""
            if norm and (not path or path[-1] != norm):
                path.append(norm)
                written_parts.append(str(cell).strip())
        if not path:
            continue
        written = " / ".join(written_parts)
        kind, name = _resolve(path, table)
        if kind == "column" and name:
            if name in hm.columns:
                used = hm.columns[name]
                if used in hidden and c not in hidden:  # the visible column wins over a hidden twin
                    hm.notes.append(("hidden_column_ignored", {"header": hm.labels[name], "used": col_letter(c)}, used))
                    hm.columns[name], hm.labels[name] = c, written
                elif c in hidden and used not in hidden:
                    hm.notes.append(("hidden_column_ignored", {"header": written, "used": col_letter(used)}, c))
                else:
                    hm.duplicates.append(written)
                    hm.notes.append(("repeated_column", {"header": written, "used": col_letter(used)}, c))
            else:
                hm.columns[name] = c
                hm.labels[name] = written
        elif kind == "derived":
            hm.derived.append(written)
        elif kind == "group":
            hm.notes.append(("unresolved_column", {"header": written}, c))
        else:
            hm.unknown.append(written)
            hm.notes.append(("unknown_column", {"header": written}, c))
    for name, c in hm.columns.items():
        if c in hidden:
            hm.notes.append(("hidden_column_read", {"header": hm.labels[name]}, c))
    return hm
