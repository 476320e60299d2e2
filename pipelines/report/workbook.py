"""report.xlsx: the report's tables for a reader who wants to sort and filter them — the period's
findings, the status of every unit, the ranking, the county figures and the branches still
missing an activity — with headers in the reader's language, frozen header rows, filters and
number formats (a rate as a percentage, a score to one decimal, a count as a whole number).

Built in memory with xlsxwriter from the same frames the report shows (nothing re-judged); the
notebook offers it as a download and the renderer writes it beside report.html.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pandas as pd
import xlsxwriter

from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.report import lacking as lacking_mod
from pipelines.report import phrases, places
from pipelines.report.palette import STATUS_COLOURS, STATUS_LABELS, STATUS_TEXT
from pipelines.report.tables import ReportData

WIDTH_PER_CHAR = 2.1  # column width units per CJK character


def _terms(lang: str) -> dict[str, Any]:
    w = load.terms()["workbook"]

    def pick(section: str) -> dict[str, str]:
        return {k: v[lang] for k, v in w[section].items()}

    return {"sheets": pick("sheets"), "columns": pick("columns"), "levels": pick("levels"),
            "count_units": pick("count_units"), "yes": w["yes"][lang]}


class _Book:
    """An xlsxwriter workbook with the report's formats, writing one frame per sheet."""

    def __init__(self, lang: str, created: dt.datetime) -> None:
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True, "strings_to_numbers": False})
        self.book.set_properties({"created": created, "title": "学习培训情况汇报" if lang == "zh" else "Report tables"})
        font = {"font_name": "Microsoft YaHei" if lang == "zh" else "Calibri", "font_size": 10, "valign": "top"}
        self.formats = {
            "header": self.book.add_format({**font, "bold": True, "bg_color": "#E8EEF4", "border": 1,
                                            "text_wrap": True, "valign": "vcenter"}),
            "text": self.book.add_format({**font, "text_wrap": True}),
            "count": self.book.add_format({**font, "num_format": "0"}),
            "points": self.book.add_format({**font, "num_format": "0.0##"}),
            "share1": self.book.add_format({**font, "num_format": "0.0%"}),
            "share2": self.book.add_format({**font, "num_format": "0.00%"}),
            "share3": self.book.add_format({**font, "num_format": "0.000%"}),
            "date": self.book.add_format({**font, "num_format": "yyyy-mm-dd"}),
        }
        self.status_formats = {s: self.book.add_format({**font, "bg_color": c, "font_color": STATUS_TEXT[s]})
                               for s, c in STATUS_COLOURS.items()}

    def sheet(self, name: str, headers: list[str], rows: list[list[tuple[Any, str]]]) -> None:
        """One sheet: a header row (frozen, filtered) and rows of (value, format name)."""
        ws = self.book.add_worksheet(name[:31])
        ws.freeze_panes(1, 0)
        ws.set_row(0, 30)
        widths = [max(6.0, len(h) * WIDTH_PER_CHAR * 0.8) for h in headers]
        for c, h in enumerate(headers):
            ws.write_string(0, c, h, self.formats["header"])
        for r, row in enumerate(rows, start=1):
            for c, (value, kind) in enumerate(row):
                fmt_ = self.status_formats.get(kind[7:]) if kind.startswith("status:") else self.formats[kind]
                if fmt.is_missing(value) or value == "":
                    ws.write_blank(r, c, None, fmt_)
                elif isinstance(value, str):
                    ws.write_string(r, c, value, fmt_)
                    widths[c] = max(widths[c], min(60.0, len(value) * WIDTH_PER_CHAR))
                elif isinstance(value, (pd.Timestamp, dt.date)):
                    ws.write_datetime(r, c, pd.Timestamp(value).to_pydatetime(), fmt_)
                    widths[c] = max(widths[c], 11.0)
                else:
                    ws.write_number(r, c, float(value), fmt_)
                    widths[c] = max(widths[c], 9.0)
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        ws.autofilter(0, 0, max(1, len(rows)), len(headers) - 1)

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def _share(ind_id: str, digits: int = 1) -> str:
    return f"share{min(max(digits, 1), 3)}" if phrases.indicator(ind_id).unit == "share" else "points"


