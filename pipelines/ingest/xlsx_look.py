"""A look inside an .xlsx for what the fast reader (python-calamine) does not tell.

calamine reads values only: a hidden row or column, a cell formatted as a percentage, a cached
Excel error (#DIV/0!) and a formula saved without its result all come back as plain values or
blanks, and it fills a dense grid from A1 to the last stored cell (one value at XFD1048576
asks it for 17 billion cells). So before calamine reads a sheet, its XML part is inspected:

- its extent (the ``<dimension>`` element, else the rows) against a budget proportional to the
  part's size: a sheet that would not fit is read here, sparsely (only the stored cells), and
  values far from the table are reported instead of read;
- whether it holds hidden rows or columns, error cells, formulas, or cells styled with a
  percentage format (one substring test each on the bytes); only the sheets that do get the
  second look, which finds those cells by their tags.

The cost is one decompression of each sheet part and a few byte searches (benchmarks/ingest.py).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

MIN_CELL_BUDGET = 2_000_000  # a dense grid of this many cells is always allowed (about 100 MB)
BYTES_PER_CELL = 4  # otherwise: one grid cell per 4 bytes of the sheet's XML
_DIM_RE = re.compile(rb'<dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
_ROW_RE = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
_REF_RE = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_COL_RE = re.compile(rb"<col\b[^>]*>")
_ATTR_RE = re.compile(rb'\b(\w+)="([^"]*)"')
_HIDDEN_ROW_RE = re.compile(rb'<row\b[^>]*\bhidden="(?:1|true)"[^>]*>')
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_BUILTIN_PERCENT = {9, 10}


@lru_cache(maxsize=4096)
def col_index(letters: str | bytes) -> int:
    """'A' → 0, 'AB' → 27."""
    if isinstance(letters, bytes):
        letters = letters.decode()
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def col_letter(index: int) -> str:
    """0 → 'A', 27 → 'AB'."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class SheetLook:
    """What the second look found in one sheet (rows 1-based, columns 0-based)."""

    part: str
    max_row: int = 0
    max_col: int = 0
    fits: bool = True  # calamine's dense grid stays within the budget
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    percent: list[tuple[int, int]] = field(default_factory=list)  # in document order
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    xml: bytes | None = None  # kept only for a sheet read sparsely


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR_RE.findall(tag))


def _percent_styles(zf: zipfile.ZipFile) -> set[int]:
    try:
        root = etree.fromstring(zf.read("xl/styles.xml"))
    except (KeyError, etree.XMLSyntaxError):
        return set()
    custom = {}
    for nf in root.iterfind("m:numFmts/m:numFmt", NS):
        code = re.sub(r'"[^"]*"|\\.', "", nf.get("formatCode", ""))
        custom[int(nf.get("numFmtId", "-1"))] = "%" in code
    out = set()
    for i, xf in enumerate(root.iterfind("m:cellXfs/m:xf", NS)):
        fid = int(xf.get("numFmtId", "0"))
        if fid in _BUILTIN_PERCENT or custom.get(fid):
            out.add(i)
    return out


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part, from the workbook and its relationships."""
    wb = etree.fromstring(zf.read("xl/workbook.xml"))
    rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels.iterfind("rel:Relationship", NS)}
    out = {}
    for s in wb.iterfind("m:sheets/m:sheet", NS):
        t = target.get(s.get(f"{{{NS['r']}}}id"), "")
        out[s.get("name")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def _cell_at(data: bytes, pos: int) -> tuple[int, int, bytes] | None:
    """The <c> element around byte ``pos``: (row, col, its XML)."""
    start = data.rfind(b"<c ", 0, pos)
    if start < 0:
        return None
    gt = data.find(b">", start)
    if gt < 0:
        return None
    if data[gt - 1:gt] == b"/":  # <c r="B2" s="3"/>: an empty cell
        end = gt + 1
    else:
        close = data.find(b"</c>", gt)
        end = close + 4 if close >= 0 else gt + 1
    snippet = data[start:end]
    m = _REF_RE.search(snippet[: snippet.find(b">") + 1])
    if not m:
        return None
    return int(m.group(2)), col_index(m.group(1)), snippet


def _inner(snippet: bytes, tag: bytes) -> bytes | None:
    m = re.search(rb"<" + tag + rb"\b[^>]*?(?:/>|>(.*?)</" + tag + rb">)", snippet, re.S)
    if not m:
        return None
    return m.group(1) or b""


def _unescape(b: bytes) -> str:
    return b.decode("utf-8").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace(
        "&apos;", "'").replace("&amp;", "&")


def _read_part(zf: zipfile.ZipFile, part: str) -> bytes:
    """A part's bytes, without the CRC pass (calamine reads and checks the same part right after)."""
    with zf.open(part) as fh:
        if hasattr(fh, "_expected_crc"):
            fh._expected_crc = None  # noqa: SLF001 - zipfile then skips the crc32 of every block
        return fh.read()


