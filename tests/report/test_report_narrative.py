"""The 汇报 on the real chain: what the text says comes from the judge's tables, each kind of sentence
appears exactly when its condition holds, no two neighbouring sentences share a template, the first
page of the sample reads as pinned below, and names are escaped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipelines import config, datasets, table_sets
from pipelines import numbers as fmt
from pipelines.metrics import compute_metrics
from pipelines.report import drill, model, narrative, phrases
from pipelines.report.tables import load_report_data

LAST = pd.Timestamp("2005-02-25")

# The first page of the sample's 汇报 at 2005-02-25, sentence by sentence (see the module docstring).
PAGE_ONE = [
    "截至2005年2月25日，全市2394个党支部、党员52417人全部参加了百题测试，参考率达100%，答卷回收率达98.8%，平均成绩99.5分。",
    "“四会一课”中，专题学习讨论会、先进事迹报告会、形势报告会和党组织负责人上党课已组织开展，开展率分别为98.3%、95.6%、"
    "94.4%和92.1%；学习心得交流会按计划于3月4日前召开，目前开展率为14.8%。",
    "但从报表看，活动开展还不够平衡，有三个问题需要重视：",
    "一是大埔县党组织负责人上党课和形势报告会两项明显滞后，开展率分别为80%和84%，比全市平均低12.1和10.4个百分点，"
    "均为各县（市、区）和市直单位最低，问题集中在光德镇和青溪镇。",
    "二是五华县特殊群体党员送学补学覆盖率偏低，只有71.6%，在各县（市、区）和市直单位中最低，比全市平均低22.5个百分点，"
    "尚有181名特殊群体党员未送学补学，华阳镇、县直机关工委和安流镇等14个乡镇（街道、部门）均低于全市平均。",
    "三是市直单位“四会一课”还没有全部开展到位，应开展的项目都已开展的党支部只占79.8%，比全市平均低2.7个百分点，"
    "还有19个党支部没有开全，主要在市直机关工委和嘉应学院。",
    "下一步建议重点抓好三件事：",
    "一是督促大埔县和市直单位抓紧补开形势报告会，落实党组织负责人上党课，重点是光德镇、青溪镇等5个乡镇（街道、部门）。",
    "二是对五华县等地尚未送学补学的267名特殊群体党员，逐人落实送学上门或补学。",
    "三是组织尚未参加学习的42名党员及时补学。",
    "详细情况见正文，各县（市、区）和市直单位的督导清单和薄弱环节明细见附件。",
]


def _text(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", str(markup))


def _edit(folder: Path, name: str, change) -> None:
    """Change a table of the copied processed folder (a table partitioned by period is written again)."""
    frame = change(datasets.read(folder, name))
    path = datasets.table_path(folder, name)
    if path.is_dir():
        shutil.rmtree(path)
        table_sets.write_partitioned(frame, path)
    else:
        frame.to_parquet(path, index=False)


def render(folder: Path, lang: str = "zh", period: str | None = None) -> str:
    return str(narrative.render(load_report_data(folder, period=period, language=lang), lang))


def the_model(folder: Path, lang: str = "zh", period: str | None = None, **kw) -> dict:
    return model.report_model(load_report_data(folder, period=period, language=lang), lang, annexes=False, **kw)


@pytest.fixture(scope="module")
def sample(sample_tree):
    return sample_tree.processed


def test_first_page_of_the_sample_is_pinned(sample: Path) -> None:
    assert model.page_one_sentences(the_model(sample)) == PAGE_ONE


def test_headline_reads_like_the_2005_report(sample: Path) -> None:
    text = _text(render(sample))
    assert ("截至2005年2月25日，全市2394个党支部、党员52417人全部参加了百题测试，"
            "参考率达100%，答卷回收率达98.8%，平均成绩99.5分。") in text


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("period", ["2005-02-11", "2005-02-18", "2005-02-25"])
def test_no_two_neighbouring_sentences_share_a_template(sample: Path, lang: str, period: str) -> None:
    said = model.sentences(the_model(sample, lang, period))
    ids = [s["id"] for s in said]
    assert len(ids) > 15
    same = [(a, b["text"]) for a, b in zip(ids[:-1], said[1:], strict=True) if a == b["id"]]
    assert same == []
    templates = {i.split(".")[0] for i in ids}
    assert len(templates) >= 12  # a report, not one sentence repeated


def test_a_template_said_twice_in_a_row_changes_its_wording(sample: Path) -> None:
    """Four counties short on the same activities: four sentences of one template, each worded
    unlike the one before (the 汇报's 三、 never strings one clause four times)."""
    flow = phrases.Flow("zh")
    ctx = {"ord": "", "county": "甲县", "labels": ["形势报告会"], "ids": ["situation_coverage"], "figures": ["84%"],
           "gaps_city": ["10.4"], "gaps_target": ["16"], "target": "100%", "gap_unit": "个百分点", "worst": False,
           "composite_only": False, "count_word": "一项", "towns": ["乙镇"], "towns_flagged": [], "n_towns_flagged": 0,
           "detail": None, "brief": False, "also": False, "plural": False,
           "lead": {"outstanding": "48", "indicator": "situation_coverage"}}
    said = [flow.say("lag_activities", ctx) for _ in range(4)]
    assert [s["id"] for s in said] == ["lag_activities.0", "lag_activities.1", "lag_activities.0", "lag_activities.1"]
    assert said[0]["text"] != said[1]["text"]


def test_no_jargon_and_the_city_units_named_with_the_counties(sample: Path) -> None:
    for lang_text in (_text(render(sample)),):
        assert "变异系数" not in lang_text and "均衡" not in lang_text
        # wherever the counties are spoken of as a whole, the city-level units are named with them
        assert all(m.group(0).endswith("和市直单位") for m in re.finditer(r"各县（市、区）(和市直单位)?", lang_text))
        assert "县(市、区)" not in lang_text  # full-width brackets, as the office writes them


def test_english_is_its_own_text_with_pinyin_names(sample: Path) -> None:
    text = _text(render(sample, "en"))
    for figure in ("2,394", "52,417", "98.8%", "99.5 points", "25 February 2005"):
        assert figure in text
    assert "Dabu" in text and "Guangde Town" in text and "Qingxi Town" in text
    # no Chinese left in the English report, nor its punctuation (full-width brackets, 、 and ：)
    assert not re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]", text)
    lists = narrative.checklists(model.report_model(load_report_data(sample, language="en"), "en", annexes=True))
    assert "rwb-missing" in lists  # the checklists of branches, where the brackets were full-width
    assert not re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]", _text(lists))
    assert "the city-level units are" in text  # a plural, said as one


