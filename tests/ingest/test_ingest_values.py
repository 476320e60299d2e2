"""Number, yes/no and name parsing: every way a county types a value, and what stays bad."""

from __future__ import annotations

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
