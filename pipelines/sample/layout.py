"""Lay a county's rows out as the sheet it sends: title, header, township blocks, totals, footer.

Format-neutral: a SheetSpec is a grid of cells plus merged ranges, which each format writer
renders its own way (CSV keeps the top-left value of a merge and leaves the rest blank).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipelines.sample import messiness as mess
from pipelines.sample.messiness import Style
from pipelines.schema import ACTIVITY_COLUMNS, COUNT_COLUMNS, OUTREACH_COLUMNS, SPECIAL_COLUMNS, TEST_COLUMNS

Cell = str | int | float | None

# the merged group cells of the messy sheet (the form's groups, plus the 参考率 it writes under 百题测试)
GROUPS: dict[str, tuple[str, ...]] = {
    "activities": ACTIVITY_COLUMNS,
    "test": (*TEST_COLUMNS, "test_rate"),
    "special": SPECIAL_COLUMNS,
    "outreach": OUTREACH_COLUMNS,
}
_SUM_FIELDS = COUNT_COLUMNS
_SIGNERS = ("张伟", "李志强", "刘丽萍", "黄建华", "陈晓红", "钟国华", "古月娥", "廖新民", "曾秀英", "温志坚")


@dataclass
class SheetSpec:
    """A grid of cells (None = empty) with merged ranges (first_row, first_col, last_row, last_col)."""

    name: str
    rows: list[list[Cell]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    title_rows: list[int] = field(default_factory=list)
    header_rows: list[int] = field(default_factory=list)
    total_rows: list[int] = field(default_factory=list)
    width: int = 0

    def add(self, cells: list[Cell]) -> int:
        self.rows.append(list(cells) + [None] * (self.width - len(cells)))
        return len(self.rows) - 1


def columns_for(style: Style, *, derived_rate: bool) -> list[str]:
    cols = ["序号"] if style.index_col else []
    if style.county_in == "column":
        cols.append("county")
    cols += ["township", "branch", "members", "studied", *ACTIVITY_COLUMNS, "test_takers", "sheets_returned", "avg_score"]
    if derived_rate:
        cols.append("test_rate")
    return cols + [*SPECIAL_COLUMNS, *OUTREACH_COLUMNS, "has_work_plan"]


def period_text(period: pd.Timestamp) -> str:
    return f"{period.year}年{period.month}月{period.day}日"


def layout_sheet(
    frame: pd.DataFrame,
    style: Style,
    *,
    county: str,
    period: pd.Timestamp,
    rng: np.random.Generator,
    name: str = "Sheet1",
    derived_rate: bool = False,
    wrong_total: tuple[str, str, int] | None = None,
    subtitle_extra: str = "",
) -> SheetSpec:
    """The sheet of ``frame`` (one county's written rows, in return order) in ``style``.

    wrong_total: (township, column, delta) adds delta to that township's 小计 cell: the one
    deliberately wrong total of the sample.
    """
    cols = columns_for(style, derived_rate=derived_rate)
    sheet = SheetSpec(name=name, width=len(cols))
    last = len(cols) - 1
    if style.title:
        who = county if style.county_in != "filename" else ""
        r = sheet.add([f"{who}先进性教育活动学习培训情况统计表"])
        sheet.title_rows.append(r)
        sheet.merges.append((r, 0, r, last))
    if style.subtitle:
        filer = "市直机关工委" if county == "市直单位" else f"{county}委先进办"
        text = f"统计截止:{period_text(period)}"
        if style.county_in != "filename":
            text += f"   填报单位:{filer}"
        r = sheet.add([text + subtitle_extra])
        sheet.title_rows.append(r)
        sheet.merges.append((r, 0, r, last))
    _header(sheet, cols, style, county)
    _body(sheet, frame, cols, style, county, rng, wrong_total)
    _footer(sheet, style, period, rng)
    return sheet


def _header(sheet: SheetSpec, cols: list[str], style: Style, county: str) -> None:
    leaves: list[Cell] = ["序号" if c == "序号" else mess.header_label(c, style, county=county) for c in cols]
    if not style.two_row_header:
        sheet.header_rows.append(sheet.add(leaves))
        return
    top: list[Cell] = [None] * len(cols)
    r0 = len(sheet.rows)
    group_of = {c: g for g, members in GROUPS.items() for c in members}
    i = 0
    while i < len(cols):
        g = group_of.get(cols[i])
        if g is None:
            top[i] = leaves[i]
            sheet.merges.append((r0, i, r0 + 1, i))
            i += 1
            continue
        j = i
        while j + 1 < len(cols) and group_of.get(cols[j + 1]) == g:
            j += 1
        top[i] = mess.group_label(g, style)
        if j > i:
            sheet.merges.append((r0, i, r0, j))
        i = j + 1
    bottom: list[Cell] = [leaves[k] if group_of.get(c) else None for k, c in enumerate(cols)]
    sheet.header_rows += [sheet.add(top), sheet.add(bottom)]


def _cell(col: str, row: dict[str, Any], style: Style, rng: np.random.Generator) -> Cell:
    if col == "test_rate":
        t = row["test_takers"]
        return mess.render_rate(None if pd.isna(t) else int(t), int(row["members"]), rng)
    v = row[col]
    if col == "has_work_plan":
        return None if pd.isna(v) else mess.render_yesno(bool(v), style)
    if pd.isna(v):
        return None
    if col == "avg_score":
        return mess.render_score(float(v), style, rng)
    return mess.render_count(col, int(v), style, rng)


def _total_cells(block: list[dict[str, Any]], cols: list[str], style: Style) -> dict[str, Cell]:
    out: dict[str, Cell] = {}
    sums: dict[str, int] = {}
    for c in _SUM_FIELDS:
        if c in cols:
            vals = [r[c] for r in block if not pd.isna(r[c])]
            if vals:
                sums[c] = int(sum(vals))
            out[c] = sums.get(c)
    takers = [0 if pd.isna(r["test_takers"]) else int(r["test_takers"]) for r in block]
    if "avg_score" in cols and sum(takers) > 0:
        points = sum(t * float(r["avg_score"]) for t, r in zip(takers, block, strict=True) if t)
        out["avg_score"] = round(points / sum(takers), 1)
    if "test_rate" in cols and "test_takers" in sums:
        out["test_rate"] = f"{100.0 * sums['test_takers'] / sums['members']:.1f}%"
    if style.numbers_as_text:
        out = {k: (None if v is None else str(v)) for k, v in out.items()}
    return out


def _body(
    sheet: SheetSpec,
    frame: pd.DataFrame,
    cols: list[str],
    style: Style,
    county: str,
    rng: np.random.Generator,
    wrong_total: tuple[str, str, int] | None,
) -> None:
    tcol = cols.index("township")
    spaced = set()
    if style.spaced_branches and len(frame):
        spaced = set(rng.choice(len(frame), size=min(style.spaced_branches, len(frame)), replace=False).tolist())
    k = 0
    seq = 0
    records = frame.to_dict("records")
    blocks: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        blocks.setdefault(str(rec["township"]), []).append(rec)
    for town, block in blocks.items():
        first = len(sheet.rows)
        for row in block:
            seq += 1
            cells: list[Cell] = []
            for c in cols:
                if c == "序号":
                    cells.append(seq)
                elif c == "county":
                    cells.append(county)
                elif c == "township":
                    show = style.township_mode == "repeat" or len(sheet.rows) == first
                    cells.append(town if show else None)
                elif c == "branch":
                    cells.append(mess.space_branch(row["branch"], k) if k in spaced else row["branch"])
                else:
                    cells.append(_cell(c, row, style, rng))
            sheet.add(cells)
            k += 1
        if style.township_mode == "merge" and len(sheet.rows) - first > 1:
            sheet.merges.append((first, tcol, len(sheet.rows) - 1, tcol))
        if style.subtotals:
            totals = _total_cells(block, cols, style)
            if wrong_total and wrong_total[0] == town:
                c, delta = wrong_total[1], wrong_total[2]
                wrong = int(str(totals[c])) + delta  # a count, or its text
                totals[c] = wrong if not style.numbers_as_text else str(wrong)
            cells = [totals.get(c) for c in cols]
            cells[cols.index("branch")] = "小计"
            if style.township_mode == "repeat":
                cells[tcol] = town
            sheet.total_rows.append(sheet.add(cells))
        if style.blank_rows:
            sheet.add([])
    if style.grand_total:
        totals = _total_cells(records, cols, style)
        cells = [totals.get(c) for c in cols]
        cells[tcol] = "合计"
        sheet.total_rows.append(sheet.add(cells))


def _footer(sheet: SheetSpec, style: Style, period: pd.Timestamp, rng: np.random.Generator) -> None:
    if style.note:
        sheet.add([])
        sheet.add(["注:1.本表各项数据均为活动开始以来的累计数;2.“四会一课”栏填开展次数;3.特殊群体党员按实际人数填写。"])
    if style.signature:
        a, b = rng.choice(len(_SIGNERS), size=2, replace=False)
        phone = f"0753-{int(rng.integers(2100000, 2299999))}"
        row: list[Cell] = [None] * sheet.width
        row[0] = f"填表人:{_SIGNERS[a]}"
        row[min(4, sheet.width - 1)] = f"审核人:{_SIGNERS[b]}"
        row[min(9, sheet.width - 1)] = f"联系电话:{phone}"
        row[min(14, sheet.width - 1)] = f"填表日期:{period_text(period + pd.Timedelta(days=1))}"
        sheet.add(row)
