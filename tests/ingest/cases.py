"""Small files of the kinds counties really send, and an independent count of their data rows.

The count reads each file with another library than the cleaner (openpyxl, the csv module, lxml)
and counts the rows below the header whose branch cell is filled and is not a total: the test's
own idea of "data rows", so that rows kept + rows rejected can be checked against the file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter
from lxml import html as lxml_html

P = "2005-02-25"
TOTAL_WORDS = ("小计", "合计", "总计")


def _is_data(branch: Any) -> bool:
    text = "" if branch is None else str(branch).strip()
    return bool(text) and not text.endswith(TOTAL_WORDS)


def count_xlsx(path: Path, first_data_row: int, branch_col: int, sheet: str | None = None) -> int:
    """Data rows of an .xlsx by openpyxl (rows are 1-based, columns 0-based)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    n = sum(1 for row in ws.iter_rows(min_row=first_data_row, values_only=True)
            if branch_col < len(row) and _is_data(row[branch_col]))
    wb.close()
    return n


def count_csv(path: Path, first_data_row: int, branch_col: int, encoding: str = "utf-8",
              delimiter: str = ",") -> int:
    text = path.read_bytes().decode(encoding, errors="replace")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[first_data_row - 1:]
    return sum(1 for r in rows if branch_col < len(r) and _is_data(r[branch_col]))


def count_html(path: Path, first_data_row: int, branch_col: int) -> int:
    doc = lxml_html.fromstring(path.read_bytes())
    rows = doc.xpath("//table[1]//tr")[first_data_row - 1:]
    return sum(1 for tr in rows if branch_col < len(tr.xpath("td|th")) and _is_data(tr.xpath("td|th")[branch_col].text_content()))


def xlsx(path: Path, rows: list[list[Any]], merges: list[tuple[int, int, int, int]] = (), name: str = "Sheet1") -> Path:
    """Rows written with xlsxwriter; merges (first_row, first_col, last_row, last_col) keep their top-left value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet(name)
    covered = set()
    for r1, c1, r2, c2 in merges:
        ws.merge_range(r1, c1, r2, c2, rows[r1][c1] if rows[r1][c1] is not None else "")
        covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None and (r, c) not in covered:
                ws.write(r, c, v)
    wb.close()
    return path


def csv_file(path: Path, rows: list[list[Any]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(delimiter.join("" if v is None else str(v) for v in row) for row in rows) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def html_table(path: Path, rows: list[list[Any]], charset: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join("<tr>" + "".join(f"<td>{'' if v is None else v}</td>" for v in row) + "</tr>" for row in rows)
    page = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head>'
            f"<body><table border=1>{body}</table></body></html>")
    path.write_bytes(page.encode(charset))
    return path
