"""The office's document conventions (GB/T 9704, /work/shared/context/gongwen.md) as Word styles,
so that the 汇报 goes up as a .docx that needs no re-formatting before it is signed.

Everything a person can change in Word's own dialogs is a *style* here (正文, 标题, 一级标题 黑体,
二级 楷体, table text), not direct formatting: the office edits the document, and a style keeps
an edited paragraph looking like its neighbours. The headings are Word's built-in Heading 1–3
(outline levels 0–2), so the navigation pane and a table of contents work.

Fonts keep the standard's names (仿宋_GB2312, 黑体, 楷体_GB2312, 方正小标宋简体, 宋体) so the document prints
right where it is used; each face also names its fallback in the font table (``w:altName``: 仿宋,
SimHei, 楷体, 宋体…), its character set (GB2312) and family (roman or modern: serif or sans), which Word
uses to substitute a missing face; LibreOffice on Debian falls back to Noto CJK whatever the name.

python-docx covers paragraphs, runs, tables, sections and styles. Where its API stops, a few
documented WordprocessingML edits (ECMA-376 part 1, §17):
- ``w:rFonts/@w:eastAsia`` (python-docx's ``font.name`` sets only the Latin slots) and dropping the
  template's theme-font attributes, which would otherwise win over a named face (§17.3.2.26);
- ``w:lang``: East Asian text zh-CN (laid out and substituted as Chinese), Latin text en-US (so that
  "100%" never breaks inside, as Chinese line breaking would let it);
- ``w:docGrid``'s line pitch (22 lines a page; the 22 lines come from the exact line spacing) and
  ``w:snapToGrid`` off for single-spaced text (tables, notes);
- the PAGE field in the footers (``w:fldChar``/``w:instrText``, §17.16), odd pages right and even pages
  left (``w:evenAndOddHeaders``, set through python-docx's settings);
- the font table's ``w:altName`` and ``w:family`` (§17.8.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.styles import styleId_from_name
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph


@dataclass(frozen=True)
class Face:
    """A typeface as documents name it, the name to try when it is missing, and its family."""

    name: str
    alt: str
    family: str  # roman (serif) | modern (sans): what a substitute should look like


FANGSONG = Face("仿宋_GB2312", "仿宋", "roman")   # 正文
HEI = Face("黑体", "SimHei", "modern")             # 一级标题
KAI = Face("楷体_GB2312", "楷体", "roman")         # 二级标题, the subtitle
TITLE = Face("方正小标宋简体", "宋体", "roman")     # 标题 (小标宋; else 宋体)
SONG = Face("宋体", "SimSun", "roman")             # page numbers
FACES = (FANGSONG, HEI, KAI, TITLE, SONG)
LATIN = "Times New Roman"
LATIN_SANS = "Arial"


@dataclass(frozen=True)
class Layout:
    """Sizes in points for one language: GB/T 9704's for Chinese, a plain A4 memo for English."""

    body: float        # 正文 (三号 16 pt)
    title: float       # 标题 (二号 22 pt)
    line: float        # exact line pitch of the text (22 lines in the 225 mm text block)
    title_line: float
    summary: float     # page one (要点), set smaller so it fits its page
    summary_line: float
    table: float       # 表格 (五号 10.5 pt)
    small: float       # counts under a value, table notes (小五 9 pt)
    page_number: float  # 四号 14 pt
    indent_chars: int   # first-line indent, in characters of the body size
    latin_heading: str


LAYOUTS = {
    "zh": Layout(body=16, title=22, line=28.95, title_line=36, summary=12, summary_line=18, table=10.5, small=9,
                 page_number=14, indent_chars=2, latin_heading=LATIN),
    "en": Layout(body=12, title=18, line=18, title_line=24, summary=11, summary_line=15, table=9, small=8,
                 page_number=12, indent_chars=0, latin_heading=LATIN_SANS),
}

# A4 and the text block (版心) 156 × 225 mm: top 37 mm, binding side 28 mm (GB/T 9704 §5.2.1).
PAGE_W, PAGE_H = Mm(210), Mm(297)
TOP, LEFT, RIGHT, BOTTOM = Mm(37), Mm(28), Mm(26), Mm(35)
FOOTER = Mm(23)        # the page number's dashes sit 7 mm under the text block
TEXT_WIDTH = Mm(156)
LINE_PITCH_TWIPS = 579  # 225 mm / 22 lines, in twentieths of a point

# Custom styles (Word shows these names in its style list).
SUMMARY = "Summary Text"
NOTE = "Note"
SIGNOFF = "Sign-off"
TABLE_TEXT = "Table Text"
TABLE_HEAD = "Table Heading"
TABLE_SMALL = "Table Small"
TABLE_SMALL_HEAD = "Table Small Heading"
ADDRESSEE = "Addressee"
CAPTION = "Caption"
THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
# What follows an element in its parent (the schema fixes the order; Word refuses a file that breaks it).
PPR_AFTER_SNAP = ("w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                  "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                  "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")



