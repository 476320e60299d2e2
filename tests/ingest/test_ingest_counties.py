"""Counties are data: aliases and codes from counties.yaml, extended by the registry."""

from __future__ import annotations

from pipelines.ingest.counties import CountyTable


def test_aliases_resolve_to_canonical_names():
    t = CountyTable.from_yaml()
    assert t.resolve("兴宁") == "兴宁市" and t.resolve(" 兴宁市 ") == "兴宁市"
    assert t.resolve("梅县") == "梅县" and t.resolve("梅县区") == "梅县"
    assert t.resolve("市直有关单位") == "市直单位" and t.codes["市直单位"] == "441400"
    assert t.resolve("不存在县") is None


def test_county_found_in_titles_and_file_names():
    t = CountyTable.from_yaml()
    assert t.find_in("梅州市梅县先进性教育活动学习培训情况统计表") == "梅县"
    assert t.find_in("兴宁先进性教育统计表") == "兴宁市"
    assert t.find_in("中共梅州市直机关工委学习培训情况") == "市直单位"
    assert t.find_in("学习培训统计表(5)") is None


def test_registry_extends_the_table_with_new_counties_and_codes():
    t = CountyTable.from_yaml().extended(["兴宁", "潮安县", "潮安县", "饶平县"], ["441481", "445121", "445121", None])
    assert t.resolve("潮安县") == "潮安县" and t.codes["潮安县"] == "445121"
    assert t.resolve("饶平县") == "饶平县" and t.codes["饶平县"] is None
    assert t.names[-2:] == ("潮安县", "饶平县") and t.names.count("兴宁市") == 1


def table() -> CountyTable:
    """Built in each test: a table built once at import would hide what from_yaml does under test."""
    return CountyTable.from_yaml()


def test_the_table_from_counties_yaml():
    t = table()
    assert t.names == ("梅江区", "梅县", "兴宁市", "平远县", "蕉岭县", "大埔县", "丰顺县", "五华县", "市直单位")
    assert t.codes["梅县"] == "441421" and t.codes["市直单位"] == "441400"
    assert t.by_code["441421"] == "梅县" and t.by_code["441403"] == "梅县"  # 2005 and today
    assert t.city_prefixes == ("meizhou", "梅州市", "梅州")  # longest first


def test_codes_and_numbers_resolve():
    assert [table().resolve(v) for v in ("441421", 441421, 441421.0, "441421.0", "441403", " 441481 ")] == [
        "梅县", "梅县", "梅县", "梅县", "梅县", "兴宁市"]
    assert [table().resolve(v) for v in ("441499", 4414.5, "4414210", "44142", None, float("nan"), True)] == [
        None, None, None, None, None, None, None]


def test_english_and_city_prefixed_names_resolve_but_a_prefix_alone_does_not():
    assert [table().resolve(v) for v in ("Meixian", "MEIXIAN county", "Xingning City", "梅州市梅县", "梅州梅县",
                                       "Meizhou Meixian", "梅州市", "梅州", "梅州市不存在")] == [
        "梅县", "梅县", "兴宁市", "梅县", "梅县", "梅县", None, None, None]
    assert table().resolve("兴宁梅县") is None  # only the city's name is taken off the front


def test_a_name_or_alias_wins_over_a_spelling():
    """Spellings are added last: had a county's English name been another county's alias, the alias wins."""
    t = CountyTable(("甲县", "乙县"), {"甲县": None, "乙县": None}, {"甲县": "甲县", "乙县": "乙县", "yi": "甲县"})
    assert t.resolve("yi") == "甲县" and t.by_code is None and t.resolve("441421") is None


def test_find_in_prefers_the_earliest_then_the_longest_and_never_pinyin():
    assert table().find_in("兴宁市梅县联合统计表") == "兴宁市"   # earliest
    assert table().find_in("梅县区学习培训情况") == "梅县"        # 梅县区 (an alias) and 梅县 at 0: the same county
    assert table().find_in("市直机关工委统计表") == "市直单位"     # the longest of 市直 / 市直机关 / 市直机关工委
    assert table().find_in("meixian 统计表") is None and table().find_in("") is None
    assert table().find_in("梅县兴宁梅县汇总") == "梅县"  # the first mention, not the last


def test_find_in_sees_the_counties_the_registry_adds():
    t = table().extended(["潮安县", "梅江区新城"])
    assert t.find_in("潮安县学习培训统计表") == "潮安县"
    assert t.find_in("梅江区新城统计表") == "梅江区新城"  # the longest name at the same place (梅江, 梅江区)


def test_extending_keeps_codes_and_accepts_codes_as_numbers():
    base = table()
    t = base.extended(["潮安县", "饶平县", "揭西县", None, float("nan"), " ", "梅县", "市直单位"],
                       [445121.0, "445122.0", " 445222 ", "1", "2", "3", "999999", None])
    assert t.names[-3:] == ("潮安县", "饶平县", "揭西县") and len(t.names) == len(base.names) + 3
    assert (t.codes["潮安县"], t.codes["饶平县"], t.codes["揭西县"]) == ("445121", "445122", "445222")
    assert t.resolve(445121) == "潮安县" and t.resolve("445222") == "揭西县"
    assert t.codes["梅县"] == "441421" and t.resolve("999999") == "梅县"  # a known county keeps its code
    assert t.resolve("441421") == "梅县" and t.resolve("441403") == "梅县"  # and the codes it had
    assert t.city_prefixes == base.city_prefixes and t.resolve("梅州市潮安县") == "潮安县"
    assert base.resolve("潮安县") is None and base.names == table().names  # the table extended is left as it was


def test_extending_gives_a_code_to_a_county_that_had_none():
    base = CountyTable(("甲县",), {"甲县": None}, {"甲县": "甲县"}, {})
    t = base.extended(["甲县", "乙 县"], ["123456", ""])
    assert t.codes == {"甲县": "123456", "乙县": None} and t.by_code == {"123456": "甲县"}
    assert t.resolve("乙县") == "乙县" and t.resolve(" 乙 县 ") == "乙县"
    assert base.extended(["丙县"]).codes["丙县"] is None


def test_a_counties_file_with_only_names(tmp_path):
    """Only ``name`` is required: a county without code or aliases, a file without a city (another city's
    or a province's counties.yaml) still makes a table."""
    path = tmp_path / "counties.yaml"
    path.write_text("counties:\n  - name: 甲县\n  - name: 乙区\n    code: 440001\n    aliases: [乙]\n", encoding="utf-8")
    t = CountyTable.from_yaml(path)
    assert t.names == ("甲县", "乙区") and t.codes == {"甲县": None, "乙区": "440001"}
    assert t.resolve("甲县") == "甲县" and t.resolve("乙") == "乙区" and t.resolve(440001) == "乙区"
    assert t.city_prefixes == () and t.resolve("梅州市甲县") is None


def test_find_in_takes_the_longest_name_at_the_earliest_place_whatever_the_files_order(tmp_path):
    """东山区 is listed before 东山县 (alias 东山): at the same place the longer name wins, not the later one."""
    path = tmp_path / "counties.yaml"
    path.write_text("counties:\n  - name: 东山区\n  - name: 东山县\n    aliases: [东山]\n", encoding="utf-8")
    t = CountyTable.from_yaml(path)
    assert t.find_in("东山区学习培训统计表") == "东山区"
    assert t.find_in("东山学习培训统计表") == "东山县"
