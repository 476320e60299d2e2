"""The weak links as a leader reads them: grouped by place (the city, then each county in the order
of its most urgent finding), and within a place by the kind of work behind them (activities, study,
test, special members, reporting, work plan).

Every figure is the judge's (findings.parquet: value, gaps from the printed figures, outstanding
count, contributors), printed with the finding's own decimals. A group becomes one sentence of
三、主要薄弱环节 (and, shortened, of the first page): the county's own findings when it has
any, naming the townships that carry its gap; else its townships' findings; else its branches'.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.report import phrases, places
from pipelines.report.tables import ReportData

LEVEL_LABELS = {
    "zh": {"city": "全市性的", "county": "县（市、区）和市直单位一级", "township": "乡镇（街道、部门）一级",
           "branch": "党支部一级"},
    "en": {"city": "city-wide", "county": "at county level", "township": "at township level",
           "branch": "in single branches"},
}
PEOPLE_ACTIONS = ("study", "test", "special", "work_plan")


def _label(ind_id: str, lang: str) -> str:
    """What the sentence calls an indicator: an activity by its name (形势报告会), else its full label."""
    ind = phrases.indicator(ind_id)
    if ind.flag and ind.counts_branches and ind.action == "activities":
        return load.label(ind.flag, lang)
    return ind.label(lang)


def _value(row: dict[str, Any], lang: str) -> str:
    ind = phrases.indicator(row["indicator"])
    return fmt.value(row["value"], ind.unit, lang, phrases.decimals(row))


def _gap(row: dict[str, Any], column: str) -> str | None:
    return phrases.gap_number(row.get(column), phrases.decimals(row))


def _versus(rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """The gaps of the rows to the city (all of them, or none) and, failing that, to the target."""
    unit = phrases.indicator(rows[0]["indicator"]).unit
    city = [_gap(r, "gap_city") for r in rows]
    target = [_gap(r, "gap_target") for r in rows]
    return {
        "gaps_city": city if all(city) else [],
        "gaps_target": [t for t in target if t],
        "target": fmt.value(rows[0]["target"], unit, lang, phrases.decimals(rows[0])),
        "gap_unit": phrases.GAP_UNITS[lang][unit],
    }


def _contributors(row: dict[str, Any], lang: str) -> list[str]:
    found = row.get("contributors")
    if found is None:
        return []
    name = places.township if row["level"] == "county" else places.county
    return [name(c["name"], lang) for c in found]


def group_context(data: ReportData, place: str, action: str, rows: pd.DataFrame, lang: str) -> tuple[str, dict[str, Any]]:
    """The template and the facts of one group of weak links (one place, one kind of work)."""
    recs = rows.to_dict("records")
    own = [r for r in recs if r["level"] in ("city", "county")]
    towns = [r for r in recs if r["level"] == "township"]
    branches = [r for r in recs if r["level"] == "branch"]
    base: dict[str, Any] = {"county": places.county(place, lang, prose=True), "plural": places.plural(place),
                            "brief": False, "detail": None, "towns": [],
                            "towns_flagged": [], "n_towns_flagged": 0, "more": 0, "worst": False}
    if own:
        lead = own[0]
        base.update(lead=phrases.finding_context(lead, lang), towns=_contributors(lead, lang))
        if lead["level"] == "city":
            base.update(labels=[_label(lead["indicator"], lang)], ids=[lead["indicator"]], figures=[_value(lead, lang)],
                        target=fmt.value(lead["target"], phrases.indicator(lead["indicator"]).unit, lang,
                                         phrases.decimals(lead)),
                        counties_short=lead.get("counties_short"), counties_n=lead.get("counties_n"))
            return "lag_city", base
        if action == "activities":
            parts = [r for r in own if not phrases.indicator(r["indicator"]).composite]
            shown = parts or own[:1]
            base.update(labels=[_label(r["indicator"], lang) for r in shown], ids=[r["indicator"] for r in shown],
                        figures=[_value(r, lang) for r in shown],
                        composite_only=not parts, worst=all("worst_county" in r["rules"] for r in shown),
                        count_word=f"{phrases.number_word(len(shown), lang)}项" if lang == "zh" else "",
                        lead=phrases.finding_context(shown[0], lang), **_versus(shown, lang))
            base["towns"] = _contributors(shown[0], lang) or base["towns"]
            inds = {r["indicator"] for r in shown}
            detail = next((t for t in towns if t["indicator"] in inds), None)
            if detail is not None and base["towns"]:
                base["detail"] = {"town": places.township(detail["township"], lang),
                                  "label": _label(detail["indicator"], lang), "value": _value(detail, lang)}
            family = "lag_activities"
        else:
            base.update(labels=[_label(lead["indicator"], lang)], ids=[lead["indicator"]], figures=[_value(lead, lang)],
                        worst="worst_county" in lead["rules"], **_versus([lead], lang))
            family = "lag_reporting" if action == "reporting" else "lag_people"
        if not base["towns"]:
            same = [t for t in towns if t["indicator"] == lead["indicator"]]
            base.update(towns_flagged=[places.township(t["township"], lang) for t in same[:3]],
                        n_towns_flagged=len(same))
        return family, base
    if towns:
        ind = towns[0]["indicator"]
        same = [t for t in towns if t["indicator"] == ind][:3]
        unit = phrases.indicator(ind).unit
        base.update(labels=[_label(ind, lang)], ids=[ind], towns_named=[places.township(t["township"], lang) for t in same],
                    figures=[_value(t, lang) for t in same],
                    city=fmt.value(same[0]["city_value"], unit, lang, phrases.decimals(same[0])),
                    more=len([t for t in towns if t["indicator"] == ind]) - len(same),
                    lead=phrases.finding_context(same[0], lang))
        return "lag_towns", base
    lead = branches[0]
    base.update(place=places.place(lead, lang), labels=[_label(lead["indicator"], lang)], ids=[lead["indicator"]],
                figures=[_value(lead, lang)],
                more=len(branches) - 1, lead=phrases.finding_context(lead, lang), **_versus([lead], lang))
    return "lag_branch", base


def groups(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """The weak links grouped: one entry per place, in order of its most urgent finding, each with its
    groups by kind of work (``family`` and ``ctx`` for phrases.say) and how many weak links it holds."""
    wl = data.weak_links
    if wl.empty:
        return []
    wl = wl.assign(_place=wl["county"].where(wl["level"] != "city", data.city_label).astype("str"),
                   _action=[phrases.indicator(i).action for i in wl["indicator"]])
    out = []
    for place in list(dict.fromkeys(wl["_place"])):
        rows = wl.loc[wl["_place"] == place]
        parts = []
        for action in list(dict.fromkeys(rows["_action"])):
            family, ctx = group_context(data, place, action, rows.loc[rows["_action"] == action], lang)
            parts.append({"family": family, "ctx": ctx, "action": action})
        out.append({"place": place, "n": len(rows), "parts": parts,
                    "levels": rows["level"].value_counts().to_dict()})
    return out


def level_counts(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """How many weak links at each level (全市、县、乡镇、党支部), for the opening sentence of 三."""
    counts = data.weak_links["level"].value_counts()
    return [{"label": LEVEL_LABELS[lang][lv], "n": fmt.count(counts[lv], lang)}
            for lv in ("city", "county", "township", "branch") if lv in counts.index]
