"""The Word 汇报 on paper: Debian's LibreOffice (headless, a private profile per session so parallel
workers never share one) converts report.docx to PDF; ``pdffonts`` shows a CJK face embedded, and
``pdftotext`` reads back the headline figures, page one alone on page 1, 「— n —」 on every page, the
tables' header rows repeated on the pages they run onto, no heading left alone at a page's foot, and
no text past the text block — in Chinese and in English."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice (make system)")

RIGHT_EDGE_PT = (210 - 26) * 72 / 25.4   # the text block's right edge
LEFT_EDGE_PT = 28 * 72 / 25.4
HANGING = "，、。；：！？）」”"            # punctuation a line may hang past the edge (Word's overflowPunct)


@dataclass
class Printed:
    pdf: Path
    pages: list[str]
    headings: set[str]


def to_pdf(document: Path, tmp: Path) -> Path:
    """document.pdf beside ``document``, converted by LibreOffice with a profile of its own."""
    profile = tmp / f"lo-{uuid.uuid4().hex[:8]}"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(document.parent), str(document)], check=True, capture_output=True, timeout=300)
    pdf = document.with_suffix(".pdf")
    assert pdf.is_file(), f"LibreOffice wrote no {pdf}"
    return pdf


def _headings(document: Path) -> set[str]:
    d = docx.Document(str(document))
    names = {s.style_id: s.name for s in d.styles}
    return {re.sub(r"\s", "", p.text) for p in d.paragraphs
            if names.get(p._p.style, "").startswith(("Heading", "Caption")) and len(p.text) >= 4}


def _printed(document: Path, tmp: Path) -> Printed:
    pdf = to_pdf(document, tmp)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    return Printed(pdf, pages[:-1] if pages and not pages[-1].strip() else pages, _headings(document))


@pytest.fixture(scope="module")
def zh(word_report, tmp_path_factory) -> Printed:
    folder = tmp_path_factory.mktemp("docx-pdf")
    return _printed(Path(shutil.copy(word_report.path, folder / "report.docx")), folder)


@pytest.fixture(scope="module")
def en(sample_chain, tmp_path_factory) -> Printed:
    from pipelines.documents.word import write_report_docx

    folder = tmp_path_factory.mktemp("docx-pdf-en")
    result = write_report_docx(sample_chain, folder / "report.en.docx", language="en")
    return _printed(result.path, folder)


def _lines(page: str) -> list[str]:
    return [ln.strip() for ln in page.splitlines() if ln.strip()]


def _flat(page: str) -> str:
    return re.sub(r"\s", "", page)


def test_a_cjk_font_is_embedded(zh) -> None:
    rows = subprocess.run(["pdffonts", str(zh.pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    cjk = [r for r in rows if "CJK" in r.split()[0]]
    assert cjk and all(r.split()[-5] == "yes" for r in cjk), rows  # the emb column


def test_the_headline_figures_are_in_the_printed_text(zh, en) -> None:
    one = _flat(zh.pages[0])
    for figure in ("全市2394个党支部、党员52417人", "答卷回收率达98.8%", "平均成绩99.5分"):
        assert figure in one
    assert "all 52,417 members of the city's 2,394 Party branches" in " ".join(_lines(en.pages[0]))
    assert "98.8%" in en.pages[0] and "99.5 points" in en.pages[0]


def test_page_one_alone_then_the_report_and_a_sane_page_count(zh, en) -> None:
    assert 20 <= len(zh.pages) <= 60 and 15 <= len(en.pages) <= 60
    one, two = _flat(zh.pages[0]), _flat(zh.pages[1])
    assert "要点" in one and one.rstrip("—0123456789").endswith("薄弱环节明细见附件。")
    assert "一、总体情况" not in one
    assert two.startswith("梅州市先进性教育活动学习培训情况汇报（统计截至2005年2月25日）省委先进办、省委督导组：")
    assert "一、总体情况" in two


def test_every_page_is_numbered_between_dashes(zh, en) -> None:
    for printed in (zh, en):
        for n, page in enumerate(printed.pages, start=1):
            assert re.fullmatch(rf"—\s*{n}\s*—", _lines(page)[-1]), (n, _lines(page)[-1])


def _words(pdf: Path) -> list[tuple[int, float, float, float, float, str]]:
    """(page, xMin, yMin, xMax, yMax, text) of every word pdftotext finds."""
    out, page = [], 0
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for line in bbox.splitlines():
        if "<page " in line:
            page += 1
        m = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', line)
        if m:
            out.append((page, *(float(m.group(i)) for i in range(1, 5)), m.group(5)))
    return out


def test_the_signoff_sits_on_the_right_the_date_four_characters_in(zh) -> None:
    words = _words(zh.pdf)
    page, _, y0, x1, y1, _ = next(w for w in words if "领导小组办公室" in w[5])
    date = [w for w in words if w[0] == page and y1 < w[2] < y1 + 40]
    assert "".join(w[5] for w in date) == "2005年2月25日"
    em = 16.0
    assert abs(max(w[3] for w in date) - (RIGHT_EDGE_PT - 4 * em)) < 3  # four characters in from the edge
    assert RIGHT_EDGE_PT - x1 >= 2 * em - 3  # the office at least two characters in


def test_tables_repeat_their_header_row_on_the_pages_they_run_onto(zh) -> None:
    """The ranking table's second group and the weak-link table run over pages: each continuation
    page starts with the table's header row."""
    flat = [_flat(p) for p in zh.pages]
    ranking = next(i for i, p in enumerate(flat) if p.startswith("附表1"))
    assert flat[ranking + 1].startswith("县（市、区）讨论会事迹报告会形势报告会上党课交流会四会一课")
    drill = next(i for i, p in enumerate(flat) if p.startswith("附表2"))
    continued = [p for p in flat[drill + 1:]]
    assert continued, "the weak-link table fits one page: nothing to check"
    for page in continued:
        assert page.startswith("单位指标数值全市目标值") or re.match(r"^\w+：薄弱环节\d+处", page), page[:40]


def test_no_heading_is_left_alone_at_the_foot_of_a_page(zh, en) -> None:
    for printed in (zh, en):
        for n, page in enumerate(printed.pages, start=1):
            body = _lines(page)[:-1]  # without the page number
            if body:
                assert re.sub(r"\s", "", body[-1]) not in printed.headings, (n, body[-1])


def test_no_text_runs_past_the_text_block(zh, en) -> None:
    """Every word within the 156 mm block (tables included); a full-width comma may hang, as Word lets it."""
    for printed in (zh, en):
        words = _words(printed.pdf)
        assert words
        for _, x0, y0, x1, y1, word in words:
            hang = y1 - y0 if word and word[-1] in HANGING else 0.0
            assert x1 <= RIGHT_EDGE_PT + hang + 1.5, (word, x1)
            assert x0 >= LEFT_EDGE_PT - 1.5, (word, x0)
