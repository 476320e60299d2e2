"""The figures of the 汇报's own sentences — 一、总体情况, 二、进展情况, 五、数据说明 and the caveats —
read from the tables and formatted, one context per sentence (pipelines/report/phrases.py says them).

Nothing here judges: whether a figure reads "达" (met) comes from status.parquet, every value prints
with the decimals that keep it apart from its target (``ReportData.figure``), and a change between
two periods is the difference of the two figures as printed, so a reader can check it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.report import phrases, places
from pipelines.report.tables import ReportData

ACTIVITIES = ("discussion_coverage", "deeds_coverage", "situation_coverage", "exchange_coverage", "lecture_coverage")
# The indicators the progress paragraph looks at (the branch and member counts speak for reporting).
PROGRESS = ("studied_rate", "test_rate", "return_rate", "avg_score", *ACTIVITIES, "work_plan_rate",
            "special_reached_rate")
FAILED_FILE_STATUSES = ("unreadable", "missing_required_column")


def _v(row: pd.Series | None, col: str) -> Any:
    if row is None or col not in row.index:
        return None
    value = row[col]
    return None if fmt.is_missing(value) else value


def _met(data: ReportData, indicator: str) -> bool:
    return data.status_of(data.city_label, indicator) == "met"


def _due(day: Any, period: pd.Timestamp, lang: str) -> str:
    """A date: 3月4日 within the report's year, with the year otherwise."""
    return phrases._day_in_year(day, period, lang)  # noqa: SLF001 - one rule for dates in a sentence


def caveats(data: ReportData, lang: str) -> list[tuple[str, dict[str, Any]]]:
    """Missing or unreadable county returns and rejected rows: what a reader must know before any
    city figure (template, context)."""
    out: list[tuple[str, dict[str, Any]]] = []
    counties = data.county_now()
    missing, known = [], []
    for _, row in counties.iterrows():
        reported = _v(row, "branches_reported")
        if reported is None or int(reported) == 0:
            missing.append(places.county(row["county"], lang))
            if _v(row, "branches_expected") is not None:
                known.append({"county": places.county(row["county"], lang),
                              "branches": fmt.count(row["branches_expected"], lang),
                              "members": fmt.count(_v(row, "members_expected"), lang)})
    present = set(counties["county"])
    missing += [places.county(c, lang) for c in load.county_order() if c not in present]
    if missing:
        out.append(("caveat_missing", {"counties": missing, "known": known}))
    m = data.manifest
    if not m.empty and "status" in m.columns:
        for _, row in m[m["status"].isin(FAILED_FILE_STATUSES)].iterrows():
            county = _v(row, "county")
            out.append(("caveat_file", {"county": places.county(county, lang) if county else None,
                                        "file": str(row["path"]).rsplit("/", 1)[-1],
                                        "kind": "unreadable_file" if row["status"] == "unreadable" else "missing_column"}))
    r = data.rejects
    if not r.empty:
        rows = r[~r["rule"].isin(["unreadable_file", "missing_required_column"])] if "rule" in r else r
        n = len(rows.drop_duplicates(["source_file", "source_sheet", "source_row"])) if len(rows) else 0
        if n:
            col = "message_zh" if lang == "zh" else "message_en"
            top = rows[col].dropna().astype(str).value_counts().head(3).index.tolist() if col in rows else []
            out.append(("caveat_rejected", {"rows": fmt.count(n, lang), "reasons": top}))
    return out


def headline(data: ReportData, lang: str) -> dict[str, Any] | None:
    """The opening sentence's figures (section 二 of the 2005 report)."""
    city = data.city_now()
    if city is None:
        return None
    c = data.city_label
    return {
        "period": fmt.day(data.period, lang),
        "branches_expected": fmt.count(_v(city, "branches_expected"), lang),
        "branches": fmt.count(_v(city, "branches_reported"), lang),
        "all_reported": _v(city, "branches_expected") in (None, _v(city, "branches_reported")),
        "report_rate": data.figure(c, "report_rate", lang=lang),
        "members": fmt.count(_v(city, "members"), lang),
        "test_takers": fmt.count(_v(city, "test_takers"), lang),
        "all_tested": _v(city, "test_takers") is not None and _v(city, "test_takers") == _v(city, "members"),
        "test_rate": data.figure(c, "test_rate", lang=lang), "test_met": _met(data, "test_rate"),
        "return_rate": data.figure(c, "return_rate", lang=lang), "return_met": _met(data, "return_rate"),
        "avg_score": data.figure(c, "avg_score", lang=lang),
    }


def study(data: ReportData, lang: str) -> dict[str, Any] | None:
    city = data.city_now()
    if city is None or _v(city, "studied") is None:
        return None
    return {"studied": fmt.count(city["studied"], lang), "rate": data.figure(data.city_label, "studied_rate", lang=lang),
            "met": _met(data, "studied_rate")}


