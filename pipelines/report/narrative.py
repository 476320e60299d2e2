"""The report's HTML, laid out from the model (pipelines/report/model.py): page one, the 汇报 with its
落款, and the annexes (ranking table, status grid, county checklists, weak-link table).

Nothing is worded here: sentences come from the phrases (through the model), labels from
terms.yaml, headings from sections.yaml. Jinja2 autoescapes, so a branch named ``<script>`` reads as
text. ``render(data)`` gives page one and the 汇报 (what the notebook's first cells show).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from pipelines import config
from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.report import annexes, places
from pipelines.report.model import report_model
from pipelines.report.palette import STATUS_LABELS, STATUS_ORDER, status_bar, status_style
from pipelines.report.tables import ReportData


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(config.TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.globals["style"] = status_style
    env.globals["bar"] = status_bar
    return env


def _words(lang: str) -> dict[str, str]:
    return {k: v[lang] for k, v in load.terms()["report"].items()}


def _macros(lang: str) -> Any:
    words = _words(lang)
    return _env().get_template("report.html.j2").make_module({
        "lang": lang, "lang_code": "zh-CN" if lang == "zh" else "en",
        "labels": {"county": words["unit"], "township": words["township"], "branch": words["branch"]},
        "words": words,
        "rank_word": lambda n: words["rank_of"].format(n=n),
        "count_word": lambda n: words["weak_count"].format(n=fmt.count(n, lang)),
        "critical_word": lambda n: words["critical"].format(n=fmt.count(n, lang)),
    })


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (inside <style>, where HTML escaping does not apply)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ") + '"'


def page_margins(model: dict[str, Any]) -> Markup:
    """The printed page's margin boxes: the report's title and date at the top of every page, the
    page number as 「— 1 —」 at the bottom, right on odd pages and left on even ones (GB/T 9704)."""
    head = _css_string(model["title"])
    date = _css_string(model["subtitle"].strip("（）()"))
    box = "font-family: 'Noto Sans CJK SC', sans-serif; font-size: 8.5pt; color: #666;"
    number = "font-family: 'Noto Serif CJK SC', serif; font-size: 11pt; color: #000;"
    return Markup(
        "<style>@page { @top-left { content: " + head + "; " + box + " } "
        "@top-right { content: " + date + "; " + box + " } } "
        "@page :right { @bottom-right { content: '— ' counter(page) ' —'; margin-right: 1em; " + number + " } } "
        "@page :left { @bottom-left { content: '— ' counter(page) ' —'; margin-left: 1em; " + number + " } }</style>")


def page_one(model: dict[str, Any]) -> Markup:
    return Markup(page_margins(model) + _macros(model["lang"]).page_one(model))


def body(model: dict[str, Any]) -> Markup:
    return Markup(_macros(model["lang"]).body(model))


def ranking(model: dict[str, Any]) -> Markup:
    return Markup(_macros(model["lang"]).ranking(model["annexes"]["ranking"]))


def checklists(model: dict[str, Any]) -> Markup:
    """The county checklists, one per page, under the annex's heading."""
    m = _macros(model["lang"])
    c = model["annexes"]["counties"]
    parts = [str(m.annex_heading(c, "rwb-checklists-head"))] + [str(m.checklist(pg, model)) for pg in c["pages"]]
    return Markup("".join(parts))


def drill(model: dict[str, Any]) -> Markup:
    return Markup(_macros(model["lang"]).drill(model["annexes"]["drill"]))


def status_grid(data: ReportData, model: dict[str, Any]) -> Markup:
    """Figure 1: every unit × every indicator on which they differ, shaded by its status."""
    lang = model["lang"]
    same = set(model["annexes"]["figures"]["same"])
    specs = [s for s in data.judged if s["id"] not in same]
    units = [*data.county_now()["county"].astype(str), data.city_label]
    rows = []
    for unit in units:
        cells = []
        for s in specs:
            st = data.status_of(unit, s["id"])
            row = data.status_row(unit, s["id"])
            value = data.figure(unit, s["id"], lang=lang)
            target = fmt.value(row["target"], s["unit"], lang) if row is not None else ""
            cells.append({"status": st, "value": value, "target": target,
                          "title": f"{places.county(unit, lang)} · {s['zh'] if lang == 'zh' else s['en']} {value} · "
                                   f"{STATUS_LABELS[st][lang]}"})
        rows.append({"label": places.county(unit, lang), "is_city": unit == data.city_label, "cells": cells})
    columns = [{"label": s["short_zh"] if lang == "zh" else s["short_en"]} for s in specs]
    key = [{"status": k, "label": STATUS_LABELS[k][lang]} for k in STATUS_ORDER]
    return Markup(_macros(lang).grid({"columns": columns, "rows": rows, "key": key}))


def heading(key: str, lang: str, cls: str = "", **fill: Any) -> Markup:
    """A heading and its note (sections.yaml) above a figure or an annex."""
    return Markup(_macros(lang).annex_heading(annexes.heading(key, lang, **fill), cls))


def line(sentence: dict[str, str] | None, cls: str = "rwb-note") -> Markup:
    """One sentence as a paragraph (e.g. the line that replaces a chart whose units are all equal)."""
    if not sentence:
        return Markup("")
    return Markup('<p class="{}">{}</p>').format(cls, _macros("zh").say(sentence))


def map_caption(data: ReportData, indicator: str, lang: str) -> Markup:
    """The line under the map naming the indicator it opens on (on paper, where the menu is hidden)."""
    from pipelines.report import maps

    return Markup('<p class="rwb-map-caption">{}</p>').format(maps.caption(data, indicator, lang))


def download_words(lang: str) -> tuple[str, str]:
    """The download link's label and the words before it (sections.yaml)."""
    title, note = annexes.texts()["downloads"][lang]
    return title, note


def files_line(html_path: Path, files: Sequence[Path], lang: str) -> Markup:
    """The "下载" line at the top of the page (screen only): relative links to the files beside the
    report — the 汇报 in Word, the tables in Excel, each county's feedback workbook (feedback/<county>.xlsx)."""
    w = annexes.texts()["files"][lang]
    folder = Path(html_path).parent
    main: list[Markup] = []
    counties: list[Markup] = []
    for f in files:
        href = urllib.parse.quote(Path(os.path.relpath(f, folder)).as_posix())
        if f.suffix == ".docx":
            main.insert(0, Markup('<a href="{}">{}</a>').format(href, w["docx"]))
        elif f.suffix == ".xlsx" and f.parent.resolve() == folder.resolve():
            main.append(Markup('<a href="{}">{}</a>').format(href, w["xlsx"]))
        else:
            counties.append(Markup('<a href="{}">{}</a>').format(href, places.county(f.stem, lang)))
    parts = list(main)
    if counties:
        parts.append(Markup("{}{}").format(w["feedback"], Markup(w["sep"]).join(counties)))
    return Markup('<p class="rwb-download rwb-files">{}{}</p>').format(w["label"], Markup(" · ").join(parts))


def render(data: ReportData, lang: str | None = None, **signoff: Any) -> Markup:
    """Page one and the 汇报 as escaped HTML (the notebook shows them; tests read them)."""
    lang = lang or data.language
    model = report_model(data, lang, annexes=False, **signoff)
    return Markup(page_one(model) + body(model))