def test_progress_only_with_a_previous_period(sample: Path) -> None:
    assert "rwb-section-progress" in render(sample)
    assert "rwb-section-progress" not in render(sample, period="2005-02-04")


def test_data_notes_always_there_and_short_when_all_is_well(sample: Path) -> None:
    m = the_model(sample)
    data = next(s for s in m["body"]["sections"] if s["key"] == "data")
    text = "".join(s["text"] for p in data["paragraphs"] for s in p)
    assert "9个报表文件" in text and "2394个党支部的数据全部纳入统计" in text and "数据校验全部通过" in text
    assert m["caveats"] == []
    early = the_model(sample, period="2005-02-11")
    assert any(s["id"].startswith("caveat_rejected") for s in early["caveats"])
    text = "".join(s["text"] for s in early["caveats"])
    assert "行数据未通过校验" in text


def test_signoff_from_parameters_and_report_yaml(sample: Path) -> None:
    m = the_model(sample)
    assert m["signoff"] == {"issuer": "梅州市先进性教育活动领导小组办公室", "date": "2005年2月25日"}
    m = the_model(sample, issuer="梅州市委组织部", issue_date="2005-02-28", addressee="省委先进办：")
    assert m["signoff"] == {"issuer": "梅州市委组织部", "date": "2005年2月28日"} and m["addressee"] == "省委先进办："
    html = render(sample)
    assert html.index("rwb-section-data") < html.index("rwb-signoff")


def test_weak_link_count_is_the_findings_and_the_drill_table(sample: Path) -> None:
    """「本期共查找出薄弱环节N处」: N is the period's findings with status watch or alert, and the
    drill table lists exactly those rows, each place and indicator once."""
    data = load_report_data(sample)
    f = datasets.read(sample, config.FINDINGS_TABLE)
    weak = f.loc[(f["period"] == LAST) & f["status"].isin(["watch", "alert"])]
    n = re.search(r"本期共查找出薄弱环节(\d+)处", _text(render(sample))).group(1)
    assert int(n) == len(weak) == len(data.weak_links) > 0
    full = model.report_model(data, "zh")
    assert str(narrative.drill(full)).count('<tr class="rwb-drill-row') == len(weak)
    tree = drill.tree(data, "zh")
    assert sum(len(c["rows"]) + sum(len(t["rows"]) for t in c["townships"]) for c in tree) == len(weak)
    assert not weak[["level", "county", "township", "branch", "indicator"]].astype("str").duplicated().any()


