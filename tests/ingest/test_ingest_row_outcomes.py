"""What a file's rows become, each checked against the file itself rather than against the cleaner.

- rows read, kept and rejected are counted independently: read from the file with the csv module
  or openpyxl (tests/ingest/cases.py), kept from returns, rejected as the distinct rows in rejects;
  a row breaking two rules is two reject records and one rejected row;
- a registry row with negative members is rejected (the registry's own rules);
- a county column wins over what the file name, sheet name or title hint;
- a 小计 row naming its township is checked against that township's rows.

Each test names, in docs/testing.md, the hand mutation it was seen to fail on.
"""

from __future__ import annotations

import json

from pipelines.ingest import clean

from cases import P, count_csv, count_xlsx, csv_file, xlsx

HEADER = ["乡镇", "党支部", "党员数", "参加学习人数", "参考人数", "回收答卷数"]


def _counts(res, path: str) -> tuple[int, int, int]:
    """(rows read, kept, rejected) from the manifest."""
    m = res.manifest.set_index("path").loc[path]
    return int(m.rows_read), int(m.rows_kept), int(m.rows_rejected)


def _independent(res, path: str) -> tuple[int, int]:
    """(rows in returns, distinct rows in rejects) of one file: counted from the tables, not the manifest."""
    kept = int((res.returns["source_file"] == path).sum())
    rej = res.rejects[(res.rejects["source_file"] == path) & res.rejects["source_row"].notna()]
    return kept, len(rej[["source_sheet", "source_row"]].drop_duplicates())


def test_a_row_breaking_two_rules_is_one_rejected_row(tmp_path):
    raw = tmp_path / "raw"
    path = csv_file(raw / P / "梅县.csv", [
        HEADER,
        ["程江镇", "甲支部", 30, 30, 30, 30],   # kept
        [None, "乙支部", 30, 31, 32, 30],       # studied > members and test_takers > members: two records, one row
        [None, "丙支部", 30, 30, 20, 25],       # sheets_returned > test_takers
        [None, "丁支部", 20, 20, 20, 20],       # kept
        ["程江镇小计", None, 110, 101, 102, 105],  # a total row: not read as a branch
        [],
        ["填表人：张三"],
    ])
    res = clean(raw, None, write=False)
    rel = f"{P}/梅县.csv"
    counted = count_csv(path, 2, 1)  # the csv module's count of the rows with a branch name
    assert counted == 4
    read, kept, rejected = _counts(res, rel)
    kept_rows, rejected_rows = _independent(res, rel)
    assert sorted(res.rejects.loc[res.rejects["branch"] == "乙支部", "rule"]) == ["studied_gt_members",
                                                                                 "test_takers_gt_members"]
    assert (read, kept, rejected) == (counted, kept_rows, rejected_rows) == (4, 2, 2)
    assert kept_rows + rejected_rows == counted


def test_registry_rows_with_negative_members_are_rejected(tmp_path):
    raw = tmp_path / "raw"
    csv_file(raw / "registry" / "名册.csv", [
        ["县(市、区)", "乡镇", "党支部", "党员数", "参加学习人数"],
        ["梅县", "程江镇", "甲支部", 30, 40],   # a returns rule (studied > members) is not a registry rule
        ["梅县", "程江镇", "乙支部", -5, None],
        ["梅县", "程江镇", None, 12, None],
    ])
    res = clean(raw, None, write=False)
    assert list(res.registry["branch"]) == ["甲支部"]
    rej = res.rejects[res.rejects["source_file"] == "registry/名册.csv"]
    assert sorted(zip(rej["rule"], rej["column"], rej["source_row"], strict=True)) == [
        ("missing_value", "branch", 4), ("negative_count", "members", 3)]
    assert _counts(res, "registry/名册.csv") == (3, 1, 2)


def test_the_county_column_wins_over_file_sheet_and_title(tmp_path):
    """The file, its sheet and its title all say 梅县; the column names the county of each row."""
    raw = tmp_path / "raw"
    path = xlsx(raw / P / "梅县.xlsx", [
        ["梅县学习培训情况统计表"],
        ["县(市、区)", "乡镇", "党支部", "党员数"],
        [None, "程江镇", "甲支部", 30],     # no county written: the hint
        ["兴宁", "宁新街道", "乙支部", 20],   # the column, not the hint
        [None, "宁新街道", "丙支部", 10],     # filled down from the row above
        ["火星县", "某镇", "丁支部", 5],      # unknown: rejected, not given the hint's county
    ], name="梅县")
    res = clean(raw, None, write=False)
    got = dict(zip(res.returns["branch"], res.returns["county"], strict=True))
    assert got == {"甲支部": "梅县", "乙支部": "兴宁市", "丙支部": "兴宁市"}
    rej = res.rejects[res.rejects["branch"] == "丁支部"]
    assert list(zip(rej["rule"], rej["raw_value"], strict=True)) == [("unknown_county", "火星县")]
    assert _counts(res, f"{P}/梅县.xlsx") == (count_xlsx(path, 3, 2, sheet="梅县"), 3, 1)


def _total_warnings(res, path: str) -> list[tuple[int, dict]]:
    w = res.warnings[(res.warnings["source_file"] == path) & (res.warnings["code"] == "total_mismatch")]
    return sorted((int(r), json.loads(p)) for r, p in zip(w["source_row"], w["params"], strict=True))


def test_a_township_subtotal_is_checked_against_its_townships_rows(tmp_path):
    """小计 rows that name their township (township column 乙镇, branch column 小计): compared with
    that township's rows when they do not follow the previous 小计 directly."""
    raw = tmp_path / "raw"
    rows = [
        ["乡镇", "党支部", "党员数", "参加学习人数"],
        ["甲镇", "一支部", 10, 10],
        ["乙镇", "二支部", 20, 20],
        ["甲镇", "三支部", 30, 30],
        ["乙镇", "四支部", 40, 40],
        ["甲镇", "小计", 40, 40],    # row 6: 甲镇 = 10 + 30 (the block above sums to 100): right
        ["乙镇", "小计", 60, 61],    # row 7: 乙镇 = 20 + 40 members, but 60 ≠ 61 studied: wrong
        ["合计", None, 100, 100],    # row 8: every branch row above: right
    ]
    csv_file(raw / P / "梅县.csv", rows)
    res = clean(raw, None, write=False)
    assert _total_warnings(res, f"{P}/梅县.csv") == [
        (7, {"label": "小计", "diffs": [{"column": "studied", "stated": 61, "sum": 60}]})]
    assert set(res.returns["branch"]) == {"一支部", "二支部", "三支部", "四支部"}
    assert _counts(res, f"{P}/梅县.csv") == (4, 4, 0)
