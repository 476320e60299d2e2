"""The evidence after the 汇报: the ranking table, the plan of the figures (which charts earn their
place, and the one line that replaces a chart whose units are all equal), the county checklists
and the weak-link table — as plain dicts, for the HTML report, the workbook and the Word document.

Shapes::

    ranking = {"heading", "note", "equal": Sentence | None,
               "groups": [{"title", "columns": [{"id", "label"}],
                           "rows": [{"county", "label", "is_city",
                                     "cells": [{"value", "rank", "change", "arrow", "counts", "status"}]}]}]}
    figures = {"vary": [indicator ids, most spread first], "bars": [ids], "equal": Sentence | None,
               "map": id, "towns": [{"county", "indicator"}], "trend": [ids]}

Ranks, changes and counts are the judge's (ranking.parquet); colours are status.parquet's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from pipelines import config
from pipelines import numbers as fmt
from pipelines.report import phrases, places
from pipelines.report.phrases import Sentence
from pipelines.report.tables import ReportData

GROUPS = {
    "study": ("studied_rate", "test_rate", "return_rate", "avg_score", "special_reached_rate", "work_plan_rate",
              "report_rate", "member_coverage"),
    "activities": ("discussion_coverage", "deeds_coverage", "situation_coverage", "lecture_coverage",
                   "exchange_coverage", "due_activities_rate"),
}
GROUP_TITLES = {"study": {"zh": "学习、测试和送学补学", "en": "Study, test and special members"},
                "activities": {"zh": "“四会一课”开展情况", "en": "The four meetings and one lecture"}}
MIN_SPREAD = 1.0   # points between the highest and lowest county below which a chart shows nothing
MOST_BARS = 4
MOST_TOWNS = 3
TREND = ("studied_rate", "test_rate", "return_rate", "due_activities_rate", "lecture_coverage",
         "special_reached_rate")


@lru_cache(maxsize=1)
def texts() -> dict[str, Any]:
    with open(config.TEMPLATES_DIR / "sections.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def heading(key: str, lang: str, **fill: Any) -> dict[str, str]:
    """A heading and its note from sections.yaml."""
    title, note = texts()[key][lang]
    return {"heading": title.format(**fill), "note": note.format(**fill)}


def _units(data: ReportData) -> list[str]:
    return [c for c in data.county_now()["county"].astype("str")]


def spread(data: ReportData, indicator: str) -> tuple[float, list[float]]:
    """The counties' values as a chart would show them (in % or points, one decimal), and their range."""
    scale = phrases.indicator(indicator).scale
    shown = []
    for county in _units(data):
        row = data.status_row(county, indicator)
        if row is not None and not fmt.is_missing(row["value"]):
            shown.append(round(float(row["value"]) * scale, 1))
    return ((max(shown) - min(shown)) if shown else 0.0), shown


def _equal_line(data: ReportData, ids: list[str], family: str, lang: str) -> Sentence | None:
    """One line for the indicators on which every unit stands at the same figure."""
    if not ids:
        return None
    first = data.status_row(data.city_label, ids[0])
    value = data.figure(data.city_label, ids[0], lang=lang) if first is not None else "—"
    return phrases.say(family, {"ids": ids, "labels": [phrases.indicator(i).label(lang) for i in ids],
                                "value": value}, lang)


def figures_plan(data: ReportData, lang: str) -> dict[str, Any]:
    """Which charts to draw: bars only where the counties differ (by at least MIN_SPREAD points), the
    indicators with county weak links first; the map opening on the indicator with the most spread
    among those whose statuses differ; one township chart per county with a county weak link."""
    judged = [s["id"] for s in data.judged]
    ranges = {i: spread(data, i) for i in judged}
    vary = sorted([i for i in judged if ranges[i][0] >= MIN_SPREAD], key=lambda i: -ranges[i][0])
    same = [i for i in judged if ranges[i][1] and ranges[i][0] == 0 and len(set(ranges[i][1])) == 1]
    weak = data.weak_links
    county_weak = list(dict.fromkeys(weak.loc[weak["level"] == "county", "indicator"])) if len(weak) else []
    bars = [i for i in county_weak if i in vary] + [i for i in vary if i not in county_weak]
    bars = [i for i in bars if not phrases.indicator(i).composite][:MOST_BARS]

    def statuses(i: str) -> set[str]:
        return {data.status_of(c, i) for c in _units(data)}

    mixed = [i for i in vary if len(statuses(i)) > 1]
    towns = []
    if len(weak):
        for county in dict.fromkeys(weak.loc[weak["level"] == "county", "county"]):
            lead = weak.loc[(weak["level"] == "county") & (weak["county"] == county)].iloc[0]["indicator"]
            parts = [i for i in weak.loc[(weak["level"] == "county") & (weak["county"] == county), "indicator"]
                     if not phrases.indicator(i).composite]
            towns.append({"county": str(county), "indicator": parts[0] if parts else str(lead)})
    trend = [i for i in TREND if i in judged]
    return {"vary": vary, "bars": bars, "equal": _equal_line(data, same, "charts_equal", lang),
            "map": (mixed or vary or judged or ["test_rate"])[0], "towns": towns[:MOST_TOWNS], "trend": trend,
            "same": same}


