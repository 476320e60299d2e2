"""The weak-link table that drills from county to township to branch (HTML <details>, no script)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from pipelines.domain import load
from pipelines.report import format as fmt
from pipelines.report.narrative import _county_name, _env
from pipelines.report.tables import ReportData, ordered


def _row(data: ReportData, r: pd.Series, lang: str) -> dict[str, Any]:
    ids = {s["id"] for s in data.indicators}
    spec = data.spec(r["indicator"]) if r["indicator"] in ids else {"unit": "share", "zh": r["indicator"], "en": r["indicator"]}
    unit = spec["unit"]
    value, city = r.get("value"), r.get("city_value")
    gap = None if fmt.is_missing(value) or fmt.is_missing(city) else float(city) - float(value)
    digits = fmt.digits_apart(value, [r.get("target")], unit)  # below a target of 100%: 99.95%, never 100%
    below_city = fmt.gap(gap, unit, lang) if gap is not None and gap > 0 else "—"
    return {
        "rank": "" if fmt.is_missing(r.get("rank")) else int(r["rank"]),
        "indicator": spec.get("short_zh", spec["zh"]) if lang == "zh" else spec["en"],
        "value": fmt.value(value, unit, lang, digits), "city": fmt.value(city, unit, lang),
        "target": fmt.value(r.get("target"), unit, lang, digits),
        "gap": "—" if below_city.startswith(("0个", "0分", "0 ")) else below_city,
        "rule": r.get("rule"), "severity": r.get("severity"),
        "members": fmt.count(r.get("members_affected"), lang),
        "township": "" if fmt.is_missing(r.get("township")) else str(r["township"]),
        "branch": "" if fmt.is_missing(r.get("branch")) else str(r["branch"]),
    }


def tree(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """County → (county rows, townships → (township rows, branch rows))."""
    wl = data.weak_links
    if wl.empty:
        return []
    out = []
    counties = list(ordered(wl.drop_duplicates("county"))["county"])
    counties.sort(key=lambda c: c != data.city_label)  # city-wide weak links first
    for county in counties:
        g = wl[wl["county"] == county]
        townships = []
        tw = g[g["level"].isin(["township", "branch"])]
        for township in sorted(tw["township"].dropna().astype(str).unique()):
            t = tw[tw["township"].astype(str) == township]
            townships.append({
                "name": township,
                "rows": [_row(data, r, lang) for _, r in t[t["level"] == "township"].iterrows()],
                "branches": [_row(data, r, lang) for _, r in t[t["level"] == "branch"].iterrows()],
                "n": len(t),
            })
        out.append({
            "name": _county_name(county, lang),
            "rows": [_row(data, r, lang) for _, r in g[g["level"].isin(["city", "county"])].iterrows()],
            "townships": townships,
            "n": len(g),
            "critical": int((g["severity"] == "critical").sum()),
        })
    return out


def render(data: ReportData, lang: str | None = None) -> Markup:
    lang = lang or data.language
    template = _env().get_template("weak_links.html.j2")
    return Markup(template.render(
        lang=lang, counties=tree(data, lang),
        labels={c: load.label(c, lang) for c in ("county", "township", "branch")},
    ))
