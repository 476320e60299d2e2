"""The sample's 汇报 as Word, opened with python-docx: the headline figures, every sentence of the report
model in its order, the sections as Word headings, the ranking table with its header row repeating,
the 落款 where GB/T 9704 puts it, the 「— 1 —」 page fields, the East Asian font names and the page set-up
— and the same document in English, from the same model."""

from __future__ import annotations

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt

from pipelines.domain import load

HEADINGS = ["要　点", "一、总体情况", "二、进展情况", "三、主要薄弱环节", "四、下一步工作", "五、数据说明"]


@pytest.fixture(scope="module")
def doc(word_report):
    return docx.Document(str(word_report.path))


def _texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def _style_ids(document) -> dict[str, str]:
    return {s.style_id: s.name for s in document.styles}


def test_the_headline_figures_are_in_the_document(doc, word_report) -> None:
    text = "".join(_texts(doc))
    for figure in ("全市2394个党支部、党员52417人", "答卷回收率达98.8%", "平均成绩99.5分", "参考率达100%"):
        assert figure in text
    assert word_report.result.period == "2005-02-25"


def test_every_sentence_of_the_model_is_there_in_its_order(doc, word_report) -> None:
    """Nothing re-phrased, nothing dropped, nothing moved: page one, the opening and 一…五 as the HTML says them."""
    from pipelines.report.model import sentences

    text = "\n".join(_texts(doc))
    at = 0
    for s in sentences(word_report.model):
        found = text.find(s["text"], at)
        assert found >= 0, (s["id"], s["text"], text[at:at + 200])
        at = found + len(s["text"])


def test_the_sections_are_word_headings_for_the_navigation_pane(doc, word_report) -> None:
    ids = _style_ids(doc)
    level1 = [p.text for p in doc.paragraphs if ids.get(p._p.style) == "Heading 1"]
    assert level1[:len(HEADINGS)] == HEADINGS
    annexes = word_report.model["annexes"]
    for key in ("ranking", "figures", "counties", "drill"):
        assert annexes[key]["heading"] in level1
    outline = doc.styles["Heading 1"].element.pPr.find(qn("w:outlineLvl"))
    assert outline is not None and outline.get(qn("w:val")) == "0"
    level2 = [p.text for p in doc.paragraphs if ids.get(p._p.style) == "Heading 2"]
    assert [f"{c}督导清单" for c in load.county_order()] == [t for t in level2 if t.endswith("督导清单")]
    assert doc.paragraphs[0].text == word_report.model["title"] and ids[doc.paragraphs[0]._p.style] == "Title"


def _ranking_tables(doc):
    return [t for t in doc.tables if t.rows[0].cells[0].text == "县（市、区）" and len(t.rows) == 11]


def test_the_ranking_table_repeats_its_header_row_and_names_every_unit(doc, word_report) -> None:
    tables = _ranking_tables(doc)
    groups = word_report.model["annexes"]["ranking"]["groups"]
    assert len(tables) == len(groups) == 2
    for table, group in zip(tables, groups, strict=True):
        header = table.rows[0]
        assert [c.text for c in header.cells][1:] == [c["label"] for c in group["columns"]]
        flag = header._tr.trPr.find(qn("w:tblHeader"))
        assert flag is not None and flag.get(qn("w:val")) == "true"
        assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:])
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows[1:])
        assert [r.cells[0].text for r in table.rows[1:]] == [*load.county_order(), "全市"]
    dabu = next(r for r in tables[1].rows if r.cells[0].text == "大埔县")
    lecture = [c["id"] for c in groups[1]["columns"]].index("lecture_coverage") + 1
    assert dabu.cells[lecture].paragraphs[0].text == "80%" and "第9" in dabu.cells[lecture].text


def test_every_table_repeats_its_header_row(doc) -> None:
    for table in doc.tables[1:]:  # the first is page one's row of key figures
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None, table.rows[0].cells[0].text


def test_addressee_and_signoff_sit_where_the_standard_puts_them(doc) -> None:
    ids = _style_ids(doc)
    paras = doc.paragraphs
    addressee = next(i for i, p in enumerate(paras) if p.text == "省委先进办、省委督导组：")
    assert paras[addressee + 1].text.startswith("现将截至2005年2月25日")
    assert paras[addressee].paragraph_format.first_line_indent in (None, 0)
    issuer = next(i for i, p in enumerate(paras) if ids.get(p._p.style) == "Sign-off")
    assert paras[issuer].text == "梅州市先进性教育活动领导小组办公室" and paras[issuer + 1].text == "2005年2月25日"
    assert paras[issuer - 1].text.startswith("文中“薄弱环节”指")  # right after the last paragraph of 五
    sign = doc.styles["Sign-off"].paragraph_format
    assert sign.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert paras[issuer + 1].paragraph_format.right_indent == Pt(16 * 4)  # the date four characters in
    assert paras[issuer].paragraph_format.right_indent >= Pt(16 * 2)
    assert paras[issuer].paragraph_format.keep_with_next and paras[issuer - 1].paragraph_format.keep_with_next


def _field(footer) -> tuple[str, list[str]]:
    p = footer.paragraphs[0]._p
    kinds = [el.get(qn("w:fldCharType")) for el in p.iter(qn("w:fldChar"))]
    instr = "".join(el.text for el in p.iter(qn("w:instrText")))
    text = "".join(t.text for t in p.iter(qn("w:t")))
    return instr.strip(), [text, *kinds]


