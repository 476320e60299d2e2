"""Narrative sentences on small contract tables: each kind appears exactly when its condition holds."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from pipelines import config
from pipelines.report import drill, narrative
from pipelines.report.tables import load_report_data


def _text(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", str(markup))


def _edit(folder: Path, name: str, change) -> None:
    path = folder / name
    df = pd.read_parquet(path)
    change(df).to_parquet(path, index=False)


def render(folder: Path, lang: str = "zh", period: str | None = None) -> str:
    return str(narrative.render(load_report_data(folder, period=period, language=lang), lang))


def test_headline_reads_like_the_2005_report(frames_dir: Path) -> None:
    text = _text(render(frames_dir))
    assert "截至2005年2月25日，全市2394个党支部、党员52417人全部参加了百题测试，参考率达100%，答卷回收率达98.8%，平均成绩99.5分。" in text


def test_english_carries_the_same_figures(frames_dir: Path) -> None:
    text = _text(render(frames_dir, "en"))
    for figure in ("2,394", "52,417", "100%", "98.8%", "99.5 points", "25 February 2005"):
        assert figure in text


def test_progress_only_with_a_previous_period(frames_dir: Path) -> None:
    assert 'class="s-progress"' in render(frames_dir)
    assert 'class="s-progress"' not in render(frames_dir, period="2005-02-18")


def test_no_caveats_when_data_complete(frames_dir: Path) -> None:
    assert "s-caveat" not in render(frames_dir)


def test_missing_county_named_before_the_figures(frames_dir: Path) -> None:
    def drop_meixian(df: pd.DataFrame) -> pd.DataFrame:
        hit = (df["county"] == "梅县") & (df["period"] == pd.Timestamp("2005-02-25"))
        for col in ("branches_reported", "members", "studied", "test_takers"):
            df.loc[hit, col] = 0
        return df

    _edit(frames_dir, config.COUNTY_METRICS_FILE, drop_meixian)
    html = render(frames_dir)
    text = _text(html)
    assert "s-missing-county" in html
    assert "以下全市数字不含梅县" in text
    assert text.index("梅县本期报表未报送") < text.index("截至2005年2月25日，全市")
    en = _text(render(frames_dir, "en"))
    assert en.index("Meixian") < en.index("As of 25 February 2005")


def test_unreadable_file_rejected_rows_and_failed_totals(frames_dir: Path) -> None:
    _edit(frames_dir, config.MANIFEST_FILE, lambda df: df.assign(status="unreadable"))
    rejects = pd.DataFrame({
        "source_file": ["a.xlsx", "a.xlsx"], "source_sheet": ["S", "S"], "source_row": [3, 4],
        "column": ["members", "members"], "raw_value": ["-1", "x"], "rule": ["negative_count", "not_a_number"],
        "message_zh": ["人数为负数", "不是数字"], "message_en": ["negative", "not a number"],
        "period": [pd.Timestamp("2005-02-25")] * 2, "county": ["梅县"] * 2, "branch": ["甲", "乙"],
    })
    rejects.to_parquet(frames_dir / config.REJECTS_FILE, index=False)
    quality = pd.read_parquet(frames_dir / config.DATA_QUALITY_FILE)
    extra = pd.DataFrame({"period": [pd.Timestamp("2005-02-25")], "county": ["兴宁市"], "check": ["totals_disagreed"],
                          "value": [1.0], "threshold": [0.0], "passed": [False],
                          "detail_zh": ["兴宁市合计行与明细不符的表1个。"], "detail_en": ["Xingning: 1 total row disagreed."]})
    pd.concat([quality, extra], ignore_index=True).to_parquet(frames_dir / config.DATA_QUALITY_FILE, index=False)
    html = render(frames_dir)
    text = _text(html)
    assert "s-unreadable-file" in html and "无法读取" in text
    assert "有2行数据未通过校验" in text
    assert "兴宁市合计行与明细不符" in text
    assert text.index("数据说明") < text.index("总体情况")


def test_partial_reporting_changes_the_headline(frames_dir: Path) -> None:
    def partial(df: pd.DataFrame) -> pd.DataFrame:
        hit = df["period"] == pd.Timestamp("2005-02-25")
        df.loc[hit & (df["county"] == "全市"), "branches_reported"] = 2300
        df.loc[hit & (df["county"] == "全市"), "report_rate"] = 2300 / 2394
        return df

    _edit(frames_dir, config.COUNTY_METRICS_FILE, partial)
    text = _text(render(frames_dir))
    assert "应报党支部2394个，已上报2300个，上报率96.1%" in text


def test_comparison_names_best_worst_and_spread(frames_dir: Path) -> None:
    text = _text(render(frames_dir))
    assert "“四会一课”全部开展率：最高的是梅江区（100%），最低的是五华县（80%），相差20个百分点" in text
    assert "各地之间还不够平衡" in text


def test_weak_links_ranked_with_figure_gap_and_followups(frames_dir: Path) -> None:
    html = render(frames_dir)
    text = _text(html)
    assert html.count('class="s-weak ') == narrative.WEAK_LINKS_IN_TEXT
    assert "低于全市平均" in text and "距目标值100%还差" in text
    assert "下一步督促指导建议" in text and "s-followup" in html


def test_no_weak_links_no_followups(frames_dir: Path) -> None:
    _edit(frames_dir, config.WEAK_LINKS_FILE, lambda df: df.iloc[0:0])
    html = render(frames_dir)
    assert "s-weak-none" in html and "s-followup" not in html


def test_script_in_a_branch_name_is_escaped(frames_dir: Path) -> None:
    data = load_report_data(frames_dir)
    table = str(drill.render(data))
    assert "<script>alert(1)</script>" not in table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table
    assert "&lt;b&gt;东山镇&lt;/b&gt;" in table
    _edit(frames_dir, config.WEAK_LINKS_FILE, lambda df: df.assign(_b=df["level"] != "branch").sort_values(
        "_b", kind="stable").drop(columns="_b").assign(rank=lambda d: range(1, len(d) + 1)))
    html = render(frames_dir)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_chart_labels_escaped(frames_dir: Path) -> None:
    from pipelines.report import charts

    hostile = "<script>alert(1)</script>"
    _edit(frames_dir, config.COUNTY_METRICS_FILE, lambda df: df.replace({"county": {"蕉岭县": hostile}}))
    data = load_report_data(frames_dir)
    figs = [charts.scorecard(data), *charts.indicator_bars(data)]
    dumped = "".join(str(f.to_dict()) for f in figs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dumped
    assert hostile not in dumped and "<script>" not in dumped


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_all_charts_build(frames_dir: Path, lang: str) -> None:
    from pipelines.report import charts, maps
    data = load_report_data(frames_dir, language=lang)
    figs = [charts.scorecard(data, lang), charts.funnel(data, lang), charts.trend(data, lang),
            maps.choropleth(data, lang), *charts.indicator_bars(data, lang), *charts.quadrants(data, lang)]
    assert len(figs) >= 4 + len(data.indicators)
    assert all(f.layout.width <= charts.FULL_WIDTH for f in figs)


def test_not_reported_weak_link_and_its_followup(frames_dir: Path) -> None:
    def add_missing(df: pd.DataFrame) -> pd.DataFrame:
        row = df.iloc[[0]].copy()
        row[["level", "county", "indicator", "rule", "severity", "rank"]] = ["county", "梅县", "report_rate",
                                                                             "not_reported", "critical", 0]
        row["period"] = pd.Timestamp("2005-02-25")
        row["township"] = None
        row["branch"] = None
        return pd.concat([row, df], ignore_index=True)

    _edit(frames_dir, config.WEAK_LINKS_FILE, add_missing)
    text = _text(render(frames_dir))
    assert "梅县本期未报送报表" in text
    assert "督促梅县尽快报送本期报表" in text
    assert "Meixian sent no return this period" in _text(render(frames_dir, "en"))


def test_followup_names_the_most_severe_county_first(frames_dir: Path) -> None:
    def special_links(df: pd.DataFrame) -> pd.DataFrame:
        rows = df.iloc[[0, 0, 0]].copy()
        rows["level"], rows["indicator"], rows["rule"] = "county", "special_reached_rate", "below_city"
        rows["county"] = ["五华县", "梅江区", "梅县"]  # ranked: 五华县 first, though last in county order
        rows["severity"] = ["critical", "warning", "warning"]
        rows["period"] = pd.Timestamp("2005-02-25")
        rows["township"], rows["branch"] = None, None
        rest = df[df["indicator"] != "special_reached_rate"]
        out = pd.concat([rows, rest], ignore_index=True)
        return out.assign(rank=range(1, len(out) + 1))

    _edit(frames_dir, config.WEAK_LINKS_FILE, special_links)
    items = narrative.followup_items(load_report_data(frames_dir), "zh")
    special = next(i for i in items if i["indicator"] and "送学补学" in i["indicator"])
    assert special["who"].startswith("五华县")


def _city_wide_exchange(df: pd.DataFrame, short_counties: list[str]) -> pd.DataFrame:
    """A city-wide 交流会 row ranked first, the counties' below_target rows for it last."""
    row = df.iloc[[0]].copy()
    row[["level", "county", "indicator", "rule", "severity"]] = ["city", "全市", "exchange_coverage", "citywide",
                                                                 "critical"]
    row["period"] = pd.Timestamp("2005-02-25")
    row["township"], row["branch"] = None, None
    row["value"], row["city_value"], row["target"], row["members_affected"] = 0.148, 0.148, 1.0, 44176
    shared = row.loc[row.index.repeat(len(short_counties))].assign(level="county", county=short_counties,
                                                                   rule="below_target")
    out = pd.concat([row, df[df["indicator"] != "exchange_coverage"], shared], ignore_index=True)
    return out.assign(rank=out.groupby("period").cumcount() + 1)


