"""Write SheetSpecs to .xlsx with xlsxwriter (fast, real merged cells, fixed timestamps).

xlsxwriter stamps zip entries with a fixed date; the document properties get the period's
date, so the same seed gives byte-identical workbooks run after run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from pipelines.io import atomic_path
from pipelines.sample.layout import SheetSpec

FIXED_CREATED = dt.datetime(2005, 2, 25, 17, 30, 0)


def write_xlsx(sheets: list[SheetSpec | tuple[str, list[str]]], path: Path, *, created: dt.datetime = FIXED_CREATED) -> Path:
    """Write sheets to ``path`` atomically. A (name, lines) tuple is a text-only sheet (填表说明)."""
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
        wb.set_properties({"title": "先进性教育活动学习培训情况统计表", "author": "先进办", "created": created})
        wb.set_custom_property("统计截止", created.strftime("%Y-%m-%d"))
        title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
        cell = wb.add_format({"border": 1})
        total = wb.add_format({"border": 1, "bold": True})
        for spec in sheets:
            if isinstance(spec, tuple):
                name, lines = spec
                ws = wb.add_worksheet(name)
                ws.set_column(0, 0, 90)
                for r, line in enumerate(lines):
                    ws.write_string(r, 0, line)
                continue
            _sheet(wb.add_worksheet(spec.name), spec, title, head, cell, total)
        wb.close()
    return Path(path)


def _sheet(ws, spec: SheetSpec, title, head, cell, total) -> None:  # noqa: ANN001 (xlsxwriter objects)
    fmt_of = {r: title for r in spec.title_rows} | {r: head for r in spec.header_rows} | {r: total for r in spec.total_rows}
    covered: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in spec.merges:
        ws.merge_range(r1, c1, r2, c2, spec.rows[r1][c1] if spec.rows[r1][c1] is not None else "", fmt_of.get(r1, cell))
        covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for r, row in enumerate(spec.rows):
        fmt = fmt_of.get(r, cell if any(v is not None for v in row) else None)
        for c, v in enumerate(row):
            if v is None or (r, c) in covered:
                continue
            if isinstance(v, str):
                ws.write_string(r, c, v, fmt)
            else:
                ws.write_number(r, c, v, fmt)
    ws.set_column(0, spec.width, 10)
    if spec.width > 3:
        ws.set_column(2, 2, 24)