def test_page_numbers_are_page_fields_between_dashes_odd_right_even_left(doc) -> None:
    section = doc.sections[0]
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        instr, (text, *kinds) = _field(footer)
        assert instr == "PAGE" and kinds == ["begin", "separate", "end"]
        assert text == "— 1 —"  # the cached value between the one-character dashes
        assert footer.paragraphs[0].paragraph_format.alignment == side
    run = section.footer.paragraphs[0].runs[0]
    assert run.font.size == Pt(14) and run._r.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"


def _east_asian(doc, style: str) -> str | None:
    fonts = doc.styles[style].element.rPr.rFonts
    assert not any(fonts.get(qn(a)) for a in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme"))  # named faces win
    return fonts.get(qn("w:eastAsia"))


def test_fonts_are_the_offices_by_their_east_asian_names_with_fallbacks(doc) -> None:
    assert _east_asian(doc, "Normal") == "仿宋_GB2312" and doc.styles["Normal"].font.size == Pt(16)
    assert _east_asian(doc, "Title") == "方正小标宋简体" and doc.styles["Title"].font.size == Pt(22)
    assert _east_asian(doc, "Heading 1") == "黑体" and not doc.styles["Heading 1"].font.bold
    assert _east_asian(doc, "Heading 2") == "楷体_GB2312"
    assert doc.styles["Normal"].paragraph_format.line_spacing == Pt(28.95)  # 22 lines in the 225 mm block
    assert doc.styles["Normal"].paragraph_format.first_line_indent == Pt(32)  # two characters
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    table = doc.part.part_related_by("http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable")
    fonts = {f.get(qn("w:name")): f for f in docx.oxml.parse_xml(table.blob).findall(qn("w:font"))}
    assert fonts["仿宋_GB2312"].find(qn("w:altName")).get(qn("w:val")) == "仿宋"
    assert fonts["黑体"].find(qn("w:family")).get(qn("w:val")) == "modern"


def test_a4_with_the_standards_margins(doc) -> None:
    s = doc.sections[0]

    def mm(length) -> float:  # Word stores twentieths of a point
        return round(length.mm, 1)

    assert (mm(s.page_width), mm(s.page_height)) == (210, 297)
    assert (mm(s.top_margin), mm(s.bottom_margin), mm(s.left_margin), mm(s.right_margin)) == (37, 35, 28, 26)
    assert mm(Emu(s.page_width - s.left_margin - s.right_margin)) == 156


def test_the_figures_that_help_on_paper_are_pictures(doc, word_report) -> None:
    assert word_report.result.figures == 3 and word_report.result.figures_error is None
    shapes = doc.inline_shapes
    assert len(shapes) == 3 and all(0 < s.width <= Mm(156) for s in shapes)
    captions = [p.text for p in doc.paragraphs if p.text.startswith("图")]
    assert [c[:2] for c in captions] == ["图1", "图2", "图3"]


def test_page_one_is_a_page_of_its_own(doc, word_report) -> None:
    paras = doc.paragraphs
    second_title = next(i for i, p in enumerate(paras) if i > 0 and p.text == word_report.model["title"])
    assert paras[second_title].paragraph_format.page_break_before
    assert paras[second_title - 1].text == word_report.model["page_one"]["pointer"]["text"]


def test_the_same_report_in_english_from_the_same_model(sample_chain, tmp_path) -> None:
    from pipelines.documents.word import write_report_docx
    from pipelines.report import tables
    from pipelines.report.model import report_model, sentences

    result = write_report_docx(sample_chain, tmp_path / "report.en.docx", language="en", figures=False)
    assert result.figures == 0 and result.figures_error == "figures off"
    en = docx.Document(str(result.path))
    model = report_model(tables.load_report_data(sample_chain, language="en"), "en")
    text = "\n".join(_texts(en))
    at = 0
    for s in sentences(model):
        found = text.find(s["text"], at)
        assert found >= 0, (s["id"], s["text"])
        at = found + len(s["text"])
    ids = _style_ids(en)
    level1 = [p.text for p in en.paragraphs if ids.get(p._p.style) == "Heading 1"]
    assert "1. Overview" in level1 and "4. Next steps" in level1
    assert not any(p.text.startswith("Figure") for p in en.paragraphs)  # figures off: no 附图 at all
    assert "（" not in text  # English lists take English brackets
    rank = next(t for t in en.tables if t.rows[0].cells[0].text == "County")
    assert rank.rows[-1].cells[0].text == model["annexes"]["ranking"]["groups"][0]["rows"][-1]["label"]


def test_the_command_refuses_a_period_that_is_not_in_the_tables(sample_chain, tmp_path) -> None:
    import subprocess
    import sys

    out = tmp_path / "x.docx"
    done = subprocess.run([sys.executable, "-m", "pipelines", "docx", "--processed", str(sample_chain), "--out", str(out),
                           "--period", "2005-03-30", "--no-figures"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "2005-03-30" in done.stderr and "2005-02-25" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not out.exists()


def test_the_report_command_keeps_the_html_when_the_word_document_fails(tmp_path, monkeypatch, capsys) -> None:
    """python -m pipelines report: a report.docx that cannot be written is one line on stderr and exit
    status 3, and no link to it (the HTML and PDF are still made: run() goes on after _docx)."""
    import argparse

    from pipelines.documents import word
    from pipelines.report import cli

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(word, "write_report_docx", broken)
    args = argparse.Namespace(processed=tmp_path, period=None, language="zh", issuer=None, issue_date=None,
                              addressee=None)
    assert cli._docx(tmp_path, args, "") == (None, 3)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "report.docx" in err and "No space left on device" in err
