"""The narrative and the drill table on the real chain: what the text says comes from the judge's
tables, each kind of sentence appears exactly when its condition holds, and names are escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from pipelines import config
from pipelines.metrics import compute_metrics
from pipelines.report import charts, drill, maps, narrative, phrases
from pipelines.report.tables import load_report_data

LAST = pd.Timestamp("2005-02-25")


def _text(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", str(markup))


def _edit(folder: Path, name: str, change) -> None:
    path = folder / name
    change(pd.read_parquet(path)).to_parquet(path, index=False)


def render(folder: Path, lang: str = "zh", period: str | None = None) -> str:
    return str(narrative.render(load_report_data(folder, period=period, language=lang), lang))


@pytest.fixture(scope="module")
def sample(sample_tree):
    return sample_tree.processed


def test_headline_reads_like_the_2005_report(sample: Path) -> None:
    text = _text(render(sample))
    assert "截至2005年2月25日，全市2394个党支部、党员52417人全部参加了百题测试，参考率达100%，答卷回收率达98.8%，平均成绩99.5分。" in text


def test_english_carries_the_same_figures(sample: Path) -> None:
    text = _text(render(sample, "en"))
    for figure in ("2,394", "52,417", "100%", "98.8%", "99.5 points", "25 February 2005"):
        assert figure in text


def test_progress_only_with_a_previous_period(sample: Path) -> None:
    assert 'class="s-progress"' in render(sample)
    assert 'class="s-progress"' not in render(sample, period="2005-02-04")


def test_no_caveats_when_the_period_is_clean(sample: Path) -> None:
    assert "s-caveat" not in render(sample)  # the sample's deliberate errors are in earlier periods
    assert "s-rejected-rows" in render(sample, period="2005-02-11")


def test_weak_link_count_is_the_findings_and_the_drill_table(sample: Path) -> None:
    """「本期共查找出薄弱环节N处」: N is the period's findings with status watch or alert, and the
    drill table lists exactly those rows, each place and indicator once."""
    data = load_report_data(sample)
    f = pd.read_parquet(sample / config.FINDINGS_FILE)
    weak = f.loc[(f["period"] == LAST) & f["status"].isin(["watch", "alert"])]
    n = re.search(r"本期共查找出薄弱环节(\d+)处", _text(render(sample))).group(1)
    assert int(n) == len(weak) == len(data.weak_links) > 0
    table = str(drill.render(data, "zh"))
    assert table.count("<tr class=") == len(weak)
    assert not weak[["level", "county", "township", "branch", "indicator"]].astype("str").duplicated().any()


def test_weak_links_and_next_steps_are_the_judges_phrased(sample: Path) -> None:
    data = load_report_data(sample)
    html = render(sample)
    items = re.findall(r'<li class="s-weak[^"]*">(.*?)</li>', html, re.S)
    assert [_text(i) for i in items] == [phrases.finding(r) for r in data.weak_links.head(len(items)).to_dict("records")]
    steps = re.findall(r'<li class="s-followup">(.*?)</li>', html, re.S)
    assert [_text(s) for s in steps] == [phrases.action(r) for r in data.actions.to_dict("records")]
    assert "大埔县" in steps[0] and "光德镇" in steps[0]
    assert "学习心得交流会" in _text(html.split('class="s-scheduled"')[1]) and "2005年3月4日" in html


def test_missing_county_named_before_the_figures(frames_dir: Path) -> None:
    _edit(frames_dir, config.RETURNS_FILE, lambda df: df.loc[~((df["county"] == "梅县") & (df["period"] == LAST))])
    compute_metrics(frames_dir)
    html = render(frames_dir)
    text = _text(html)
    assert "s-missing-county" in html
    assert text.index("梅县本期报表未报送或无法读取") < text.index("截至2005年2月25日，全市")
    assert "Meixian" in _text(render(frames_dir, "en"))
    weak = load_report_data(frames_dir).weak_links
    assert ((weak["county"] == "梅县") & (weak["indicator"] == "report_rate") & (weak["level"] == "county")).any()


def test_unreadable_file_and_rejected_rows(frames_dir: Path) -> None:
    _edit(frames_dir, config.MANIFEST_FILE,
          lambda df: df.assign(status=df["status"].where(~((df["period"] == LAST) & (df["county"] == "平远县")),
                                                         "unreadable")))
    compute_metrics(frames_dir)
    html = render(frames_dir)
    assert "s-unreadable-file" in html and "平远县报送的文件" in _text(html)
    assert "s-failed-check" in html  # the unreadable-files check fails, phrased


def test_nothing_short_no_weak_links_no_next_steps(frames_dir: Path) -> None:
    loose = {f"indicators.{i}.{k}": 0 for i in ("report_rate", "member_coverage", "studied_rate", "test_rate",
                                                 "return_rate", "discussion_coverage", "deeds_coverage",
                                                 "situation_coverage", "exchange_coverage", "lecture_coverage",
                                                 "due_activities_rate", "work_plan_rate", "special_reached_rate")
             for k in ("target", "warning")}
    loose.update({"indicators.avg_score.target": 0, "indicators.avg_score.warning": 0})
    compute_metrics(frames_dir, overrides=loose)
    html = render(frames_dir)
    assert "s-weak-none" in html and "rwb-followups" not in html


def test_script_in_a_branch_name_is_escaped(frames_dir: Path) -> None:
    """A branch the judge flags, renamed to markup in the returns and the registry."""
    f = pd.read_parquet(frames_dir / config.FINDINGS_FILE)
    flagged = f.loc[(f["period"] == LAST) & (f["level"] == "branch") & f["status"].isin(["watch", "alert"])].iloc[0]
    hostile = "<script>alert(1)</script>村党支部"
    for name in (config.RETURNS_FILE, config.REGISTRY_FILE):
        _edit(frames_dir, name, lambda df: df.assign(branch=df["branch"].replace(flagged["branch"], hostile)))
    compute_metrics(frames_dir)
    data = load_report_data(frames_dir)
    table = str(drill.render(data, "zh"))
    assert hostile not in table and "&lt;script&gt;alert(1)&lt;/script&gt;村党支部" in table


def test_chart_labels_escaped(frames_dir: Path) -> None:
    hostile = "<b>蕉岭县</b>"
    _edit(frames_dir, config.COUNTY_METRICS_FILE, lambda df: df.replace({"county": {"蕉岭县": hostile}}))
    data = load_report_data(frames_dir)
    fig = charts.scorecard(data, "zh")
    assert "&lt;b&gt;蕉岭县&lt;/b&gt;" in fig.data[0].y and hostile not in fig.data[0].y


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_all_charts_build(sample: Path, lang: str) -> None:
    data = load_report_data(sample, language=lang)
    figs = [charts.scorecard(data, lang), charts.funnel(data, lang), charts.trend(data, lang),
            maps.choropleth(data, lang), *charts.indicator_bars(data, lang), *charts.quadrants(data, lang)]
    assert all(len(f.data) for f in figs)


def test_an_override_reaches_the_report_colours(frames_dir: Path) -> None:
    """return_rate target 0.99 (the city is at 98.8%): the judge's status changes, and with it the
    scorecard's colour of the city's answer-sheet rate — the report loads no threshold itself."""
    base = load_report_data(frames_dir)
    assert base.status_of("全市", "return_rate") == "met"
    compute_metrics(frames_dir, overrides=["indicators.return_rate.target=0.99"])
    data = load_report_data(frames_dir)
    assert data.status_of("全市", "return_rate") == "watch"
    fig = charts.scorecard(data, "zh")
    col = list(fig.data[0].x).index("回收率")
    row = list(fig.data[0].y).index("全市")
    from pipelines.report.palette import STATUS_RANK

    assert fig.data[0].z[row][col] == STATUS_RANK["watch"]


def test_quadrant_labels_clear_each_other_in_a_cluster() -> None:
    import numpy as np

    x = [98.1, 98.2, 98.25, 98.3, 98.35, 98.4, 99.6, 95.8]  # six counties within 0.3 points, as in 讨论会
    y = [98.2, 98.3, 98.4, 98.45, 98.6, 98.65, 99.6, 95.7]
    labels = ["五华县", "平远县", "大埔县", "兴宁市", "丰顺县", "梅县", "梅江区", "市直单位"]
    offsets = charts.label_offsets(x, y, labels, [True] * len(x))
    # rebuild the boxes the way label_offsets measures them and check no two overlap
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
