"""One file → its table sheets as raw blocks, and what the file and its headers say (warnings).

This is the part of cleaning that looks at one file alone: its format, its sheets, where each
header is, which column is which, the layout rows, the county and township hints. Its output
depends on the file's bytes, its period and the domain data only (see pipelines/ingest/README).
"""

from __future__ import annotations

import re

from pipelines.domain import load
from pipelines.hashing import file_sha256
from pipelines.ingest import values as V
from pipelines.ingest.counties import CountyTable
from pipelines.ingest.errors import MissingRequiredColumnError
from pipelines.ingest.headers import REQUIRED, AliasTable, HeaderMap, find_header
from pipelines.ingest.manifest import FileReport
from pipelines.ingest.readers import RawSheet, read_file
from pipelines.ingest.tables import SheetBlock, sheet_cells, title_period, title_text
from pipelines.ingest.warning_codes import Warn
from pipelines.ingest.xlsx_look import col_letter
from pipelines.schema import SCORE_COLUMNS, VALUE_COLUMNS

_DEFAULT_SHEET_RE = re.compile(r"^(sheet|工作表)\s*\d*$", re.IGNORECASE)
MAX_STRAY_WARNINGS = 20


def _county_hint(title: str, sheet: str, file_stem: str, counties: CountyTable) -> str | None:
    return counties.find_in(title) or counties.find_in(sheet) or counties.find_in(file_stem)


def _warn(rep: FileReport, code: str, params: dict | None = None, **where) -> None:  # noqa: ANN003
    rep.warns.append(Warn(code, rep.rel, params or {}, period=rep.period, **where))


def _cells_outside(sh: RawSheet, header: HeaderMap, rep: FileReport) -> None:
    """Errors and unsaved formulas outside the value columns: a warning each, the cell left blank."""
    value_cols = {c for name, c in header.columns.items() if name in VALUE_COLUMNS}
    mapped = set(header.columns.values())
    for (i, j), text in [*sh.errors.items(), *sh.formulas.items()]:
        if i < header.data_start or j in value_cols:
            continue  # in a value column the row is rejected with the cell named (rules)
        if j in mapped:
            code = "excel_error_cell" if (i, j) in sh.errors else "uncached_formula"
            params = {"value": text} if code == "excel_error_cell" else {"formula": text}
            name = next(n for n, c in header.columns.items() if c == j)
            _warn(rep, code, params, sheet=sh.name or None, row=sh.row_number(i), column=name)
            sh.grid[i][j] = ""


def _stray(sh: RawSheet, header: HeaderMap, rep: FileReport) -> None:
    """Values right of the header's columns, and far cells left out of the grid, named by cell."""
    found = list(sh.stray)
    if header.width and sh.grid[header.data_start:] and len(sh.grid[header.data_start]) > header.width:  # grids are rectangular
        for i in range(header.data_start, len(sh.grid)):
            row = sh.grid[i]
            for j in range(header.width, len(row)):
                if row[j] not in ("", None):
                    found.append((f"{col_letter(j)}{sh.row_number(i)}", row[j]))
    for cell, value in found[:MAX_STRAY_WARNINGS]:
        _warn(rep, "stray_cell", {"cell": cell, "value": V.raw_text(value)}, sheet=sh.name or None)
    if len(found) > MAX_STRAY_WARNINGS:
        _warn(rep, "stray_cell", {"cell": f"(+{len(found) - MAX_STRAY_WARNINGS})", "value": "…"},
              sheet=sh.name or None)


