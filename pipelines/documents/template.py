"""The return form a county fills in, built so that the clean stage reads it without a word.

``write_template(county, period, out)`` writes one .xlsx: a title and a 统计截至 line, a two-row
header with one canonical label per column under the office's group cells, the county's
registry branches pre-filled (township, branch, members), blank rows for branches the registry
does not list, data validation and a conditional format on every value cell (the clean stage's
row rules), locked header cells, frozen panes, print setup, and a 填表说明 sheet. Nothing in the
data area is a formula or hidden, so what a person sees is what the clean stage reads.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from pipelines import config, datasets, io
from pipelines.documents import layout
from pipelines.documents.form import (
    FormColumn,
    date_text,
    form_columns,
    form_rules,
    form_text,
    input_message,
    rule_text,
)
from pipelines.documents.instructions import write_instructions
from pipelines.documents.validation import invalid_formula, valid_formula
from pipelines.domain import load
from pipelines.ingest.counties import CountyTable

TITLE_ROW, PERIOD_ROW, HEADER_ROW = 0, 1, 2  # the header takes two rows: group cells above leaves
FIRST_DATA_ROW = HEADER_ROW + 2
SPARE_ROWS = 20  # blank rows after the registry's branches, for branches it does not list
EMPTY_FORM_ROWS = 300  # rows of a form with no registry branches (the largest county has 420; rows can be inserted)
NAME_WIDTH_MAX = 36  # a branch name longer than this wraps
EMPTY_NAME_CHARS = {"township": 8, "branch": 14}  # room in the name columns of a form with no registry names


class TemplateError(ValueError):
    """A request the form cannot be built for; carries the reason in Chinese and English."""

    def __init__(self, message_en: str, message_zh: str, *, status: int = 2) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.status = status  # the CLI's exit status: 2 for a request it cannot take, 1 for an input it cannot read

    def line(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


@dataclass(frozen=True)
class TemplateResult:
    """Where the form went and what it holds."""

    path: Path
    county: str
    period: dt.date
    branches: int  # rows pre-filled from the registry
    blank_rows: int
    registry: Path | None  # the registry read, None when there was none to read


def resolve_county(name: str, counties_file: Path = config.COUNTIES_FILE) -> str:
    """The canonical county for a name or alias of counties.yaml; TemplateError when it names none."""
    county = CountyTable.from_yaml(Path(counties_file)).resolve(name)
    if county is None:
        known = load.county_order(Path(counties_file))
        raise TemplateError(
            f"unknown county {name!r}: not a name or alias in {counties_file} ({', '.join(known)})",
            f"未知的县(市、区)「{name}」:不在 counties.yaml 的名称或别名中({'、'.join(known)})",
        )
    return county


def parse_period(text: str) -> dt.date:
    """A period written as YYYY-MM-DD naming a real day; TemplateError otherwise."""
    try:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise TemplateError(
            f"--period {text!r} is not a real date written YYYY-MM-DD",
            f"统计截至日期「{text}」不是有效日期(应写作 YYYY-MM-DD,如 2005-03-04)",
        ) from None


def registry_branches(county: str, processed: Path) -> tuple[pd.DataFrame, Path | None]:
    """The county's branches in the processed registry, in its order (empty when it has none)."""
    path = Path(processed) / config.REGISTRY_FILE
    if not path.is_file():
        return pd.DataFrame(columns=["township", "branch", "members"]), None
    try:
        reg = datasets.read(processed, config.REGISTRY_FILE, columns=["county", "township", "branch", "members"])
    except (OSError, ValueError, KeyError) as exc:  # not Parquet, or not the registry's columns
        raise TemplateError(f"cannot read the registry {path}: {exc}", f"无法读取党组织名册 {path}:{exc}", status=1) from exc
    rows = reg.loc[reg["county"] == county, ["township", "branch", "members"]].reset_index(drop=True)
    return rows, path


