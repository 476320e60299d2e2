"""Properties (Hypothesis) of the value parser and the name normalisation.

- Any whole number written in a notation the returns use (digits, full-width digits, thousands
  separators, a unit after it, spaces, Chinese numerals read out or digit by digit, a sign) parses
  to itself as a count; any score to one decimal (99.5, 99、5, 99.5分, 99.5%, 九十九点五) to itself.
- Normalising a name (branch, township, county) twice gives what normalising it once gave, and
  invisible characters or spaces put into a name never make it another name.

The numerals are written here, independently of the parser (pipelines/ingest/values.py).
"""

from __future__ import annotations

import os

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipelines.ingest import values as V
from pipelines.ingest.counties import CountyTable
from pipelines.ingest.identity import matching, normalize_name

DIGITS = "零一二三四五六七八九"
CAPITAL = "零壹贰叁肆伍陆柒捌玖"
FULL_WIDTH = str.maketrans("0123456789,.-+", "０１２３４５６７８９，．－＋")
UNITS = ("人", "个", "次", "名", "场", "分", "期", "户", "位", "份", "张", "项", "篇", "人次", "个支部", "支部")
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u3000", " ", "\t", "\u00a0")

# deadline off: the shared CI machine is slow at times; `make mutate` asks for fewer examples
settings.register_profile("rwb", max_examples=200, deadline=None)
settings.register_profile("mutate", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("RWB_HYPOTHESIS_PROFILE", "rwb"))


def _section(m: int, digits: str, one_ten: bool) -> str:
    """1–9999 read out: 三千零二十, 一百零五; ``one_ten`` writes 10–19 as 一十… rather than 十…."""
    out, zero = [], False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = m // unit % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append(digits[0])
            zero = False
        out.append(("" if d == 1 and unit == 10 and not out and not one_ten else digits[d]) + name)
    return "".join(out)


def read_out(n: int, digits: str = DIGITS, one_ten: bool = False) -> str:
    """0 ≤ n < 10⁸ as it is read: 二万零一十, 一千零五, 十五."""
    if n == 0:
        return digits[0]
    high, low = divmod(n, 10_000)
    text = _section(high, digits, one_ten) + "万" if high else ""
    if low:
        text += (digits[0] if high and low < 1000 else "") + _section(low, digits, one_ten or bool(high))
    return text


def digit_by_digit(n: int) -> str:
    """二〇〇五: each digit written, 〇 for zero."""
    return "".join("〇" if c == "0" else DIGITS[int(c)] for c in str(n))


def test_the_numeral_writer_itself():
    assert [read_out(n) for n in (0, 10, 15, 105, 110, 1005, 3020, 10500, 20010, 100000, 99999999)] == [
        "零", "十", "十五", "一百零五", "一百一十", "一千零五", "三千零二十", "一万零五百", "二万零一十", "十万",
        "九千九百九十九万九千九百九十九"]
    assert digit_by_digit(2005) == "二〇〇五" and read_out(15, one_ten=True) == "一十五"


counts = st.integers(min_value=0, max_value=99_999_999)


@given(counts)
@example(0)
@example(1000)
def test_any_count_in_digits_parses_to_itself(n):
    assert V.parse_count(n) == n and V.parse_count(float(n)) == n
    assert V.parse_count(str(n)) == n and V.parse_count(f"+{n}") == n
    assert V.parse_count(str(n).translate(FULL_WIDTH)) == n
    assert V.parse_count(f"{n:,}") == n and V.parse_count(f"{n:,}".translate(FULL_WIDTH)) == n
    assert V.parse_count(f"-{n}") == -n  # kept, so that the negative_count rule can reject it


@given(counts, st.sampled_from(UNITS), st.sampled_from(("", " ", "\u3000", "  ")))
def test_a_count_with_its_unit_and_spaces_parses_to_itself(n, unit, space):
    assert V.parse_count(f"{space}{n}{space}{unit}{space}") == n


@given(counts, st.sampled_from((DIGITS, CAPITAL)), st.booleans(), st.sampled_from(("", "人", "名")))
@example(10, DIGITS, False, "")
@example(2_000, DIGITS, False, "")
def test_a_count_in_chinese_numerals_parses_to_itself(n, digits, one_ten, unit):
    assert V.parse_count(read_out(n, digits, one_ten) + unit) == n
    assert V.parse_count(digit_by_digit(n)) == n


@given(st.integers(min_value=2, max_value=9).map(lambda d: d * 100), st.sampled_from(("百", "千")))
def test_liang_for_two_before_a_unit(_, unit):
    assert V.parse_count(f"两{unit}") == (200 if unit == "百" else 2000)


scores = st.integers(min_value=0, max_value=1000).map(lambda k: k / 10)


@given(scores)
@example(99.5)
@example(100.0)
def test_any_score_to_one_decimal_parses_to_itself(x):
    whole, tenth = int(x), round(x * 10) % 10
    written = [x, str(x), f"{x}分", f"{x}%", f" {x} ", str(x).translate(FULL_WIDTH)]
    if tenth:
        written += [f"{whole}、{tenth}", f"{whole}。{tenth}", f"{read_out(whole)}点{DIGITS[tenth]}"]
    else:
        written += [str(whole), read_out(whole)]
    for w in written:
        assert V.parse_score(w) == x, w


@given(st.lists(st.one_of(counts.map(str), counts.map(read_out), counts.map(lambda n: f"{n}人")), max_size=30))
def test_the_vectorised_parser_agrees_with_the_one_value_parser(cells):
    got, bad = V.to_counts(pd.Series(cells, dtype=object))
    assert got.tolist() == [V.parse_count(c) for c in cells] and not bad.any()


# ----------------------------------------------------------------------------- names


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
cjk_names = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=8)


@given(names)
@example("e\u200b\u0301")   # an invisible character between a letter and its accent
@example("a\u00a8")          # NFKC writes ¨ as a space and a combining diaeresis
def test_normalising_a_name_twice_changes_nothing(text):
    once = normalize_name(text)
    assert normalize_name(once) == once
    assert V.normalize_text(V.normalize_text(text)) == V.normalize_text(text)


@given(cjk_names, st.lists(st.tuples(st.integers(min_value=0, max_value=8), st.sampled_from(INVISIBLE)), max_size=4))
def test_invisible_characters_and_spaces_never_make_another_name(name, inserts):
    spoiled = name
    for at, ch in inserts:
        spoiled = spoiled[:at] + ch + spoiled[at:]
    assert normalize_name(spoiled) == normalize_name(name) == name


@given(cjk_names, st.sampled_from(("党支部", "支部", "党总支", "党总支部", "总支部", "总支", "")))
def test_the_equivalence_key_of_a_branch_name_is_stable(name, kind):
    rules = matching()
    key = rules.key(name + kind)
    assert rules.key(key) == key
    if kind:  # the spellings of one kind of organisation share a key
        group = next(g for g in rules.equivalences if kind in g)
        assert {rules.key(name + w) for w in group} == {key}


TABLE = CountyTable.from_yaml()


@given(st.sampled_from(sorted(TABLE.aliases)), st.sampled_from(("", " ", "\u200b", "\u3000")),
       st.sampled_from(("", "梅州市", "梅州")))
def test_a_county_resolves_to_a_name_that_resolves_to_itself(alias, space, city):
    county = TABLE.resolve(f"{city}{space}{alias}{space}")
    assert county is not None and TABLE.resolve(county) == county
    assert TABLE.resolve(alias.upper()) == TABLE.resolve(alias)
