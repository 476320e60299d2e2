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
