"""The row rules and the total rows, on typed frames built here: each rule where it turns, with
its reasons in Chinese and English; every 小计/合计 against the rows it sums.

These are the fast tests ``make mutate`` runs against pipelines/ingest/rules.py and totals.py;
the same rules on real files are in test_ingest_clean.py and test_ingest_row_outcomes.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.ingest import rules, totals
from pipelines.schema import COUNT_COLUMNS


def typed(rows: list[dict]) -> pd.DataFrame:
    """Typed rows as rows.py hands them to the rules: every count Int64, the score Float64."""
    frame = pd.DataFrame({
        "branch": pd.array([r.get("branch", "甲支部") for r in rows], dtype="str"),
        **{c: pd.array([r.get(c) for r in rows], dtype="Int64") for c in COUNT_COLUMNS},
        "avg_score": pd.array([r.get("avg_score") for r in rows], dtype="Float64"),
        "_bad_members": np.array([r.get("_bad_members", False) for r in rows], dtype=bool),
    })
    frame.index = pd.RangeIndex(10, 10 + len(frame))  # the stacked frame's own index is kept
    return frame


def broken(frame_rows: list[dict], **kw) -> list[tuple]:
    b = rules.broken_rows(typed(frame_rows), **kw)
    return list(zip(b["_idx"], b["rule"], b["column"], strict=True))


OK = {"members": 30, "studied": 30, "test_takers": 30, "sheets_returned": 30, "avg_score": 99.0}


def test_a_good_row_and_blanks_break_nothing():
    assert broken([OK, {"members": 30}, {"members": 0, "studied": 0, "test_takers": 0, "sheets_returned": 0}]) == []


def test_a_blank_branch_or_blank_members_is_missing_unless_the_members_cell_was_unreadable():
    assert broken([{**OK, "branch": None}, {"members": None, "discussion_meetings": 1},
                   {"members": None, "_bad_members": True}]) == [
        (10, "missing_value", "branch"), (11, "missing_value", "members")]


def test_negative_counts_in_every_count_column():
    rows = [{**OK, c: -1} for c in COUNT_COLUMNS]
    got = broken(rows)
    negatives = [(i, col) for i, r, col in got if r == "negative_count"]
    assert negatives == [(10 + k, c) for k, c in enumerate(COUNT_COLUMNS)]
    assert broken([{**OK, "special_sick": 0}]) == []


def test_studied_above_members_but_not_above_test_takers():
    """Compared with members (the rule), whatever the test takers are."""
    assert broken([{**OK, "studied": 31, "test_takers": 30}]) == [(10, "studied_gt_members", "studied")]
    assert broken([{"members": 30, "studied": 25, "test_takers": 20}]) == []
    assert broken([{"members": 30, "studied": 30}]) == []


def test_test_takers_above_members_and_sheets_above_takers():
    assert broken([{**OK, "test_takers": 31, "sheets_returned": 31}]) == [(10, "test_takers_gt_members", "test_takers")]
    assert broken([{**OK, "sheets_returned": 31}]) == [(10, "sheets_returned_gt_test_takers", "sheets_returned")]
    assert broken([{"members": 30, "studied": 40, "sheets_returned": 31}]) == [(10, "studied_gt_members", "studied")]


def test_scores_outside_0_to_100_or_without_takers():
    assert broken([{**OK, "avg_score": 100.0}, {**OK, "avg_score": 0.0}]) == []
    assert broken([{**OK, "avg_score": 100.5}, {**OK, "avg_score": -0.5}]) == [
        (10, "score_out_of_range", "avg_score"), (11, "score_out_of_range", "avg_score")]
    assert broken([{"members": 30, "avg_score": 99.0}, {"members": 30, "test_takers": 0, "sheets_returned": 0,
                                                         "avg_score": 99.0}]) == [
        (10, "score_without_takers", "avg_score"), (11, "score_without_takers", "avg_score")]
    assert broken([{"members": 30, "test_takers": 1, "sheets_returned": 1, "avg_score": 99.0}]) == []


def test_outreach_above_the_special_members():
    special = {"special_sick": 1, "special_travel": 1, "special_laid_off": 0, "special_retired_away": 1,
               "special_floating": 1}
    assert broken([{**OK, **special, "delivered_study": 2, "makeup_study": 2}]) == []  # 4 of 4
    assert broken([{**OK, **special, "delivered_study": 3, "makeup_study": 2}]) == [
        (10, "outreach_gt_special", "delivered_study")]
    assert broken([{**OK, "special_floating": 1, "makeup_study": 2}]) == [(10, "outreach_gt_special", "delivered_study")]
    assert broken([{**OK, "delivered_study": 3}, {**OK, "special_sick": 1}]) == []  # one side not given


def test_a_row_breaking_several_rules_has_one_record_per_rule_in_rule_order():
    got = broken([OK, {"members": 10, "studied": 11, "test_takers": 12, "sheets_returned": 13, "discussion_meetings": -1,
                       "avg_score": 101.0}])
    assert got == [(11, "negative_count", "discussion_meetings"), (11, "studied_gt_members", "studied"),
                   (11, "test_takers_gt_members", "test_takers"),
                   (11, "sheets_returned_gt_test_takers", "sheets_returned"),
                   (11, "score_out_of_range", "avg_score")]


def test_only_the_rows_asked_for_and_only_the_rules_given():
    rows = [{**OK, "studied": 31}, {**OK, "studied": 31}]
    assert broken(rows, rows=np.array([False, True])) == [(11, "studied_gt_members", "studied")]
    only = [r for r in rules.row_rules() if r.rule == "negative_count"]
    assert broken(rows, rules=only) == []
    empty = rules.broken_rows(typed([OK]))
    assert list(empty.columns) == ["_idx", "rule", "column", "detail_zh", "detail_en"] and empty.empty


def test_reasons_in_chinese_and_english_quote_the_values():
    special = {"special_sick": 1, "special_travel": 2}
    rows = [{**OK, "branch": None}, {"members": None}, {**OK, "members": -2, "studied": None, "test_takers": None,
                                                        "sheets_returned": None, "avg_score": None},
            {**OK, "studied": 31}, {**OK, "test_takers": 32, "sheets_returned": 32}, {**OK, "sheets_returned": 33},
            {**OK, "avg_score": 100.5}, {"members": 30, "avg_score": 99.5},
            {**OK, **special, "delivered_study": 3, "makeup_study": 1}]
    b = rules.broken_rows(typed(rows))
    assert list(zip(b["detail_zh"], b["detail_en"], strict=True)) == [
        ("党支部名称为空,但该行填有数据", "branch name is blank on a row that has data"),
        ("党员数为空(党支部及其党员数为必填项)", "members is blank (the branch and its members are required)"),
        ("人数或次数为负数(-2)", "negative count (-2)"),
        ("参加学习人数 31 大于党员数 30", "studied 31 is above members 30"),
        ("参考人数 32 大于党员数 30", "test_takers 32 is above members 30"),
        ("回收答卷数 33 大于参考人数 30", "sheets_returned 33 is above test_takers 30"),
        ("平均成绩 100.5 不在 0–100 之间", "avg_score 100.5 is outside 0–100"),
        ("填有平均成绩 99.5,但参考人数为空", "avg_score 99.5 is given but test_takers is blank"),
        ("送学 3 + 补学 1 超过特殊群体党员数合计 3", "delivered_study 3 + makeup_study 1 is above the special members 3"),
    ]
    zero = rules.broken_rows(typed([{"members": 30, "test_takers": 0, "sheets_returned": 0, "avg_score": 99.5}]))
    assert list(zip(zero["detail_zh"], zero["detail_en"], strict=True)) == [
        ("填有平均成绩 99.5,但参考人数为0", "avg_score 99.5 is given but test_takers is 0")]


def test_values_are_shown_as_written():
    row = pd.Series({"a": 99.0, "b": 99.5, "c": None, "d": pd.NA, "e": 7, "f": "x"})
    assert [rules._v(row, c) for c in "abcdef"] == ["99", "99.5", "空", "空", "7", "x"]
    assert [rules._ve(row, c) for c in "abcdef"] == ["99", "99.5", "blank", "blank", "7", "x"]
    assert rules._v(row, "missing") == "空" and rules._ve(row, "missing") == "blank"


# ----------------------------------------------------------------------------- totals


def sheet(rows: list[tuple], sheet_key: int = 1, file: int = 0, first_row: int = 2) -> pd.DataFrame:
    """Rows (label kind, township cell, members, studied): kind '' a branch row, '小计', '合计', 'blank'."""
    kind = {"": 0, "小计": 1, "合计": 2, "blank": 0}
    return pd.DataFrame({
        "members": pd.array([r[2] for r in rows], dtype="Int64"),
        "studied": pd.array([r[3] for r in rows], dtype="Int64"),
        "township": pd.array([r[1] for r in rows], dtype="str"),
        "_total": np.array([kind[r[0]] for r in rows], dtype=np.int8),
        "_branch_row": np.array([r[0] == "" for r in rows], dtype=bool),
        "_sheet_key": sheet_key, "_file": file, "_sheet": f"S{sheet_key}",
        "_row": np.arange(first_row, first_row + len(rows)),
    })


def check(*sheets: pd.DataFrame, columns=("members", "studied")) -> list[tuple]:
    df = pd.concat(sheets, ignore_index=True)
    return [(f, s, r, p["label"], [(d["column"], d["stated"], d["sum"]) for d in p["diffs"]])
            for f, s, r, p in totals.check_totals(df, list(columns))]


def test_each_subtotal_sums_the_rows_since_the_previous_one():
    s = sheet([("", None, 10, 9), ("", None, 20, 20), ("小计", None, 30, 29),
               ("", None, 5, 5), ("小计", None, 6, 5), ("合计", None, 35, 34)])
    assert check(s) == [(0, "S1", 6, "小计", [("members", 6, 5)])]


def test_a_total_sums_every_branch_row_of_its_sheet_above_it_and_blanks_are_not_compared():
    s = sheet([("", None, 10, 9), ("blank", None, None, None), ("", None, 20, None), ("合计", None, 31, None),
               ("合计", None, None, 8)])
    assert check(s) == [(0, "S1", 5, "合计", [("members", 31, 30)]), (0, "S1", 6, "合计", [("studied", 8, 9)])]


def test_totals_stay_within_their_sheet_and_name_it():
    a = sheet([("", None, 10, 10), ("小计", None, 10, 10)], sheet_key=1)
    b = sheet([("", None, 7, 7), ("小计", None, 17, 7), ("合计", None, 7, 7)], sheet_key=2, file=3)
    b["_sheet"] = ""
    assert check(a, b) == [(3, None, 3, "小计", [("members", 17, 7)])]


def test_a_total_on_the_first_row_of_a_later_sheet_sums_nothing_before_it():
    a = sheet([("", None, 10, 10), ("合计", None, 10, 10)], sheet_key=1)
    b = sheet([("合计", None, 7, None), ("", None, 7, 7)], sheet_key=2)
    assert check(a, b) == [(0, "S2", 2, "合计", [("members", 7, 0)])]


def test_subtotal_blocks_follow_the_previous_subtotal_of_the_same_sheet_only():
    """Sheet 1 has no 小计; sheet 2's first 小计 starts at the sheet's first row; its second follows it."""
    a = sheet([("", None, 10, 10), ("合计", None, 10, 10)], sheet_key=1)
    b = sheet([("", None, 5, 5), ("小计", None, 5, 5), ("", None, 3, 3), ("小计", None, 3, 3)], sheet_key=2)
    c = sheet([("", None, 4, 4), ("小计", None, 4, 4), ("", None, 6, 6), ("小计", None, 6, 6), ("小计", None, 1, 1)],
              sheet_key=3)
    assert check(a, b, c) == [(0, "S3", 6, "小计", [("members", 1, 0), ("studied", 1, 0)])]


def test_a_subtotal_naming_its_township_is_compared_with_that_townships_rows():
    s = sheet([("", "甲镇", 10, 10), ("", "乙镇", 20, 20), ("", "甲镇", 30, 30), ("小计", "甲镇", 40, 40),
               ("小计", "乙镇", 21, 20), ("小计", "丙镇", 5, 5)])
    assert check(s) == [(0, "S1", 6, "小计", [("members", 21, 20)]),
                        (0, "S1", 7, "小计", [("members", 5, 0), ("studied", 5, 0)])]


def test_only_the_columns_given_are_checked_and_nothing_without_totals():
    s = sheet([("", None, 10, 10), ("小计", None, 10, 99)])
    assert check(s, columns=("members",)) == []
    assert check(sheet([("", None, 10, 10)])) == []
    assert check(s, columns=("branch",)) == []


def test_a_sheet_with_a_single_total_row_is_checked():
    assert check(sheet([("", None, 10, 10), ("", None, 20, 20), ("合计", None, 31, 30)])) == [
        (0, "S1", 4, "合计", [("members", 31, 30)])]


def test_the_township_cells_given_are_the_ones_a_subtotal_is_matched_by():
    """rows.py passes the township cells as written (the frame's own column may be filled from hints)."""
    s = sheet([("", None, 10, 10), ("", None, 20, 20), ("小计", None, 20, 20)])
    written = pd.Series(["甲镇", "乙镇", "乙镇"], dtype="str")
    got = totals.check_totals(s, ["members", "studied"], written)
    assert got == []  # 乙镇's rows: 20, as stated
    assert [p["diffs"] for *_, p in totals.check_totals(s, ["members", "studied"])] == [
        [{"column": "members", "stated": 20, "sum": 30}, {"column": "studied", "stated": 20, "sum": 30}]]


def test_a_grand_total_naming_a_township_is_still_the_whole_sheets_sum():
    """Only a 小计 is matched by its township: a 合计 with a township cell still sums every branch row."""
    s = sheet([("", "甲镇", 10, 10), ("", "乙镇", 20, 20), ("合计", "乙镇", 20, 20)])
    assert check(s) == [(0, "S1", 4, "合计", [("members", 20, 30), ("studied", 20, 30)])]