def set_fonts(style_or_run: Any, east_asia: Face, latin: str, hint: bool) -> None:
    """Name the East Asian and Latin faces of a style or run (w:rFonts), dropping theme fonts."""
    rpr = style_or_run.element.get_or_add_rPr()  # a style or a run: both have .element
    fonts = rpr.get_or_add_rFonts()
    for attr in THEME_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia.name)
    if hint:  # quotation marks and dots shared by both scripts take the Chinese face (full width)
        fonts.set(qn("w:hint"), "eastAsia")


def _defaults(doc: Document, lang: str) -> None:
    """docDefaults: no theme fonts, Chinese as the East Asian language, black text."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in THEME_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    fonts.set(qn("w:eastAsia"), FANGSONG.name)
    language = rpr.find(qn("w:lang"))
    language.set(qn("w:val"), "en-US" if lang == "zh" else "en-GB")  # Latin runs (digits) break as words
    language.set(qn("w:eastAsia"), "zh-CN")


def _paragraph_style(doc: Document, name: str, base: str | None = "Normal") -> ParagraphStyle:
    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.quick_style = True
    if base and name != base:
        style.base_style = doc.styles[base]
    return style


def _shape(style: ParagraphStyle, face: Face, latin: str, size: float, line: float | None, *, lang: str,
           bold: bool = False, align: WD_ALIGN_PARAGRAPH | None = None, indent: float = 0.0,
           before: float = 0.0, after: float = 0.0, keep_next: bool = False) -> None:
    set_fonts(style, face, latin, hint=lang == "zh")
    font = style.font
    font.size, font.bold, font.italic = Pt(size), bold, False
    font.color.rgb = RGBColor(0, 0, 0)
    pf = style.paragraph_format
    if line is None:  # single spacing, off the 22-line grid (else every line would take a grid line)
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        style.element.get_or_add_pPr().insert_element_before(snap, *PPR_AFTER_SNAP)
    else:
        pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    pf.first_line_indent = Pt(indent) if indent else Pt(0)
    pf.keep_with_next = keep_next or None
    pf.widow_control = True
    if align is not None:
        pf.alignment = align
    ppr = style.element.get_or_add_pPr()
    for tag in ("w:pBdr", "w:numPr", "w:contextualSpacing"):  # the template's blue rule and list under titles
        for el in ppr.findall(qn(tag)):
            ppr.remove(el)
    rpr = style.element.get_or_add_rPr()
    for tag in ("w:spacing", "w:kern", "w:bCs", "w:iCs"):
        for el in rpr.findall(qn(tag)):
            rpr.remove(el)


def apply_styles(doc: Document, lang: str) -> Layout:
    """Define every style the 汇报 uses (see the module docstring); returns the language's sizes."""
    lay = LAYOUTS[lang]
    _defaults(doc, lang)
    ind = lay.body * lay.indent_chars
    head_latin = lay.latin_heading
    justify, centre = WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.CENTER
    en_after = 0.0 if lang == "zh" else 6.0
    _shape(doc.styles["Normal"], FANGSONG, LATIN, lay.body, lay.line, lang=lang, align=justify, indent=ind,
           after=en_after)
    _shape(_paragraph_style(doc, "Title"), TITLE, head_latin, lay.title, lay.title_line, lang=lang, align=centre,
           bold=lang != "zh", keep_next=True)
    _shape(_paragraph_style(doc, "Subtitle"), KAI, LATIN, lay.body, lay.line, lang=lang, align=centre,
           after=lay.line if lang == "zh" else 12, keep_next=True)
    _shape(_paragraph_style(doc, "Heading 1"), HEI, head_latin, lay.body, lay.line, lang=lang, indent=ind,
           bold=lang != "zh", keep_next=True, before=0 if lang == "zh" else 12, after=en_after)
    _shape(_paragraph_style(doc, "Heading 2"), KAI, head_latin, lay.body, lay.line, lang=lang, indent=ind,
           bold=lang != "zh", keep_next=True, before=0 if lang == "zh" else 6, after=en_after)
    _shape(_paragraph_style(doc, "Heading 3"), FANGSONG, head_latin, lay.body, lay.line, lang=lang, indent=ind,
           bold=True, keep_next=True, before=0 if lang == "zh" else 8, after=en_after)
    _shape(_paragraph_style(doc, SUMMARY), FANGSONG, LATIN, lay.summary, lay.summary_line, lang=lang,
           align=justify, indent=lay.summary * lay.indent_chars, after=0 if lang == "zh" else 4)
    _shape(_paragraph_style(doc, ADDRESSEE), FANGSONG, LATIN, lay.body, lay.line, lang=lang)
    _shape(_paragraph_style(doc, SIGNOFF), FANGSONG, LATIN, lay.body, lay.line, lang=lang,
           align=WD_ALIGN_PARAGRAPH.RIGHT)
    _shape(_paragraph_style(doc, NOTE), FANGSONG, LATIN, lay.table, None, lang=lang, align=justify, before=3,
           after=6)
    _shape(_paragraph_style(doc, CAPTION), KAI, head_latin, lay.table + 1, None, lang=lang, align=centre,
           bold=lang != "zh", before=6, after=3, keep_next=True)
    _shape(_paragraph_style(doc, TABLE_TEXT), FANGSONG, LATIN, lay.table, None, lang=lang, align=centre)
    _shape(_paragraph_style(doc, TABLE_HEAD, TABLE_TEXT), HEI, head_latin, lay.table, None, lang=lang,
           align=centre, bold=lang != "zh")
    _shape(_paragraph_style(doc, TABLE_SMALL, TABLE_TEXT), FANGSONG, LATIN, lay.small, None, lang=lang,
           align=centre)
    _shape(_paragraph_style(doc, TABLE_SMALL_HEAD, TABLE_TEXT), HEI, head_latin, lay.small, None, lang=lang,
           align=centre, bold=lang != "zh")
    font_table(doc)
    return lay


