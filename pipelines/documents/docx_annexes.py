"""The annexes after the 汇报's 落款, each from the model's ``annexes`` (pipelines/report/annexes.py), in
the HTML report's order: 附表1 the ranking table, 附图 the figures that help on paper, 附件 the county
checklists, 附表2 the weak links in detail — because the 汇报's own sentences point to them
("明细见附表", "督导清单见附件").

Each annex starts a page and opens with a Heading 1 (the navigation pane lists them); every table
repeats its header row on each page and keeps each row whole. Status is shown the way the HTML shows
it: a bar of the status colour on the left edge of a figure's cell (palette.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Mm, Pt
from docx.table import _Cell

from pipelines.documents import docx_style, docx_table
from pipelines.documents.docx_style import CAPTION, NOTE, SUMMARY, TABLE_HEAD, TABLE_SMALL, TABLE_SMALL_HEAD, TABLE_TEXT, Layout
from pipelines.domain import load
from pipelines.report.palette import STATUS_COLOURS

CITY_FILL = "#F2F2F2"
TOWN_FILL = "#EDEDED"
FIGURE_MAX_HEIGHT_MM = 180  # a picture and its heading fit on one page of the 225 mm text block
MET_EDGE = "#7FBF7B"  # the HTML's bar for "met" (the pale fill would not show as a line)


@dataclass(frozen=True)
class Image:
    """One drawn picture: PNG bytes and its size in CSS pixels (it prints at that size, 96 px an inch,
    shrunk to the text block's width when wider)."""

    png: bytes
    width_px: float
    height_px: float


@dataclass(frozen=True)
class Figure:
    """A figure of the 附图: its heading and note (sections.yaml), its pictures, a line after it."""

    key: str
    heading: str
    note: str
    images: list[Image] = field(default_factory=list)
    after: str | None = None


def words(lang: str) -> dict[str, str]:
    """The table headers and small words of the report (terms.yaml, report:)."""
    return {k: v[lang] for k, v in load.terms()["report"].items()}


def annex_heading(doc: Document, h: dict[str, str], *, new_page: bool = True) -> None:
    """An annex's heading (Heading 1, centred, on a new page) and its note."""
    p = docx_style.heading(doc, h["heading"], 1)
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    p.paragraph_format.page_break_before = new_page
    if h.get("note"):
        docx_style.para(doc, h["note"], NOTE).paragraph_format.keep_with_next = True


def status_edge(cell: _Cell, status: str) -> None:
    """The HTML's status bar: a thick left border in the status colour."""
    docx_table.edge(cell, MET_EDGE if status == "met" else STATUS_COLOURS.get(status, STATUS_COLOURS["no_data"]))


def header_row(t: Any, labels: list[str], style: str = TABLE_HEAD) -> None:
    """The first row: the column labels, shaded, repeated at the top of every page the table runs onto."""
    row = t.rows[0]
    for cell, label in zip(row.cells, labels, strict=True):
        docx_table.cell_text(cell, [(label, style)])
        docx_table.shade(cell, CITY_FILL)
    docx_table.repeat_header(row)


def ranking(doc: Document, r: dict[str, Any], lang: str, lay: Layout) -> None:
    """附表1: per group, the counties and the city × indicators: value, rank and change, the counts."""
    w = words(lang)
    annex_heading(doc, r)
    for g in r["groups"]:
        docx_style.para(doc, g["title"], CAPTION)
        first = fitted([w["unit"]], [[u["label"]] for u in g["rows"]], lay.table, lay.table, total=50)[0]
        rest = (docx_style.TEXT_WIDTH.mm - first) / len(g["columns"])
        t = docx_table.table(doc, len(g["rows"]) + 1, [first] + [rest] * len(g["columns"]))
        header_row(t, [w["unit"], *[c["label"] for c in g["columns"]]])
        for row, unit in zip(t.rows[1:], g["rows"], strict=True):
            docx_table.keep_row(row)
            docx_table.cell_text(row.cells[0], [(unit["label"], TABLE_HEAD if unit["is_city"] else TABLE_TEXT)])
            for cell, c in zip(row.cells[1:], unit["cells"], strict=True):
                rank = w["rank_of"].format(n=c["rank"]) if c["rank"] != "" else ""
                change = f"{c['arrow']}{c['change'] if c['arrow'] != '—' else ''}" if c["arrow"] else ""
                lines = [(c["value"], TABLE_TEXT)]
                if rank or change:
                    lines.append((" ".join(x for x in (rank, change) if x), TABLE_SMALL))
                if c["counts"]:
                    lines.append((c["counts"], TABLE_SMALL))
                docx_table.cell_text(cell, lines)
                status_edge(cell, c["status"])
            if unit["is_city"]:
                for cell in row.cells:
                    docx_table.shade(cell, CITY_FILL)
    if r.get("equal"):
        docx_style.para(doc, r["equal"]["text"], NOTE)


def figures(doc: Document, head: dict[str, Any], items: list[Figure]) -> None:
    """附图: each figure's heading, note and pictures (at their drawn size, at most the text width)."""
    if not items:
        return
    annex_heading(doc, head)
    for fig in items:
        docx_style.para(doc, fig.heading, CAPTION)
        if fig.note:
            docx_style.para(doc, fig.note, NOTE).paragraph_format.keep_with_next = True
        for k, image in enumerate(fig.images):
            width = min(docx_style.TEXT_WIDTH.mm, image.width_px * 25.4 / 96,
                        FIGURE_MAX_HEIGHT_MM * image.width_px / max(image.height_px, 1))
            p = doc.add_paragraph()
            pf = p.paragraph_format
            pf.alignment, pf.first_line_indent = WD_ALIGN_PARAGRAPH.CENTER, Pt(0)
            pf.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact line height would crop the picture
            pf.keep_with_next = k < len(fig.images) - 1 or bool(fig.after)
            p.add_run().add_picture(BytesIO(image.png), width=Mm(width))
        if fig.after:
            docx_style.para(doc, fig.after, NOTE)


def checklists(doc: Document, c: dict[str, Any], model: dict[str, Any], lay: Layout) -> None:
    """附件: one county a page — its figures against the city, its weak links, the activities its
    townships have not held, the branches still missing one, the branches that sent no return."""
    lang = model["lang"]
    w = words(lang)
    annex_heading(doc, c)
    for n, pg in enumerate(c["pages"]):
        h = docx_style.heading(doc, pg["heading"], 2)
        h.paragraph_format.page_break_before = n > 0
        h.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        h.paragraph_format.first_line_indent = Pt(0)
        sub = docx_style.para(doc, model["subtitle"], "Subtitle")
        sub.paragraph_format.space_after = Pt(0)
        docx_style.heading(doc, w["figures"], 3)
        labels = [w["indicator"], pg["label"], w["city"], w["rank"], w["change"], w["status"]]
        body = [[f["label"], f["value"], f["city"], str(f["rank"]), _change(f), f["status_label"]]
                for f in pg["figures"]]
        t = docx_table.table(doc, len(body) + 1, fitted(labels, body, lay.table, lay.table))
        header_row(t, labels)
        for row, f, texts in zip(t.rows[1:], pg["figures"], body, strict=True):
            docx_table.keep_row(row)
            for cell, text in zip(row.cells, texts, strict=True):
                docx_table.cell_text(cell, [(text, TABLE_TEXT)])
            row.cells[0].paragraphs[0].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
            status_edge(row.cells[1], f["status"])
        docx_style.heading(doc, w["weak"], 3)
        if pg["all_clear"]:
            docx_style.para(doc, pg["all_clear"]["text"], SUMMARY)
        for text in pg["findings"]:
            docx_style.para(doc, text, SUMMARY)
        docx_style.heading(doc, w["missing"], 3)
        if pg["towns"]:
            towns(doc, pg, w, lay)
        else:
            docx_style.para(doc, w["none_missing"], SUMMARY)
        for s in pg["scheduled"]:
            docx_style.para(doc, s["text"], NOTE)
        if pg["branches"]:
            docx_style.heading(doc, w["branches"], 3)
            for b in pg["branches"]:
                open_, close = ("（", "）") if lang == "zh" else (" (", ")")
                entries = w["sep"].join(f"{i['branch']}{open_}{('、' if lang == 'zh' else ', ').join(i['missing'])}{close}"
                                        for i in b["entries"])
                listing(doc, b["town"], w["colon"], entries)
        if pg["not_reported"]:
            docx_style.heading(doc, w["not_reported"], 3)
            for b in pg["not_reported"]:
                listing(doc, b["town"], w["colon"], w["sep"].join(b["branches"]))


def listing(doc: Document, town: str, colon: str, text: str) -> None:
    """A township in bold, then its branches (the checklists' lists)."""
    p = docx_style.para(doc, "", NOTE)
    p.add_run(town + colon).bold = True
    p.add_run(text)


def towns(doc: Document, pg: dict[str, Any], w: dict[str, str], lay: Layout) -> None:
    """Per township, how many branches have not held each activity (* not due yet) or sent no return."""
    labels = [w["township"], *[c["label"] + ("" if c["due"] else "*") for c in pg["columns"]], pg["no_return_label"]]
    body = [[str(x) for x in (town["name"], *town["counts"], town["no_return"])] for town in pg["towns"]]
    first = fitted(labels[:1], [r[:1] for r in body], lay.table, lay.table, total=60)[0]
    rest = (docx_style.TEXT_WIDTH.mm - first) / (len(labels) - 1)
    t = docx_table.table(doc, len(body) + 1, [first] + [rest] * (len(labels) - 1))
    header_row(t, labels)
    for row, texts in zip(t.rows[1:], body, strict=True):
        docx_table.keep_row(row)
        for cell, text in zip(row.cells, texts, strict=True):
            docx_table.cell_text(cell, [(text, TABLE_TEXT)])
        row.cells[0].paragraphs[0].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    docx_style.para(doc, w["towns_note"], NOTE)


def fitted(labels: list[str], body: list[list[str]], head_pt: float, cell_pt: float,
           total: float = docx_style.TEXT_WIDTH.mm) -> list[float]:
    """Column widths for a header row and body rows (docx_table.fit_widths): the whole text width, or
    for fewer columns than the table has (``total`` below it), just what they need."""
    columns = [[(label, head_pt, True), *[(row[i], cell_pt, False) for row in body]] for i, label in enumerate(labels)]
    return docx_table.fit_widths(columns, total, spread=total >= docx_style.TEXT_WIDTH.mm)


def _change(f: dict[str, Any]) -> str:
    """▲6.6, ▼0.3, or — for no change (the change's size is left out then)."""
    return f"{f['arrow']}{f['change'] if f['arrow'] != '—' else ''}" if f["arrow"] else ""


def drill(doc: Document, d: dict[str, Any], lang: str, lay: Layout) -> None:
    """附表2: each county's weak links, then its townships' (a shaded row heads each township)."""
    w = words(lang)
    annex_heading(doc, d)
    if not d["counties"]:
        docx_style.para(doc, w["no_weak"], SUMMARY)
        return
    labels = [w[k] for k in ("place", "indicator", "value", "city", "target", "below_city", "outstanding", "rules",
                             "severity")]
    keys = ("place", "indicator", "value", "city", "target", "gap", "outstanding", "rules", "severity_label")
    every = [[str(r[k]) for k in keys] for c in d["counties"] for r in
             [*c["rows"], *[r for t in c["townships"] for r in t["rows"]]]]
    widths = fitted(labels, every, lay.small, lay.small)  # one set of widths: the counties' tables align
    for county in d["counties"]:
        title = f"{county['name']}{w['colon']}{w['weak_count'].format(n=county['n'])}"
        if county.get("critical"):
            title += w["critical"].format(n=county["critical"])
        docx_style.para(doc, title, CAPTION).paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        rows: list[tuple[str, Any]] = [("row", r) for r in county["rows"]]
        for town in county["townships"]:
            rows.append(("town", f"{town['name']}{w['colon']}{w['weak_count'].format(n=town['n'])}"))
            rows += [("row", r) for r in town["rows"]]
        t = docx_table.table(doc, len(rows) + 1, widths)
        header_row(t, labels, TABLE_SMALL_HEAD)
        for row, (kind, item) in zip(t.rows[1:], rows, strict=True):
            docx_table.keep_row(row)
            if kind == "town":
                merged = row.cells[0].merge(row.cells[-1])
                docx_table.cell_text(merged, [(item, TABLE_SMALL_HEAD)], align=WD_ALIGN_PARAGRAPH.LEFT)
                merged.paragraphs[0].paragraph_format.keep_with_next = True  # never alone at a page's foot
                docx_table.shade(merged, TOWN_FILL)
                continue
            for cell, key in zip(row.cells, keys, strict=True):
                docx_table.cell_text(cell, [(str(item[key]), TABLE_SMALL)])
            row.cells[0].paragraphs[0].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
            if item["severity"] == "critical":
                row.cells[-1].paragraphs[0].runs[0].bold = True


def add(doc: Document, model: dict[str, Any], figs: Sequence[Figure], lay: Layout) -> None:
    """Every annex, in the HTML report's order."""
    a, lang = model["annexes"], model["lang"]
    ranking(doc, a["ranking"], lang, lay)
    figures(doc, a["figures"], list(figs))
    checklists(doc, a["counties"], model, lay)
    drill(doc, a["drill"], lang, lay)
