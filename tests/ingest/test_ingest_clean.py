"""The whole stage on a small messy raw folder the test builds: every kind of mess, every rule.

One module-scoped clean (a few hundred milliseconds) serves most tests; each asserts one
behaviour of the issue.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipelines import datasets
from pipelines.ingest import clean
from pipelines.ingest.cli import configure, run

from ingest_files import branch_row as row
from ingest_files import report_sheet, write_csv, write_xls, write_xlsx

P = "2005-02-25"


def build_raw(raw: Path) -> Path:
    write_csv(raw / "registry" / "名册.csv", [
        ["县(市、区)", "行政区划代码", "乡镇", "党支部", "党员数"],
        ["兴宁", "", "甲镇", "一支部", 35], ["兴宁市", "", "甲镇", "二支部", 35], ["兴宁市", "", "甲镇", "三支部", 20],
        ["兴宁市", "", "乙镇", "四支部", 10], ["兴宁市", "", "乙镇", "五支部", 12],
        ["潮安县", "445121", "彩塘镇", "金砂村党支部", 40],
    ], encoding="gbk")
    # 兴宁: title + 统计截止 + two-row merged header, merged township, subtotals, notes, 填表说明
    rows = [
        row("甲镇", "一支部", 35),
        row(None, "二 支部", "３５人", studied="三十三", d="-", e="无", score="99、5", plan="√"),
        row(None, "三支部", 20, studied=None, d=None, e=None, s=None, x=None, l=None, takers=None, returned=None,
            score=None, rate=None, sick=None, travel=None, laid=None, retired=None, floating=None, delivered=None,
            makeup=None, plan=None),
        ["小计", None, 90],
        [],
        row("乙镇", "四支部", 10, takers=10, returned=9, score=98),
        row(None, "五支部", 12, rate="250%"),  # a wrong derived rate: never trusted
        ["乙镇小计", None, 99],  # wrong: 10 + 12 = 22
        ["合计", None, 112],
        ["填表人：张三", None, None, None, "审核人：李四"],
        ["注：本表数据截至2月25日。"],
    ]
    name, grid, merges = report_sheet("兴宁市先进性教育活动学习培训情况统计表", rows)
    merges.append((4, 0, 6, 0))  # 甲镇 merged over its three branches
    write_xlsx(raw / P / "附件3 统计表.xlsx", [(name, grid, merges), ("填表说明", [["填表说明"], ["1. 按支部填写"]], [])])
    # 梅县: legacy xls, county only in the file name, a title date that disagrees with the folder
    write_xls(raw / P / "梅县先进性教育统计表.xls", [("Sheet1", [
        ["先进性教育活动学习培训情况统计表"], ["统计截止：2005年2月24日"],
        ["乡镇", "党支部名称", "党员人数", "参考人数", "平均分"],
        ["程江镇", "湖洋村党支部", 20, 20, 99],
        [None, "大和村党支部", 15, 15, "99、5"],
    ], [])])
    # CSV in GBK with a county column: an alias, and a county nobody knows
    write_csv(raw / P / "学习培训统计表(5).csv", [
        ["县区", "乡镇", "党支部", "党员数", "参考人数"],
        ["蕉岭", "蕉城镇", "城东社区党支部", "18", "18"],
        ["火星县", "某镇", "某党支部", "9", "9"],
    ], encoding="gbk")
    # every row rule, one row each (county in a column)
    write_xlsx(raw / P / "平远县学习培训情况0225.xlsx", [("Sheet1", [
        ["县(市、区)", "乡镇", "党支部", "党员数", "参加学习人数", "专题学习讨论会", "参考人数", "回收答卷数", "平均成绩",
         "因病", "出差", "送学", "补学"],
        ["平远县", "大柘镇", "好支部", 30, 30, 1, 30, 30, 99, 1, 1, 1, 1],       # row 2: kept
        ["平远县", "大柘镇", "负数支部", 30, 30, -1, 30, 30, 99, None, None, None, None],  # 3 negative_count
        ["平远县", "大柘镇", "学习超员支部", 30, 31, 1, 30, 30, 99, None, None, None, None],  # 4 studied_gt_members
        ["平远县", "大柘镇", "参考超员支部", 30, 30, 1, 31, 30, 99, None, None, None, None],  # 5 test_takers_gt_members
        ["平远县", "大柘镇", "答卷超额支部", 30, 30, 1, 29, 30, 99, None, None, None, None],  # 6 sheets_returned_gt…
        ["平远县", "大柘镇", "高分支部", 30, 30, 1, 30, 30, 105, None, None, None, None],  # 7 score_out_of_range
        ["平远县", "大柘镇", "无人考试支部", 30, 30, 1, 0, 0, 99, None, None, None, None],  # 8 score_without_takers
        ["平远县", "大柘镇", "送学超额支部", 30, 30, 1, 30, 30, 99, 1, 1, 2, 1],  # 9 outreach_gt_special
        ["平远县", "大柘镇", "乱码支部", "abc", 30, 1, None, None, None, None, None, None, None],  # 10 unparseable
        ["平远县", "大柘镇", "缺员支部", None, 30, 1, None, None, None, None, None, None, None],  # 11 missing members
        ["平远县", "大柘镇", "好支部", 31, 30, 1, 30, 30, 99, None, None, None, None],  # 12 duplicate of row 2
        ["平远县", "大柘镇", None, 30, 30, 1, 30, 30, 99, None, None, None, None],  # 13 missing branch
    ], [])])
    # 市直单位: one sheet per working committee, no township column, a 填表说明 sheet
    header = ["党支部", "党员数", "参加学习人数"]
    write_xlsx(raw / P / "附件9 分工委学习培训情况.xlsx", [
        ("填表说明", [["填表说明:按工委分表填写"]], []),
        ("市直机关工委", [["梅州市市直单位学习培训情况统计表"], header, ["市委办党支部", 20, 20]], []),
        ("市教育局", [["梅州市市直单位学习培训情况统计表"], header, ["教育局机关党支部", 25, 24]], []),
    ])
    # a county only the registry knows (its code comes from the registry)
    write_csv(raw / P / "潮安县.csv", [["党支部", "党员数"], ["金砂村党支部", 40], ["新村党支部", 5]], encoding="utf-8-sig")
    # files that cannot be read, or lack a required column
    (raw / P / "损坏.xlsx").write_bytes(b"PK\x03\x04 broken zip")
    (raw / P / "空.csv").write_bytes(b"")
    (raw / P / "乱码.csv").write_bytes(bytes(range(256)) * 8)
    write_xlsx(raw / P / "大埔县缺列.xlsx", [("Sheet1", [["乡镇", "党支部", "参加学习人数", "参考人数"], ["x", "y", 1, 1]], [])])
    (raw / "散落.xlsx").write_bytes((raw / P / "附件3 统计表.xlsx").read_bytes())
    return raw


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    base = tmp_path_factory.mktemp("messy")
    raw = build_raw(base / "raw")
    res = clean(raw, base / "out")
    res.raw = raw  # type: ignore[attr-defined]  # the tests read the raw folder back from the result
    return res


def _m(result, path):
    return result.manifest.set_index("path").loc[path]


def _r(result, branch):
    hit = result.returns[result.returns["branch"] == branch]
    assert len(hit) == 1, (branch, hit)
    return hit.iloc[0]


def test_outputs_written(result):
    assert set(result.outputs) == {"returns", "registry", "rejects", "warnings", "manifest"}
    for path in result.outputs.values():
        assert path.exists()
    back = datasets.read(result.outputs["returns"].parent, "returns")
    pd.testing.assert_frame_equal(back, result.returns, check_dtype=False)
    assert str(back["members"].dtype) == "Int64" and str(back["avg_score"].dtype) == "Float64"


def test_two_row_header_title_rows_and_merged_township(result):
    r = _r(result, "二支部")  # "二 支部": spaces normalised
    assert r.county == "兴宁市" and r.county_code == "441481" and r.township == "甲镇"
    assert r.members == 35 and r.studied == 33 and r.discussion_meetings == 0 and r.deeds_reports == 0
    assert r.avg_score == pytest.approx(99.5) and bool(r.has_work_plan) is True
    assert r.source_file == f"{P}/附件3 统计表.xlsx" and r.source_sheet == "Sheet1" and r.source_row == 6
    assert _r(result, "一支部").source_row == 5 and _r(result, "五支部").source_row == 11


def test_blank_optional_cells_stay_null_not_zero(result):
    r = _r(result, "三支部")
    assert r.township == "甲镇" and r.members == 20
    for col in ("studied", "discussion_meetings", "test_takers", "avg_score", "special_sick", "has_work_plan"):
        assert pd.isna(r[col]), col
    # columns a file never gives stay null as well
    m = _r(result, "湖洋村党支部")
    assert pd.isna(m.studied) and pd.isna(m.special_sick) and m.test_takers == 20


def test_township_left_blank_is_filled_down(result):
    assert _r(result, "五支部").township == "乙镇"
    assert _r(result, "大和村党支部").township == "程江镇"


def test_subtotals_totals_notes_and_blank_rows_are_not_branches(result):
    xingning = result.returns[result.returns["source_file"] == f"{P}/附件3 统计表.xlsx"]
    assert sorted(xingning["branch"]) == ["一支部", "三支部", "二支部", "五支部", "四支部"]
    m = _m(result, f"{P}/附件3 统计表.xlsx")
    assert m.rows_read == 5 and m.rows_kept == 5 and m.rows_rejected == 0
    assert m.sheets == "Sheet1"  # 填表说明 skipped


def test_a_total_that_disagrees_is_a_warning_naming_row_and_column(result):
    m = _m(result, f"{P}/附件3 统计表.xlsx")
    assert m.status == "warning"
    assert "row 12" in m.warnings and "members stated 99 but its rows sum to 22" in m.warnings
    assert "row 8" not in m.warnings and "row 13" not in m.warnings  # the right 小计 and 合计


def test_county_from_file_name_and_title_date_mismatch(result):
    m = _m(result, f"{P}/梅县先进性教育统计表.xls")
    assert m.county == "梅县" and m.rows_kept == 2
    assert "2005-02-24" in m.warnings and P in m.warnings
    assert _r(result, "大和村党支部").avg_score == pytest.approx(99.5)


def test_county_column_alias_and_unknown_county(result):
    assert _r(result, "城东社区党支部").county == "蕉岭县"
    rej = result.rejects[result.rejects["rule"] == "unknown_county"]
    assert len(rej) == 1 and rej.iloc[0].raw_value == "火星县" and rej.iloc[0].source_row == 3


def test_working_committee_sheets_give_the_township(result):
    assert _r(result, "市委办党支部").township == "市直机关工委"
    assert _r(result, "教育局机关党支部").county == "市直单位"
    assert _m(result, f"{P}/附件9 分工委学习培训情况.xlsx").sheets == "市直机关工委; 市教育局"


def test_registry_names_a_county_beyond_counties_yaml(result):
    r = _r(result, "金砂村党支部")
    assert r.county == "潮安县" and r.county_code == "445121"
    reg = result.registry.set_index("branch")
    assert reg.loc["一支部", "county"] == "兴宁市" and reg.loc["一支部", "county_code"] == "441481"


def test_unmatched_branches_are_listed_not_rejected(result):
    assert _r(result, "新村党支部").members == 5
    m = _m(result, f"{P}/潮安县.csv")
    assert m.unmatched_branches == 1 and "'新村党支部' is not in the registry for 潮安县" in m.warnings
    w = result.warnings[(result.warnings["source_file"] == f"{P}/潮安县.csv")
                        & (result.warnings["code"] == "unregistered_branch")]
    assert len(w) == 1 and w.iloc[0].source_row == 3 and w.iloc[0].county == "潮安县"
    assert json.loads(w.iloc[0].params)["branch"] == "新村党支部"
    assert "新村党支部" in set(result.unmatched["branch"])
    assert "新村党支部" not in set(result.rejects["branch"].dropna())


RULE_ROWS = {
    3: ("negative_count", "discussion_meetings"),
    4: ("studied_gt_members", "studied"),
    5: ("test_takers_gt_members", "test_takers"),
    6: ("sheets_returned_gt_test_takers", "sheets_returned"),
    7: ("score_out_of_range", "avg_score"),
    8: ("score_without_takers", "avg_score"),
    9: ("outreach_gt_special", "delivered_study"),
    10: ("unparseable_value", "members"),
    11: ("missing_value", "members"),
    12: ("duplicate_branch", "branch"),
    13: ("missing_value", "branch"),
}


@pytest.mark.parametrize(("source_row", "expected"), sorted(RULE_ROWS.items()))
def test_each_rule_sends_its_row_to_rejects(result, source_row, expected):
    f = f"{P}/平远县学习培训情况0225.xlsx"
    rej = result.rejects[(result.rejects["source_file"] == f) & (result.rejects["source_row"] == source_row)]
    assert (expected[0], expected[1]) in set(zip(rej["rule"], rej["column"], strict=True))
    r = rej.iloc[0]
    assert f in r.message_zh and f"第{source_row}行" in r.message_zh and "Sheet1" in r.message_zh
    assert f"row {source_row}" in r.message_en and f"column {r.column}" in r.message_en
    assert not ((result.returns["source_file"] == f) & (result.returns["source_row"] == source_row)).any()


def test_rule_file_counts_add_up(result):
    m = _m(result, f"{P}/平远县学习培训情况0225.xlsx")
    assert (m.rows_read, m.rows_kept, m.rows_rejected) == (12, 1, 11)
    assert _r(result, "好支部").members == 30  # the first occurrence is kept


def test_unparseable_value_keeps_the_raw_value(result):
    rej = result.rejects[result.rejects["rule"] == "unparseable_value"].iloc[0]
    assert rej.raw_value == "abc" and rej.branch == "乱码支部" and rej.county == "平远县"
    assert rej.period == pd.Timestamp(P)


def test_duplicate_names_the_first_occurrence(result):
    rej = result.rejects[result.rejects["rule"] == "duplicate_branch"].iloc[0]
    assert "row 2" in rej.message_en and "平远县学习培训情况0225.xlsx" in rej.message_en and "第2行" in rej.message_zh


# the branch rows build_raw writes in each file (blank, 小计/合计, 填表人 and 注 rows are not branch rows)
BRANCH_ROWS = {"registry/名册.csv": 6, f"{P}/附件3 统计表.xlsx": 5, f"{P}/梅县先进性教育统计表.xls": 2,
               f"{P}/学习培训统计表(5).csv": 2, f"{P}/平远县学习培训情况0225.xlsx": 12,
               f"{P}/附件9 分工委学习培训情况.xlsx": 2, f"{P}/潮安县.csv": 2}


def test_rows_read_kept_and_rejected_are_counted_from_the_files_and_tables(result):
    """Each count made apart from the manifest: rows read as build_raw wrote them, rows kept from
    returns, rows rejected as the distinct rows in rejects; kept + rejected is then the file's rows."""
    m = result.manifest.set_index("path")
    assert m.loc[m["rows_read"] > 0, "rows_read"].to_dict() == BRANCH_ROWS
    for path, read in BRANCH_ROWS.items():
        table = result.registry if path.startswith("registry/") else result.returns
        kept = len(table) if path.startswith("registry/") else int((table["source_file"] == path).sum())
        rej = result.rejects[(result.rejects["source_file"] == path) & result.rejects["source_row"].notna()]
        rejected = len(rej[["source_sheet", "source_row"]].drop_duplicates())
        assert (m.loc[path, "rows_kept"], m.loc[path, "rows_rejected"]) == (kept, rejected), path
        assert kept + rejected == read, path


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        (f"{P}/损坏.xlsx", "unreadable", "Excel"),
        (f"{P}/空.csv", "unreadable", "empty"),
        (f"{P}/乱码.csv", "unreadable", "binary"),
        (f"{P}/大埔县缺列.xlsx", "missing_required_column", "members"),
        ("散落.xlsx", "unreadable", "RAW/<YYYY-MM-DD>"),
    ],
)
def test_bad_files_are_reported_and_the_rest_cleaned(result, path, status, reason):
    m = _m(result, path)
    assert m.status == status and m.rows_read == 0
    rej = result.rejects[result.rejects["source_file"] == path]
    assert len(rej) == 1 and rej.iloc[0].rule == ("unreadable_file" if status == "unreadable" else status)
    assert reason in rej.iloc[0].message_en and path in rej.iloc[0].message_zh
    assert any(e.file == path for e in result.errors)
    assert result.exit_status == 1


