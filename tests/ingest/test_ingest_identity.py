"""Names as identities (pipelines/ingest/identity.py): the normalisation, the declared
equivalences, correction files, and the registry's exact, equivalent and suggested names."""

from __future__ import annotations

import pytest

from pipelines.ingest import identity
from pipelines.ingest.identity import Matching, RegistryIndex, had_invisible, matching, normalize_name

RULES = matching()


@pytest.fixture(autouse=True)
def fresh_caches():
    """matching() and the patterns are cached: cleared so that each test runs the code, not a cached result."""
    matching.cache_clear()
    identity._group_patterns.cache_clear()
    yield
    matching.cache_clear()
    identity._group_patterns.cache_clear()


def test_matching_yaml_is_read():
    rules = matching()
    assert rules == RULES and rules.equivalences == (("党总支", "党总支部", "总支部", "总支"), ("党支部", "支部"))
    assert rules.correction_words == ("补报", "更正", "修改", "修订")
    assert (rules.cutoff, rules.max_suggestions) == (0.75, 3)


def test_normalize_name_blanks_numbers_and_invisible_characters():
    assert [normalize_name(v) for v in (None, float("nan"), "", 12.0, 12.5, 7)] == ["", "", "", "12", "12.5", "7"]
    assert normalize_name("\u2028甲\u2029村\u00a0党\u1680支部\u205f") == "甲村党支部"  # line, paragraph, other spaces
    assert normalize_name("ＡＢＣ\u3000１２") == "ABC12"


def test_had_invisible_is_controls_and_format_characters_not_spaces():
    assert had_invisible("甲\u200b村") and had_invisible("甲\x07村") and had_invisible("\u202e甲")
    assert not had_invisible("甲 村\u3000") and not had_invisible(12) and not had_invisible(None)


def test_equivalence_keys_use_each_groups_first_word_longest_spelling_first():
    assert RULES.key("大丰村支部") == RULES.key("大丰村党支部") == "大丰村党支部"
    assert RULES.key("城北总支部") == RULES.key("城北党总支部") == RULES.key("城北总支") == "城北党总支"
    assert RULES.key("城北党总支") == "城北党总支" and RULES.key("城北村委会") == "城北村委会"


def test_a_correction_file_is_told_by_its_name():
    assert RULES.is_correction("梅县补报.xlsx") == "补报" and RULES.is_correction("梅县(更正).xlsx") == "更正"
    assert RULES.is_correction("梅县.xlsx") is None
    assert RULES.is_correction("梅县\uff08修订\uff09.xlsx") == "修订"


def index() -> RegistryIndex:
    return RegistryIndex(["梅县"] * 5 + ["兴宁市"], ["程江镇", "程江镇", "城东镇", "城东镇", None, "宁新街道"],
                         ["大丰村党支部", "大和村党支部", "大丰社区党支部", "大丰村党总支", "机关党总支", "大丰村党支部"],
                         RULES)


def test_an_equivalent_name_is_matched_only_when_it_names_one_branch():
    ix = index()
    assert ix.equivalent("梅县", "大丰村支部") == "大丰村党支部"
    assert ix.equivalent("梅县", "机关总支部") == "机关党总支"
    assert ix.equivalent("兴宁市", "大丰村支部") == "大丰村党支部" and ix.equivalent("平远县", "大丰村支部") is None
    assert ix.equivalent("梅县", "大坪村支部") is None
    twice = RegistryIndex(["梅县", "梅县"], ["甲镇", "乙镇"], ["新村党支部", "新村支部"], RULES)
    assert twice.equivalent("梅县", "新村党支部") is None  # two registry branches: never a guess
    same = RegistryIndex(["梅县", "梅县"], ["甲镇", "乙镇"], ["新村党支部", "新村党支部"], RULES)
    assert same.equivalent("梅县", "新村支部") == "新村党支部"  # one name listed twice is one branch
    assert ("梅县", "大丰村党支部") in ix.exact and ("梅县", "大丰村支部") not in ix.exact


