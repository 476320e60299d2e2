"""The cells of a county's feedback workbook: one table per kind of problem, and the 说明 sheet's lines.

Every word comes from terms.yaml (``feedback``, ``reject_rules``, the column labels), every
sentence about a finding from pipelines.report.phrases, every warning's text from its code and
params (pipelines.ingest.warning_codes.body, without the location, which has its own columns).
Figures print through pipelines/numbers.py with the decimals the judge layer stored.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from pipelines import numbers as fmt
from pipelines.documents.feedback_book import Col, Sheet, SummaryLine
from pipelines.documents.feedback_chase import Lacking
from pipelines.documents.feedback_tables import CountyRows
from pipelines.domain import load
from pipelines.domain.indicators import Indicator

SECTIONS = ("rejects", "warnings", "unreported", "unregistered", "findings", "chase")


def words() -> dict[str, Any]:
    return load.terms()["feedback"]


def _h(name: str) -> str:
    """A header: the contract column's label, else the feedback section's own."""
    try:
        return load.label(name, "zh")
    except KeyError:
        return words()["headers"][name]


def _text(value: Any) -> str | None:
    return None if fmt.is_missing(value) or str(value) == "" else str(value)


def _int(value: Any) -> int | None:
    return None if fmt.is_missing(value) else int(value)


def column_label(column: Any) -> str | None:
    """A contract column by its label (党员数); a sheet's column letter as the letter (C列)."""
    if fmt.is_missing(column) or not str(column):
        return None
    try:
        return load.label(str(column), "zh")
    except KeyError:
        return f"{column}列"


def rejects_rows(rows: CountyRows) -> list[list[Any]]:
    rules = load.terms()["reject_rules"]
    return [[_text(r["source_file"]), _text(r["source_sheet"]), _int(r["source_row"]), _text(r.get("branch")),
             column_label(r["column"]), _text(r["raw_value"]), rules.get(r["rule"], {}).get("zh", r["rule"]),
             _text(r["message_zh"])] for r in rows.rejects.to_dict("records")]


def warnings_rows(rows: CountyRows) -> list[list[Any]]:
    """Warnings first, then the notes (提示); each message made from its code and params."""
    from pipelines.ingest.warning_codes import body

    levels = words()["levels"]
    w = rows.warnings.assign(_notes=rows.warnings["level"] != "warning").sort_values("_notes", kind="stable")
    return [[_text(r["source_file"]), _text(r["source_sheet"]), _int(r["source_row"]), column_label(r["column"]),
             levels.get(r["level"], r["level"]), body(r["code"], json.loads(r["params"] or "{}"), "zh")]
            for r in w.to_dict("records")]


def unregistered_rows(rows: CountyRows) -> list[list[Any]]:
    out = []
    for r in rows.unregistered.to_dict("records"):
        params = json.loads(r["params"] or "{}")
        out.append([_text(r["source_file"]), _text(r["source_sheet"]), _int(r["source_row"]),
                    _text(params.get("branch")), "、".join(str(s) for s in params.get("suggestions") or []) or None])
    return out


def unreported_rows(rows: CountyRows, registry: pd.DataFrame) -> list[list[Any]]:
    """In the registry's order, as the county keeps its branches (and as the return form lists them)."""
    keys = zip(registry["county"], registry["township"].fillna(""), registry["branch"], strict=True)
    order = {k: i for i, k in enumerate(keys)}
    u = rows.unreported
    key = [order.get((c, t if isinstance(t, str) else "", b), len(order))
           for c, t, b in zip(u["county"], u["township"], u["branch"], strict=True)]
    u = u.assign(_o=key).sort_values("_o", kind="stable")
    return [[_text(r["township"]), _text(r["branch"]), _int(r["members"]), _int(r["missed"])] for r in u.to_dict("records")]


def _follow_up(f: dict[str, Any], rows: CountyRows, chase_counts: dict[int, int], ind: Indicator) -> str | None:
    """Where the branches behind a finding are listed: 未上报党支部 for reporting, else 需督促的党支部."""
    w = words()
    if f["level"] == "branch":
        return None
    if ind.action == "reporting":
        u = rows.unreported
        n = int((u["township"] == f["township"]).sum()) if f["level"] == "township" else len(u)
        sheet = w["sections"]["unreported"]["sheet"]
        return w["follow_up"]["unreported"].format(n=n, sheet=sheet) if n else None
    n = chase_counts.get(int(f["finding"]), 0)
    return w["follow_up"]["chase"].format(n=n, sheet=w["sections"]["chase"]["sheet"]) if n else None


