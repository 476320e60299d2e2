"""The 汇报 as one structured model: every heading, sentence and table row a document shows, made
once from the judge layer's tables, so the HTML report and the Word document say the same thing
without re-deriving anything.

``report_model(data, lang, issuer=…, issue_date=…, addressee=…)`` returns plain dicts and lists
(JSON-able; a sentence is ``{"id": "<template>.<way>", "text": "…"}``, see phrases.Sentence)::

    {
      "lang": "zh", "city": "梅州市", "period": "2005年2月25日", "period_iso": "2005-02-25",
      "title": "梅州市先进性教育活动学习培训情况汇报", "subtitle": "（统计截至2005年2月25日）",
      "issuer": "…领导小组办公室", "date": "2005年2月25日", "addressee": None | "省委先进办：",
      "weak_count": 26,                      # = the weak links = the drill table's rows
      "caveats": [Sentence],                 # missing counties, unreadable files, rejected rows
      "page_one": {                          # prints as page 1
        "heading": "要　点",
        "headline": [Sentence],              # the office's headline figures
        "tiles": [{"id", "label", "value", "status", "status_label"}],   # key city figures
        "findings_intro": Sentence | None, "findings": [Sentence],       # ≤ 3, each naming townships
        "actions_intro": Sentence | None, "actions": [Sentence],         # ≤ 3
        "pointer": Sentence,
      },
      "body": {
        "opening": Sentence,
        "sections": [{"key": "overview" | "progress" | "weak" | "next" | "data",
                      "number": "一、", "heading": "总体情况",
                      "paragraphs": [[Sentence, …], …]}],   # a paragraph is its sentences in order
      },
      "signoff": {"issuer": "…", "date": "2005年2月25日"},
      "annexes": {"ranking": …, "counties": …, "drill": …, "figures": …},  # see those modules
    }

Reading order (page one, then the body's opening and sections) is the order the sentences were
said in: ``sentences(model)`` lists them so, and no two neighbours share a template (phrases.Flow).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
import yaml

from pipelines import config
from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.report import facts, phrases, places, weak
from pipelines.report.palette import STATUS_LABELS
from pipelines.report.phrases import Flow, Sentence
from pipelines.report.tables import ReportData

NUMBERS = {"zh": ["一、", "二、", "三、", "四、", "五、", "六、"], "en": ["1. ", "2. ", "3. ", "4. ", "5. ", "6. "]}
TILES = ("report_rate", "studied_rate", "test_rate", "return_rate", "avg_score", "due_activities_rate",
         "special_reached_rate")
PAGE_ONE_ITEMS = 3
BODY_PLACES = 6  # places named one by one in 三; the rest are counted


@lru_cache(maxsize=1)
def texts() -> dict[str, Any]:
    """Headings and notes (pipelines/templates/sections.yaml)."""
    with open(config.TEMPLATES_DIR / "sections.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@lru_cache(maxsize=1)
def defaults() -> dict[str, Any]:
    """The sign-off's defaults (pipelines/params/report.yaml)."""
    with open(config.REPORT_PARAMS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _pick(value: Any, key: str, lang: str) -> Any:
    if value not in (None, ""):
        return value
    entry = defaults().get(key)
    return entry.get(lang) if isinstance(entry, dict) else entry


def signoff(data: ReportData, lang: str, issuer: str | None, issue_date: str | None,
            addressee: str | None) -> dict[str, Any]:
    """落款: the issuing office and the date (parameters, else report.yaml, else the period's date)."""
    date = _pick(issue_date, "issue_date", lang)
    when = pd.Timestamp(date) if date else data.period
    return {"issuer": _pick(issuer, "issuer", lang), "date": fmt.day(when, lang),
            "addressee": _pick(addressee, "addressee", lang)}


def tiles(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """The city's key figures with their status (page one)."""
    out = []
    for ind_id in TILES:
        row = data.status_row(data.city_label, ind_id)
        if row is None or fmt.is_missing(row["value"]):
            continue
        spec = data.spec(ind_id)
        label = spec["short_zh"] if lang == "zh" else spec["short_en"]
        value = data.figure(data.city_label, ind_id, lang=lang)
        if spec["unit"] == "score" and lang != "zh":
            value = value.replace(" points", "")  # the tile's label says what it is
        out.append({"id": ind_id, "label": label, "value": value,
                    "status": row["status"], "status_label": STATUS_LABELS[row["status"]][lang]})
    return out


def _page_one(data: ReportData, lang: str, flow: Flow, caveat_sentences: list[Sentence],
              groups: list[dict[str, Any]], headline: dict[str, Any] | None) -> dict[str, Any]:
    head = list(caveat_sentences)
    if headline:
        head.append(flow.say("headline", headline))
    act = facts.activities(data, lang)
    if act:
        head.append(flow.say("activities", act))
    found = []
    for i, g in enumerate(groups[:PAGE_ONE_ITEMS]):
        part = g["parts"][0]
        found.append(flow.say(part["family"], {**part["ctx"], "ord": phrases.ordinal(i, lang), "brief": True,
                                               "also": False}))
    intro = None
    if found:
        intro = flow.say("one_intro", {"n": len(found), "n_word": phrases.number_word(len(found), lang)})
    else:
        intro = flow.say("one_clear", {})
    rows = data.actions.head(PAGE_ONE_ITEMS).to_dict("records")
    acts_intro = flow.say("one_actions_intro", {"n": len(rows), "n_word": phrases.number_word(len(rows), lang)}) if rows else None
    acts = [flow.say("brief_action", phrases.action_context(r, lang, i, data.findings)) for i, r in enumerate(rows)]
    return {"heading": texts()["page_one"][lang], "headline": head, "tiles": tiles(data, lang),
            "findings_intro": intro, "findings": found, "actions_intro": acts_intro, "actions": acts,
            "pointer": flow.say("one_pointer", {})}


def _weak_section(data: ReportData, lang: str, flow: Flow, groups: list[dict[str, Any]]) -> list[list[Sentence]]:
    if not groups:
        return [[flow.say("weak_none", {})]]
    paragraphs = [[flow.say("weak_intro", {"total": fmt.count(len(data.weak_links), lang),
                                           "levels": weak.level_counts(data, lang)})]]
    for i, g in enumerate(groups[:BODY_PLACES]):
        para = []
        for k, part in enumerate(g["parts"]):
            ctx = {**part["ctx"], "ord": phrases.ordinal(i, lang) if k == 0 else "", "also": k > 0}
            if k > 0:
                ctx["county"] = "该县" if lang == "zh" else "It"
            para.append(flow.say(part["family"], ctx))
        paragraphs.append(para)
    rest = groups[BODY_PLACES:]
    paragraphs.append([flow.say("weak_pointer", {
        "rest": fmt.count(sum(g["n"] for g in rest), lang) if rest else None,
        "rest_counties": [places.county(g["place"], lang) for g in rest]})])
    return paragraphs


def _progress_section(data: ReportData, lang: str, flow: Flow) -> list[list[Sentence]] | None:
    p = facts.progress(data, lang)
    if p is None:
        return None
    said: list[Sentence] = []
    if p["new_branches"] or p["new_studied"]:
        said.append(flow.say("progress_counts", p))
    rose = p["rose"]
    if rose:
        said.append(flow.say("progress_lead", {**rose[0], "by": rose[0]["by"] + phrases.GAP_UNITS[lang]["share"]}))
    if len(rose) > 1:
        more = rose[1:4]
        said.append(flow.say("progress_more", {"entries": more, "by": [i["by"] for i in more],
                                               "unit": phrases.GAP_UNITS[lang]["share"]}))
    if p["fell"]:
        said.append(flow.say("progress_fell", {"entries": p["fell"]}))
    if not said:
        said.append(flow.say("progress_none", p))
    return [said]


def _next_section(data: ReportData, lang: str, flow: Flow) -> list[list[Sentence]] | None:
    rows = data.actions.to_dict("records")
    if not rows:
        return None
    out = [[flow.say("next_intro", {})]]
    for i, r in enumerate(rows):
        out.append([flow.say("action", phrases.action_context(r, lang, i, data.findings))])
    return out


def _data_section(data: ReportData, lang: str, flow: Flow, caveat_sentences: list[Sentence]) -> list[list[Sentence]]:
    notes = facts.data_notes(data, lang)
    first = [flow.say("data_scope", notes)]
    first += [flow.say("caveat_rejected", ctx) for family, ctx in facts.caveats(data, lang) if family == "caveat_rejected"]
    first.append(flow.say("data_checks", notes))
    paragraphs = [first]
    missing = [s for s in caveat_sentences if not s["id"].startswith("caveat_rejected")]
    if missing:
        paragraphs.append(missing)
    paragraphs.append([flow.say("data_terms", {})])
    return paragraphs


def report_model(data: ReportData, lang: str | None = None, *, issuer: str | None = None,
                 issue_date: str | None = None, addressee: str | None = None,
                 annexes: bool = True) -> dict[str, Any]:
    """The whole 汇报 (see the module docstring for its shape)."""
    lang = lang or data.language
    t = texts()
    city = load.counties()["city"]
    city_name = city["name"] if lang == "zh" else city.get("name_en", city["name"])
    period = fmt.day(data.period, lang)
    flow = Flow(lang)
    caveat_pairs = facts.caveats(data, lang)
    caveat_sentences = [flow.say(family, ctx) for family, ctx in caveat_pairs]
    groups = weak.groups(data, lang)
    headline = facts.headline(data, lang)
    page_one = _page_one(data, lang, flow, caveat_sentences, groups, headline)

    sections: list[dict[str, Any]] = []
    overview: list[Sentence] = []
    if headline:
        overview.append(flow.say("headline", headline))
    for family, ctx in (("study", facts.study(data, lang)), ("activities", facts.activities(data, lang)),
                        ("special_plans", facts.special_plans(data, lang))):
        if ctx:
            overview.append(flow.say(family, ctx))
    body_plan = [("overview", [overview] if overview else None),
                 ("progress", _progress_section(data, lang, flow)),
                 ("weak", _weak_section(data, lang, flow, groups)),
                 ("next", _next_section(data, lang, flow)),
                 ("data", _data_section(data, lang, flow, [s for s in caveat_sentences]))]
    for key, paragraphs in body_plan:
        if not paragraphs:
            continue
        sections.append({"key": key, "number": NUMBERS[lang][len(sections)], "heading": t["sections"][key][lang],
                         "paragraphs": paragraphs})
    sign = signoff(data, lang, issuer, issue_date, addressee)
    model: dict[str, Any] = {
        "lang": lang, "city": city_name, "period": period, "period_iso": data.period.date().isoformat(),
        "title": t["title"][lang].format(city=city_name), "subtitle": t["subtitle"][lang].format(period=period),
        "issuer": sign["issuer"], "date": sign["date"], "addressee": sign["addressee"],
        "weak_count": int(len(data.weak_links)),
        "caveats": caveat_sentences,
        "page_one": page_one,
        "body": {"opening": {"id": "opening.0", "text": t["opening"][lang].format(period=period)},
                 "sections": sections},
        "signoff": {"issuer": sign["issuer"], "date": sign["date"]},
    }
    if annexes:
        from pipelines.report import annexes as annex

        model["annexes"] = annex.annexes(data, lang)
    return model


def sentences(model: dict[str, Any]) -> list[Sentence]:
    """The narrative's sentences in reading order: page one, then the body."""
    p = model["page_one"]
    out: list[Sentence] = [*p["headline"]]
    out += [s for s in (p["findings_intro"],) if s] + p["findings"]
    out += [s for s in (p["actions_intro"],) if s] + p["actions"] + [p["pointer"]]
    out.append(model["body"]["opening"])
    for section in model["body"]["sections"]:
        for paragraph in section["paragraphs"]:
            out += paragraph
    return out


def page_one_sentences(model: dict[str, Any]) -> list[str]:
    """The texts of the first page, in order (what the sample's test pins)."""
    p = model["page_one"]
    said = [*p["headline"], *([p["findings_intro"]] if p["findings_intro"] else []), *p["findings"],
            *([p["actions_intro"]] if p["actions_intro"] else []), *p["actions"], p["pointer"]]
    return [s["text"] for s in said]