def findings_rows(data: ReportData, lang: str, t: dict[str, Any]) -> tuple[list[str], list[list[tuple[Any, str]]]]:
    c = t["columns"]
    keys = ["rank", "level", "county", "township", "branch", "indicator", "weak", "status", "severity", "rules", "value",
            "city_value", "target", "gap_city", "gap_target", "outstanding", "count_unit", "members_affected",
            "contributors", "due", "sentence"]
    rules = {"zh": {"citywide": "普遍未达标", "below_target": "低于目标值", "below_city": "低于全市平均",
                    "worst_county": "各单位中最低", "not_reported": "未上报", "fell_back": "比上期下降"},
             "en": {"citywide": "city-wide", "below_target": "below target", "below_city": "below the city",
                    "worst_county": "lowest of all", "not_reported": "not reported", "fell_back": "fell back"}}[lang]
    severity = {"zh": {"critical": "严重", "warning": "预警"}, "en": {"critical": "critical", "warning": "warning"}}[lang]
    rows = []
    for r in data.findings.to_dict("records"):
        ind = phrases.indicator(r["indicator"])
        d = phrases.decimals(r)
        contributors = r.get("contributors")
        names = [places.township(x["name"], lang) if r["level"] == "county" else places.county(x["name"], lang)
                 for x in (contributors if contributors is not None else [])]
        rows.append([
            (r["rank"], "count"), (t["levels"].get(r["level"], r["level"]), "text"),
            (places.county(r["county"], lang) if r["level"] != "city" else places.county(data.city_label, lang), "text"),
            (places.township(r.get("township"), lang), "text"), (places.branch(r.get("branch"), lang), "text"),
            (ind.label(lang), "text"), (t["yes"] if r["status"] in ("watch", "alert") else "", "text"),
            (STATUS_LABELS[r["status"]][lang], f"status:{r['status']}"), (severity.get(r["severity"], ""), "text"),
            (("、" if lang == "zh" else ", ").join(rules.get(x, x) for x in r["rules"]), "text"),
            (r["value"], _share(r["indicator"], d)), (r["city_value"], _share(r["indicator"], d)),
            (r["target"], _share(r["indicator"], d)), (r["gap_city"], "points"), (r["gap_target"], "points"),
            (r["outstanding"], "count"), (t["count_units"].get(r["count_unit"], ""), "text"),
            (r["members_affected"], "count"), (("、" if lang == "zh" else ", ").join(names), "text"),
            (r["due"], "date"), (phrases.finding(r, lang), "text"),
        ])
    return [c[k] for k in keys], rows


def status_rows(data: ReportData, lang: str, t: dict[str, Any]) -> tuple[list[str], list[list[tuple[Any, str]]]]:
    c = t["columns"]
    headers = [c[k] for k in ("level", "county", "township", "indicator", "value", "target", "warning", "status", "due")]
    rows = []
    for r in data.status.to_dict("records"):
        ind = phrases.indicator(r["indicator"])
        digits = fmt.digits_apart(r["value"], [r["target"]], ind.unit)
        rows.append([
            (t["levels"].get(r["level"], r["level"]), "text"), (places.county(r["county"], lang), "text"),
            (places.township(r.get("township"), lang), "text"), (ind.label(lang), "text"),
            (r["value"], _share(r["indicator"], digits)), (r["target"], _share(r["indicator"])),
            (r["warning"], _share(r["indicator"])), (STATUS_LABELS[r["status"]][lang], f"status:{r['status']}"),
            (r["due"], "date"),
        ])
    return headers, rows


