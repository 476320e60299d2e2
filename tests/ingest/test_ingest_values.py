"""Number, yes/no and name parsing: every way a county types a value, and what stays bad."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.ingest import values as V


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (35, 35), (35.0, 35), ("35", 35), ("35人", 35), (" 35 人 ", 35), ("０份", 0), ("28份", 28),
        ("２８", 28), ("三十三", 33), ("十", 10), ("十二", 12), ("一百零五", 105), ("两百", 200),
        ("-", 0), ("—", 0), ("--", 0), ("无", 0), ("1,234", 1234), ("-3", -3),
    ],
)
def test_counts_read_as_typed(raw, expected):
    assert V.parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "35.5", 35.5, "三十三x", "1.2.3", True])
def test_counts_that_cannot_be_read_are_bad_not_null(raw):
    assert V.parse_count(raw) is V._BAD


@pytest.mark.parametrize(("raw", "reason"), [("98%", "percent_count"), ("#DIV/0!", "excel_error"),
                                             ("#REF!", "excel_error"), ("=SUM(B2:B4)", "uncached_formula")])
def test_counts_that_cannot_be_read_say_why(raw, reason):
    import pandas as pd

    values, why = V.to_counts(pd.Series([raw, "3"], dtype=object))
    assert V.REASON_RULES[int(why.iloc[0])] == reason and pd.isna(values.iloc[0])
    assert int(why.iloc[1]) == 0 and values.iloc[1] == 3


@pytest.mark.parametrize("raw", ["", None, "  ", "/", float("nan")])
def test_blank_is_blank_not_zero(raw):
    assert V.parse_count(raw) is V._BLANK


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("99、5", 99.5), ("99.5", 99.5), (99.5, 99.5), ("99.5分", 99.5), ("九十九点五", 99.5), ("99.5%", 99.5), ("１００", 100.0)],
)
def test_scores(raw, expected):
    assert V.parse_score(raw) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("是", True), ("否", False), ("√", True), ("×", False), ("有", True), ("无", False), (1, True), (0, False), ("Y", True)],
)
def test_yes_no(raw, expected):
    assert V.parse_yes_no(raw) is expected


def test_yes_no_unknown_is_bad():
    assert V.parse_yes_no("也许") is V._BAD


def test_vectorised_counts_keep_blank_zero_and_bad_apart():
    s = pd.Series(["35人", 35.0, "", "abc", None, "２８", "-", "三十三"], dtype=object)
    counts, bad = V.to_counts(s)
    assert str(counts.dtype) == "Int64"
    assert counts.tolist()[:2] == [35, 35]
    assert counts.isna().tolist() == [False, False, True, True, True, False, False, False]
    assert counts.iloc[6] == 0 and counts.iloc[7] == 33 and counts.iloc[5] == 28
    assert bad.tolist() == [False, False, False, True, False, False, False, False]


def test_vectorised_parsing_keeps_the_index():
    s = pd.Series(["1", "2", "1"], index=[10, 20, 30], dtype=object)
    counts, bad = V.to_counts(s)
    assert counts.index.tolist() == [10, 20, 30] and counts.tolist() == [1, 2, 1] and not bad.any()


def test_names_are_nfkc_and_spaces_removed_around_cjk():
    assert V.normalize_name(" 南口镇　机关  党支部 ") == "南口镇机关党支部"
    assert V.normalize_name("Ｐａｒｔｙ  Branch") == "PartyBranch"  # every Unicode space goes
    assert V.normalize_name("大丰\u200b村党支部\u202e") == "大丰村党支部"  # and every format character
    names = V.to_names(pd.Series([" 甲村\u3000党支部", None, ""], dtype=object))
    assert names.iloc[0] == "甲村党支部" and names.iloc[1:].isna().all()


def test_raw_text_shows_what_was_typed():
    assert V.raw_text(35.0) == "35" and V.raw_text("abc") == "abc" and V.raw_text(None) == ""


# ----------------------------------------------------------------------------- the parsers' edges


@pytest.mark.parametrize(("raw", "expected"), [
    ("二〇〇五", 2005), ("〇", 0), ("九", 9), ("十万", 100000), ("一万零五百", 10500), ("负三", -3), ("-三", -3),
    ("一点五", 1.5), ("点五", 0.5), ("三点一四", 3.14), ("壹佰零伍", 105), ("两千", 2000), ("三百万", 3000000),
])
def test_chinese_numerals(raw, expected):
    assert V.chinese_to_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "负", "点", "一点x", "三十x", "三X", "X三", "abc", "亿"])
def test_not_chinese_numerals(raw):
    assert V.chinese_to_number(raw) is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("+3", (3.0, False)), (".5", (0.5, False)), ("3.", (3.0, False)), ("35%", (35.0, True)), ("1,234.5", (1234.5, False)),
    ("12,34", (V._BAD, False)), ("3人次", (3.0, False)), ("5个支部", (5.0, False)), ("99。5", (99.5, False)),
    ("#div/0!", (V._ERROR, False)), ("=A1", (V._FORMULA, False)), ("／", (V._BLANK, False)), ("\\", (V._BLANK, False)),
    ("——", (0.0, False)), ("〇", (0.0, False)), (np.int64(7), (7.0, False)), (np.float64("nan"), (V._BLANK, False)),
    (dt.date(2005, 2, 25), (V._BAD, False)), (dt.time(8, 0), (V._BAD, False)), (False, (V._BAD, False)),
])
def test_parse_number(raw, expected):
    assert V.parse_number(raw) == expected


def test_a_count_is_whole_and_a_score_keeps_its_decimals():
    assert V.parse_count(35.0) == 35 and V.parse_count("35.5") is V._BAD and V.parse_count("35%") is V._PERCENT
    assert V.parse_count("#REF!") is V._ERROR and V.parse_count("=B2") is V._FORMULA and V.parse_count("") is V._BLANK
    assert V.parse_score("99.5%") == 99.5 and V.parse_score("#N/A") is V._ERROR and V.parse_score("") is V._BLANK
    assert isinstance(V.parse_count("35"), int)


@pytest.mark.parametrize(("raw", "expected"), [
    (True, True), (False, False), (1.0, True), (0.0, False), (2, V._BAD), (float("nan"), V._BLANK), (None, V._BLANK),
    ("/", V._BLANK), (" ", V._BLANK), ("#N/A", V._ERROR), ("=IF(A1,1,0)", V._FORMULA), ("YES", True), ("No", False),
    ("已制定", True), ("未制定", False), ("✓", True), ("✗", False), ("是 ", True), ("—", False),
])
def test_yes_no_edges(raw, expected):
    assert V.parse_yes_no(raw) is expected


def test_normalize_text_and_raw_text():
    assert V.normalize_text(" ＡＢ１ ") == "AB1" and V.normalize_text(35.0) == "35" and V.normalize_text(None) == ""
    assert V.normalize_text(float("nan")) == "" and V.normalize_text("ok") == "ok" and V.normalize_text(3.5) == "3.5"
    assert V.raw_text(V._BLANK) == "" and V.raw_text(float("nan")) == "" and V.raw_text(35.5) == "35.5"
    assert V.raw_text(7) == "7"


# ----------------------------------------------------------------------------- columns, encoded once


def encoded(cells: list) -> V.Encoded:
    codes, uniques = V.factorize_cells(np.array(cells, dtype=object))
    return V.Encoded(codes, uniques)


def test_factorize_keeps_booleans_apart_from_the_numbers_they_hash_like():
    codes, uniques = V.factorize_cells(np.array([1, True, 1.0, None, False, 0, "是"], dtype=object))
    got = [None if c < 0 else uniques[c] for c in codes]
    assert [type(g) for g in got] == [int, bool, int, type(None), bool, int, str]
    assert got[1] is True and got[4] is False and codes[3] == -1
    plain_codes, plain = V.factorize_cells(np.array(["a", "b", "a", None], dtype=object))
    assert plain_codes.tolist() == [0, 1, 0, -1] and list(plain) == ["a", "b"] and plain_codes.dtype == np.int64


def test_an_encoded_column_parses_only_the_values_it_uses():
    shared = np.array(["35", "abc", "是", "12"], dtype=object)  # one table of distinct values for every column
    col = V.Encoded(np.array([0, 3, -1, 0], dtype=np.int64), shared)
    assert len(col) == 4 and col.value(0) == "35" and col.value(1) == "12" and col.value(2) is None
    assert not col.all_missing() and not V.Encoded(np.array([0, 0]), shared).all_missing()
    assert col.in_use().tolist() == [0, 3]
    small = col.compact()
    assert list(small.uniques) == ["35", "12"] and small.codes.tolist() == [0, 1, -1, 0]
    assert small.compact() is small and V.Encoded(np.array([-1, -1]), shared).all_missing()
    counts, bad = V.to_counts(col)  # "abc" is in the table but not in this column: nothing bad
    assert counts.tolist() == [35, 12, pd.NA, 35] and bad.tolist() == [0, 0, 0, 0]
    assert list(counts.index) == [0, 1, 2, 3] and counts.name is None


def test_scores_and_yes_no_columns_with_their_reasons():
    scores, bad = V.to_scores(pd.Series(["99、5", "#DIV/0!", None, "abc", "100"], dtype=object, name="avg_score"))
    assert scores.tolist()[0] == 99.5 and scores.tolist()[4] == 100.0 and scores.isna().tolist()[1:4] == [True] * 3
    assert [V.REASON_RULES.get(int(b)) for b in bad] == [None, "excel_error", None, "unparseable_value", None]
    assert str(scores.dtype) == "Float64" and scores.name == "avg_score"
    yn, bad = V.to_yes_no(pd.Series(["是", "否", "也许", None, "=A1"], dtype=object))
    assert yn.tolist()[:2] == [True, False] and yn.isna().tolist()[2:] == [True] * 3
    assert [V.REASON_RULES.get(int(b)) for b in bad] == [None, None, "unparseable_value", None, "uncached_formula"]
    assert str(yn.dtype) == "boolean"


def test_codes_names_and_text_columns():
    codes = V.to_codes(encoded([441421.0, "441403", None, " 441481 ", "４４１４２２", "441402.0"]))
    assert codes.tolist()[:2] == ["441421", "441403"] and pd.isna(codes.iloc[2])
    assert codes.tolist()[3:] == ["441481", "441422", "441402"] and codes.dtype == "str"
    names = V.to_names(encoded(["甲村 党支部", "乙\u200b村", None, "", 12.0, "ＡＢ"]))
    assert names.tolist()[:2] == ["甲村党支部", "乙村"] and names.isna().tolist()[2:4] == [True, True]
    assert names.tolist()[4:] == ["12", "AB"]
    text = V.to_text(pd.Series([" 梅县 ", None, 3.0], dtype=object, index=[5, 6, 7]))
    assert text.tolist()[0] == "梅县" and pd.isna(text.iloc[1]) and text.iloc[2] == "3" and list(text.index) == [5, 6, 7]


def test_names_flagged_for_totals_and_notes():
    flags = {"total": ("endswith", ("小计", "合计")), "note": ("startswith", ("填表人", "注:")), "any": ("contains", ("(",))}
    names, hit = V.to_names_flagged(encoded(["乙镇小计", "合计", "填表人：张三", "城东小计组党支部", "注:本表", None,
                                             "一(1)支部", "张三填表人"]), flags)
    assert hit["total"].tolist() == [True, True, False, False, False, False, False, False]
    assert hit["note"].tolist() == [False, False, True, False, True, False, False, False]  # NFKC: 填表人： → 填表人:
    assert hit["any"].tolist() == [False] * 6 + [True, False]
    assert names.tolist()[0] == "乙镇小计" and pd.isna(names.iloc[5])
    _, none = V.to_names_flagged(encoded(["甲"]), {"total": ("endswith", ())})
    assert none["total"].tolist() == [False]


def test_a_name_of_spaces_is_blank_and_never_a_total_row():
    """A branch cell of spaces normalises to nothing (<NA>): it is not flagged as a 小计 or a note."""
    flags = {"total": ("endswith", ("小计",)), "note": ("startswith", ("填表人",))}
    names, hit = V.to_names_flagged(encoded(["甲支部", "  ", "\u3000", "乙镇小计"]), flags)
    assert names.isna().tolist() == [False, True, True, False]
    assert hit["total"].tolist() == [False, False, False, True] and hit["total"].dtype == bool
    assert hit["note"].tolist() == [False] * 4 and hit["note"].dtype == bool
    _, none = V.to_names_flagged(encoded(["甲", None]), {"total": ("endswith", ())})
    assert none["total"].dtype == bool  # rows.py ORs the masks into boolean arrays


def test_an_all_blank_column_is_all_na_text():
    for parse in (V.to_text, V.to_names, V.to_codes):
        got = parse(pd.Series([None, float("nan")], dtype=object, index=[3, 4], name="township"))
        assert got.isna().all() and list(got.index) == [3, 4] and got.dtype == "str", parse
        col = parse(V.Encoded(np.array([-1, -1, -1], dtype=np.int64), np.array(["甲", "乙"], dtype=object)))
        assert len(col) == 3 and col.isna().all() and col.dtype == "str", parse


def test_a_column_using_part_of_a_shared_table_gets_its_own_names():
    shared = np.array(["甲村 党支部", "35", "乙村党支部", "是"], dtype=object)
    names = V.to_names(V.Encoded(np.array([2, -1, 0, 2], dtype=np.int64), shared))
    assert names.tolist()[0] == "乙村党支部" and pd.isna(names.iloc[1]) and names.tolist()[2:] == ["甲村党支部", "乙村党支部"]
