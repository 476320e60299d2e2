"""The written summary (汇报) from the judge layer's tables: facts here, sentences in the templates.

Every figure is read from the tables and formatted by pipelines/numbers.py; every verdict (met or
short, how badly, what to do) is the judge layer's (status, findings, actions), never decided here.
The wording lives in pipelines/templates/narrative.<lang>.html.j2 and, for findings and actions,
in the phrases of pipelines/report/phrases.py (Jinja2, autoescaped, so a branch named
``<script>`` reads as text). Caveats come first: a leader must never read a city figure without
knowing that a county is missing from it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
import yaml
import pandas as pd
from markupsafe import Markup

from pipelines import config
from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.report import phrases
from pipelines.report.tables import ReportData

# Indicators the comparison and progress sentences walk through, in this order.
KEY_INDICATORS = [
    "studied_rate", "test_rate", "return_rate", "avg_score", "all_activities_rate",
    "work_plan_rate", "special_reached_rate",
]
WEAK_LINKS_IN_TEXT = 10
FAILED_FILE_STATUSES = ("unreadable", "missing_required_column")


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(config.TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["fmt"] = fmt
    return env


_county_name = phrases.county_name


def _ind_name(spec: dict[str, Any], lang: str) -> str:
    return spec["zh"] if lang == "zh" else spec["en"]


def _v(row: pd.Series | None, col: str) -> Any:
    if row is None or col not in row.index:
        return None
    value = row[col]
    return None if fmt.is_missing(value) else value


# ---------------------------------------------------------------------------------- facts


def caveats(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """Missing or unreadable county returns, rejected rows, failed checks (e.g. totals)."""
    out: list[dict[str, Any]] = []
    counties = data.county_now()
    for _, row in counties.iterrows():
        reported = _v(row, "branches_reported")
        if reported is None or int(reported) == 0:
            out.append({
                "kind": "missing_county",
                "county": _county_name(row["county"], lang),
                "branches_expected": fmt.count(_v(row, "branches_expected"), lang),
                "members_expected": fmt.count(_v(row, "members_expected"), lang),
            })
    known = set(counties["county"])
    for name in load.county_order():
        if name not in known:
            out.append({"kind": "missing_county", "county": _county_name(name, lang),
                        "branches_expected": "—", "members_expected": "—"})
    m = data.manifest
    if not m.empty and "status" in m.columns:
        for _, row in m[m["status"].isin(FAILED_FILE_STATUSES)].iterrows():
            county = _v(row, "county")
            out.append({
                "kind": "unreadable_file" if row["status"] == "unreadable" else "missing_column",
                "county": _county_name(county, lang) if county else None,
                "file": str(row["path"]).rsplit("/", 1)[-1],
            })
    r = data.rejects
    if not r.empty:
        rows = r[~r["rule"].isin(["unreadable_file", "missing_required_column"])] if "rule" in r else r
        n = len(rows.drop_duplicates(["source_file", "source_sheet", "source_row"])) if len(rows) else 0
        if n:
            msg_col = "message_zh" if lang == "zh" else "message_en"
            top = rows[msg_col].dropna().astype(str).value_counts().head(3).index.tolist() if msg_col in rows else []
            out.append({"kind": "rejected_rows", "rows": fmt.count(n, lang), "reasons": top})
    q = data.data_quality
    if not q.empty and "passed" in q.columns:
        failed = q[(~q["passed"].astype("boolean").fillna(True)) & (q["check"] != "score")]
        for row in failed.to_dict("records"):
            county = _v(pd.Series(row), "county")
            out.append({
                "kind": "failed_check",
                "check": str(row["check"]),
                "county": _county_name(county, lang) if county else None,
                "detail": phrases.quality(row, lang),
            })
    return out


def headline(data: ReportData, lang: str) -> dict[str, Any] | None:
    """The figures of the opening sentence (section 二 of the shared report)."""
    city = data.city_now()
    if city is None:
        return None

    def ind(indicator: str) -> dict[str, Any]:
        spec = data.spec(indicator)
        v = _v(city, indicator)
        return {"name": _ind_name(spec, lang), "short": spec["short_zh"], "value": fmt.value(v, spec["unit"], lang),
                "met": data.status_of(data.city_label, indicator) == "met", "raw": v}

    activities = []
    for indicator in ("discussion_coverage", "deeds_coverage", "situation_coverage", "exchange_coverage",
                      "lecture_coverage"):
        activities.append(ind(indicator))
    return {
        "period": fmt.day(data.period, lang),
        "branches_expected": fmt.count(_v(city, "branches_expected"), lang),
        "branches": fmt.count(_v(city, "branches_reported"), lang),
        "all_reported": _v(city, "branches_reported") == _v(city, "branches_expected"),
        "members": fmt.count(_v(city, "members"), lang),
        "studied": fmt.count(_v(city, "studied"), lang),
        "test_takers": fmt.count(_v(city, "test_takers"), lang),
        "all_tested": _v(city, "test_takers") is not None and _v(city, "test_takers") == _v(city, "members"),
        "sheets": fmt.count(_v(city, "sheets_returned"), lang),
        "report_rate": ind("report_rate"),
        "studied_rate": ind("studied_rate"),
        "test_rate": ind("test_rate"),
        "return_rate": ind("return_rate"),
        "avg_score": ind("avg_score"),
        "all_activities": ind("all_activities_rate"),
        "branches_all_activities": fmt.count(_v(city, "branches_all_activities"), lang),
        "activities": activities,
        "special_members": fmt.count(_v(city, "special_members"), lang),
        "special_reached": fmt.count(_v(city, "special_reached"), lang),
        "special_rate": ind("special_reached_rate"),
        "work_plans": fmt.count(_v(city, "branches_work_plan"), lang),
        "work_plan_rate": ind("work_plan_rate"),
    }


def progress(data: ReportData, lang: str) -> dict[str, Any] | None:
    """Change of the city figures since the previous period."""
    now, before = data.city_now(), data.city_before()
    if now is None or before is None:
        return None
    changes = []
    for indicator in KEY_INDICATORS:
        spec = data.spec(indicator)
        a, b = _v(now, indicator), _v(before, indicator)
        if a is None or b is None:
            continue
        d = float(a) - float(b)
        step = fmt.value(a, spec["unit"], lang) == fmt.value(b, spec["unit"], lang)
        direction = "same" if step else ("up" if d > 0 else "down")
        changes.append({"name": _ind_name(spec, lang), "from": fmt.value(b, spec["unit"], lang),
                        "to": fmt.value(a, spec["unit"], lang), "by": fmt.gap(d, spec["unit"], lang),
                        "dir": direction, "diff": d})
    new_branches = (_v(now, "branches_reported") or 0) - (_v(before, "branches_reported") or 0)
    new_members = (_v(now, "studied") or 0) - (_v(before, "studied") or 0)
    return {
        "previous": fmt.day(data.previous, lang),
        "changes": changes,
        "new_branches": fmt.count(new_branches, lang) if new_branches > 0 else None,
        "new_studied": fmt.count(new_members, lang) if new_members > 0 else None,
    }


def _cv(cv: Any, lang: str) -> str:
    """The coefficient of variation (given in %) as a percentage; tiny values say so."""
    if fmt.is_missing(cv):
        return "—"
    text = fmt.pct(float(cv) / 100, lang)
    if text == "0%" and float(cv) > 0:
        return "不足0.1%" if lang == "zh" else "under 0.1%"
    return text


def balance_words(cv: Any, lang: str) -> str:
    """The coefficient of variation across counties (in %, as balance.parquet gives it), in words."""
    if fmt.is_missing(cv):
        return "无法比较" if lang == "zh" else "not comparable"
    cv = float(cv) / 100
    if cv < 0.02:
        return "各地较为均衡" if lang == "zh" else "the counties are evenly matched"
    if cv < 0.05:
        return "各地基本均衡" if lang == "zh" else "the counties are broadly even"
    return "各地之间还不够平衡" if lang == "zh" else "the counties are uneven"


def comparison(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """Best and worst county, spread and balance measures, per key indicator."""
    counties = data.county_now()
    counties = counties[counties["branches_reported"].fillna(0) > 0] if "branches_reported" in counties else counties
    bal = data.balance
    across = bal[bal["scope"] == "across_counties"] if not bal.empty else bal
    out = []
    for indicator in KEY_INDICATORS:
        spec = data.spec(indicator)
        vals = counties[["county", indicator]].dropna()
        if len(vals) < 2:
            continue
        row = across[across["indicator"] == indicator].iloc[0] if not across.empty and (across["indicator"] == indicator).any() else None
        hi = vals.loc[vals[indicator].astype(float).idxmax()]
        lo = vals.loc[vals[indicator].astype(float).idxmin()]
        if spec.get("direction") == "lower":
            hi, lo = lo, hi
        best, worst = hi["county"], lo["county"]
        present = set(vals["county"])
        if row is not None and _v(row, "best_county") in present and _v(row, "worst_county") in present:
            best, worst = row["best_county"], row["worst_county"]
        bv = vals.loc[vals["county"] == best, indicator].iloc[0]
        wv = vals.loc[vals["county"] == worst, indicator].iloc[0]
        diff = abs(float(bv) - float(wv))
        if diff < 1e-9:
            out.append({"name": _ind_name(spec, lang), "even": True, "value": fmt.value(bv, spec["unit"], lang)})
            continue
        out.append({
            "name": _ind_name(spec, lang),
            "even": False,
            "best": _county_name(best, lang), "best_value": fmt.value(bv, spec["unit"], lang),
            "worst": _county_name(worst, lang), "worst_value": fmt.value(wv, spec["unit"], lang),
            "spread": fmt.gap(diff, spec["unit"], lang),
            "cv": _cv(_v(row, "cv"), lang) if row is not None else "—",
            "ratio": fmt.ratio(_v(row, "ratio"), lang) if row is not None else "—",
            "index_disparity": fmt.ratio(_v(row, "index_disparity"), lang) if row is not None else "—",
            "words": balance_words(_v(row, "cv"), lang) if row is not None and _v(row, "cv") is not None else "",
            "refused": _v(row, "refused_reason") if row is not None else None,
            "diff": diff if spec["unit"] == "share" else diff / 100,
        })
    return out


LEVELS = ("city", "county", "township", "branch")


def weak_link_items(data: ReportData, lang: str, limit: int = WEAK_LINKS_IN_TEXT) -> dict[str, Any]:
    """The weak links (the judge's findings with status watch or alert), best-ranked first, phrased."""
    wl = data.weak_links
    items = [{"rank": int(r["rank"]), "level": r["level"], "rules": list(r["rules"]), "text": phrases.finding(r, lang)}
             for r in wl.head(limit).to_dict("records")]
    rest = wl.iloc[limit:]
    counts = rest["level"].value_counts() if len(rest) else pd.Series(dtype=int)
    rest_by_level = {lvl: fmt.count(counts[lvl], lang) for lvl in LEVELS if lvl in counts.index}
    f = data.findings
    scheduled = f.loc[(f["status"] == "scheduled") & (f["level"] == "city")] if len(f) else f
    if len(f) and scheduled.empty:  # no city-level row: one line per scheduled indicator, its first county row
        scheduled = f.loc[f["status"] == "scheduled"].drop_duplicates("indicator")
    return {"links": items, "total": fmt.count(len(wl), lang), "rest": rest_by_level, "more": len(rest) > 0,
            "scheduled": [phrases.finding(r, lang) for r in scheduled.to_dict("records")]}


def followup_items(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """下一步工作: the judge's grouped actions of the period, in their rank order, phrased."""
    return [{"text": phrases.action(r, lang)} for r in data.actions.to_dict("records")]


def facts(data: ReportData, lang: str | None = None) -> dict[str, Any]:
    """Everything the narrative template needs, already formatted."""
    lang = lang or data.language
    city = load.counties()["city"]
    return {
        "lang": lang,
        "city": city["name"] if lang == "zh" else city.get("name_en", city["name"]),
        "period": fmt.day(data.period, lang),
        "caveats": caveats(data, lang),
        "headline": headline(data, lang),
        "progress": progress(data, lang),
        "comparison": comparison(data, lang),
        "weak": weak_link_items(data, lang),
        "followups": followup_items(data, lang),
        "county_word": load.label("county", lang),
    }


def render(data: ReportData, lang: str | None = None) -> Markup:
    """The narrative as escaped HTML (the notebook displays it; tests read it)."""
    lang = lang or data.language
    template = _env().get_template(f"narrative.{lang}.html.j2")
    return Markup(template.render(**facts(data, lang)))


@lru_cache(maxsize=1)
def _sections() -> dict[str, Any]:
    with open(config.TEMPLATES_DIR / "sections.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def section(key: str, lang: str = "zh") -> Markup:
    """The heading and note above a chart (sections.yaml), escaped."""
    title, note = _sections()[key][lang]
    return Markup('<div class="rwb-section"><h2>{}</h2><p class="rwb-note">{}</p></div>').format(title, note)