def read_report(rep: FileReport, file_id: int, aliases: AliasTable, counties: CountyTable) -> list[SheetBlock]:
    """Read one file into raw blocks (one per table sheet); fill ``rep``; raise on file errors."""
    rep.size = rep.path.stat().st_size
    if rep.sha256 is None:  # clean.py hashed it already, as its cache key
        rep.sha256 = file_sha256(rep.path)
    result = read_file(rep.path, rep.rel)
    rep.format = result.detected.kind
    if result.detected.lied:
        _warn(rep, "extension_mismatch", {"extension": result.detected.extension,
                                          "detected": result.detected.kind})
    for name in result.hidden_sheets:
        _warn(rep, "hidden_sheet_skipped", {"sheet": name}, sheet=name)
    for line, offset, count in result.bad_lines:
        _warn(rep, "undecodable_bytes", {"line": line, "offset": offset, "count": count,
                                         "encoding": result.encoding}, row=line)
    required = REQUIRED[rep.kind]
    found: list[tuple[RawSheet, HeaderMap]] = []
    missing_errors: list[MissingRequiredColumnError] = []
    for sh in result.sheets:
        header = find_header(sh.grid, aliases, sh.merges, sh.hidden_cols)
        if header is None:
            continue  # no table on this sheet (填表说明, a chart, an empty sheet)
        missing = header.missing(required)
        row = sh.row_number(header.header_row)
        if missing:
            labels = {c: load.label(c, "zh") for c in missing}
            missing_errors.append(MissingRequiredColumnError(
                f"no {', '.join(missing)} column in the header (row {row})",
                message_zh=f"表头(第{row}行)缺少必填列:{'、'.join(labels.values())}",
                file=rep.rel, sheet=sh.name or None, row=row, column=", ".join(missing),
            ))
            continue
        found.append((sh, header))
    blocks = []
    multi = len(found) > 1
    for sheet_no, (sh, header) in enumerate(found):
        sheet = sh.name or None
        title = title_text(sh.grid, header.header_row)
        hint = _county_hint(title, sh.name, rep.path.stem, counties)
        if "county" not in header.columns and "county_code" not in header.columns and hint is None:
            missing_errors.append(MissingRequiredColumnError(
                "county not found in a column, the title, the sheet name or the file name",
                message_zh="无法从列、标题、工作表名或文件名确定县(市、区)",
                file=rep.rel, sheet=sheet, column="county",
            ))
            continue
        for code, params, col in header.notes:
            _warn(rep, code, params, sheet=sheet, row=sh.row_number(header.header_row), column=col_letter(col))
        for i, kind in header.layout_rows:
            _warn(rep, "layout_row_skipped", {"kind": kind}, sheet=sheet, row=sh.row_number(i))
        for col, (stored, shown) in sh.percent_examples.items():
            column = next((n for n, c in header.columns.items() if c == col), None)
            if column in SCORE_COLUMNS:
                _warn(rep, "percent_read", {"stored": stored, "shown": shown}, sheet=sheet, column=column)
        _cells_outside(sh, header, rep)
        _stray(sh, header, rep)
        cells = sheet_cells(sh.grid, header, sh.row_numbers)
        if "county" in header.columns and hint is not None and "township" not in header.columns:
            names = V.to_names(cells.column("county")).dropna().unique()  # still raw here
            known = sum(counties.resolve(c) is not None for c in names)
            if names.size and known < names.size / 2:  # a 单位 column listing units, not counties
                cells = cells.renamed("county", "township")
                _warn(rep, "units_as_township", {"header": header.labels["county"]}, sheet=sheet, column="township")
        period = title_period(title)
        if period and rep.period and period != rep.period:
            _warn(rep, "title_period_differs", {"title_period": period.isoformat(), "period": rep.period.isoformat()},
                  sheet=sheet)
        township_hint = None
        named_elsewhere = counties.find_in(title) or counties.find_in(rep.path.stem)
        if (multi and "township" not in cells.columns and not _DEFAULT_SHEET_RE.match(sh.name or "")
                and (counties.resolve(sh.name) is None or named_elsewhere)):
            township_hint = sh.name  # one sheet per working committee (the title names the county)
        rep.sheets.append(sh.name)
        hidden = frozenset(sh.row_number(i) for i in sh.hidden_rows if i >= header.data_start)
        blocks.append(SheetBlock(cells, file_id, sheet_no, sheet, hint, township_hint, hidden))
    if missing_errors:
        first = missing_errors[0]
        if len(missing_errors) > 1:
            first.message_en += f" (and {len(missing_errors) - 1} more sheet(s))"
        rep.error = first
    if not found and not missing_errors:
        rep.error = MissingRequiredColumnError(
            "no table with a branch (党支部) and members (党员数) header in any sheet",
            message_zh="所有工作表中均未找到含“党支部”“党员数”表头的表格",
            file=rep.rel, column="branch, members",
        )
    return blocks