def _change(row: dict[str, Any], lang: str) -> tuple[str, str]:
    """The change since the previous period in display units: (▲/▼/—, its size)."""
    if fmt.is_missing(row.get("change")):
        return "", ""
    c = float(row["change"])
    ind = phrases.indicator(row["indicator"])
    better = ind.sign * c
    if abs(better) < 1e-9:
        return "—", "0"
    digits = fmt.digits_apart(abs(c), [0.0], "score")
    return ("▲" if better > 0 else "▼"), fmt._decimals(abs(c), digits)  # noqa: SLF001


def ranking(data: ReportData, lang: str) -> dict[str, Any]:
    """Counties × key indicators: value, rank, change and the counts behind it (ranking.parquet)."""
    plan_same = set(figures_plan(data, lang)["same"])
    r = data.ranking
    by = {(str(x["county"]), str(x["indicator"])): x for x in r.to_dict("records")} if len(r) else {}
    units = _units(data)
    groups = []
    for key, group_ids in GROUPS.items():
        ids = [i for i in group_ids if i in {s["id"] for s in data.judged} and i not in plan_same]
        if not ids:
            continue
        columns = [{"id": i, "label": data.spec(i)["short_zh"] if lang == "zh" else data.spec(i)["short_en"]}
                   for i in ids]
        rows = []
        for county in [*units, data.city_label]:
            cells = []
            for i in ids:
                ind = phrases.indicator(i)
                rec = by.get((county, i), {})
                arrow, size = _change({**rec, "indicator": i}, lang) if rec else ("", "")
                num, den = rec.get("numerator"), rec.get("denominator")
                counts = "" if ind.unit == "score" or fmt.is_missing(num) or fmt.is_missing(den) else \
                    f"{fmt.count(num, lang)}/{fmt.count(den, lang)}"
                if county == data.city_label:
                    counts = _city_counts(data, ind, lang)
                rank = rec.get("rank")
                cells.append({"id": i, "value": data.figure(county, i, lang=lang), "status": data.status_of(county, i),
                              "rank": "" if fmt.is_missing(rank) else int(rank), "arrow": arrow, "change": size,
                              "counts": counts})
            rows.append({"county": county, "label": places.county(county, lang), "is_city": county == data.city_label,
                         "cells": cells})
        groups.append({"key": key, "title": GROUP_TITLES[key][lang], "columns": columns, "rows": rows})
    head = heading("ranking", lang, n=len(units))
    equal = _equal_line(data, [i for i in GROUPS["study"] + GROUPS["activities"] if i in plan_same],
                        "ranking_equal", lang)
    return {**head, "groups": groups, "equal": equal, "units": len(units)}


def _city_counts(data: ReportData, ind: Any, lang: str) -> str:
    city = data.city_now()
    if city is None or ind.unit == "score":
        return ""
    num, den = city.get(ind.numerator), city.get(ind.denominator)
    if fmt.is_missing(num) or fmt.is_missing(den):
        return ""
    return f"{fmt.count(num, lang)}/{fmt.count(den, lang)}"


def annexes(data: ReportData, lang: str) -> dict[str, Any]:
    """Everything after the 汇报, as plain data."""
    from pipelines.report import checklists, drill

    return {
        "ranking": ranking(data, lang),
        "figures": {**heading("figures", lang), **figures_plan(data, lang)},
        "counties": {**heading("counties", lang), "pages": checklists.pages(data, lang)},
        "drill": {**heading("drill", lang, n=fmt.count(len(data.weak_links), lang)), "counties": drill.tree(data, lang)},
    }
