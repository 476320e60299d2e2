"""The sample report on paper (Chromium's print, read back with pdftotext): A4, page one alone on
page 1, page numbers and the report's date on every page, every township and branch row of the
weak-link table printed (folded on screen), and no heading left alone at the foot of a page."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from pipelines.report.render import chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("pdftotext") is None or chromium() is None, reason="needs pdftotext and Chromium"),
]


@pytest.fixture(scope="module")
def pages(rendered_report) -> list[str]:
    assert rendered_report.pdf is not None
    out = subprocess.run(["pdftotext", "-layout", str(rendered_report.pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def _lines(page: str) -> list[str]:
    return [ln.strip() for ln in page.splitlines() if ln.strip()]


def test_a4(rendered_report) -> None:
    head = rendered_report.pdf.read_bytes()
    assert head.startswith(b"%PDF")
    assert b"/MediaBox [0 0 595" in head or b"/MediaBox [0 0 594" in head  # A4 width 595.28 pt


def test_page_numbers_and_date_on_every_page(pages) -> None:
    assert len(pages) > 10
    for n, page in enumerate(pages, start=1):
        lines = _lines(page)
        assert re.fullmatch(rf"—\s*{n}\s*—", lines[-1]), (n, lines[-1])
        assert "统计截至2005年2月25日" in lines[0], (n, lines[0])


def test_page_one_is_the_first_page_alone(pages) -> None:
    one = "".join(_lines(pages[0]))
    for figure in ("2394", "52417", "98.8%", "99.5分", "一是大埔县", "三是组织尚未参加学习的42名党员及时补学"):
        assert figure in one
    assert "一、总体情况" not in one
    assert "一、总体情况" in "".join(_lines(pages[1]))


def test_township_and_branch_rows_of_the_drill_table_are_printed(pages) -> None:
    start = next(i for i, p in enumerate(pages) if "附表2" in p and "薄弱环节明细" in p)
    drill = "\n".join(pages[start:])
    for place in ("光德镇", "青溪镇", "华阳镇", "北径村党支部", "梅南镇"):
        assert place in drill
    assert "▶" not in drill


def test_no_heading_alone_at_the_foot_of_a_page(pages, rendered_report) -> None:
    headings = re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", rendered_report.html.read_text(encoding="utf-8"), re.S)
    headings = {re.sub(r"<[^>]+>|\s", "", h) for h in headings}
    headings = {h for h in headings if len(h) >= 4}
    for n, page in enumerate(pages, start=1):
        body = _lines(page)[1:-1]  # without the page's header and its number
        if body:
            last = re.sub(r"\s", "", body[-1])
            assert last not in headings, (n, last)
