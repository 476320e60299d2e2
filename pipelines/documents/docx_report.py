"""The 汇报 as a Word document, laid out from the report model (pipelines/report/model.py) — the very
dict the HTML report is rendered from, so the two say the same thing in the same order.

Nothing is worded or judged here: every sentence is a model sentence, every heading and label comes
from sections.yaml or terms.yaml through the model, and the order is the HTML's — page one (要点)
on a page of its own, then the 汇报 (title, 统计截至, 主送机关, the opening, the sections 一、二、三…
with 下一步工作 and 数据说明), the 落款, then the annexes (pipelines/documents/docx_annexes.py).
Styles and the low-level edits live in docx_style.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import docx
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from pipelines.documents import docx_annexes, docx_style, docx_table
from pipelines.documents.docx_style import ADDRESSEE, SIGNOFF, SUMMARY, TABLE_HEAD, TABLE_SMALL, TABLE_TEXT, Layout
from pipelines.documents.layout import text_width
from pipelines.report.palette import STATUS_COLOURS, STATUS_TEXT

Sentence = dict[str, str]
SIGNOFF_DATE_IN = 4   # the date ends four characters in from the right edge (gongwen.md)
SIGNOFF_MIN_IN = 2    # the issuer never closer than two characters to it


def joined(sentences: Sequence[Sentence], lang: str) -> str:
    """A paragraph's sentences as one text (Chinese runs on; English takes a space)."""
    return ("" if lang == "zh" else " ").join(s["text"] for s in sentences)


def paragraph(doc: Document, text: str, style: str | None = None, *, keep_next: bool = False) -> Any:
    p = docx_style.para(doc, text, style)
    if keep_next:
        p.paragraph_format.keep_with_next = True
    return p


def heading(doc: Document, text: str, level: int, *, centre: bool = False) -> Any:
    """A real Word heading (Heading 1–3: the navigation pane lists it)."""
    p = docx_style.heading(doc, text, level)
    if centre:
        p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
    return p


def masthead(doc: Document, model: dict[str, Any], *, new_page: bool = False) -> None:
    """标题 and 统计截至 (the title is the document's, not a heading: it names the whole)."""
    docx_style.para(doc, model["title"], "Title").paragraph_format.page_break_before = new_page
    docx_style.para(doc, model["subtitle"], "Subtitle")


def page_one(doc: Document, model: dict[str, Any], lay: Layout) -> None:
    """要点: the caveats, the headline figures, the key figures, the findings (一是…), the actions and
    where to read on — set a size smaller than the 汇报 so that it stays one page."""
    lang, p = model["lang"], model["page_one"]
    masthead(doc, model)
    heading(doc, p["heading"], 1, centre=True)
    for s in model["caveats"]:
        paragraph(doc, s["text"], SUMMARY).runs[0].bold = True
    said = [s for s in p["headline"] if s not in model["caveats"]]
    if said:
        paragraph(doc, joined(said, lang), SUMMARY).paragraph_format.space_after = Pt(6)
    if p["tiles"]:
        tiles(doc, p["tiles"], lay)
    if p["findings_intro"]:  # the turns are bold, as on the HTML page
        paragraph(doc, p["findings_intro"]["text"], SUMMARY, keep_next=True).runs[0].bold = True
    for s in p["findings"]:
        paragraph(doc, s["text"], SUMMARY)
    if p["actions_intro"]:
        paragraph(doc, p["actions_intro"]["text"], SUMMARY, keep_next=True).runs[0].bold = True
    for s in p["actions"]:
        paragraph(doc, s["text"], SUMMARY)
    paragraph(doc, p["pointer"]["text"], SUMMARY)


def tiles(doc: Document, items: list[dict[str, Any]], lay: Layout) -> None:
    """The city's key figures in one row: label, value (filled with its status colour), status."""
    width = docx_style.TEXT_WIDTH.mm / len(items)
    t = docx_table.table(doc, 3, [width] * len(items))
    for i, tile in enumerate(items):
        label, value, status = (t.rows[r].cells[i] for r in range(3))
        docx_table.cell_text(label, [(tile["label"], TABLE_HEAD)])
        docx_table.cell_text(value, [(tile["value"], TABLE_TEXT)], colour=STATUS_TEXT.get(tile["status"]))
        value.paragraphs[0].runs[0].font.size = Pt(lay.table + 2)
        value.paragraphs[0].runs[0].bold = True
        docx_table.shade(value, STATUS_COLOURS.get(tile["status"], STATUS_COLOURS["no_data"]))
        docx_table.cell_text(status, [(tile["status_label"], TABLE_SMALL)])
    for row in t.rows:
        docx_table.keep_row(row)
    docx_style.para(doc, "", TABLE_SMALL)  # air between the table and the text


def body(doc: Document, model: dict[str, Any]) -> None:
    """The 汇报: title, subtitle, 主送机关, opening, then each section's heading and paragraphs."""
    lang = model["lang"]
    masthead(doc, model, new_page=True)
    if model.get("addressee"):
        docx_style.para(doc, model["addressee"], ADDRESSEE)
    doc.add_paragraph(model["body"]["opening"]["text"])
    for section in model["body"]["sections"]:
        heading(doc, f"{section['number']}{section['heading']}", 1)
        for para in section["paragraphs"]:
            doc.add_paragraph(joined(para, lang))


def signoff(doc: Document, model: dict[str, Any], lay: Layout) -> None:
    """落款: the issuing office over the date, on the right; the date four characters in from the edge
    and the office centred over it (never closer than two characters), one empty line above."""
    sign = model["signoff"]
    last = doc.paragraphs[-1]
    last.paragraph_format.keep_with_next = True  # never the 落款 alone at the top of a page
    issuer = docx_style.para(doc, sign["issuer"], SIGNOFF)
    date = docx_style.para(doc, sign["date"], SIGNOFF)
    issuer.paragraph_format.space_before = Pt(lay.line)
    issuer.paragraph_format.keep_with_next = True
    if model["lang"] == "zh":
        date_chars = text_width(sign["date"]) / 2
        issuer_chars = text_width(sign["issuer"]) / 2
        issuer_in = max(SIGNOFF_MIN_IN, SIGNOFF_DATE_IN + (date_chars - issuer_chars) / 2)
        date.paragraph_format.right_indent = Pt(lay.body * SIGNOFF_DATE_IN)
        issuer.paragraph_format.right_indent = Pt(lay.body * issuer_in)


def properties(doc: Document, model: dict[str, Any]) -> None:
    """File properties Word shows (title, author, subject, language); the date is the period's."""
    core = doc.core_properties
    core.title = model["title"]
    core.subject = model["subtitle"].strip("（）()")
    core.author = core.last_modified_by = model["signoff"]["issuer"] or ""
    core.language = "zh-CN" if model["lang"] == "zh" else "en-GB"
    core.keywords = model["period_iso"]
    when = dt.datetime.fromisoformat(model["period_iso"])
    core.created = core.modified = when
    core.revision = 1
    core.comments = ""


def build_document(model: dict[str, Any], figures: Sequence[docx_annexes.Figure] = ()) -> Document:
    """The whole Word document for ``model`` (report_model's dict, with its annexes), and the figures
    already drawn as images (docx_figures; none: the annex of figures is left out)."""
    doc = docx.Document()
    lang = model["lang"]
    lay = docx_style.apply_styles(doc, lang)
    docx_style.setup_page(doc, lang)
    properties(doc, model)
    page_one(doc, model, lay)
    body(doc, model)
    signoff(doc, model, lay)
    if "annexes" in model:
        docx_annexes.add(doc, model, figures, lay)
    return doc