def inspect(zf: zipfile.ZipFile, part: str, percent_styles: set[int]) -> SheetLook:
    """Extent and the second look of one sheet part."""
    data = _read_part(zf, part)
    look = SheetLook(part)
    head = data[:4096]
    m = _DIM_RE.search(head)
    letters, claimed = b"A", 0
    if m and (m.group(3) or m.group(1)):
        letters = m.group(3) or m.group(1)
        claimed = int(m.group(4) or m.group(2) or 1)
    # the <dimension> is a writer's claim: believed when the last row element agrees with it, else
    # the rows and the longest cell reference decide (a literal start keeps the scans fast)
    look.max_row = claimed
    last = data.rfind(b"<row ")
    if last >= 0:
        r = _ROW_RE.match(data, last)
        if r:
            look.max_row = max(claimed, int(r.group(1)))
    k = len(letters)
    budget = max(MIN_CELL_BUDGET, len(data) // BYTES_PER_CELL)
    if look.max_row > claimed:
        if k < 2 and re.search(rb'<c r="[A-Z]{2}', data):
            k = 2
        if k == 2 and re.search(rb'<c r="[A-Z]{3}', data):
            k = 3
        look.max_col = {1: 26, 2: 702, 3: 16384}[min(k, 3)]  # the widest a reference of k letters can be
        if look.max_row * look.max_col > budget:  # too wide to assume: the widest reference decides
            refs = re.findall(rb'<c r="([A-Z]{%d})\d' % k, data)
            look.max_col = max((col_index(c) + 1 for c in set(refs)), default=col_index(letters) + 1)
    else:
        look.max_col = col_index(letters) + 1
    look.fits = look.max_row * look.max_col <= budget
    if not look.fits:
        look.xml = data
    if b"hidden" in data:
        cols_end = data.find(b"</cols>")
        if cols_end > 0:
            for tag in _COL_RE.findall(data[:cols_end]):
                a = _attrs(tag)
                if a.get(b"hidden") in (b"1", b"true"):
                    look.hidden_cols.update(range(int(a[b"min"]) - 1, int(a[b"max"])))
        for tag in _HIDDEN_ROW_RE.findall(data):
            look.hidden_rows.add(int(_attrs(tag)[b"r"]))
    if b't="e"' in data:
        for hit in re.finditer(rb'\bt="e"', data):
            cell = _cell_at(data, hit.start())
            if cell:
                value = _inner(cell[2], b"v")
                look.errors[cell[:2]] = _unescape(value) if value else "#N/A"
    if b"</f>" in data:  # every formula (or shared formula group) has one
        for hit in re.finditer(rb"<f[\s>/]", data):
            cell = _cell_at(data, hit.start())
            if cell and (cell[:2] not in look.errors) and not _inner(cell[2], b"v"):
                formula = _inner(cell[2], b"f")
                look.formulas[cell[:2]] = "=" + _unescape(formula) if formula else "=(shared formula)"
    if percent_styles:
        # writers put r before s (<c r="E2" s="3" …>): a literal start keeps the scan fast
        pattern = rb'<c r="([A-Z]+)(\d+)" s="(?:' + b"|".join(str(i).encode() for i in sorted(percent_styles)) + rb')"'
        look.percent = [(int(r), col_index(c)) for c, r in re.findall(pattern, data)]
    return look


def look_into(path: Any) -> dict[str, SheetLook]:
    """Sheet name → what the second look found, for every worksheet of an .xlsx."""
    with zipfile.ZipFile(path) as zf:
        percent = _percent_styles(zf)
        return {name: inspect(zf, part, percent) for name, part in sheet_parts(zf).items() if part in zf.namelist()}


def shared_strings(path: Any) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        try:
            root = etree.fromstring(zf.read("xl/sharedStrings.xml"))
        except KeyError:
            return []
    return ["".join(si.itertext()) for si in root.iterfind("m:si", NS)]


def sparse_cells(path: Any, look: SheetLook) -> list[tuple[int, int, Any]]:
    """The stored cells of a sheet too large for a dense grid: (row 1-based, col 0-based, value)."""
    strings = shared_strings(path)
    out = []
    for _, c in etree.iterparse(io.BytesIO(look.xml or b""), tag=f"{{{NS['m']}}}c"):
        ref = c.get("r")
        v = c.find("m:v", NS)
        t = c.get("t", "n")
        if t == "inlineStr":
            value: Any = "".join(c.find("m:is", NS).itertext()) if c.find("m:is", NS) is not None else ""
        elif v is None or v.text is None:
            value = None
        elif t == "s":
            value = strings[int(v.text)] if int(v.text) < len(strings) else ""
        elif t in ("str", "e"):
            value = v.text
        elif t == "b":
            value = v.text == "1"
        else:
            value = float(v.text)
        if ref and value not in (None, ""):
            m = re.match(r"([A-Z]+)(\d+)", ref)
            if m is not None:  # a reference the workbook wrote itself: always A1-style
                out.append((int(m.group(2)), col_index(m.group(1)), value))
        c.clear()
    return out
