"""Builders for the small messy files the ingest tests write (xlsx with merged cells, xls, csv).

A module of its own name (not conftest): `from conftest import` finds whichever conftest.py
pytest loaded last, so it broke when tests of another folder were collected in the same run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
import xlwt

Merge = tuple[int, int, int, int]  # first_row, first_col, last_row, last_col (0-based)
Sheet = tuple[str, Sequence[Sequence[Any]], Sequence[Merge]]


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write sheets; a merge writes its top-left value and leaves the rest blank, as Excel does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    for name, rows, merges in sheets:
        ws = wb.add_worksheet(name)
        covered = set()
        for r1, c1, r2, c2 in merges:
            value = rows[r1][c1] if c1 < len(rows[r1]) else ""
            ws.merge_range(r1, c1, r2, c2, "" if value is None else value)
            covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or (r, c) in covered:
                    continue
                ws.write(r, c, v)
    wb.close()
    return path


def write_xls(path: Path, sheets: Sequence[Sheet]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlwt.Workbook(encoding="utf-8")
    for name, rows, merges in sheets:
        ws = wb.add_sheet(name)
        covered = set()
        for r1, c1, r2, c2 in merges:
            ws.write_merge(r1, r2, c1, c2, rows[r1][c1])
            covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or (r, c) in covered:
                    continue
                ws.write(r, c, v)
    wb.save(str(path))
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Any]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


# A two-row header like the real returns: group cells merged over their leaves.
TWO_ROW_HEADER: list[list[Any]] = [
    ["乡镇", "党支部", "党员数（人）", "参加学习人数", "“四会一课”开展情况", None, None, None, None,
     "百题测试", None, None, "参考率", "特殊群体党员", None, None, None, None, "送学补学", None, "是否制定工作方案"],
    [None, None, None, None, "专题学习讨论会", "先进事迹报告会", "形势报告会", "学习心得交流会", "书记上党课",
     "参考人数", "回收答卷数", "平均成绩(分)", None, "因病", "出差", "下岗", "离退休居外", "流动党员", "送学", "补学", None],
]
# merges of TWO_ROW_HEADER when it starts at row r
def header_merges(r: int) -> list[Merge]:
    return [(r, 0, r + 1, 0), (r, 1, r + 1, 1), (r, 2, r + 1, 2), (r, 3, r + 1, 3), (r, 4, r, 8), (r, 9, r, 11),
            (r, 12, r + 1, 12), (r, 13, r, 17), (r, 18, r, 19), (r, 20, r + 1, 20)]


def branch_row(township: Any, branch: Any, members: Any = 30, **kw: Any) -> list[Any]:
    """A full data row in TWO_ROW_HEADER order; keyword arguments override single cells."""
    values = dict(studied=members, d=1, e=1, s=1, x=1, l=1, takers=members, returned=members, score=99.5,
                  rate="100%", sick=1, travel=1, laid=0, retired=1, floating=1, delivered=2, makeup=2, plan="是")
    values.update(kw)
    return [township, branch, members, values["studied"], values["d"], values["e"], values["s"], values["x"],
            values["l"], values["takers"], values["returned"], values["score"], values["rate"], values["sick"],
            values["travel"], values["laid"], values["retired"], values["floating"], values["delivered"],
            values["makeup"], values["plan"]]


def report_sheet(title: str, rows: Sequence[Sequence[Any]], *, subtitle: str = "统计截止：2005年2月25日",
                 name: str = "Sheet1") -> Sheet:
    """Title, subtitle, a two-row merged header, then ``rows``."""
    grid = [[title], [subtitle], *TWO_ROW_HEADER, *rows]
    return name, grid, [(0, 0, 0, 10), *header_merges(2)]
