"""Issue 15, case by case: each file is built here, cleaned, and its exact outcome asserted.

Every case also checks, per file, the manifest's rows read against the data rows the test counts
in the file itself with another reader (tests/ingest/cases.py), its rows kept against returns and
its rows rejected against the distinct rows in rejects, and that those add up to the file's rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
import xlwt

from pipelines import config, datasets, schema
from pipelines.ingest import clean

from cases import P, count_csv, count_html, count_xlsx, csv_file, html_table, xlsx

ROOT = Path(__file__).resolve().parents[2]


def _m(res, path):
    return res.manifest.set_index("path").loc[path]


def _w(res, code, path=None):
    w = res.warnings[res.warnings["code"] == code]
    return w[w["source_file"] == path] if path else w


def _r(res, branch):
    hit = res.returns[res.returns["branch"] == branch]
    assert len(hit) == 1, (branch, res.returns[["branch", "source_file"]])
    return hit.iloc[0]


def _balanced(res, path, counted):
    """The manifest's counts against counts made apart from it: rows read by another reader
    (``counted``), rows kept from returns, rows rejected as the distinct rows in rejects."""
    m = _m(res, path)
    kept = int((res.returns["source_file"] == path).sum())
    rej = res.rejects[(res.rejects["source_file"] == path) & res.rejects["source_row"].notna()]
    rejected = len(rej[["source_sheet", "source_row"]].drop_duplicates())
    assert (m.rows_read, m.rows_kept, m.rows_rejected) == (counted, kept, rejected), path
    assert kept + rejected == counted, path


# ----------------------------------------------------------------------------- headers


THREE_ROWS = [
    ["梅县学习培训情况统计表"],
    ["乡镇", "党支部", "党员数", "学习培训情况", None, None, None, None, None, None, None, None, None],
    [None, None, None, "参加学习人数", "“四会一课”开展情况", None, None, None, None, "百题测试", None, None, "特殊群体党员"],
    [None, None, None, None, "专题学习讨论会", "先进事迹报告会", "形势报告会", "学习心得交流会", "书记上党课",
     "参考人数", "回收答卷数", "平均成绩", None],
    ["程江镇", "甲村党支部", 30, 29, 1, 2, 3, 4, 5, 28, 27, 99.5, None],
    [None, "乙村党支部", 20, 20, 0, 1, 1, 0, 1, 20, 19, 98, None],
]
THREE_MERGES = [(0, 0, 0, 12), (1, 0, 3, 0), (1, 1, 3, 1), (1, 2, 3, 2), (1, 3, 1, 12), (2, 3, 3, 3), (2, 4, 2, 8),
                (2, 9, 2, 11), (2, 12, 3, 12), (4, 0, 5, 0)]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_three_row_header_reads_every_leaf(tmp_path, fmt):
    raw = tmp_path / "raw"
    if fmt == "xlsx":
        path = xlsx(raw / P / "梅县.xlsx", THREE_ROWS, THREE_MERGES)
        counted = count_xlsx(path, 5, 1)
    else:  # the same layout without a merge list: blanks where the merges were
        path = csv_file(raw / P / "梅县.csv", THREE_ROWS)
        counted = count_csv(path, 5, 1)
    res = clean(raw, tmp_path / "out")
    r = _r(res, "甲村党支部")
    assert (r.members, r.studied, r.discussion_meetings, r.deeds_reports, r.situation_reports, r.exchange_meetings,
            r.party_lectures, r.test_takers, r.sheets_returned, r.avg_score) == (30, 29, 1, 2, 3, 4, 5, 28, 27, 99.5)
    assert _r(res, "乙村党支部").township == "程江镇" and _r(res, "乙村党支部").sheets_returned == 19
    # the group 特殊群体党员 has no leaf under it: a warning naming column M, nothing else
    w = res.warnings[(res.warnings["level"] == "warning") & res.warnings["source_file"].notna()]
    assert list(w["code"]) == ["unresolved_column"] and list(w["column"]) == ["M"]
    assert "特殊群体党员" in w.iloc[0].message_zh and "column M" in w.iloc[0].message_en
    _balanced(res, path.relative_to(raw).as_posix(), counted)


# ----------------------------------------------------------------------------- what the person sees


def _openpyxl_book(path: Path, rows: list[list], setup=None) -> Path:  # noqa: ANN001
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if setup:
        setup(ws)
    wb.save(path)
    return path


def test_hidden_stale_column_loses_and_hidden_row_is_read_and_flagged(tmp_path):
    raw = tmp_path / "raw"

    def hide(ws):  # noqa: ANN001
        ws.column_dimensions["C"].hidden = True
        ws.row_dimensions[3].hidden = True
        stale = ws.parent.create_sheet("旧表")  # a hidden sheet of last week's figures
        for row in (["党支部", "党员数"], ["甲支部", 1], ["丁支部", 2]):
            stale.append(row)
        stale.sheet_state = "hidden"

    path = _openpyxl_book(raw / P / "梅县.xlsx", [
        ["党支部", "党员数", "参加学习人数", "参加学习人数"],
        ["甲支部", 30, 19, 24],
        ["乙支部", 20, 11, 18],  # hidden row
    ], hide)
    res = clean(raw, tmp_path / "out")
    assert _r(res, "甲支部").studied == 24 and _r(res, "乙支部").studied == 18
    f = f"{P}/梅县.xlsx"
    col = _w(res, "hidden_column_ignored", f)
    assert len(col) == 1 and col.iloc[0].column == "C" and json.loads(col.iloc[0].params)["used"] == "D"
    row = _w(res, "hidden_row", f)
    assert list(row["source_row"]) == [3] and _m(res, f).hidden_rows == 1
    assert set(res.returns["branch"]) == {"甲支部", "乙支部"} and _m(res, f).sheets == "Sheet"
    assert list(_w(res, "hidden_sheet_skipped", f)["source_sheet"]) == ["旧表"]
    _balanced(res, f, count_xlsx(path, 2, 0, sheet="Sheet"))


def test_percent_formats_are_read_as_shown(tmp_path):
    raw = tmp_path / "raw"

    def fmt(ws):  # noqa: ANN001
        ws["E2"].number_format = "0.0%"
        ws["D3"].number_format = "0%"

    path = _openpyxl_book(raw / P / "梅县.xlsx", [
        ["党支部", "党员数", "参考人数", "回收答卷数", "平均成绩"],
        ["甲支部", 30, 30, 30, 0.988],  # 98.8% on screen
        ["乙支部", 20, 20, 0.5, 99],  # a count shown as 50%
    ], fmt)
    res = clean(raw, tmp_path / "out")
    assert _r(res, "甲支部").avg_score == pytest.approx(98.8)
    rej = res.rejects[res.rejects["rule"] == "percent_count"]
    assert len(rej) == 1
    assert (rej.iloc[0].source_row, rej.iloc[0].column, rej.iloc[0].raw_value) == (3, "sheets_returned", "50%")
    assert "row 3" in rej.iloc[0].message_en and "第3行" in rej.iloc[0].message_zh
    note = _w(res, "percent_read")
    assert len(note) == 1 and note.iloc[0].column == "avg_score" and "98.8%" in note.iloc[0].message_en
    _balanced(res, f"{P}/梅县.xlsx", count_xlsx(path, 2, 0))


def test_cached_errors_and_unsaved_formulas_are_rejected_with_the_cell(tmp_path):
    raw = tmp_path / "raw"
    path = raw / P / "梅县.xlsx"
    path.parent.mkdir(parents=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["党支部", "党员数", "参加学习人数"])
    ws.write_row(1, 0, ["甲支部", 30, 29])
    ws.write(2, 0, "乙支部")
    ws.write_formula(2, 1, "=1/0", None, "#DIV/0!")
    ws.write(2, 2, 10)
    ws.write_row(3, 0, ["丙支部", 12])
    ws.write_formula(3, 2, "=#REF!+1", None, "#REF!")
    wb.close()
    openpyxl_path = _openpyxl_book(raw / P / "平远县.xlsx", [["党支部", "党员数"], ["丁支部", "=10+5"], ["戊支部", 8]])
    res = clean(raw, tmp_path / "out")
    rej = res.rejects.set_index("source_row")
    mine = rej[rej["source_file"] == f"{P}/梅县.xlsx"]
    assert mine.loc[3, "rule"] == "excel_error" and mine.loc[3, "column"] == "members"
    assert "#DIV/0!" in mine.loc[3, "message_en"] and "#DIV/0!" in mine.loc[3, "message_zh"]
    assert mine.loc[4, "rule"] == "excel_error" and mine.loc[4, "column"] == "studied" and "#REF!" in mine.loc[4, "message_en"]
    theirs = rej[rej["source_file"] == f"{P}/平远县.xlsx"]
    assert theirs.loc[2, "rule"] == "uncached_formula" and "=10+5" in theirs.loc[2, "message_en"]
    assert _r(res, "戊支部").members == 8
    _balanced(res, f"{P}/梅县.xlsx", count_xlsx(path, 2, 0))
    _balanced(res, f"{P}/平远县.xlsx", count_xlsx(openpyxl_path, 2, 0))


# ----------------------------------------------------------------------------- bounded reading


def _claim_a1(path: Path) -> None:
    """Rewrite the sheet's <dimension> to A1, as some writers always do."""
    import re
    import zipfile

    parts = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parts[info.filename] = zf.read(info.filename)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            if name.endswith("sheet1.xml"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', data)
            zf.writestr(name, data)


@pytest.mark.slow
@pytest.mark.parametrize("dimension", ["true", "says A1"])
def test_a_value_at_the_far_corner_is_named_not_allocated(tmp_path, dimension):
    raw = tmp_path / "raw"
    path = raw / P / "梅县.xlsx"
    path.parent.mkdir(parents=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["党支部", "党员数"])
    ws.write_row(1, 0, ["甲支部", 30])
    ws.write(1048575, 16383, "x")  # XFD1048576
    wb.close()
    if dimension != "true":
        _claim_a1(path)
    # a dense grid would be 17 billion cells: the process would abort (its peak memory is measured by
    # benchmarks/ingest.py, the far-corner file, not asserted here)
    proc = subprocess.run([sys.executable, "-m", "pipelines", "clean", "--raw", str(raw), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    w = datasets.read(tmp_path / "out", config.WARNINGS_TABLE)
    stray = w[w["code"] == "stray_cell"]
    assert len(stray) == 1 and json.loads(stray.iloc[0].params) == {"cell": "XFD1048576", "value": "x"}
    assert "XFD1048576" in stray.iloc[0].message_en
    returns = datasets.read(tmp_path / "out", config.RETURNS_TABLE)
    assert list(returns["branch"]) == ["甲支部"]


# ----------------------------------------------------------------------------- what is a return


def test_a_lock_file_name_on_the_only_copy_is_read_a_real_lock_file_skipped(tmp_path):
    raw = tmp_path / "raw"
    only = xlsx(raw / P / "~$梅县.xlsx", [["党支部", "党员数"], ["甲支部", 30]])
    xlsx(raw / P / "平远县.xlsx", [["党支部", "党员数"], ["乙支部", 20]])
    (raw / P / "~$平远县.xlsx").write_bytes(b"\x05owner" + b" " * 157)  # what Excel leaves while it is open
    res = clean(raw, tmp_path / "out")
    assert sorted(res.manifest["path"]) == [f"{P}/~$梅县.xlsx", f"{P}/平远县.xlsx"]
    assert _r(res, "甲支部").county == "梅县"
    assert len(_w(res, "lock_file_name", f"{P}/~$梅县.xlsx")) == 1
    _balanced(res, f"{P}/~$梅县.xlsx", count_xlsx(only, 2, 0))


@pytest.mark.parametrize(
    ("name", "write", "kind", "lied"),
    [
        ("网上导出.xls", "html", "html", True),
        ("梅县.xls", "xlsx", "xlsx", True),
        ("梅县.xlsx", "xls", "xls", True),
        ("梅县.txt", "utf16", "utf16", False),
        ("梅县.csv", "utf16", "utf16", False),
    ],
)
def test_formats_are_told_by_their_bytes(tmp_path, name, write, kind, lied):
    raw = tmp_path / "raw"
    rows = [["县区", "党支部", "党员数"], ["梅县", "甲支部", 30], ["梅县", "乙支部", 20]]
    path = raw / P / name
    path.parent.mkdir(parents=True)
    if write == "html":
        html_table(path, rows, charset="gb2312")
        counted = count_html(path, 2, 1)
    elif write == "xlsx":
        xlsx(path, rows)
        counted = count_xlsx(Path(xlsx(tmp_path / "same.xlsx", rows)), 2, 1)
    elif write == "xls":
        wb = xlwt.Workbook(encoding="utf-8")
        ws = wb.add_sheet("Sheet1")
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                ws.write(r, c, v)
        wb.save(str(path))
        counted = 2
    else:  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
        csv_file(path, rows, encoding="utf-16", delimiter="\t")
        counted = count_csv(path, 2, 1, encoding="utf-16", delimiter="\t")
    res = clean(raw, tmp_path / "out")
    f = f"{P}/{name}"
    assert _m(res, f).format == kind and _m(res, f).status in ("ok", "warning")
    assert _r(res, "甲支部").members == 30 and _r(res, "乙支部").county == "梅县"
    mismatch = _w(res, "extension_mismatch", f)
    assert len(mismatch) == (1 if lied else 0)
    if lied:
        assert json.loads(mismatch.iloc[0].params) == {"extension": Path(name).suffix, "detected": kind}
    _balanced(res, f, counted)


def test_a_few_bad_bytes_flag_their_line_the_rest_is_read(tmp_path):
    raw = tmp_path / "raw"
    text = "党支部,乡镇,党员数\n甲支部,程江镇,30\n乙支部,城东镇,20\n丙支部,城西镇,10\n"
    data = bytearray(text.encode("gb18030"))
    bad_at = data.index("城东".encode("gb18030")) + 2  # a stray byte inside line 3
    data[bad_at:bad_at] = b"\xff"
    path = raw / P / "梅县.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(bytes(data))
    res = clean(raw, tmp_path / "out")
    assert len(res.returns) == 3 and _r(res, "乙支部").members == 20
    w = _w(res, "undecodable_bytes", f"{P}/梅县.csv")
    assert len(w) == 1 and w.iloc[0].source_row == 3
    assert json.loads(w.iloc[0].params) == {"line": 3, "offset": bad_at, "count": 1, "encoding": "gb18030"}
    _balanced(res, f"{P}/梅县.csv", count_csv(path, 2, 0, encoding="gb18030"))
    # a file that is mostly bad is unreadable, and says so
    (raw / P / "乱码.csv").write_bytes(b"\xff\xfe\xfd,\x81\n" * 3 + "党支部\n".encode("gb18030"))
    res = clean(raw, tmp_path / "out")
    assert _m(res, f"{P}/乱码.csv").status == "unreadable"
    assert "undecodable" in res.rejects.set_index("source_file").loc[f"{P}/乱码.csv", "message_en"]


# ----------------------------------------------------------------------------- identity


def test_names_normalised_equivalences_matched_near_misses_suggested(tmp_path):
    raw = tmp_path / "raw"
    csv_file(raw / "registry" / "名册.csv", [
        ["县(市、区)", "乡镇", "党支部", "党员数"],
        ["梅县", "程江镇", "大丰村党支部", 30], ["梅县", "程江镇", "城东社区党支部", 20],
        ["梅县", "程江镇", "南山村党支部", 10],
    ])
    path = csv_file(raw / P / "梅县.csv", [
        ["乡镇", "党支部", "党员数"],
        ["程江镇", "大丰\u200b村党支部", 30],  # a zero-width space
        ["程江镇", "城东社区支部", 20],  # 支部 for 党支部
        ["程江镇", "南山材党支部", 10],  # a typo: not guessed, suggested
    ])
    res = clean(raw, tmp_path / "out")
    f = f"{P}/梅县.csv"
    assert sorted(res.returns["branch"]) == ["南山材党支部", "城东社区党支部", "大丰村党支部"]
    assert len(_w(res, "format_characters_removed", f)) == 1
    assert "\\u200b" in _w(res, "format_characters_removed", f).iloc[0].message_en
    eq = _w(res, "branch_matched_by_equivalence", f)
    assert json.loads(eq.iloc[0].params) == {"branch": "城东社区支部", "registry_branch": "城东社区党支部"}
    un = _w(res, "unregistered_branch", f)
    assert len(un) == 1 and json.loads(un.iloc[0].params)["suggestions"] == ["南山村党支部"]
    assert "南山村党支部" in un.iloc[0].message_zh and _m(res, f).unmatched_branches == 1
    _balanced(res, f, count_csv(path, 2, 1))


@pytest.mark.parametrize("written", ["梅州市梅县", "441403", "441421", "Meixian", "梅县区"])
def test_counties_resolve_by_name_code_prefix_and_pinyin(tmp_path, written):
    raw = tmp_path / "raw"
    path = csv_file(raw / P / "统计表.csv", [["县区", "党支部", "党员数"], [written, "甲支部", 30]])
    res = clean(raw, tmp_path / "out")
    assert _r(res, "甲支部").county == "梅县" and _r(res, "甲支部").county_code == "441421"
    _balanced(res, f"{P}/统计表.csv", count_csv(path, 2, 1))


def test_county_given_only_by_a_code_column(tmp_path):
    raw = tmp_path / "raw"
    path = csv_file(raw / P / "统计表.csv", [["行政区划代码", "党支部", "党员数"], ["441422", "甲支部", 30],
                                           ["441402", "乙支部", 20]])
    res = clean(raw, tmp_path / "out")
    assert _r(res, "甲支部").county == "大埔县" and _r(res, "乙支部").county == "梅江区"
    _balanced(res, f"{P}/统计表.csv", count_csv(path, 2, 1))


# ----------------------------------------------------------------------------- periods and layout


@pytest.mark.parametrize("folder", ["2005-2-25", "20050225", "2005年2月25日", "2005-02-25 ", "2005.02.25"])
def test_period_folders_in_common_spellings(tmp_path, folder):
    raw = tmp_path / "raw"
    path = csv_file(raw / folder / "梅县.csv", [["党支部", "党员数"], ["甲支部", 30]])
    res = clean(raw, tmp_path / "out")
    f = f"{folder}/梅县.csv"
    assert _m(res, f).period == pd.Timestamp(P) and _r(res, "甲支部").period == pd.Timestamp(P)
    note = _w(res, "period_folder_normalised", f)
    assert len(note) == 1 and json.loads(note.iloc[0].params) == {"folder": folder, "period": P}
    _balanced(res, f, count_csv(path, 2, 0))


def test_an_impossible_period_folder_is_an_error_that_says_so(tmp_path):
    raw = tmp_path / "raw"
    csv_file(raw / "2005-02-30" / "梅县.csv", [["党支部", "党员数"], ["甲支部", 30]])
    res = clean(raw, tmp_path / "out")
    m = _m(res, "2005-02-30/梅县.csv")
    assert m.status == "unreadable" and pd.isna(m.period)
    msg = res.rejects.set_index("source_file").loc["2005-02-30/梅县.csv"]
    assert "28 days" in msg.message_en and "只有28天" in msg.message_zh and res.exit_status == 1


def test_units_and_column_number_rows_are_layout_not_data(tmp_path):
    raw = tmp_path / "raw"
    path = xlsx(raw / P / "梅县.xlsx", [
        ["乡镇", "党支部", "党员数", "参加学习人数", "书记上党课"],
        [None, None, "人", "人", "次"],
        ["甲", "乙", 1, 2, 3],
        ["程江镇", "甲支部", 30, 29, 2],
        ["程江镇", "乙支部", 20, 20, 1],
    ])
    res = clean(raw, tmp_path / "out")
    f = f"{P}/梅县.xlsx"
    assert res.rejects.empty and len(res.returns) == 2
    notes = _w(res, "layout_row_skipped", f)
    assert list(notes["source_row"]) == [2, 3]
    assert [json.loads(p)["kind"] for p in notes["params"]] == ["units", "column_numbers"]
    assert "栏次" in notes.iloc[1].message_zh and _m(res, f).status == "ok"
    assert _m(res, f).warnings == "" and json.loads(_m(res, f).warning_counts) == {"layout_row_skipped": 2}
    _balanced(res, f, count_xlsx(path, 4, 1))


# ----------------------------------------------------------------------------- corrections and totals


def test_a_correction_file_supersedes_two_ordinary_files_stay_duplicates(tmp_path):
    raw = tmp_path / "raw"
    first = xlsx(raw / P / "梅县.xlsx", [["党支部", "党员数"], ["甲支部", 30], ["乙支部", 20]])
    fix = xlsx(raw / P / "梅县补报.xlsx", [["党支部", "党员数"], ["乙支部", 22]])
    a = csv_file(raw / P / "平远县一.csv", [["党支部", "党员数"], ["丙支部", 5]])
    b = csv_file(raw / P / "平远县二.csv", [["党支部", "党员数"], ["丙支部", 6]])
    res = clean(raw, tmp_path / "out")
    r = _r(res, "乙支部")
    assert r.members == 22 and r.source_file == f"{P}/梅县补报.xlsx"
    sup = res.rejects[res.rejects["rule"] == "superseded"]
    assert len(sup) == 1 and sup.iloc[0].source_file == f"{P}/梅县.xlsx" and sup.iloc[0].source_row == 3
    assert "梅县补报.xlsx" in sup.iloc[0].message_en and "梅县补报.xlsx" in sup.iloc[0].message_zh
    note = _w(res, "superseded_by_correction", f"{P}/梅县.xlsx")
    assert json.loads(note.iloc[0].params) == {"rows": 1, "other_file": f"{P}/梅县补报.xlsx"}
    assert json.loads(_w(res, "correction_supersedes", f"{P}/梅县补报.xlsx").iloc[0].params)["other_file"] == f"{P}/梅县.xlsx"
    assert _r(res, "丙支部").members == 5
    dup = res.rejects[res.rejects["rule"] == "duplicate_branch"]
    assert list(dup["source_file"]) == [f"{P}/平远县二.csv"]
    for path, counted in ((first, count_xlsx(first, 2, 0)), (fix, count_xlsx(fix, 2, 0)),
                          (a, count_csv(a, 2, 0)), (b, count_csv(b, 2, 0))):
        _balanced(res, path.relative_to(raw).as_posix(), counted)


def test_total_words_inside_names_are_not_totals(tmp_path):
    raw = tmp_path / "raw"
    path = xlsx(raw / P / "梅县.xlsx", [
        ["乡镇", "党支部", "党员数", "合计人数"],
        ["城东镇", "城东小计组党支部", 10, 10],
        ["城东镇", "城西党支部", 5, 5],
        ["城东镇小计", None, 15],
        ["合计", None, 16],  # wrong: 15
    ])
    res = clean(raw, tmp_path / "out")
    assert _r(res, "城东小计组党支部").members == 10
    mism = _w(res, "total_mismatch")
    assert len(mism) == 1 and mism.iloc[0].source_row == 5 and mism.iloc[0].county == "梅县"
    assert json.loads(mism.iloc[0].params) == {"label": "合计", "diffs": [{"column": "members", "stated": 16, "sum": 15}]}
    assert list(_w(res, "unknown_column")["params"].map(json.loads)) == [{"header": "合计人数"}]
    _balanced(res, f"{P}/梅县.xlsx", count_xlsx(path, 2, 1))


# ----------------------------------------------------------------------------- inputs with little in them


def test_no_registry_and_a_period_with_only_an_empty_file(tmp_path):
    raw = tmp_path / "raw"
    (raw / "2005-02-18").mkdir(parents=True)
    (raw / "2005-02-18" / "梅县.csv").write_bytes(b"")
    (raw / "2005-02-11").mkdir()  # an empty period folder
    path = csv_file(raw / P / "梅县.csv", [["党支部", "党员数"], ["甲支部", 30]])
    res = clean(raw, tmp_path / "out")
    for name in ("returns", "registry", "rejects", "warnings", "manifest"):
        back = datasets.read(tmp_path / "out", name)
        assert list(back.columns) == list(schema.SCHEMAS[name].columns)
    assert res.registry.empty and len(res.returns) == 1
    no_reg = _w(res, "no_registry")
    assert len(no_reg) == 1 and pd.isna(no_reg.iloc[0].source_file)
    empty = _w(res, "period_without_returns")
    assert list(empty["source_file"]) == ["2005-02-11/", "2005-02-18/"]
    assert list(empty["period"]) == [pd.Timestamp("2005-02-11"), pd.Timestamp("2005-02-18")]
    assert pd.isna(_m(res, f"{P}/梅县.csv").unmatched_branches)
    _balanced(res, f"{P}/梅县.csv", count_csv(path, 2, 0))


def test_nothing_at_all_still_writes_every_table(tmp_path):
    raw = tmp_path / "raw"
    (raw / P).mkdir(parents=True)
    res = clean(raw, tmp_path / "out")
    assert res.exit_status == 0 and res.returns.empty and res.manifest.empty
    assert set(res.warnings["code"]) == {"no_registry", "period_without_returns"}
    assert datasets.exists(tmp_path / "out", config.WARNINGS_TABLE)


# ----------------------------------------------------------------------------- safe messages


def test_control_characters_are_escaped_and_long_values_cut(tmp_path):
    raw = tmp_path / "raw"
    long_header = "很长" * 5000
    path = csv_file(raw / P / "梅县.csv", [["党支部", "党员数", long_header],
                                          ["恶意\x1b[2J支部\x07", 30, 1], ["\u202e部支党常正", 20, 1]])
    res = clean(raw, tmp_path / "out")
    texts = pd.concat([res.warnings["message_en"], res.warnings["message_zh"], res.manifest["warnings"]])
    assert not texts.str.contains("[\x00-\x1f\x7f\u202e]", regex=True).any()
    assert texts.str.contains("\\x1b", regex=False).any() and texts.str.contains("\\u202e", regex=False).any()
    unknown = _w(res, "unknown_column").iloc[0]
    assert len(unknown.message_en) < 300 and "…" in unknown.message_en
    assert set(res.returns["branch"]) == {"恶意[2J支部", "部支党常正"}  # the names themselves are cleaned
    proc = subprocess.run([sys.executable, "-m", "pipelines", "clean", "--raw", str(raw), "--out", str(tmp_path / "o2")],
                          capture_output=True, cwd=ROOT)
    assert proc.returncode == 0 and b"\x1b" not in proc.stderr and b"\x07" not in proc.stderr
    assert max(len(line) for line in proc.stderr.splitlines()) < 400
    _balanced(res, f"{P}/梅县.csv", count_csv(path, 2, 0))


# ----------------------------------------------------------------------------- one file, one result


def test_a_files_own_outcome_does_not_depend_on_the_other_files(tmp_path):
    """Rows, row rejects and warnings of each file are the same cleaned alone or among others
    (the checks across files — duplicates, corrections, registry — aside): issue 19 can cache them."""
    raw = tmp_path / "raw"
    xlsx(raw / P / "梅县.xlsx", THREE_ROWS, THREE_MERGES)
    csv_file(raw / P / "平远县.csv", [["党支部", "党员数", "参加学习人数"], ["甲支部", 30, 31], ["乙支部", "x", 1]])
    csv_file(raw / P / "大埔县.csv", [["党支部", "党员数"], ["丙支部", 30], ["小计", 31]])
    together = clean(raw, tmp_path / "out", write=False)
    cross = {"duplicate_branch", "superseded", "unregistered_branch", "branch_matched_by_equivalence",
             "correction_supersedes", "superseded_by_correction", "no_registry", "period_without_returns"}
    for f in sorted((raw / P).iterdir()):
        alone_raw = tmp_path / f"alone-{f.stem}" / P
        alone_raw.mkdir(parents=True)
        (alone_raw / f.name).write_bytes(f.read_bytes())
        alone = clean(alone_raw.parent, tmp_path / "o", write=False)
        name = f"{P}/{f.name}"
        mine = together.returns[together.returns["source_file"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.returns.reset_index(drop=True))
        rj = together.rejects[together.rejects["source_file"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(rj, alone.rejects.reset_index(drop=True))
        wt = together.warnings[(together.warnings["source_file"] == name) & ~together.warnings["code"].isin(cross)]
        wa = alone.warnings[~alone.warnings["code"].isin(cross)]
        pd.testing.assert_frame_equal(wt.reset_index(drop=True), wa.reset_index(drop=True))
        m1 = together.manifest.set_index("path").loc[name]
        m2 = alone.manifest.set_index("path").loc[name]
        assert (m1.rows_read, m1.rows_kept, m1.rows_rejected, m1.sha256) == (m2.rows_read, m2.rows_kept,
                                                                            m2.rows_rejected, m2.sha256)
