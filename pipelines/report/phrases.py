"""One phrasing system: sentences about findings, actions and data-quality checks, in zh and en.

The judge layer stores codes and figures; this module formats the figures (pipelines/numbers.py,
with each finding's own decimals) and fills the Jinja macros of
``pipelines/templates/phrases.<lang>.j2`` only for the rows a document shows. The report, the Word
document and the feedback workbooks all phrase through here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
import pandas as pd

from pipelines import config
from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.domain.indicators import Indicator, load_indicators

GAP_UNITS = {"zh": {"share": "个百分点", "score": "分"}, "en": {"share": "percentage points", "score": "points"}}


@lru_cache(maxsize=4)
def _macros(lang: str) -> Any:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(config.TEMPLATES_DIR), autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return env.get_template(f"phrases.{lang}.j2").module


@lru_cache(maxsize=1)
def _indicators() -> dict[str, Indicator]:
    return {i.id: i for i in load_indicators()}


def county_name(name: Any, lang: str) -> str:
    """A county (or the city total) as a person reads it in ``lang``."""
    if fmt.is_missing(name):
        return ""
    name = str(name)
    if lang == "zh":
        return name
    if name == load.city_total_label():
        return load.counties()["city"].get("total_label_en", name)
    for c in load.counties()["counties"]:
        if c["name"] == name:
            return c.get("name_en", name)
    return name


def place(row: Any, lang: str) -> str:
    """County, township and branch of a finding's place, down to its level."""
    level = row["level"]
    parts = [county_name(row["county"], lang)] if level != "city" else [county_name(load.city_total_label(), lang)]
    if level in ("township", "branch") and not fmt.is_missing(row.get("township")):
        parts.append(str(row["township"]))
    if level == "branch" and not fmt.is_missing(row.get("branch")):
        parts.append(str(row["branch"]))
    return ("" if lang == "zh" else " / ").join(p for p in parts if p)


def _value(v: Any, unit: str, lang: str, digits: int) -> str | None:
    return None if fmt.is_missing(v) else fmt.value(v, unit, lang, digits)


def _gap(v: Any, unit: str, lang: str, digits: int) -> str | None:
    """A gap stored in display units (percentage points or points), printed with its unit."""
    if fmt.is_missing(v):
        return None
    text = fmt._decimals(float(v), digits)  # noqa: SLF001 - one decimal rule, shared
    return f"{text}{GAP_UNITS[lang][unit]}" if lang == "zh" else f"{text} {GAP_UNITS[lang][unit]}"


def finding_context(row: Any, lang: str) -> dict[str, Any]:
    """The figures and names a finding's sentence needs, formatted as printed."""
    ind = _indicators()[row["indicator"]]
    d = int(row["decimals"]) if not fmt.is_missing(row.get("decimals")) else 1
    count = row.get("outstanding")
    contributors = row.get("contributors")
    names = [str(c["name"]) if lang == "zh" else str(c["name"]) for c in (contributors if contributors is not None else [])]
    return {
        "level": row["level"], "rules": list(row["rules"]), "status": row["status"], "indicator": ind.id,
        "place": place(row, lang), "label": ind.label(lang), "period": fmt.day(row["period"], lang),
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
    """The sentence of one finding (a row of findings.parquet)."""
    return str(_macros(lang).finding(finding_context(row, lang))).strip()


def findings(frame: pd.DataFrame, lang: str = "zh") -> list[str]:
    return [finding(r, lang) for r in frame.to_dict("records")]


def action(row: Any, lang: str = "zh", lead: str = "") -> str:
    """The sentence of one grouped action (a row of actions.parquet)."""
    inds = _indicators()
    what_parts = [load.label(inds[i].flag, lang) for i in row["indicators"] if inds[i].flag]
    sep = "、" if lang == "zh" else ", "
    count = row.get("outstanding")
    lead_ind = inds[row["indicators"][0]]
    outstanding_text = None
    if not fmt.is_missing(count) and count:
        ctx = {"outstanding": fmt.count(count, lang), "indicator": lead_ind.id}
        outstanding_text = str(_macros(lang).outstanding(ctx))
    return str(_macros(lang).action({
        "kind": row.get("kind", "weak"), "scope": row["scope"], "action": row["action"], "lead": lead,
        "due": None if fmt.is_missing(row.get("due")) else fmt.day(row["due"], lang),
        "what": sep.join(what_parts) if what_parts else lead_ind.label(lang, short=True),
        "counties": [county_name(c, lang) for c in row["counties"]],
        "townships": [(county_name(t["county"], lang) + ("" if lang == "zh" else " ") + t["township"])
                      for t in (row["townships"] if row["townships"] is not None else [])][:4],
        "outstanding_text": outstanding_text,
    })).strip()


SHARE_CHECKS = {"completeness", "rejected_rows", "cumulative_fell", "uniform_values"}


def quality(row: Any, lang: str = "zh") -> str:
    """The sentence of one data-quality check (a row of data_quality.parquet)."""
    share = row["check"] in SHARE_CHECKS

    def show(v: Any) -> str:
        if fmt.is_missing(v):
            return "—"
        return fmt.pct(v, lang) if share else fmt._decimals(float(v), 1)  # noqa: SLF001

    return str(_macros(lang).quality({"place": county_name(row["county"], lang), "check": row["check"],
                                      "value": show(row["value"]), "threshold": show(row["threshold"])})).strip()
