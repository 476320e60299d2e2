"""One checklist (督导清单) per county, for the 督导组 that visits it: its figures against the city, its
weak links, and the townships and branches still missing each activity or a return, with counts.

Shape of a page::

    {"county", "label", "heading", "figures": [{"id", "label", "value", "city", "status", "status_label",
                                                "rank", "arrow", "change"}],
     "equal": Sentence | None, "all_clear": Sentence | None, "findings": [str],
     "columns": [{"id", "label", "due"}], "towns": [{"name", "counts": [int | ""], "total"}],
     "branches": [{"town", "entries": [{"branch", "missing": [label]}]}],
     "scheduled": [Sentence], "not_reported": [{"town", "branches": [name]}]}

Figures and verdicts are the judge's; the branches lacking an activity come from lacking.py.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.report import annexes as annex
from pipelines.report import lacking as lacking_mod
from pipelines.report import phrases, places
from pipelines.report.palette import STATUS_LABELS
from pipelines.report.phrases import Flow
from pipelines.report.tables import ReportData

HEADINGS = {"zh": "{county}督导清单", "en": "Checklist: {county}"}
NOT_REPORTED = {"zh": "未上报", "en": "No return"}


def _figures(data: ReportData, county: str, lang: str, same: set[str]) -> list[dict[str, Any]]:
    r = data.ranking
    out = []
    for spec in data.judged:
        i = spec["id"]
        if i in same:
            continue
        rec = r.loc[(r["county"] == county) & (r["indicator"] == i)] if len(r) else r
        rec = rec.iloc[0].to_dict() if len(rec) else {}
        arrow, size = annex._change({**rec, "indicator": i}, lang) if rec else ("", "")  # noqa: SLF001
        status = data.status_of(county, i)
        out.append({"id": i, "label": spec["zh"] if lang == "zh" else spec["en"],
                    "value": data.figure(county, i, lang=lang), "city": data.figure(data.city_label, i, lang=lang),
                    "status": status, "status_label": STATUS_LABELS[status][lang],
                    "rank": "" if fmt.is_missing(rec.get("rank")) else f"{int(rec['rank'])}/{int(rec['ranked'])}",
                    "arrow": arrow, "change": size})
    return out


def _findings(data: ReportData, county: str, lang: str) -> list[str]:
    """The county's weak links: its own in sentences, its townships' as one line per indicator (a list
    of places and figures, not a chain of identical sentences), its branches' in sentences."""
    wl = data.weak_links
    wl = wl.loc[(wl["county"] == county) & (wl["level"] != "city")]
    out = [phrases.finding(r, lang) for r in wl.loc[wl["level"] == "county"].to_dict("records")]
    towns = wl.loc[wl["level"] == "township"]
    for ind_id in dict.fromkeys(towns["indicator"]):
        rows = towns.loc[towns["indicator"] == ind_id].to_dict("records")
        ind = phrases.indicator(ind_id)
        out.append(phrases.say("county_towns", {
            "id": ind_id, "label": ind.label(lang), "n": len(rows),
            "city": fmt.value(rows[0]["city_value"], ind.unit, lang, phrases.decimals(rows[0])),
            "towns": [{"name": places.township(r["township"], lang),
                       "value": fmt.value(r["value"], ind.unit, lang, phrases.decimals(r))} for r in rows]}, lang)["text"])
    out += [phrases.finding(r, lang) for r in wl.loc[wl["level"] == "branch"].to_dict("records")]
    return out


def _missing(data: ReportData, county: str, lang: str, lack: pd.DataFrame,
             silent: pd.DataFrame) -> dict[str, Any]:
    acts = lacking_mod.activity_indicators()
    due = [i for i in acts if data.status_of(county, i.id) != "scheduled"]
    later = [i for i in acts if data.status_of(county, i.id) == "scheduled"]
    lack = lack.loc[lack["county"] == county]
    silent = silent.loc[silent["county"] == county]
    held_by_all = {i.id for i in acts} - set(lack["indicator"])  # columns nobody lacks say nothing
    columns = [{"id": i.id, "label": i.label(lang, short=True), "due": True} for i in due if i.id not in held_by_all]
    columns += [{"id": i.id, "label": i.label(lang, short=True), "due": False} for i in later if i.id not in held_by_all]
    counts = lack.groupby(["township", "indicator"]).size()
    no_return = silent.groupby("township").size()
    towns = []
    for town in sorted(set(lack["township"].dropna().astype(str)) | set(no_return.index.astype(str))):
        cells = [int(counts.get((town, c["id"]), 0)) or "" for c in columns]
        n_due = sum(int(counts.get((town, i.id), 0)) for i in due)
        towns.append({"name": places.township(town, lang), "key": town, "counts": cells,
                      "no_return": int(no_return.get(town, 0)) or "", "total": n_due})
    towns.sort(key=lambda t: (-t["total"], -(t["no_return"] or 0), t["key"]))
    branches = []
    for town in [t["key"] for t in towns]:
        rows = lack.loc[(lack["township"] == town) & lack["indicator"].isin([i.id for i in due])]
        if rows.empty:
            continue
        items = []
        for branch, g in rows.groupby("branch", sort=True):
            items.append({"branch": places.branch(branch, lang),
                          "missing": [phrases.indicator(i).label(lang, short=True) for i in g["indicator"]]})
        branches.append({"town": places.township(town, lang), "entries": items})
    flow = Flow(lang)
    scheduled = []
    for ind in later:
        n = int((lack["indicator"] == ind.id).sum())
        if n:
            row = data.status_row(county, ind.id)
            scheduled.append(flow.say("county_missing", {
                "id": ind.id, "label": load.label(ind.flag, lang) if ind.flag else ind.label(lang),
                "county": places.county(county, lang, prose=True),
                "n": fmt.count(n, lang), "due": None if row is None or fmt.is_missing(row["due"]) else
                fmt.day(row["due"], lang)}))
    not_reported = [{"town": places.township(t, lang), "branches": [places.branch(b, lang) for b in g["branch"]]}
                    for t, g in silent.groupby("township", sort=True)]
    return {"columns": columns, "towns": towns, "branches": branches, "scheduled": scheduled,
            "not_reported": not_reported, "no_return_label": NOT_REPORTED[lang]}


def pages(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """One checklist per county (and the city-level units), in the canonical order."""
    same = set(annex.figures_plan(data, lang)["same"])
    lack = lacking_mod.lacking(data)
    silent = lacking_mod.not_reported(data)
    out = []
    for county in data.county_now()["county"].astype("str"):
        findings = _findings(data, county, lang)
        label = places.county(county, lang)
        clear = None if findings else phrases.say("county_clear", {"county": places.county(county, lang, prose=True)}, lang)
        out.append({"county": county, "label": label, "heading": HEADINGS[lang].format(county=label),
                    "figures": _figures(data, county, lang, same), "findings": findings, "all_clear": clear,
                    **_missing(data, county, lang, lack, silent)})
    return out
