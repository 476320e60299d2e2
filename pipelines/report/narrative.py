"""The written summary (汇报) from the metrics tables: facts here, sentences in the templates.

Every figure in the text is computed from the tables and formatted by pipelines.report.format;
the wording lives in pipelines/templates/narrative.<lang>.html.j2 (Jinja2, autoescaped, so a
branch named ``<script>`` reads as text). Caveats come first: a leader must never read a city
figure without knowing that a county is missing from it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
import pandas as pd
import yaml
from markupsafe import Markup

from pipelines import config
from pipelines.domain import load
from pipelines.report import format as fmt
from pipelines.report.palette import status
from pipelines.report.tables import ReportData, ordered

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


@lru_cache(maxsize=1)
def followups() -> dict[str, Any]:
    """Follow-up wording (督促指导) per indicator and rule: narrative text, not labels."""
    with open(config.TEMPLATES_DIR / "followups.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _county_name(name: str, lang: str) -> str:
    if lang == "zh":
        return name
    if name == load.city_total_label():
        return load.counties()["city"].get("total_label_en", "City total")
    for c in load.counties()["counties"]:
        if c["name"] == name:
            return c.get("name_en", name)
    return name


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
        detail = "detail_zh" if lang == "zh" else "detail_en"
        for _, row in failed.iterrows():
            county = _v(row, "county")
            out.append({
                "kind": "failed_check",
                "check": str(row["check"]),
                "county": _county_name(county, lang) if county else None,
                "detail": str(_v(row, detail) or row["check"]),
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
                "met": status(v, spec) == "met", "raw": v}

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


def _place(row: pd.Series, lang: str) -> str:
    parts = [_county_name(row["county"], lang)] if _v(row, "county") else []
    if row.get("level") in ("township", "branch") and _v(row, "township"):
        parts.append(str(row["township"]))
    if row.get("level") == "branch" and _v(row, "branch"):
        parts.append(str(row["branch"]))
    return ("" if lang == "zh" else " / ").join(parts)


LEVELS = ("city", "county", "township", "branch")


def _short_counties(data: ReportData, spec: dict[str, Any]) -> dict[str, Any] | None:
    """For a city-wide weak link: how many counties miss the target, out of those with a value.

    The verdict is the metrics stage's own (its county ``below_target`` rows), not judged again here.
    """
    n = int(pd.to_numeric(data.county_now()[spec["id"]], errors="coerce").notna().sum())
    if n == 0:
        return None
    wl = data.weak_links
    rows = wl[(wl["level"] == "county") & (wl["indicator"] == spec["id"]) & (wl["rule"] == "below_target")]
    short = int(rows["county"].nunique())
    return {"short": short, "n": n, "all": short == n}


def weak_link_items(data: ReportData, lang: str, limit: int = WEAK_LINKS_IN_TEXT) -> dict[str, Any]:
    """The ranked weak links for the text: each with its figure, gap and rule."""
    wl = data.weak_links
    if not wl.empty:  # one sentence per place and indicator, even when several rules flag it
        key = ["level", "county", "township", "branch", "indicator"]
        wl = wl.assign(_k=wl[key].apply(lambda r: "|".join("" if fmt.is_missing(v) else str(v) for v in r), axis=1))
        rules = wl.groupby("_k", sort=False)["rule"].agg(lambda r: list(dict.fromkeys(r)))
        wl = wl.drop_duplicates("_k").assign(rules=lambda d: d["_k"].map(rules)).drop(columns="_k")
    items = []
    for _, row in wl.head(limit).iterrows():
        spec = data.spec(row["indicator"]) if row["indicator"] in {s["id"] for s in data.indicators} else None
        unit = spec["unit"] if spec else "share"
        value, city, target = _v(row, "value"), _v(row, "city_value"), _v(row, "target")
        if target is None and spec:
            target = spec["target"]
        gap_city = (float(city) - float(value)) if value is not None and city is not None else None
        gap_target = (float(target) - float(value)) if value is not None and target is not None else None
        gap_pp = _v(row, "gap_pp")
        digits = fmt.digits_apart(value, [target], unit)  # the text prints these two: 99.95% beside 100%
        fell = None
        if "fell_back" in row["rules"] and gap_pp is not None:
            fell = fmt.gap(float(gap_pp) / (100 if unit == "share" else 1), unit, lang)
        items.append({
            "short_counties": _short_counties(data, spec) if row["level"] == "city" and spec else None,
            "rank": int(row["rank"]) if _v(row, "rank") is not None else len(items) + 1,
            "level": row["level"],
            "place": _place(row, lang),
            "indicator": _ind_name(spec, lang) if spec else str(row["indicator"]),
            "rule": row["rule"],
            "rules": row["rules"],
            "severity": row.get("severity"),
            "value": fmt.value(value, unit, lang, digits),
            "city": fmt.value(city, unit, lang, digits),
            "target": fmt.value(target, unit, lang, digits),
            "gap_city": fmt.gap(gap_city, unit, lang) if gap_city is not None and gap_city > 1e-9 else None,
            "gap_target": fmt.gap(gap_target, unit, lang) if gap_target is not None and gap_target > 1e-9 else None,
            "fell": fell,
            "members": fmt.count(_v(row, "members_affected"), lang) if _v(row, "members_affected") else None,
        })
    rest = wl.iloc[limit:]
    counts = rest["level"].value_counts() if len(rest) else pd.Series(dtype=int)
    rest_by_level = {lvl: fmt.count(counts[lvl], lang) for lvl in LEVELS if lvl in counts.index}
    return {"links": items, "total": fmt.count(len(wl), lang), "rest": rest_by_level, "more": len(rest) > 0}


def followup_items(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """督促指导: one suggestion per indicator (or rule), naming the counties concerned.

    The suggestions follow the weak-link ranking: the one about the best-ranked weak link first, and
    inside each, the counties in rank order.
    """
    words = followups()
    wl = data.weak_links
    if wl.empty:
        return []
    first_rank = (lambda rows: float(pd.to_numeric(rows["rank"], errors="coerce").min())
                  if "rank" in rows.columns else 0.0)
    out: list[tuple[float, dict[str, Any]]] = []
    missing = wl[wl["rule"] == "not_reported"]
    if len(missing):
        names = [_county_name(c, lang) for c in ordered(missing.drop_duplicates("county"))["county"]]
        out.append((first_rank(missing),
                    {"who": fmt.join(names, lang), "what": words["rules"]["not_reported"][lang], "indicator": None}))
    rest = wl[wl["rule"] != "not_reported"]
    for spec in data.indicators:
        rows = rest[rest["indicator"] == spec["id"]]
        if rows.empty:
            continue
        action = words["indicators"].get(spec["id"], {}).get(lang) or words["default"][lang]
        if (rows["level"] == "city").any():  # a city-wide shortfall: every county, not a list
            out.append((first_rank(rows),
                        {"who": words["every_county"][lang], "what": action, "indicator": _ind_name(spec, lang)}))
            continue
        by_rank = rows.sort_values("rank") if "rank" in rows.columns else rows
        names = [_county_name(c, lang) for c in by_rank.drop_duplicates("county")["county"] if c]
        if not names:
            continue
        more = ("等" if lang == "zh" else " and others") if len(names) > 5 else ""
        out.append((first_rank(rows),
                    {"who": fmt.join(names[:5], lang) + more, "what": action, "indicator": _ind_name(spec, lang)}))
    return [item for _, item in sorted(out, key=lambda pair: pair[0])]  # stable: ties keep indicator order


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
