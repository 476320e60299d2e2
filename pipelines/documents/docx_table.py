"""Tables of the Word 汇报: real Word tables of a fixed width, their columns fitted to the text they hold,
the header row repeated on every page (GB/T 9704: "a table's header row repeats on each page"), no
row split across two pages, status shown as the HTML shows it.

python-docx makes tables, rows and cells; the rest are documented WordprocessingML edits (ECMA-376
part 1, §17.4): ``w:trPr/w:tblHeader`` and ``w:cantSplit``, ``w:tcPr/w:shd`` (fill) and
``w:tcBorders`` (the status bar), ``w:tblCellMar`` (narrow cell margins), each child placed where the
schema's order puts it (Word refuses a file that breaks it).

Column widths follow the CSS automatic table layout: every column gets at least its longest
unbreakable piece of text (a Latin word, a short Chinese term) and, when the text block allows, all
of its longest line; the space in between is shared in proportion. English labels are longer than
Chinese ones, and this is what keeps "Outstanding" and "critical" whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, RGBColor
from docx.table import Table, _Cell, _Row

from pipelines.documents.docx_style import TEXT_WIDTH, set_style

TCPR_AFTER_BORDERS = ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
                      "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")
TBLPR_AFTER_CELLMAR = ("w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
CELL_MARGIN_MM = 1.2       # left and right, inside every cell (Word's default is 1.9)
PT_MM = 25.4 / 72
CJK_UNBROKEN = 6           # a Chinese run keeps at least this many characters on a line (most names)
BOLD = 1.08                # bold text is about this much wider
_PIECES = re.compile(r"[^\s/、，；]+[/、，；]?")
_LATIN = re.compile(r"[\x21-\x7e]+")


def _units(text: str) -> float:
    """Width in em: a CJK or full-width character is 1, anything else about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def _longest_piece(text: str) -> float:
    """Width in em of the longest piece a line cannot break inside: a Latin word or number, or a Chinese
    term of up to CJK_UNBROKEN characters (a longer run may break, but not sooner)."""
    best = 0.0
    for piece in _PIECES.findall(text):
        wide = sum(1 for ch in piece if unicodedata.east_asian_width(ch) in "WF")
        if wide <= CJK_UNBROKEN:
            best = max(best, _units(piece))
        else:
            latin = max((_units(run) for run in _LATIN.findall(piece)), default=0.0)
            best = max(best, float(CJK_UNBROKEN), latin)
    return best


def fit_widths(columns: Sequence[Sequence[tuple[str, float, bool]]], total: float = TEXT_WIDTH.mm,
               fixed: dict[int, float] | None = None, spread: bool = True) -> list[float]:
    """Column widths in mm summing to ``total`` (at most ``total`` when not ``spread``): each column is
    its cells' (text, size in pt, bold) triples; ``fixed`` gives some columns their width outright."""
    fixed = fixed or {}
    pad = 2 * CELL_MARGIN_MM + 0.4
    lows, highs = [], []
    for cells in columns:
        lows.append(pad + max((_longest_piece(t) * size * PT_MM * (BOLD if bold else 1)) for t, size, bold in cells))
        highs.append(pad + max((max((_units(line) for line in t.splitlines()), default=0) * size * PT_MM
                                * (BOLD if bold else 1)) for t, size, bold in cells))
    free = [i for i in range(len(columns)) if i not in fixed]
    room = total - sum(fixed.values())
    low, high = sum(lows[i] for i in free), sum(highs[i] for i in free)
    widths = dict(fixed)
    for i in free:
        if high <= room:  # everything fits on one line: share what is left in proportion
            widths[i] = (highs[i] * room / high if high else room / len(free)) if spread else highs[i]
        elif low >= room:  # not even the words fit: shrink the words in proportion (they will break)
            widths[i] = lows[i] * room / low
        else:
            widths[i] = lows[i] + (highs[i] - lows[i]) * (room - low) / (high - low)
    return [widths[i] for i in range(len(columns))]


def table(doc: Document, rows: int, widths: Sequence[float]) -> Table:
    """A bordered table of ``rows`` × len(widths) (widths in mm, fixed), centred in the text block."""
    t = doc.add_table(rows=rows, cols=len(widths))
    t._tbl.tblPr.get_or_add_tblStyle().val = "TableGrid"  # noqa: SLF001 - by id: a name lookup scans every style
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False  # w:tblLayout fixed: the widths below hold whatever the text
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(CELL_MARGIN_MM / PT_MM * 20)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    t._tbl.tblPr.insert_element_before(margins, *TBLPR_AFTER_CELLMAR)  # noqa: SLF001
    for col, w in zip(t._tbl.tblGrid.gridCol_lst, widths, strict=True):  # noqa: SLF001
        col.w = Mm(w)
    for tr in t._tbl.tr_lst:  # noqa: SLF001 - cell by cell through python-docx is quadratic in the rows
        for tc, w in zip(tr.tc_lst, widths, strict=True):
            tc.width = Mm(w)
    return t


def repeat_header(row: _Row) -> None:
    """Mark ``row`` as a header row Word and LibreOffice repeat at the top of every page (w:tblHeader)."""
    trpr = row._tr.get_or_add_trPr()  # noqa: SLF001
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def keep_row(row: _Row) -> None:
    """A row never breaks across pages (w:cantSplit)."""
    trpr = row._tr.get_or_add_trPr()  # noqa: SLF001
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def shade(cell: _Cell, fill: str) -> None:
    """Fill a cell with ``#RRGGBB`` (w:shd)."""
    tcpr = cell._tc.get_or_add_tcPr()  # noqa: SLF001
    el = OxmlElement("w:shd")
    el.set(qn("w:val"), "clear")
    el.set(qn("w:color"), "auto")
    el.set(qn("w:fill"), fill.lstrip("#").upper())
    tcpr.insert_element_before(el, *TCPR_AFTER_BORDERS[1:])


def edge(cell: _Cell, colour: str) -> None:
    """A thick left border in ``colour``: the HTML's status bar beside a figure."""
    tcpr = cell._tc.get_or_add_tcPr()  # noqa: SLF001
    borders = OxmlElement("w:tcBorders")
    left = OxmlElement("w:left")
    for attr, value in (("w:val", "single"), ("w:sz", "36"), ("w:space", "0"), ("w:color", colour.lstrip("#"))):
        left.set(qn(attr), value)
    borders.append(left)
    tcpr.insert_element_before(borders, *TCPR_AFTER_BORDERS)


def cell_text(cell: _Cell, lines: list[tuple[str, str]], align: WD_ALIGN_PARAGRAPH | None = None,
              colour: str | None = None) -> None:
    """Write ``lines`` — (text, style name) pairs, one paragraph each — into an empty cell."""
    first = True
    for text, style in lines:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        set_style(p, style)
        if align is not None:
            p.paragraph_format.alignment = align
        run = p.add_run(text)
        if colour:
            run.font.color.rgb = RGBColor.from_string(colour.lstrip("#").upper())
