"""Reading formats: xlsx, xls, CSV in UTF-8 (BOM or not) and GBK; broken files say why."""

from __future__ import annotations

import pytest

from pipelines.ingest.errors import IngestError, UnreadableFileError
from pipelines.ingest.readers import read_file

from ingest_files import write_csv, write_xls, write_xlsx

ROWS = [["党支部", "党员数"], ["一支部", 35], ["二支部", "２８"]]


def test_xlsx_all_sheets(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [("甲", ROWS, []), ("填表说明", [["说明"]], [])])
    sheets = read_file(path).sheets
    assert [s.name for s in sheets] == ["甲", "填表说明"]
    assert sheets[0].grid[1] == ["一支部", 35.0] and sheets[0].row_number(1) == 2


def test_a_read_file_unpacks_as_its_sheets(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [("甲", ROWS, []), ("填表说明", [["说明"]], [])])
    (first, *others) = read_file(path)
    assert first.name == "甲" and [s.name for s in others] == ["填表说明"] and len(read_file(path)) == 2


def test_xls_legacy(tmp_path):
    path = write_xls(tmp_path / "a.xls", [("甲", ROWS, [])])
    (sheet,) = read_file(path).sheets
    assert sheet.grid[2][0] == "二支部" and sheet.grid[2][1] == "２８"


def test_xlsx_rows_keep_their_spreadsheet_numbers_when_the_top_is_empty(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [("甲", [[None], [None], [None, "党支部"]], [])])
    (sheet,) = read_file(path).sheets
    assert sheet.grid[2][1] == "党支部"  # row 3, column B: the empty top rows are not skipped


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    path = write_csv(tmp_path / "a.csv", ROWS, encoding=encoding)
    (sheet,) = read_file(path).sheets
    assert sheet.grid[0] == ["党支部", "党员数"]  # no BOM left on the first header
    assert sheet.grid[2] == ["二支部", "２８"]


def test_csv_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('党支部,党员数\n\n"一\n支部",3\n二支部,4\n', encoding="utf-8")
    (sheet,) = read_file(path).sheets
    assert sheet.grid[3] == ["二支部", "4"] and sheet.row_number(3) == 5
    assert sheet.row_number(2) == 3  # the record starts on line 3


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.xlsx", b"", "empty"),
        ("corrupt.xlsx", b"PK\x03\x04 this is not really a zip", "Excel"),
        ("junk.csv", bytes(range(256)) * 20, "binary"),
        ("notes.docx", b"whatever", "unsupported"),
        ("bad.xls", b"\xd0\xcf\x11\xe0 not an ole file", "Excel"),
    ],
)
def test_unreadable_files_raise_with_the_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError) as info:
        read_file(path, display=f"2005-02-25/{name}")
    err = info.value
    assert isinstance(err, IngestError) and err.rule == "unreadable_file"
    assert err.file == f"2005-02-25/{name}" and reason in err.message_en and err.message_zh
    assert str(err).startswith(f"2005-02-25/{name}")