def test_manifest_has_one_row_per_file_with_hashes(result):
    files = sorted(p.relative_to(result.raw).as_posix() for p in result.raw.rglob("*") if p.is_file())
    assert sorted(result.manifest["path"]) == files
    m = _m(result, f"{P}/梅县先进性教育统计表.xls")
    assert len(m["sha256"]) == 64 and m["size"] == (result.raw / m.name).stat().st_size
    assert m.period == pd.Timestamp(P)
    assert pd.isna(_m(result, "registry/名册.csv").period)


def test_cli_exit_status_and_stderr(result, tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    configure(parser)
    status = run(parser.parse_args(["--raw", str(result.raw), "--out", str(tmp_path / "out")]))
    err = capsys.readouterr().err
    assert status == 1
    for path in (f"{P}/损坏.xlsx", f"{P}/空.csv", f"{P}/乱码.csv", f"{P}/大埔县缺列.xlsx"):
        assert path in err
    assert datasets.exists(tmp_path / "out", "returns")


def test_cli_exit_zero_when_every_file_is_read(tmp_path):
    import subprocess
    import sys

    write_csv(tmp_path / "raw" / P / "梅县.csv", [["党支部", "党员数"], ["甲支部", 3]])
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines", "clean", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr
    assert len(datasets.read(tmp_path / "out", "returns")) == 1