def setup_page(doc: Document, lang: str) -> None:
    """A4 with the standard's margins, the 22-line grid, and 「— 1 —」 page numbers: odd pages on the
    right, even pages on the left, one character in from the text block's edge."""
    lay = LAYOUTS[lang]
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.top_margin, section.bottom_margin = TOP, BOTTOM
    section.left_margin, section.right_margin = LEFT, RIGHT
    section.footer_distance = FOOTER
    grid = section._sectPr.find(qn("w:docGrid"))  # noqa: SLF001 - sectPr has no python-docx API for the grid
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)  # noqa: SLF001
    # The 22 lines come from the text's exact line pitch. A "lines" grid would add nothing in Word
    # and, in LibreOffice, stretch every line that is not on it (tables, page one) to a grid line.
    grid.attrib.pop(qn("w:type"), None)
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT, lay)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT, lay)


def _page_number(paragraph: Paragraph, align: WD_ALIGN_PARAGRAPH, lay: Layout) -> None:
    """「— PAGE —」 in 宋体 四号, one character in from the side it sits on."""
    paragraph.style = "Normal"
    pf = paragraph.paragraph_format
    pf.alignment, pf.first_line_indent = align, Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        pf.right_indent = Pt(lay.page_number)
    else:
        pf.left_indent = Pt(lay.page_number)
    for text in ("— ", None, " —"):
        run = paragraph.add_run(text or "")
        set_fonts(run, SONG, SONG.name, hint=False)
        run.font.size = Pt(lay.page_number)
        if text is None:
            page_field(run)


def page_field(run: object) -> None:
    """A PAGE field in ``run`` (begin, instruction, separate, a cached "1", end)."""
    r = run._r  # type: ignore[attr-defined]  # noqa: SLF001 - fields have no python-docx API
    begin, sep, end = (OxmlElement("w:fldChar") for _ in range(3))
    begin.set(qn("w:fldCharType"), "begin")
    sep.set(qn("w:fldCharType"), "separate")
    end.set(qn("w:fldCharType"), "end")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    cached = OxmlElement("w:t")
    cached.text = "1"
    for el in (begin, instr, sep, cached, end):
        holder = OxmlElement("w:r")
        rpr = r.find(qn("w:rPr"))
        if rpr is not None:
            holder.append(parse_xml(rpr.xml))
        holder.append(el)
        r.addprevious(holder)
    r.getparent().remove(r)


def font_table(doc: Document) -> None:
    """Declare each face in the font table with its fallback name and family (w:altName, w:family)."""
    part = doc.part.part_related_by(RT.FONT_TABLE)
    root = parse_xml(part.blob)
    known = {f.get(qn("w:name")): f for f in root.findall(qn("w:font"))}
    for face in FACES:
        el = known.get(face.name)
        if el is None:
            el = parse_xml(f'<w:font {nsdecls("w")} w:name="{face.name}"/>')
            root.append(el)
        for child in list(el):
            el.remove(child)
        for tag, value in (("altName", face.alt), ("charset", "86"), ("family", face.family),
                           ("pitch", "variable")):
            child = OxmlElement(f"w:{tag}")
            child.set(qn("w:val"), value)
            el.append(child)
    from lxml import etree

    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)  # noqa: SLF001


def para(container: Any, text: str = "", style: str | None = None) -> Paragraph:
    """A new paragraph at the end of ``container`` (document or cell) in style ``style`` (fast: set_style)."""
    p = container.add_paragraph(text)
    return set_style(p, style) if style else p


def heading(doc: Document, text: str, level: int) -> Paragraph:
    """A real Word heading (Heading 1–3, outline levels 0–2: the navigation pane lists it)."""
    return para(doc, text, f"Heading {level}")


def set_style(paragraph: Paragraph, name: str) -> Paragraph:
    """Give ``paragraph`` the style ``name`` by its id (w:pStyle). python-docx's ``paragraph.style = name``
    looks the name up among all ~160 styles of its template each time: minutes for a report's tables."""
    paragraph._p.style = styleId_from_name(name)  # noqa: SLF001
    return paragraph