def write_template(
    county: str,
    period: dt.date | str,
    out: Path,
    *,
    processed: Path | None = None,
    blank_rows: int | None = None,
    counties_file: Path = config.COUNTIES_FILE,
) -> TemplateResult:
    """Write the return form of ``county`` for ``period`` to ``out`` (atomically) and say what it holds.

    ``processed`` (default config.PROCESSED_DIR) holds registry.parquet; without it, or when it
    lists no branch of the county, the form is empty with EMPTY_FORM_ROWS rows. ``blank_rows``
    overrides the number of empty rows (default SPARE_ROWS after the registry's branches).
    """
    if Path(out).suffix.lower() != ".xlsx":
        raise TemplateError(f"the form is an .xlsx workbook: --out {out} must end in .xlsx",
                            f"报表模板为 .xlsx 工作簿,输出文件名 {out} 应以 .xlsx 结尾")
    county = resolve_county(county, counties_file)
    period = parse_period(period) if isinstance(period, str) else period
    branches, registry = registry_branches(county, Path(processed) if processed else config.PROCESSED_DIR)
    blank = blank_rows if blank_rows is not None else (SPARE_ROWS if len(branches) else EMPTY_FORM_ROWS)
    if blank < 0:
        raise TemplateError(f"blank rows must be 0 or more, not {blank}", f"空行数不能为负数({blank})")
    out = Path(out)
    with io.atomic_path(out) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False})
        # dated by its period, so the same request writes the same bytes
        wb.set_properties({"title": form_text()["title"].format(county=county),
                           "created": dt.datetime.combine(period, dt.time(0, 0))})
        fmt = layout.formats(wb)
        _write_form(wb, fmt, county, period, branches, blank)
        write_instructions(wb, fmt, county, period, prefilled=len(branches) > 0)
        wb.close()
    return TemplateResult(out, county, period, len(branches), blank, registry)


def _widths(cols: tuple[FormColumn, ...], branches: pd.DataFrame) -> list[float]:
    """Name columns as wide as the longest name or label on one line (an empty form gets room for typical names)."""
    widths = []
    for col in cols:
        if col.kind == "name":
            values = branches[col.name].dropna().astype(str).tolist() if len(branches) else []
            longest = max([layout.text_width(v) for v in values] + [layout.text_width(col.label)])
            chars = max(math.ceil(longest / 2), 0 if values else EMPTY_NAME_CHARS[col.name])
            widths.append(min(layout.width_for(chars + 1), NAME_WIDTH_MAX))
        else:
            widths.append(layout.header_width(col.label))
    return widths


def _write_form(wb, fmt, county: str, period: dt.date, branches: pd.DataFrame, blank: int) -> None:  # noqa: ANN001
    """The sheet the county fills: title, 统计截至 line, header, rows, input rules, signature line."""
    text = form_text()
    cols = form_columns()
    last_col = len(cols) - 1
    ws = wb.add_worksheet(text["sheet"])
    ws.activate()
    ws.hide_gridlines(2)
    widths = _widths(cols, branches)
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    ws.set_row(TITLE_ROW, 32)
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col, text["title"].format(county=county), fmt["title"])
    ws.set_row(PERIOD_ROW, 22)
    split = [c.name for c in cols].index("members")  # the date above the names, the filer above the figures
    ws.merge_range(PERIOD_ROW, 0, PERIOD_ROW, split, text["period_line"].format(date=date_text(period)), fmt["subtitle"])
    ws.merge_range(PERIOD_ROW, split + 1, PERIOD_ROW, last_col, text["filer_line"].format(county=county),
                   fmt["subtitle_right"])
    _header(ws, fmt, cols, widths)
    last_row = _rows(ws, fmt, cols, widths, branches, blank)
    _input_rules(ws, fmt, cols, last_row)
    sign_row = last_row + 2  # a row the clean stage skips: it starts with 填表人
    _signature(ws, fmt, sign_row, last_col, text["signature"])
    ws.freeze_panes(FIRST_DATA_ROW, [c.name for c in cols].index("branch") + 1)
    ws.protect("", {"format_columns": True, "format_rows": True, "insert_rows": True, "delete_rows": True,
                    "select_locked_cells": True, "select_unlocked_cells": True})
    layout.a4_landscape(ws, repeat=(HEADER_ROW, HEADER_ROW + 1), last_row=sign_row, last_col=last_col)