def test_suggestions_come_from_the_township_first_then_the_county():
    ix = index()
    # difflib ratios: 大和村党支部x ~ 大和村党支部 0.92, ~ 大丰村党支部 0.77
    assert ix.suggestions("梅县", "程江镇", "大和村党支部x") == ["大和村党支部", "大丰村党支部"]
    # 城东镇 holds 大丰村党总支 (0.77): the county's closer 大丰村党支部 (0.92) is not offered
    assert ix.suggestions("梅县", "城东镇", "大丰村党支部x") == ["大丰村党总支"]
    # nothing close in 程江镇 (0.67 and less): the county's names
    assert ix.suggestions("梅县", "程江镇", "大丰社区党支") == ["大丰社区党支部"]
    # a row without a township: the whole county, not the registry's branches without one
    assert ix.suggestions("梅县", None, "大丰村党支") == ["大丰村党支部", "大丰村党总支"]
    assert ix.suggestions("梅县", "不在名册镇", "大丰村党支") == ["大丰村党支部", "大丰村党总支"]
    assert ix.suggestions("梅县", "程江镇", "完全不同的名字") == [] and ix.suggestions("平远县", None, "大丰村") == []


def test_a_row_without_a_township_is_not_held_to_the_registrys_branches_without_one():
    ix = RegistryIndex(["梅县"] * 3, ["程江镇", "程江镇", None], ["大丰村党支部", "大和村党支部", "大丰村机关党支部"], RULES)
    # 大丰村党支部x ~ 大丰村党支部 0.92, ~ 大丰村机关党支部 0.80, ~ 大和村党支部 0.77
    assert ix.suggestions("梅县", None, "大丰村党支部x") == ["大丰村党支部", "大丰村机关党支部", "大和村党支部"]


def test_suggestions_follow_cutoff_and_count():
    few = Matching(RULES.equivalences, RULES.correction_words, cutoff=0.9, max_suggestions=1)
    ix = RegistryIndex(["梅县"] * 3, [None] * 3, ["大丰村党支部", "大丰村党总支", "大和村党支部"], few)
    assert ix.suggestions("梅县", None, "大丰村党支部x") == ["大丰村党支部"]  # 0.92; the rest below 0.9
    many = Matching(RULES.equivalences, RULES.correction_words, cutoff=0.7, max_suggestions=3)
    ix = RegistryIndex(["梅县"] * 3, [None] * 3, ["大丰村党支部", "大丰村党总支", "大和村党支部"], many)
    # ties (0.77) in difflib's order
    assert ix.suggestions("梅县", None, "大丰村党支部x") == ["大丰村党支部", "大和村党支部", "大丰村党总支"]
    one = Matching(RULES.equivalences, RULES.correction_words, cutoff=0.7, max_suggestions=1)
    ix = RegistryIndex(["梅县"] * 4, ["甲镇", "甲镇", "乙镇", "乙镇"],
                       ["大丰村党支部", "大丰村党总支", "大和村党支部", "大和村党总支"], one)
    assert ix.suggestions("梅县", "甲镇", "大丰村党支部x") == ["大丰村党支部"]  # from the township, one
    assert ix.suggestions("梅县", "丙镇", "大丰村党支部x") == ["大丰村党支部"]  # from the county, one


def test_the_county_wide_fallback_keeps_to_the_number_of_suggestions():
    """Nothing close in the row's township: the county's names are tried, still at most max_suggestions."""
    one = Matching(RULES.equivalences, RULES.correction_words, cutoff=0.8, max_suggestions=1)
    ix = RegistryIndex(["梅县"] * 3, ["甲镇", "乙镇", "乙镇"], ["大和村党总支", "大丰村党支部", "大丰村党支部一"], one)
    assert ix.suggestions("梅县", "甲镇", "大丰村党支部x") == ["大丰村党支部"]  # 0.92 and 0.86 pass; one is asked for


def test_rarer_format_characters_outside_the_quick_pattern_are_removed_too():
    """The quick pattern lists the usual invisible characters; format characters it does not list (an
    Arabic number sign U+0600, a language tag U+E0001) are removed by their Unicode category, so a
    branch name pasted with one still matches the registry's."""
    assert normalize_name("城东\U000e0001党支部") == "城东党支部"
    assert normalize_name("\u0600光德镇") == "光德镇"
    assert normalize_name("光\u06dd德镇") == "光德镇"
    assert normalize_name("光德镇") == "光德镇"  # nothing to remove: unchanged
