"""Which county sends which kind of file in which period.

Nine styles, one per county each period, rotating so that every kind of mess turns up at
2005-02-25 and moves between counties over the periods (a cleaner that special-cases a
county fails). A few habits stay with one county: 丰顺县 always adds a derived 参考率 column,
市直单位 sends one sheet per working committee at 2005-02-25.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from pipelines.domain import load
from pipelines.sample.messiness import Style
from pipelines.sample.names import short_name
from pipelines.sample.truth import LAST, PERIODS

STYLES: tuple[Style, ...] = (
    Style("xlsx_report", "xlsx", "附件{n} 学习培训情况统计表.xlsx", title=True, subtitle=True, two_row_header=True,
          county_in="title", township_mode="merge", subtotals=True, grand_total=True, note=True, signature=True,
          header_set=0, header_units=True, header_breaks=True),
    Style("xls_legacy", "xls", "{short}先进性教育统计表.xls", title=True, subtitle=True, two_row_header=True,
          county_in="filename", township_mode="merge", grand_total=True, note=True, header_set=1,
          numbers_as_text=True, units=0.05, yesno=("√", "×")),
    Style("csv_gbk", "csv", "{short}{period}.csv", encoding="gb18030", county_in="filename", township_mode="blank",
          signature=True, header_set=1, fullwidth_brackets=True, header_units=True, fullwidth=0.03, zero_token="-",
          yesno=("有", "无"), spaced_branches=2),
    Style("csv_utf8_bom", "csv", "{county}学习培训情况统计_{mmdd}.csv", encoding="utf-8-sig", county_in="column",
          blank_rows=True, header_set=2, cn_numerals=0.01, score_dunhao=0.3, index_col=True, spaced_branches=2),
    Style("csv_utf8", "csv", "学习培训统计表({n}).csv", encoding="utf-8", title=True, subtitle=True,
          two_row_header=True, county_in="title", township_mode="blank", subtotals=True, grand_total=True, note=True,
          header_set=0, zero_token="无", zero_token_share=0.5, yesno=("√", "×")),
    Style("xlsx_multisheet", "xlsx", "附件{n} 分工委学习培训情况.xlsx", title=True, subtitle=True, county_in="title",
          grand_total=True, header_set=2, fullwidth_brackets=True, multi_sheet=True),
    Style("xlsx_plain", "xlsx", "{county}学习培训情况{mmdd}.xlsx", county_in="column", township_mode="blank",
          signature=True, header_set=3, numbers_as_text=True, units=0.04, spaced_branches=2),
    Style("xls_text", "xls", "{county}报表{mmdd}.xls", title=True, subtitle=True, county_in="column",
          township_mode="blank", signature=True, header_set=3, header_units=True, zero_token="—",
          cn_numerals=0.01, fullwidth=0.02, score_dunhao=0.2, yesno=("有", "无")),
    Style("xlsx_blankrows", "xlsx", "附件{n} 学习培训进度表.xlsx", title=True, subtitle=True, two_row_header=True,
          county_in="title", township_mode="merge", subtotals=True, blank_rows=True, header_set=1,
          fullwidth_brackets=True, score_dunhao=0.5, fullwidth=0.02, yesno=("√", "×")),
)
STYLE_BY_NAME: dict[str, Style] = {s.name: s for s in STYLES}
# Style of each county (in counties.yaml order) at the last period; earlier periods shift it.
LAST_PERIOD_STYLE = ("xlsx_report", "xls_legacy", "csv_gbk", "xlsx_plain", "csv_utf8", "xlsx_blankrows",
                     "xls_text", "csv_utf8_bom", "xlsx_multisheet")
DERIVED_RATE_COUNTY = "丰顺县"
# The 续报 (late, continued) file of a county's period, when it sent one. Not a correction (补报,
# 更正 …, which would supersede the rows it repeats): the row it repeats stays a duplicate reject.
LATE_STYLE = replace(STYLE_BY_NAME["xlsx_plain"], name="xlsx_late", filename="{county}续报{mmdd}.xlsx",
                     numbers_as_text=False, units=0.0, spaced_branches=0)


@dataclass(frozen=True)
class FilePlan:
    period: pd.Timestamp
    county: str
    part: str  # main | late
    style: Style
    filename: str


def style_for(county_index: int, period_index: int) -> Style:
    shift = 4 * (LAST - period_index)
    return STYLE_BY_NAME[LAST_PERIOD_STYLE[(county_index + shift) % len(LAST_PERIOD_STYLE)]]


def file_name(style: Style, county: str, county_index: int, period: pd.Timestamp) -> str:
    return style.filename.format(county=county, short=short_name(county), period=period.strftime("%Y-%m-%d"),
                                 mmdd=period.strftime("%m%d"), n=county_index + 1)


def plan(parts: pd.DataFrame) -> list[FilePlan]:
    """One FilePlan per (period, county, part) present in ``parts`` (columns period, county, part)."""
    order = load.county_order()
    out: list[FilePlan] = []
    keys = parts[["period", "county", "part"]].drop_duplicates()
    for p, period in enumerate(PERIODS):
        for ci, county in enumerate(order):
            for part in ("main", "late"):
                hit = (keys["period"] == period) & (keys["county"] == county) & (keys["part"] == part)
                if not hit.any():
                    continue
                style = style_for(ci, p) if part == "main" else LATE_STYLE
                out.append(FilePlan(period, county, part, style, file_name(style, county, ci, period)))
    return out


def wrong_total_target(plans: list[FilePlan], frame: pd.DataFrame) -> tuple[FilePlan, str]:
    """The one deliberately wrong 小计: the first county with subtotals at 2005-02-18, its second township."""
    period = PERIODS[2]
    for fp in plans:
        if fp.period == period and fp.part == "main" and fp.style.subtotals:
            towns = pd.unique(frame.loc[(frame["period"] == period) & (frame["county"] == fp.county), "township"])
            return fp, str(towns[1])
    raise RuntimeError("no style with subtotals at 2005-02-18")


def describe(parts: pd.DataFrame) -> pd.DataFrame:
    """One row per planned file with its habits: the map of where each kind of mess lives."""
    rows = []
    for fp in plan(parts):
        s = fp.style
        rows.append({
            "period": fp.period.strftime("%Y-%m-%d"), "county": fp.county, "file": fp.filename, "style": s.name,
            "format": s.fmt if s.fmt != "csv" else f"csv/{s.encoding}", "county_in": s.county_in,
            "township": s.township_mode, "title": s.title, "two_row_header": s.two_row_header,
            "subtotals": s.subtotals, "grand_total": s.grand_total, "multi_sheet": s.multi_sheet,
            "header_set": s.header_set, "values": ",".join(k for k, on in (
                ("text", s.numbers_as_text), ("units", s.units > 0), ("fullwidth", s.fullwidth > 0),
                ("cn_numerals", s.cn_numerals > 0), ("dunhao", s.score_dunhao > 0),
                ("zero=" + str(s.zero_token), s.zero_token is not None), ("spaced_names", s.spaced_branches > 0)) if on),
            "yesno": "/".join(s.yesno), "derived_rate": fp.county == DERIVED_RATE_COUNTY,
            "footer": ",".join(k for k, on in (("note", s.note), ("signature", s.signature), ("blank_rows", s.blank_rows)) if on),
        })
    return pd.DataFrame(rows)
