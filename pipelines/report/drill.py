"""The weak-link table (附表), county → township → branch: exactly the weak links the text counts (the
judge's findings with status watch or alert), with the figures and decimals the judge stored.

On screen each county folds (HTML <details>), its townships are headed rows of its table, their
branches indented under them; on paper every fold is open (the CSS and the renderer open them), so
the PDF holds every township and branch row.
"""

from __future__ import annotations

from typing import Any

from pipelines import numbers as fmt
from pipelines.report import phrases, places
from pipelines.report.tables import ReportData, ordered

RULES = {
    "zh": {"citywide": "普遍未达标", "below_target": "低于目标值", "below_city": "低于全市平均",
           "worst_county": "各单位中最低", "not_reported": "未上报", "fell_back": "比上期下降"},
    "en": {"citywide": "city-wide shortfall", "below_target": "below target", "below_city": "below the city",
           "worst_county": "lowest of all", "not_reported": "not reported", "fell_back": "fell back"},
}
SEVERITY = {"zh": {"critical": "严重", "warning": "预警"}, "en": {"critical": "critical", "warning": "warning"}}


def _row(data: ReportData, r: dict[str, Any], lang: str) -> dict[str, Any]:
    spec = data.spec(r["indicator"])
    unit = spec["unit"]
    d = phrases.decimals(r)
    sep = "、" if lang == "zh" else ", "
    return {
        "rank": "" if fmt.is_missing(r.get("rank")) else int(r["rank"]),
        "indicator": spec["short_zh"] if lang == "zh" else spec["short_en"],
        "value": fmt.value(r.get("value"), unit, lang, d), "city": fmt.value(r.get("city_value"), unit, lang, d),
        "target": fmt.value(r.get("target"), unit, lang, d),
        "gap": phrases._gap(r.get("gap_city"), unit, lang, d) or "—",  # noqa: SLF001
        "rules": sep.join(RULES[lang].get(x, x) for x in r["rules"]),
        "severity": r.get("severity"), "severity_label": SEVERITY[lang].get(r.get("severity") or "", ""),
        "status": r.get("status"),
        "outstanding": "" if fmt.is_missing(r.get("outstanding")) else fmt.count(r["outstanding"], lang),
        "members": fmt.count(r.get("members_affected"), lang),
        "level": r["level"],
        "place": places.branch(r["branch"], lang) if r["level"] == "branch" else
        places.township(r["township"], lang) if r["level"] == "township" else places.county(r["county"], lang),
    }


def tree(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """[{name, n, critical, rows (the place's own), townships: [{name, n, rows (township and its
    branches)}]}], the city first, then the counties in the canonical order."""
    wl = data.weak_links
    if wl.empty:
        return []
    wl = wl.assign(county=wl["county"].where(wl["level"] != "city", data.city_label))
    counties = list(ordered(wl.drop_duplicates("county"))["county"])
    counties.sort(key=lambda c: c != data.city_label)
    out = []
    for county in counties:
        g = wl[wl["county"] == county]
        townships = []
        tw = g[g["level"].isin(["township", "branch"])]
        for township in sorted(tw["township"].dropna().astype(str).unique()):
            t = tw[tw["township"].astype(str) == township]
            rows = [_row(data, r, lang) for r in t[t["level"] == "township"].to_dict("records")]
            rows += [_row(data, r, lang) for r in t[t["level"] == "branch"].to_dict("records")]
            townships.append({"name": places.township(township, lang), "n": len(t), "rows": rows})
        out.append({
            "name": places.county(county, lang),
            "rows": [_row(data, r, lang) for r in g[g["level"].isin(["city", "county"])].to_dict("records")],
            "townships": townships, "n": len(g), "critical": int((g["severity"] == "critical").sum()),
        })
    return out
