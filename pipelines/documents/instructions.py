"""The 填表说明 sheet: the notes of terms.yaml, a line per column, and the indicators the office computes.

Every sentence is generated: the notes and each column's meaning, unit and what a 0 says from
terms.yaml's ``form`` section, the input rules from the clean stage (pipelines/documents/form.py),
the indicators and their targets from indicators.yaml. Each row names at most one column label, so
no cleaner mistakes this sheet for a table of returns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from pipelines.documents import layout
from pipelines.documents.form import counted_label, date_text, form_columns, form_text, rule_text
from pipelines.domain import load

COLUMNS = (("列", 5), ("栏目", 20), ("填写内容", 40), ("口径", 8), ("单位", 6), ("填0表示", 16), ("输入要求", 42))
_CN_NUMBERS = "一二三四五六七八九十"


def indicator_sentence() -> str:
    """The indicators computed from the return with their targets, in one sentence."""
    parts = []
    for ind in load.indicators():
        target = f"{ind['target'] * 100:g}%" if ind["unit"] == "share" else f"{ind['target']:g}分"
        parts.append(f"{ind['zh']}（{target}）")
    return "市委先进办据本表按县（市、区）和乡镇汇总计算以下指标，括号内为目标值：" + "、".join(parts) + "。"


def column_rows() -> list[list[str]]:
    """One row per form column: letter, label, meaning, how it is counted, unit, what 0 says, input rule."""
    rows = []
    for i, col in enumerate(form_columns()):
        rows.append([xl_col_to_name(i), col.label, col.help, counted_label(col) or "", col.unit or "",
                     col.zero or "", rule_text(col)])
    return rows


def notes(prefilled: bool) -> list[str]:
    """The 填写要求 in order; the two on pre-filled rows only when the registry filled some."""
    text = form_text()
    general = list(text["notes"])
    return general[:1] + (list(text["prefilled_notes"]) if prefilled else []) + general[1:]


def write_instructions(wb: Any, fmt: dict[str, Any], county: str, period: dt.date, *, prefilled: bool) -> None:
    """Add the 填表说明 sheet (read-only, A4 landscape) to the workbook."""
    text = form_text()
    ws = wb.add_worksheet(text["instructions_sheet"])
    ws.hide_gridlines(2)
    last = len(COLUMNS) - 1
    total_width = sum(w for _, w in COLUMNS)
    for i, (_, w) in enumerate(COLUMNS):
        ws.set_column(i, i, w)
    r = 0
    ws.set_row(r, 30)
    ws.merge_range(r, 0, r, last, text["instructions_sheet"], fmt["doc_title"])
    r += 1
    title = text["title"].format(county=county)
    ws.merge_range(r, 0, r, last, f"（{title}，{text['period_line'].format(date=date_text(period))}）", fmt["subtitle"])
    ws.set_row(r, 20)
    r += 2

    def heading(k: int, words: str) -> None:
        nonlocal r
        ws.set_row(r, 22)
        ws.merge_range(r, 0, r, last, f"{_CN_NUMBERS[k]}、{words}", fmt["doc_heading"])
        r += 1

    def paragraph(words: str) -> None:
        nonlocal r
        ws.set_row(r, layout.row_height(layout.lines_needed(words, total_width - 4)))
        ws.merge_range(r, 0, r, last, words, fmt["doc_text"])
        r += 1

    heading(0, "填写要求")
    for k, note in enumerate(notes(prefilled), start=1):
        paragraph(f"{k}. {note}")
    r += 1
    heading(1, "各栏目的填写内容")
    ws.set_row(r, 20)
    for c, (name, _) in enumerate(COLUMNS):
        ws.write(r, c, name, fmt["doc_header"])
    r += 1
    for row in column_rows():
        lines = max(layout.lines_needed(v, w) for v, (_, w) in zip(row, COLUMNS, strict=True))
        ws.set_row(r, layout.row_height(lines))
        for c, value in enumerate(row):
            ws.write_string(r, c, value, fmt["doc_center"] if c in (0, 3, 4) else fmt["doc_cell"])
        r += 1
    r += 1
    heading(2, "据本表计算的指标")
    paragraph(indicator_sentence())
    ws.protect("", {"format_columns": True, "format_rows": True})
    layout.a4_landscape(ws, repeat=None, last_row=r - 1, last_col=last)