def test_page_one_names_a_township_in_each_finding_and_gives_three_actions(sample: Path) -> None:
    m = the_model(sample)
    towns = set(pd.read_parquet(sample / config.REGISTRY_FILE)["township"].astype(str))
    findings = m["page_one"]["findings"]
    assert len(findings) == 3 and len(m["page_one"]["actions"]) == 3
    for s in findings:
        assert any(t in s["text"] for t in towns), s["text"]


def test_next_steps_are_the_judges_actions(sample: Path) -> None:
    data = load_report_data(sample)
    m = model.report_model(data, "zh", annexes=False)
    steps = next(s for s in m["body"]["sections"] if s["key"] == "next")["paragraphs"][1:]
    assert len(steps) == len(data.actions) == 4
    assert "大埔县" in steps[0][0]["text"] and "光德镇" in steps[0][0]["text"]
    assert steps[-1][0]["text"].startswith("四是按计划召开学习心得交流会") and "6月下旬" in steps[-1][0]["text"]


def test_a_value_short_of_its_target_never_prints_as_the_target(sample: Path) -> None:
    """Every unit the judge finds short (county, city, township): its figure differs from its target
    as printed — 蕉岭县 参学率 99.952% reads 99.95%, not 100%."""
    data = load_report_data(sample)
    s = data.status.loc[data.status["status"].isin(["watch", "alert", "scheduled"])]
    assert len(s) > 100
    for r in s.to_dict("records"):
        unit = data.spec(r["indicator"])["unit"]
        township = r["township"] if r["level"] == "township" else None
        shown = data.figure(r["county"], r["indicator"], lang="zh", township=township)
        assert shown != fmt.value(r["target"], unit, "zh"), r
    assert data.figure("蕉岭县", "studied_rate") == "99.95%"
    assert "99.95%" in str(narrative.ranking(model.report_model(data, "zh")))


def test_missing_county_named_before_the_figures(frames_dir: Path) -> None:
    _edit(frames_dir, config.RETURNS_TABLE, lambda df: df.loc[~((df["county"] == "梅县") & (df["period"] == LAST))])
    compute_metrics(frames_dir)
    text = _text(render(frames_dir))
    assert text.index("梅县本期报表未报送或无法读取") < text.index("截至2005年2月25日，全市")
    assert "Meixian" in _text(render(frames_dir, "en"))
    weak = load_report_data(frames_dir).weak_links
    assert ((weak["county"] == "梅县") & (weak["indicator"] == "report_rate") & (weak["level"] == "county")).any()


def test_unreadable_file_named(frames_dir: Path) -> None:
    _edit(frames_dir, config.MANIFEST_FILE,
          lambda df: df.assign(status=df["status"].where(~((df["period"] == LAST) & (df["county"] == "平远县")),
                                                         "unreadable")))
    compute_metrics(frames_dir)
    text = _text(render(frames_dir))
    assert "平远县报送的文件" in text and "无法读取" in text
    assert "数据校验中" in text and "项未通过" in text  # the unreadable-files check fails, phrased


def test_nothing_short_no_weak_links_no_next_steps(frames_dir: Path) -> None:
    loose = {f"indicators.{i}.{k}": 0 for i in ("report_rate", "member_coverage", "studied_rate", "test_rate",
                                                 "return_rate", "discussion_coverage", "deeds_coverage",
                                                 "situation_coverage", "exchange_coverage", "lecture_coverage",
                                                 "due_activities_rate", "work_plan_rate", "special_reached_rate")
             for k in ("target", "warning")}
    loose.update({"indicators.avg_score.target": 0, "indicators.avg_score.warning": 0})
    compute_metrics(frames_dir, overrides=loose)
    html = render(frames_dir)
    assert "s-weak-none" in html and "s-one-clear" in html and "rwb-section-next" not in html
    m = the_model(frames_dir)
    ids = [s["id"] for s in model.sentences(m)]
    assert all(a != b for a, b in zip(ids[:-1], ids[1:], strict=True))


def test_script_in_a_branch_name_is_escaped(frames_dir: Path) -> None:
    """A branch the judge flags, renamed to markup in the returns and the registry."""
    f = datasets.read(frames_dir, config.FINDINGS_TABLE)
    flagged = f.loc[(f["period"] == LAST) & (f["level"] == "branch") & f["status"].isin(["watch", "alert"])].iloc[0]
    hostile = "<script>alert(1)</script>村党支部"
    for name in (config.RETURNS_TABLE, config.REGISTRY_FILE):
        _edit(frames_dir, name, lambda df: df.assign(branch=df["branch"].replace(flagged["branch"], hostile)))
    compute_metrics(frames_dir)
    full = model.report_model(load_report_data(frames_dir), "zh")
    for html in (str(narrative.drill(full)), str(narrative.body(full))):
        assert hostile not in html and "&lt;script&gt;alert(1)&lt;/script&gt;村党支部" in html