def test_city_wide_weak_link_reads_as_one_city_finding(frames_dir: Path) -> None:
    now = load_report_data(frames_dir).county_now()
    below = list(now.loc[pd.to_numeric(now["exchange_coverage"], errors="coerce") < 1.0, "county"])
    _edit(frames_dir, config.WEAK_LINKS_FILE, lambda df: _city_wide_exchange(df, below))
    data = load_report_data(frames_dir)
    first = narrative.weak_link_items(data, "zh")["links"][0]
    assert first["place"] == "全市" and first["level"] == "city"
    short = sum(1 for v in data.county_now()["exchange_coverage"] if pd.notna(v) and v < 1.0)
    n = int(data.county_now()["exchange_coverage"].notna().sum())
    assert first["short_counties"] == {"short": short, "n": n, "all": short == n}
    expected = "各县（市、区）均未达标" if short == n else f"{n}个县（市、区）中有{short}个未达标"
    text = _text(render(frames_dir))
    assert f"全市学习心得交流会开展率为14.8%，{expected}，距目标值100%还差85.2个百分点" in text
    items = narrative.followup_items(data, "zh")
    assert items[0]["who"] == "各县（市、区）和市直各单位" and "交流会" in items[0]["indicator"]
    tree = drill.tree(data, "zh")
    assert tree[0]["name"] == "全市" and len(tree[0]["rows"]) == 1  # city-wide rows lead the drill table
    table = _text(drill.render(data, "zh"))
    assert "普遍未达标" in table and "citywide" not in table
    assert "city-wide shortfall" in _text(drill.render(load_report_data(frames_dir, language="en"), "en"))


