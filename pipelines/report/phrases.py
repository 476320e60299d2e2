"""One phrasing system: every sentence a document says — findings, actions, data-quality checks and
the 汇报's own sentences — in zh and en.

The judge layer stores codes and figures; the report gathers the figures (formatted by
pipelines/numbers.py, each finding with its own decimals) and fills the Jinja macros of
``pipelines/templates/phrases.<lang>.j2``, only for the rows a document shows. Each macro is one
*template* (a kind of sentence) with one or more ways of saying it (``VARIANTS`` in the template);
``say`` picks, for each sentence, the first way that differs from the sentence before it, so the
汇报 never strings the same template twice in a row. A sentence comes back as
``{"id": "lag_activities.1", "text": "…"}``: the id names its template and way, so the Word
document, the tests and the HTML all see the same thing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypedDict

import jinja2
import pandas as pd

from pipelines import config
from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.domain.indicators import Indicator, load_indicators
from pipelines.report import places

GAP_UNITS = {"zh": {"share": "个百分点", "score": "分"}, "en": {"share": " points", "score": " points"}}
ORDINALS = {"zh": ["一是", "二是", "三是", "四是", "五是", "六是", "七是", "八是", "九是", "十是"],
            "en": ["First, ", "Second, ", "Third, ", "Fourth, ", "Fifth, ", "Sixth, ", "Seventh, ", "Eighth, ",
                   "Ninth, ", "Tenth, "]}
NUMBER_WORDS = {"zh": ["零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十"],
                "en": ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]}


class Sentence(TypedDict):
    """One sentence of a document: its template and way of saying it (``id``), and its text."""

    id: str
    text: str


def series(items: Any, lang: str = "zh") -> str:
    """Names or figures as a list: 甲、乙和丙 / A, B and C."""
    return fmt.join([str(i) for i in items if str(i)], lang)


def ordinal(n: int | None, lang: str) -> str:
    """一是, 二是 … / First, Second, … (``n`` from 0); empty for None."""
    if n is None:
        return ""
    words = ORDINALS[lang]
    return words[n] if n < len(words) else ("" if lang == "zh" else "Also, ")


def number_word(n: int, lang: str) -> str:
    return NUMBER_WORDS[lang][n] if 0 <= n < len(NUMBER_WORDS[lang]) else str(n)


@lru_cache(maxsize=4)
def _macros(lang: str) -> Any:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(config.TEMPLATES_DIR), autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["series"] = lambda items: series(items, lang)
    env.filters["upfirst"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    return env.get_template(f"phrases.{lang}.j2").module


def variants(family: str, lang: str) -> int:
    """How many ways the template ``family`` has of saying its sentence."""
    return int(_macros(lang).VARIANTS.get(family, 1))


def say(family: str, ctx: dict[str, Any], lang: str, prev: str | None = None) -> Sentence:
    """The sentence of template ``family`` for ``ctx``, in the first way whose id differs from ``prev``
    (the id of the sentence before it)."""
    n = variants(family, lang)
    v = 0
    while v < n - 1 and f"{family}.{v}" == prev:
        v += 1
    text = str(getattr(_macros(lang), family)({**ctx, "v": v})).strip()
    return {"id": f"{family}.{v}", "text": text}


class Flow:
    """Sentences said in reading order: each one knows the one before it (``say``'s ``prev``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.last: str | None = None

    def say(self, family: str, ctx: dict[str, Any]) -> Sentence:
        s = say(family, ctx, self.lang, self.last)
        self.last = s["id"]
        return s


@lru_cache(maxsize=1)
def _indicators() -> dict[str, Indicator]:
    return {i.id: i for i in load_indicators()}


def indicator(indicator_id: str) -> Indicator:
    return _indicators()[indicator_id]


county_name = places.county
place = places.place


def _value(v: Any, unit: str, lang: str, digits: int) -> str | None:
    return None if fmt.is_missing(v) else fmt.value(v, unit, lang, digits)


def gap_number(v: Any, digits: int) -> str | None:
    """A gap stored in display units (percentage points or points), without its unit."""
    if fmt.is_missing(v):
        return None
    return fmt._decimals(float(v), digits)  # noqa: SLF001 - the one decimal rule, shared


def _gap(v: Any, unit: str, lang: str, digits: int) -> str | None:
    """A gap stored in display units, printed with its unit (12.1个百分点 / 12.1 points)."""
    text = gap_number(v, digits)
    return None if text is None else f"{text}{GAP_UNITS[lang][unit]}"


def part_of_month(day: Any, lang: str) -> str | None:
    """A projected date in the words a report uses for it: 6月下旬 / late June."""
    if fmt.is_missing(day):
        return None
    d = pd.Timestamp(day)
    part = 0 if d.day <= 10 else (1 if d.day <= 20 else 2)
    if lang == "zh":
        return f"{d.month}月{['上旬', '中旬', '下旬'][part]}"
    return f"{['early', 'mid-', 'late'][part]}{'' if part == 1 else ' '}{d.strftime('%B')}"


def decimals(row: Any) -> int:
    return int(row["decimals"]) if not fmt.is_missing(row.get("decimals")) else 1


def finding_context(row: Any, lang: str) -> dict[str, Any]:
    """The figures and names a finding's sentence needs, formatted as printed."""
    ind = indicator(row["indicator"])
    d = decimals(row)
    count = row.get("outstanding")
    contributors = row.get("contributors")
    names = [places.township(c["name"], lang) if row["level"] == "county" else places.county(c["name"], lang)
             for c in (contributors if contributors is not None else [])]
    return {
        "level": row["level"], "rules": list(row["rules"]), "status": row["status"], "indicator": ind.id,
        "place": places.place(row, lang), "label": ind.label(lang), "short": ind.label(lang, short=True),
        "period": fmt.day(row["period"], lang),
        "value": _value(row.get("value"), ind.unit, lang, d), "target": _value(row.get("target"), ind.unit, lang, d),
        "city": _value(row.get("city_value"), ind.unit, lang, d),
        "gap_city": _gap(row.get("gap_city"), ind.unit, lang, d), "gap_target": _gap(row.get("gap_target"), ind.unit, lang, d),
        "outstanding": None if fmt.is_missing(count) else fmt.count(count, lang),
        "members": None if fmt.is_missing(row.get("members_affected")) or not row.get("members_affected")
        else fmt.count(row["members_affected"], lang),
        "contributors": names,
        "due": None if fmt.is_missing(row.get("due")) else fmt.day(row["due"], lang),
        "projected": None if fmt.is_missing(row.get("projected")) else fmt.day(row["projected"], lang),
        "late": not fmt.is_missing(row.get("projected")) and not fmt.is_missing(row.get("due"))
        and pd.Timestamp(row["projected"]) > pd.Timestamp(row["due"]),
        "previous_value": _value(row.get("previous_value"), ind.unit, lang, d),
        "counties_short": None if fmt.is_missing(row.get("counties_short")) else int(row["counties_short"]),
        "counties_n": None if fmt.is_missing(row.get("counties_n")) else int(row["counties_n"]),
        "first_missed": None if fmt.is_missing(row.get("first_missed")) else fmt.day(row["first_missed"], lang),
        "periods_missed": None if fmt.is_missing(row.get("periods_missed")) else int(row["periods_missed"]),
    }


def finding(row: Any, lang: str = "zh") -> str:
    """The sentence of one finding (a row of findings.parquet), as the tables and checklists show it."""
    return str(_macros(lang).finding(finding_context(row, lang))).strip()


def findings(frame: pd.DataFrame, lang: str = "zh") -> list[str]:
    return [finding(r, lang) for r in frame.to_dict("records")]


def outstanding_text(indicator_id: str, count: Any, lang: str) -> str | None:
    """「尚有60个党支部未落实党组织负责人上党课」: a shortfall in its count unit, in words."""
    if fmt.is_missing(count) or not count:
        return None
    return str(_macros(lang).outstanding({"outstanding": fmt.count(count, lang), "indicator": indicator_id}))


def _names(values: Any) -> list[Any]:
    return list(values) if values is not None else []


def action_context(row: Any, lang: str, n: int | None = None, findings: pd.DataFrame | None = None) -> dict[str, Any]:
    """What an action's sentence needs (a row of actions.parquet): the activities to hold, the
    counties it names with their own counts (from their findings), the townships by county, and for a
    scheduled action the date the city is projected to finish (from the city's finding)."""
    inds = [indicator(i) for i in row["indicators"]]
    lead = inds[0]
    flagged = [i for i in inds if i.flag]
    flags = [i.flag for i in inds if i.flag]
    meetings = [load.label(f, lang) for f in flags if f != "party_lectures"]
    count = row.get("outstanding")
    counties = [str(c) for c in _names(row["counties"])]
    county_counts, projected, late = [], None, False
    if findings is not None and len(findings):
        f = findings
        for c in counties:
            hit = f.loc[(f["level"] == "county") & (f["county"] == c) & (f["indicator"] == lead.id)]
            if len(hit) and not fmt.is_missing(hit.iloc[0]["outstanding"]) and lead.count_unit != "points":
                county_counts.append(_county_count(c, hit.iloc[0]["outstanding"], lead, lang))
        city = f.loc[(f["level"] == "city") & (f["indicator"] == lead.id) & (f["status"] == "scheduled")]
        if len(city) and not fmt.is_missing(city.iloc[0]["projected"]):
            projected = part_of_month(city.iloc[0]["projected"], lang)
            late = not fmt.is_missing(city.iloc[0]["due"]) and city.iloc[0]["projected"] > city.iloc[0]["due"]
    towns = [(str(t["county"]), str(t["township"])) for t in _names(row["townships"])]
    what = series([load.label(f, lang) for f in flags], lang) if flags else lead.label(lang, short=True)
    return {
        "ord": ordinal(n, lang), "kind": row.get("kind", "weak"), "scope": row["scope"], "action": row["action"],
        "what": what, "meetings": meetings, "lecture": "party_lectures" in flags,
        "ids": [i.id for i in flagged] or [lead.id],
        "meeting_ids": [i.id for i in flagged if i.flag != "party_lectures"],
        "counties": [places.county(c, lang, prose=True) for c in counties], "county_counts": county_counts,
        "towns": _towns_by_county(towns, lang), "towns_brief": _towns_brief(towns, lang),
        "count": None if fmt.is_missing(count) else fmt.count(count, lang),
        "outstanding_text": outstanding_text(lead.id, count, lang),
        "outstanding_short": _outstanding_short(lead, count, lang),
        "due": None if fmt.is_missing(row.get("due")) else fmt.day(row["due"], lang),
        "due_short": None if fmt.is_missing(row.get("due")) else _day_in_year(row["due"], row["period"], lang),
        "projected": projected, "late": late,
    }


def _day_in_year(day: Any, period: Any, lang: str) -> str:
    """A date within the report's year without its year (3月4日 / 4 March), with it otherwise."""
    d = pd.Timestamp(day)
    if d.year != pd.Timestamp(period).year:
        return fmt.day(d, lang)
    return fmt.short_day(d, lang) if lang == "zh" else f"{d.day} {d.strftime('%B')}"


def _county_count(county: str, count: Any, ind: Indicator, lang: str) -> str:
    if lang == "zh":
        word = {"branches": "个", "members": "名", "sheets": "份"}[ind.count_unit]
        return f"{county}{fmt.count(count, lang)}{word}"
    return f"{fmt.count(count, lang)} in {places.county(county, lang, prose=True)}"


def _outstanding_short(ind: Indicator, count: Any, lang: str) -> str | None:
    """The shortfall without the activity's name, for a sentence that has just named it."""
    if fmt.is_missing(count) or not count:
        return None
    n = fmt.count(count, lang)
    if lang == "zh":
        return f"尚有{n}个党支部未召开" if ind.count_unit == "branches" else outstanding_text(ind.id, count, lang)
    return f"{n} branches have yet to hold one" if ind.count_unit == "branches" else outstanding_text(ind.id, count, lang)


def _towns_by_county(towns: list[tuple[str, str]], lang: str) -> str:
    """大埔县光德镇、青溪镇和市直机关工委: townships grouped under their county, the county named
    once (and not at all for the city-level units, whose departments are named as they are)."""
    groups: dict[str, list[str]] = {}
    for county, town in towns:
        groups.setdefault(county, []).append(places.township(town, lang))
    parts = []
    for county, names in groups.items():
        if lang == "zh":
            head = "" if places.is_city_units(county) else county
            parts.append(head + "、".join(names))
        else:
            parts.append(f"{series(names, lang)} in {places.county(county, lang, prose=True)}")
    return series(parts, lang) if lang == "zh" else "; ".join(parts)


def _towns_brief(towns: list[tuple[str, str]], lang: str, most: int = 2) -> str:
    """光德镇、青溪镇等5个乡镇（部门）: the first townships and how many in all."""
    if not towns:
        return ""
    names = [places.township(t, lang) for _, t in towns[:most]]
    if len(towns) <= most:
        return series(names, lang)
    if lang == "zh":
        return "、".join(names) + f"等{len(towns)}个乡镇（街道、部门）"
    return ", ".join(names) + f" and {len(towns) - most} other townships"


def action(row: Any, lang: str = "zh", findings: pd.DataFrame | None = None) -> str:
    """The sentence of one grouped action (a row of actions.parquet), without an ordinal."""
    return say("action", action_context(row, lang, None, findings), lang)["text"]


SHARE_CHECKS = {"completeness", "rejected_rows", "cumulative_fell", "uniform_values"}


def quality(row: Any, lang: str = "zh") -> str:
    """The sentence of one data-quality check (a row of data_quality.parquet)."""
    share = row["check"] in SHARE_CHECKS

    def show(v: Any) -> str:
        if fmt.is_missing(v):
            return "—"
        return fmt.pct(v, lang) if share else fmt._decimals(float(v), 1)  # noqa: SLF001

    return str(_macros(lang).quality({"place": places.county(row["county"], lang), "check": row["check"],
                                      "value": show(row["value"]), "threshold": show(row["threshold"])})).strip()