def ranking_rows(data: ReportData, lang: str, t: dict[str, Any]) -> tuple[list[str], list[list[tuple[Any, str]]]]:
    c = t["columns"]
    headers = [c[k] for k in ("indicator", "rank", "county", "value", "numerator", "denominator", "ranked",
                              "previous_value", "change", "rank_change")]
    rows = []
    for r in data.ranking.to_dict("records"):
        ind = phrases.indicator(r["indicator"])
        digits = fmt.digits_apart(r["value"], [ind.target], ind.unit)
        rows.append([
            (ind.label(lang), "text"), (r["rank"], "count"), (places.county(r["county"], lang), "text"),
            (r["value"], _share(r["indicator"], digits)),
            (None if ind.unit == "score" else r["numerator"], "count"),
            (None if ind.unit == "score" else r["denominator"], "count"), (r["ranked"], "count"),
            (r["previous_value"], _share(r["indicator"], digits)), (r["change"], "points"), (r["rank_change"], "count"),
        ])
    return headers, rows


def county_rows(data: ReportData, lang: str, t: dict[str, Any]) -> tuple[list[str], list[list[tuple[Any, str]]]]:
    """The county figures of the period: counts, then every indicator (as county_metrics has them)."""
    frame = data.county[data.county["period"] == data.period]
    counts = ["branches_expected", "branches_reported", "members", "studied", "test_takers", "sheets_returned",
              "special_members", "special_reached"]
    count_labels = {"branches_expected": ("应报党支部", "Branches expected"),
                    "branches_reported": ("已上报党支部", "Branches reported"),
                    "special_members": ("特殊群体党员", "Special members"),
                    "special_reached": ("已送学补学", "Special members reached")}
    inds = [s for s in data.indicators if s["id"] in frame.columns]
    headers = [t["columns"]["county"]]
    for col in counts:
        headers.append(count_labels[col][0 if lang == "zh" else 1] if col in count_labels else load.label(col, lang))
    headers += [s["zh"] if lang == "zh" else s["en"] for s in inds]
    order = [*data.county_now()["county"].astype(str), data.city_label]
    rows = []
    for county in order:
        hit = frame.loc[frame["county"] == county]
        if hit.empty:
            continue
        r = hit.iloc[0]
        row: list[tuple[Any, str]] = [(places.county(county, lang), "text")]
        row += [(r.get(col), "count") for col in counts]
        for s in inds:
            digits = fmt.digits_apart(r.get(s["id"]), [s["target"]] if s["target"] is not None else [], s["unit"])
            row.append((r.get(s["id"]), _share(s["id"], digits)))
        rows.append(row)
    return headers, rows


def lacking_rows(data: ReportData, lang: str, t: dict[str, Any]) -> tuple[list[str], list[list[tuple[Any, str]]]]:
    c = t["columns"]
    headers = [c["county"], c["township"], c["branch"], c["members"], c["indicator"]]
    frame = lacking_mod.lacking(data)
    rows = [[(places.county(r["county"], lang), "text"), (places.township(r["township"], lang), "text"),
             (places.branch(r["branch"], lang), "text"), (r["members"], "count"),
             (phrases.indicator(r["indicator"]).label(lang), "text")] for r in frame.to_dict("records")]
    return headers, rows


def file_name(lang: str) -> str:
    """report.xlsx, or report.<lang>.xlsx for another language (as the CLI names the HTML)."""
    return "report.xlsx" if lang == "zh" else f"report.{lang}.xlsx"


def xlsx_bytes(data: ReportData, lang: str | None = None) -> bytes:
    """The workbook as bytes (its creation date is the period's, so the same data gives the same file)."""
    lang = lang or data.language
    t = _terms(lang)
    book = _Book(lang, data.period.to_pydatetime())
    for key, build in (("findings", findings_rows), ("status", status_rows), ("ranking", ranking_rows),
                       ("counties", county_rows), ("lacking", lacking_rows)):
        headers, rows = build(data, lang, t)
        book.sheet(t["sheets"][key], headers, rows)
    return book.close()