def test_followups_follow_the_ranking(frames_dir: Path) -> None:
    data = load_report_data(frames_dir)
    items = narrative.followup_items(data, "zh")
    wl = data.weak_links
    firsts = []
    for item in items:
        spec = next(s for s in data.indicators if item["indicator"] and narrative._ind_name(s, "zh") == item["indicator"])
        firsts.append(int(wl.loc[wl["indicator"] == spec["id"], "rank"].min()))
    assert len(firsts) >= 2 and firsts == sorted(firsts)


def test_quadrant_labels_clear_each_other_in_a_cluster() -> None:
    from pipelines.report.charts import label_offsets

    x = [98.1, 98.2, 98.25, 98.3, 98.35, 98.4, 99.6, 95.8]  # six counties within 0.3 points, as in 讨论会
    y = [98.2, 98.3, 98.4, 98.45, 98.6, 98.65, 99.6, 95.7]
    labels = ["五华县", "平远县", "大埔县", "兴宁市", "丰顺县", "梅县", "梅江区", "市直单位"]
    offsets = label_offsets(x, y, labels, [True] * len(x))
    # rebuild the boxes the way label_offsets measures them and check no two overlap
    import numpy as np
    w_px, h_px, font = 265, 210, 9
    px = (np.array(x) - min(x)) / np.ptp(x) * w_px * 0.9 + w_px * 0.05
    py = (np.array(y) - min(y)) / np.ptp(y) * h_px * 0.9 + h_px * 0.05
    boxes = []
    for (ox, oy), a, b, text in zip(offsets, px, py, labels):
        w, h = len(text) * font * 1.05 + 2, font * 1.3
        boxes.append((a + ox - w / 2, b + oy - h / 2, a + ox + w / 2, b + oy + h / 2))
    for i, p in enumerate(boxes):
        for q in boxes[i + 1:]:
            assert not (p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]), (p, q)
        for a, b in zip(px, py):  # nor any marker
            assert not (p[0] < a + 6 and a - 6 < p[2] and p[1] < b + 6 and b - 6 < p[3])
