"""Find the header of a sheet and map each column to its one English name.

Counties put title rows above the header, use two-row headers whose group cell
(“四会一课”开展情况, 特殊群体党员) is merged over the leaf cells, and spell headers many ways.
Calamine gives a merged cell as blanks except its top-left cell, so group cells are
forward-filled across the header row. Every spelling goes through one alias table
(pipelines/domain/headers.yaml) after the same normalisation, so adding a variant is data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.domain import load

_UNIT_PAREN_RE = re.compile(r"[(\[](人次|人|分|个|%|次|名|场|户|位|个数|百分比)[)\]]$")
_STRIP_RE = re.compile(r"[\s()\[\]{}【】〔〕《》<>“”\"'‘’「」『』]")
HEADER_SCAN_ROWS = 30

# Columns a file must give; the rest are optional and stay null when absent.
REQUIRED = ("branch", "members")


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
    marker = lambda m: re.sub(r"\s+", "", unicodedata.normalize("NFKC", m))  # noqa: E731
    return AliasTable(
        columns=columns,
        groups=groups,
        derived=derived,
        subtotal_markers=tuple(marker(m) for m in raw.get("subtotal_markers", [])),
        ignore_markers=tuple(marker(m) for m in raw.get("ignore_markers", [])),
    )


@dataclass
class HeaderMap:
    """Where the header is and which grid column holds each canonical column."""

    header_row: int  # 0-based index of the (first) header row in the grid
    data_start: int  # 0-based index of the first row below the header
    columns: dict[str, int]  # canonical name → 0-based grid column
    labels: dict[str, str]  # canonical name → the header text as written
    derived: list[str] = field(default_factory=list)  # headers read but never trusted
    unknown: list[str] = field(default_factory=list)  # headers not in the alias table
    duplicates: list[str] = field(default_factory=list)  # second columns mapping to a name

    def missing(self, required: tuple[str, ...] = REQUIRED) -> list[str]:
        """Required columns this header does not give."""
        return [c for c in required if c not in self.columns]


def _resolve(leaf: str, group: str, table: AliasTable) -> tuple[str, str | None]:
    """(kind, canonical) for a header cell, trying the leaf, then group+leaf, then the group."""
    if leaf:
        if leaf in table.columns:
            return "column", table.columns[leaf]
        if group and group + leaf in table.columns:
            return "column", table.columns[group + leaf]
        if leaf in table.derived:
            return "derived", None
        for g in table.groups:  # "四会一课专题学习讨论会" written in one cell
            if leaf.startswith(g) and leaf[len(g):] in table.columns:
                return "column", table.columns[leaf[len(g):]]
        if leaf in table.groups:
            return "group", None
        return "unknown", None
    return "blank", None


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


def find_header(grid: list[list[Any]], table: AliasTable) -> HeaderMap | None:
    """Locate the header (one or two rows) in the first rows; None when the sheet has no table.

    The header is the first row that, with the row below it, holds at least three known
    headers (or two, one of them the branch). A second header row is taken when the first holds a group cell or when the row
    below holds known headers and no numbers.
    """
    scan = grid[:HEADER_SCAN_ROWS]
    hits: dict[int, tuple[int, bool]] = {}  # rows scored on demand: the header is usually near the top

    def hit(i: int) -> tuple[int, bool]:
        if i not in hits:
            hits[i] = _row_hits(scan[i], table) if i < len(scan) else (0, False)
        return hits[i]

    for r in range(len(scan)):
        if hit(r)[0] == 0:
            continue
        below = hit(r + 1)
        if hit(r)[0] + below[0] < 3 and not (hit(r)[1] and hit(r)[0] >= 2):
            continue
        top = [normalize_header(c) if isinstance(c, str) else "" for c in grid[r]]
        two_rows = False
        if r + 1 < len(grid):
            nxt = grid[r + 1]
            has_group = any(t in table.groups for t in top)
            numbers = any(isinstance(c, (int, float)) and not isinstance(c, bool) for c in nxt)
            two_rows = has_group or (below[0] > 0 and not numbers)
        return _map_columns(grid, r, two_rows, table)
    return None


def _map_columns(grid: list[list[Any]], r: int, two_rows: bool, table: AliasTable) -> HeaderMap:
    top_raw = grid[r]
    bottom_raw = grid[r + 1] if two_rows else []
    width = max(len(top_raw), len(bottom_raw))
    hm = HeaderMap(header_row=r, data_start=r + (2 if two_rows else 1), columns={}, labels={})
    group = ""
    for c in range(width):
        top_cell = top_raw[c] if c < len(top_raw) else ""
        bottom_cell = bottom_raw[c] if c < len(bottom_raw) else ""
        top = normalize_header(top_cell) if top_cell != "" else ""
        bottom = normalize_header(bottom_cell) if bottom_cell != "" else ""
        if top:
            group = top  # a new group starts (or a vertical cell ends the previous one)
        elif not bottom:
            group = ""
        leaf = bottom or top
        kind, name = _resolve(leaf, group if bottom else "", table)
        written = " / ".join(str(x) for x in (top_cell if top else group, bottom_cell) if str(x).strip())
        if kind == "column" and name:
            if name in hm.columns:
                hm.duplicates.append(written)
            else:
                hm.columns[name] = c
                hm.labels[name] = written
        elif kind == "derived":
            hm.derived.append(written)
        elif kind == "unknown":
            hm.unknown.append(written)
    return hm