def _header(ws, fmt, cols: tuple[FormColumn, ...], widths: list[float]) -> None:  # noqa: ANN001
    """Two rows: a group cell merged over its leaves; a column outside any group merged down both rows."""
    leaf_lines = max(layout.lines_needed(c.label, w) for c, w in zip(cols, widths, strict=True))
    ws.set_row(HEADER_ROW, layout.row_height(1) + 4)
    ws.set_row(HEADER_ROW + 1, layout.row_height(leaf_lines))
    i = 0
    while i < len(cols):
        col = cols[i]
        if col.group is None:
            ws.merge_range(HEADER_ROW, i, HEADER_ROW + 1, i, col.label, fmt["header"])
            i += 1
            continue
        j = i
        while j + 1 < len(cols) and cols[j + 1].group == col.group:
            j += 1
        label = load.label(col.group, "zh")
        if j > i:
            ws.merge_range(HEADER_ROW, i, HEADER_ROW, j, label, fmt["header"])
        else:
            ws.write(HEADER_ROW, i, label, fmt["header"])
        for k in range(i, j + 1):
            ws.write(HEADER_ROW + 1, k, cols[k].label, fmt["header"])
        i = j + 1


_INPUT_STYLE = {"name": "name_input", "count": "count_input", "score": "score_input", "yes_no": "choice_input"}


def _rows(ws, fmt, cols, widths, branches: pd.DataFrame, blank: int) -> int:  # noqa: ANN001
    """The registry's branches (names and members pre-filled), then blank rows; returns the last row."""
    n = len(branches) + blank
    names = [(i, c) for i, c in enumerate(cols) if c.kind == "name"]
    for r in range(n):
        row = FIRST_DATA_ROW + r
        given = branches.iloc[r] if r < len(branches) else None
        if given is not None:  # a name longer than its column wraps: the row grows to show it whole
            lines = max(layout.lines_needed(str(given[c.name]), widths[i]) for i, c in names)
            if lines > 1:
                ws.set_row(row, layout.row_height(lines))
        for i, col in enumerate(cols):
            value = None if given is None else given.get(col.name)
            if value is None or pd.isna(value):
                ws.write_blank(row, i, None, fmt[_INPUT_STYLE[col.kind]])
            elif col.kind == "name":
                ws.write_string(row, i, str(value), fmt["name_prefilled"])
            else:
                ws.write_number(row, i, int(value), fmt["count_prefilled"])
    return FIRST_DATA_ROW + n - 1


def _input_rules(ws, fmt, cols, last_row: int) -> None:  # noqa: ANN001
    """A Chinese input message on every column; a validation and a warning colour on every value column."""
    rules = form_rules()
    at = {c.name: i for i, c in enumerate(cols)}
    for i, col in enumerate(cols):
        message = {"input_title": col.label[:32], "input_message": input_message(col)[:255]}
        formula = valid_formula(col, at, FIRST_DATA_ROW, rules)
        if formula is None:
            ws.data_validation(FIRST_DATA_ROW, i, last_row, i, {"validate": "any", **message})
            continue
        error = {"error_title": f"{col.label}填写有误"[:32], "error_message": f"{col.label}：{rule_text(col)}。"[:255]}
        check: dict[str, Any]
        if col.kind == "yes_no":
            check = {"validate": "list", "source": [rules.yes, rules.no]}
        else:
            check = {"validate": "custom", "value": f"={formula}", "ignore_blank": True}
        ws.data_validation(FIRST_DATA_ROW, i, last_row, i, {**check, **message, **error})
        ws.conditional_format(FIRST_DATA_ROW, i, last_row, i, {
            "type": "formula", "criteria": f"={invalid_formula(col, at, FIRST_DATA_ROW, rules)}", "format": fmt["invalid"],
        })


def _signature(ws, fmt, row: int, last_col: int, labels: list[str]) -> None:  # noqa: ANN001
    """填表人 / 审核人 / 联系电话 / 填报日期, each a label and an underlined cell to type into."""
    ws.set_row(row, 24)
    ws.write(row, 0, f"{labels[0]}：", fmt["sign_label"])
    ws.write_blank(row, 1, None, fmt["sign_input"])
    rest = labels[1:]
    span = (last_col - 1) // max(len(rest), 1)  # the columns after the branch, shared out
    start = 2
    for k, label in enumerate(rest):
        end = last_col if k == len(rest) - 1 else start + span - 1
        label_end = start + max(1, span // 3) - 1
        if label_end > start:
            ws.merge_range(row, start, row, label_end, f"{label}：", fmt["sign_label"])
        else:
            ws.write(row, start, f"{label}：", fmt["sign_label"])
        if end > label_end + 1:
            ws.merge_range(row, label_end + 1, row, end, "", fmt["sign_input"])
        else:
            ws.write_blank(row, end, None, fmt["sign_input"])
        start = end + 1
