"""Fill a return template as a county clerk would, with openpyxl (the tests' stand-in for Excel).

Rows of registry branches that did not report are cleared whole (the 填表说明 asks for the row
to be deleted or cleared); every other value goes into the cell under its header, blanks stay blank.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from pipelines.documents.form import form_columns, form_rules
from pipelines.documents.template import FIRST_DATA_ROW


def column_numbers() -> dict[str, int]:
    """Canonical column → 1-based spreadsheet column of the form."""
    return {c.name: i + 1 for i, c in enumerate(form_columns())}


def cell_value(name: str, value: object) -> object:
    """A truth value as a clerk types it: an int, a one-decimal score, 是/否, or nothing."""
    if value is None or pd.isna(value):
        return None
    if name == "has_work_plan":
        rules = form_rules()
        return rules.yes if bool(value) else rules.no
    if name == "avg_score":
        return float(value)
    if isinstance(value, str):
        return value
    return int(value)


def fill_with_truth(template: Path, out: Path, rows: pd.DataFrame) -> list[str]:
    """Write ``rows`` (returns layout, one county and period) into the template's pre-filled rows.

    Returns the registry branches whose rows were cleared because ``rows`` does not hold them.
    """
    wb = openpyxl.load_workbook(template)
    ws = wb.worksheets[0]
    cols = column_numbers()
    by_branch = rows.set_index("branch")
    cleared = []
    for r in range(FIRST_DATA_ROW + 1, ws.max_row + 1):
        branch = ws.cell(r, cols["branch"]).value
        if branch is None:
            continue
        if branch not in by_branch.index:
            cleared.append(branch)
            for c in cols.values():
                ws.cell(r, c).value = None
            continue
        truth = by_branch.loc[branch]
        for name, c in cols.items():
            if name != "branch":
                ws.cell(r, c).value = cell_value(name, truth[name])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return cleared


def fill_rows(template: Path, out: Path, rows: list[dict[str, object]]) -> None:
    """Write ``rows`` (canonical name → cell value, as typed) into the template's first rows."""
    wb = openpyxl.load_workbook(template)
    ws = wb.worksheets[0]
    cols = column_numbers()
    for k, row in enumerate(rows):
        for name, c in cols.items():
            ws.cell(FIRST_DATA_ROW + 1 + k, c).value = row.get(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