def findings_rows(rows: CountyRows, chase: pd.DataFrame, indicators: list[Indicator]) -> list[list[Any]]:
    """The county's weak links by rank, numbered, each with its sentence (pipelines.report.phrases)."""
    from pipelines.report.palette import STATUS_LABELS
    from pipelines.report.phrases import finding

    by_id = {i.id: i for i in indicators}
    units = words()["units"]
    counts = chase.groupby("finding")["branch_id"].nunique().to_dict() if len(chase) else {}
    out = []
    for k, f in enumerate(rows.findings.to_dict("records"), start=1):
        ind = by_id[f["indicator"]]
        digits = _int(f.get("decimals")) or 1
        owed = _int(f.get("outstanding"))
        # a branch's own share of branches is its 0 or 1: its sentence says what it lacks, the figures would not
        one = f["level"] == "branch" and ind.counts_branches
        out.append([
            k, words()["place_levels"][f["level"]], _text(f.get("township")), _text(f.get("branch")), ind.label("zh"),
            STATUS_LABELS.get(f["status"], {}).get("zh", f["status"]),
            None if one or fmt.is_missing(f.get("value")) else fmt.value(f["value"], ind.unit, "zh", digits),
            f"{owed}{units.get(f['count_unit'], '')}" if owed and not one else None,
            finding(f), _follow_up(f, rows, counts, ind),
        ])
    return out


def chase_rows(rows: CountyRows, chase: pd.DataFrame, indicators: list[Indicator]) -> list[list[Any]]:
    """One row per branch behind the county's weak links, in registry order: what it still lacks,
    and which findings (by their 序号) it is behind."""
    if not len(chase):
        return []
    number = {int(k): n for n, k in enumerate(rows.findings["finding"], start=1)}
    lacking = Lacking(indicators)
    by_branch: dict[int, list[dict[str, Any]]] = {}
    for r in chase.to_dict("records"):
        by_branch.setdefault(int(r["branch_id"]), []).append(r)
    out = []
    for _, group in sorted(by_branch.items()):
        first = group[0]
        related = "、".join(str(n) for n in sorted({number[int(r["finding"])] for r in group}))
        out.append([_text(first["township"]), _text(first["branch"]), _int(first["members"]),
                    lacking.text(group), related])
    return out


def sheets(rows: CountyRows, chase: pd.DataFrame, registry: pd.DataFrame, indicators: list[Indicator]) -> dict[str, Sheet]:
    """Every kind of problem as a table sheet (with or without rows), keyed by section."""
    w = words()
    sec = w["sections"]
    h = w["headers"]
    file_cols = (Col(_h("source_file"), most=18), Col(_h("source_sheet"), "center", 8), Col(_h("source_row"), "number"))
    cols: dict[str, tuple[Col, ...]] = {
        "rejects": (*file_cols, Col(_h("branch"), most=12), Col(h["column"], most=8), Col(h["raw_value"], "center", 8),
                    Col(h["rule"], most=10), Col(h["message"], most=34)),
        "warnings": (*file_cols, Col(h["column"], most=8), Col(h["level"], "center", 4), Col(h["message"], most=40)),
        "unreported": (Col(_h("township"), most=12), Col(_h("branch"), most=16), Col(_h("members"), "number"),
                       Col(h["missed"], "number")),
        "unregistered": (*file_cols, Col(h["reported_name"], most=16), Col(h["suggestions"], most=30)),
        "findings": (Col(h["number"], "number"), Col(h["place_level"], "center", 5), Col(_h("township"), most=8),
                     Col(_h("branch"), most=10), Col(h["indicator"], most=8), Col(h["status"], "center", 5),
                     Col(h["value"], "center", 5), Col(h["outstanding"], "center", 6), Col(h["sentence"], most=36),
                     Col(h["follow_up"], most=12)),
        "chase": (Col(_h("township"), most=12), Col(_h("branch"), most=16), Col(_h("members"), "number"),
                  Col(h["lacking"], most=36), Col(h["related"], "center", 14)),
    }
    data = {
        "rejects": rejects_rows(rows), "warnings": warnings_rows(rows), "unreported": unreported_rows(rows, registry),
        "unregistered": unregistered_rows(rows), "findings": findings_rows(rows, chase, indicators),
        "chase": chase_rows(rows, chase, indicators),
    }
    line = w["period_line"].format(date=fmt.day(rows.period))
    return {k: Sheet(sec[k]["sheet"], f"{rows.county}{sec[k]['sheet']}（{line}）", cols[k], data[k]) for k in SECTIONS}


def summary(rows: CountyRows, tables: dict[str, Sheet]) -> dict[str, Any]:
    """The 说明 sheet: what the workbook is, the conclusion when there is nothing to fix, a line per kind."""
    w = words()
    notes = int((rows.warnings["level"] != "warning").sum())
    conclusion = None
    if not rows.to_fix and not rows.received:
        conclusion = w["nothing_received"].format(county=rows.county)
    elif not rows.to_fix:
        conclusion = w["nothing_to_fix"].format(county=rows.county) + (w["notes_only"].format(n=notes) if notes else "")
    lines = []
    for key in SECTIONS:
        n = len(tables[key].rows)
        count = str(n) if n else w["none"]
        if key == "warnings" and n:
            levels = w["levels"]
            count = f"{n}（{levels['warning']}{n - notes}，{levels['note']}{notes}）" if notes and notes < n else str(n)
        lines.append(SummaryLine(tables[key].name, w["sections"][key]["about"], count,
                                 w["sections"][key]["ask"] if n else "", linked=n > 0))
    return {
        "name": w["summary_sheet"], "period_line": w["period_line"].format(date=fmt.day(rows.period)),
        "about": w["about" if rows.to_fix else "about_nothing" if rows.received else "about_none"].format(
            county=rows.county),
        "conclusion": conclusion,
        "header": list(w["summary_header"]), "lines": lines,
    }
