"""The weak-link table that drills from county to township to branch (HTML <details>, no script).

Its rows are exactly the weak links the text counts (the judge's findings with status watch or
alert), with the figures and decimals the judge layer stored.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.report.narrative import _county_name, _env
from pipelines.report.phrases import _gap
from pipelines.report.tables import ReportData, ordered


def _row(data: ReportData, r: dict[str, Any], lang: str) -> dict[str, Any]:
    spec = data.spec(r["indicator"])
    unit = spec["unit"]
    d = int(r["decimals"]) if not fmt.is_missing(r.get("decimals")) else 1
    return {
        "rank": "" if fmt.is_missing(r.get("rank")) else int(r["rank"]),
        "indicator": spec["short_zh"] if lang == "zh" else spec["en"],
        "value": fmt.value(r.get("value"), unit, lang, d), "city": fmt.value(r.get("city_value"), unit, lang, d),
        "target": fmt.value(r.get("target"), unit, lang, d),
        "gap": _gap(r.get("gap_city"), unit, lang, d) or "—",
        "rule": list(r["rules"])[0], "rules": list(r["rules"]), "severity": r.get("severity"), "status": r.get("status"),
        "members": fmt.count(r.get("members_affected"), lang),
        "township": "" if fmt.is_missing(r.get("township")) else str(r["township"]),
        "branch": "" if fmt.is_missing(r.get("branch")) else str(r["branch"]),
    }


def tree(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """County → (county rows, townships → (township rows, branch rows))."""
    wl = data.weak_links
    if wl.empty:
        return []
    wl = wl.assign(county=wl["county"].where(wl["level"] != "city", data.city_label))
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
                "rows": [_row(data, r, lang) for r in t[t["level"] == "township"].to_dict("records")],
                "branches": [_row(data, r, lang) for r in t[t["level"] == "branch"].to_dict("records")],
                "n": len(t),
            })
        out.append({
            "name": _county_name(county, lang),
            "rows": [_row(data, r, lang) for r in g[g["level"].isin(["city", "county"])].to_dict("records")],
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