def activities(data: ReportData, lang: str) -> dict[str, Any] | None:
    """The five activities: those under way (their rates) and those scheduled (due date, rate so far)."""
    held, scheduled = [], []
    for ind_id in ACTIVITIES:
        ind = phrases.indicator(ind_id)
        row = data.status_row(data.city_label, ind_id)
        if row is None or fmt.is_missing(row["value"]):
            continue
        name = load.label(ind.flag, lang) if ind.flag else ind.label(lang)  # the activity's own word (召开…)
        item = {"id": ind_id, "name": name, "value": data.figure(data.city_label, ind_id, lang=lang)}
        if row["status"] == "scheduled" and not fmt.is_missing(row["due"]):
            scheduled.append({**item, "due": _due(row["due"], data.period, lang)})
        else:
            held.append(item)
    return {"held": held, "scheduled": scheduled} if held or scheduled else None


def special_plans(data: ReportData, lang: str) -> dict[str, Any] | None:
    city = data.city_now()
    if city is None or _v(city, "special_members") is None:
        return None
    return {
        "members": fmt.count(city["special_members"], lang), "reached": fmt.count(_v(city, "special_reached"), lang),
        "rate": data.figure(data.city_label, "special_reached_rate", lang=lang), "met": _met(data, "special_reached_rate"),
        "plans": fmt.count(_v(city, "branches_work_plan"), lang),
        "plans_all": _v(city, "branches_work_plan") == _v(city, "branches_reported"),
        "plan_rate": data.figure(data.city_label, "work_plan_rate", lang=lang),
    }


def _shown(value: Any, ind_id: str) -> float | None:
    """A value as printed in the progress paragraph (one decimal, in % or points)."""
    if fmt.is_missing(value):
        return None
    return round(float(value) * phrases.indicator(ind_id).scale, 1)


def progress(data: ReportData, lang: str) -> dict[str, Any] | None:
    """What changed since the previous period: new branches and members, the indicators that rose (the
    largest first) and fell. The counties' moves are the ranking table's (▲▼)."""
    now, before = data.city_now(), data.city_before()
    if now is None or before is None:
        return None
    rose: list[dict[str, Any]] = []
    fell: list[dict[str, Any]] = []
    for ind_id in PROGRESS:
        ind = phrases.indicator(ind_id)
        a, b = _shown(_v(now, ind_id), ind_id), _shown(_v(before, ind_id), ind_id)
        if a is None or b is None or a == b:
            continue
        by = round(ind.sign * (a - b), 1)
        item = {"id": ind_id, "name": ind.label(lang), "unit": ind.unit, "by_value": by,
                "by": fmt._decimals(abs(by), 1),  # noqa: SLF001 - the one decimal rule
                "start": fmt.value(b / ind.scale, ind.unit, lang), "end": fmt.value(a / ind.scale, ind.unit, lang)}
        (rose if by > 0 else fell).append(item)
    rose.sort(key=lambda i: (-i["by_value"] if i["unit"] == "share" else 0, PROGRESS.index(i["id"])))
    new_branches = (_v(now, "branches_reported") or 0) - (_v(before, "branches_reported") or 0)
    new_studied = (_v(now, "studied") or 0) - (_v(before, "studied") or 0)
    return {
        "previous": _due(data.previous, data.period, lang),
        "new_branches": fmt.count(new_branches, lang) if new_branches > 0 else None,
        "new_studied": fmt.count(new_studied, lang) if new_studied > 0 else None,
        "rose": [i for i in rose if i["unit"] == "share"], "fell": fell,
    }


def data_notes(data: ReportData, lang: str) -> dict[str, Any]:
    """五、数据说明: the files and branches counted, and the data-quality checks of the period."""
    m = data.manifest
    dated = m.loc[pd.to_datetime(m["period"]) == data.period] if not m.empty and "period" in m else m
    files = int((dated["status"].isin(["ok", "warning"])).sum()) if not dated.empty and "status" in dated else 0
    registry = not m.empty and "path" in m and bool(m["period"].isna().any() and (m["status"] == "ok").any())
    city = data.city_now()
    q = data.data_quality
    failed, passed = [], 0
    if not q.empty and "passed" in q:
        q = q.loc[q["check"] != "score"]
        flags = q["passed"].astype("boolean")
        failed = [phrases.quality(row, lang) for row in q.loc[flags.fillna(True).eq(False)].to_dict("records")]
        by_check = q.assign(p=flags).groupby("check")["p"].agg(lambda s: s.dropna().all() and s.notna().any())
        passed = int(by_check.sum())
    return {
        "files": fmt.count(files, lang), "period": fmt.day(data.period, lang), "registry": registry,
        "branches": fmt.count(_v(city, "branches_reported"), lang) if city is not None else "—",
        "all_counted": data.rejects.empty, "passed": fmt.count(passed, lang), "failed": failed,
    }
