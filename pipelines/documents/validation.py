"""The form's input rules as spreadsheet formulas: one per value column, anchored at its first data row.

Excel allows one data validation per cell, so each column's formula joins its own bound with
every relation it takes part in (studied ≤ members is checked on both columns, so the order of
typing does not matter). The same formula, negated, drives a conditional format that marks a cell
breaking the rules even when it was pasted in (pasting skips data validation). A blank cell is
never checked: blank means "not yet counted", which the clean stage keeps as <NA>.
"""

from __future__ import annotations

from collections.abc import Mapping

from xlsxwriter.utility import xl_rowcol_to_cell

from pipelines.documents.form import FormColumn, FormRules, Relation


def _ref(row: int, col: int) -> str:
    """$D5: the column fixed, the row relative (the formula is copied down the data rows)."""
    return xl_rowcol_to_cell(row, col, col_abs=True)


def _span(row: int, cols: list[int]) -> str:
    """$P5:$T5 for adjacent columns, else $P5,$R5."""
    cols = sorted(cols)
    if cols == list(range(cols[0], cols[-1] + 1)) and len(cols) > 1:
        return f"{_ref(row, cols[0])}:{_ref(row, cols[-1])}"
    return ",".join(_ref(row, c) for c in cols)


def _relation(rel: Relation, at: Mapping[str, int], row: int) -> str:
    small = _span(row, [at[c] for c in rel.small])
    big = _span(row, [at[c] for c in rel.big])
    return f"OR(COUNT({small})=0,COUNT({big})=0,SUM({small})<=SUM({big}))"


def valid_formula(col: FormColumn, at: Mapping[str, int], row: int, rules: FormRules) -> str | None:
    """TRUE when the (non-blank) cell of ``col`` on ``row`` keeps its row in the clean stage; None for names."""
    me = _ref(row, at[col.name])
    if col.kind == "count":
        parts = [f"ISNUMBER({me})", f"{me}=INT({me})", f"{me}>={rules.count_min}"]
    elif col.kind == "score":
        takers = _ref(row, at[rules.score_takers])
        parts = [f"ISNUMBER({me})", f"{me}>={rules.score_min:g}", f"{me}<={rules.score_max:g}", f"N({takers})>0"]
    elif col.kind == "yes_no":
        parts = [f'OR({me}="{rules.yes}",{me}="{rules.no}")']
    else:
        return None
    parts += [_relation(rel, at, row) for rel in rules.relations if col.name in rel.columns]
    if col.name == rules.score_takers:
        parts.append(f"OR(COUNT({_ref(row, at[rules.score])})=0,{me}>0)")
    return f"IFERROR(AND({','.join(parts)}),FALSE)"  # text in a number cell errors: refused, not let through


def invalid_formula(col: FormColumn, at: Mapping[str, int], row: int, rules: FormRules) -> str | None:
    """TRUE when the cell holds something its rule refuses (for the conditional format)."""
    valid = valid_formula(col, at, row, rules)
    if valid is None:
        return None
    me = _ref(row, at[col.name])
    return f'AND({me}<>"",NOT({valid}))'
