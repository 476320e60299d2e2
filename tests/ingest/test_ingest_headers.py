"""Header location and the alias table: title rows, two-row merged headers, variants, units."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines import config
from pipelines.ingest.headers import alias_table, find_header, normalize_header
from pipelines.ingest.readers import read_file

from ingest_files import TWO_ROW_HEADER, header_merges, write_xlsx


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("党员数", "members"), ("党员人数", "members"), ("党员数（人）", "members"), ("党员\n人数", "members"),
        ("参加百题测试人数", "test_takers"), ("参考人数", "test_takers"), ("书记上党课", "party_lectures"),
        ("党组织负责人上党课", "party_lectures"), ("离退休居外", "special_retired_away"),
        ("离退休居住在外", "special_retired_away"), ("平均成绩(分)", "avg_score"), ("平均成绩（分）", "avg_score"),
        ("乡镇（街道、部门）", "township"), (" 党 支 部 ", "branch"),
    ],
)
def test_header_variants_map_to_one_name(written, canonical):
    assert alias_table().columns[normalize_header(written)] == canonical


def test_every_alias_in_headers_yaml_is_reachable():
    raw = yaml.safe_load(Path(config.HEADERS_FILE).read_text(encoding="utf-8"))
    table = alias_table()
    for name, aliases in raw["columns"].items():
        for alias in aliases:
            assert table.columns[normalize_header(alias)] == name, alias


def test_two_row_merged_header_under_title_rows(tmp_path):
    grid = [["某县统计表"], ["统计截止：2005年2月25日"], *TWO_ROW_HEADER, ["甲镇", "一支部", 30]]
    path = write_xlsx(tmp_path / "a.xlsx", [("S", grid, [(0, 0, 0, 5), *header_merges(2)])])
    sheet = read_file(path).sheets[0]
    assert sheet.grid[2][5] == ""  # calamine: merged cells are blank except the top-left
    hm = find_header(sheet.grid, alias_table(), sheet.merges)
    assert hm.header_row == 2 and hm.data_start == 4
    assert hm.columns["branch"] == 1 and hm.columns["members"] == 2
    assert [hm.columns[c] for c in ("discussion_meetings", "deeds_reports", "situation_reports",
                                    "exchange_meetings", "party_lectures")] == [4, 5, 6, 7, 8]
    assert hm.columns["special_sick"] == 13 and hm.columns["special_floating"] == 17
    assert hm.columns["delivered_study"] == 18 and hm.columns["makeup_study"] == 19
    assert hm.columns["has_work_plan"] == 20
    assert "参考率" in hm.derived and "test_rate" not in hm.columns  # derived: read, never trusted
    assert not hm.unknown


def test_one_row_header_and_group_written_in_the_cell():
    grid = [["县区", "支部名称", "党员总数", "四会一课专题学习讨论会", "莫名其妙"], ["梅县", "x", 1, 1, 1]]
    hm = find_header(grid, alias_table())
    assert hm.data_start == 1
    assert hm.columns == {"county": 0, "branch": 1, "members": 2, "discussion_meetings": 3}
    assert hm.unknown == ["莫名其妙"]


def test_sheet_without_a_table_has_no_header():
    grid = [["填表说明"], ["1. 党员数填写本支部党员总数。"], ["2. 参考人数为参加百题测试人数。"]]
    assert find_header(grid, alias_table()) is None


def test_missing_members_is_reported():
    grid = [["乡镇", "党支部", "参加学习人数", "参考人数"], ["甲", "x", 1, 1]]
    hm = find_header(grid, alias_table())
    assert hm.missing() == ["members"]


def test_instructions_listing_the_columns_one_per_row_are_not_a_header():
    grid = [["填表说明"], ["栏目", "填写要求"], ["党支部", "填写党支部全称"], ["党员数", "本支部党员总数"],
            ["参加学习人数", "累计参加学习的党员人数"], ["参考人数", "参加百题测试的人数"]]
    assert find_header(grid, alias_table()) is None


def test_a_group_row_on_top_of_the_columns_starts_the_header():
    grid = [["学习培训情况", "", ""], ["党支部", "党员数", "参加学习人数"], ["甲支部", 3, 3]]
    hm = find_header(grid, alias_table())
    assert hm.header_row == 1 and hm.data_start == 2 and hm.columns == {"branch": 0, "members": 1, "studied": 2}
