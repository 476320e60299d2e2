"""How counties dress their numbers and headers: the kinds of mess the cleaner must undo.

Every rendered value parses back to the truth (三十三 → 33, ２８ → 28, 99、5 → 99.5, - → 0);
only the cells the truth module made bad are wrong. Choices are drawn from a per-file random
generator, so a seed fixes every byte.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Leaf headers, four ways of writing them; each label is (after normalisation) an alias in
# pipelines/domain/headers.yaml, which tests check, so the cleaner and the sample agree.
HEADER_SETS: tuple[dict[str, str], ...] = (
    {"county": "县(市、区)", "township": "乡镇(街道、部门)", "branch": "党支部", "members": "党员数",
     "studied": "参加学习人数", "discussion_meetings": "专题学习讨论会", "deeds_reports": "先进事迹报告会",
     "situation_reports": "形势报告会", "exchange_meetings": "学习心得交流会", "party_lectures": "书记上党课",
     "test_takers": "参加百题测试人数", "sheets_returned": "回收答卷数", "avg_score": "平均成绩",
     "special_sick": "因病", "special_travel": "出差", "special_laid_off": "下岗", "special_retired_away": "离退休居外",
     "special_floating": "流动党员", "delivered_study": "送学", "makeup_study": "补学", "has_work_plan": "是否制定工作方案"},
    {"county": "县市区", "township": "乡镇", "branch": "党支部名称", "members": "党员人数", "studied": "参学人数",
     "discussion_meetings": "学习讨论会", "deeds_reports": "事迹报告会", "situation_reports": "形势报告会",
     "exchange_meetings": "心得交流会", "party_lectures": "党组织负责人上党课", "test_takers": "参考人数",
     "sheets_returned": "答卷回收数", "avg_score": "平均分", "special_sick": "因病党员", "special_travel": "出差党员",
     "special_laid_off": "下岗党员", "special_retired_away": "离退休居住在外", "special_floating": "流动党员",
     "delivered_study": "送学人数", "makeup_study": "补学人数", "has_work_plan": "实施方案"},
    {"county": "单位", "township": "乡镇(街道)", "branch": "支部名称", "members": "党员总数",
     "studied": "参加学习党员数", "discussion_meetings": "专题讨论会", "deeds_reports": "先进事迹报告会",
     "situation_reports": "形势报告", "exchange_meetings": "学习心得交流会", "party_lectures": "党组织负责人上一党课",
     "test_takers": "百题测试参考人数", "sheets_returned": "回收答卷", "avg_score": "测试平均成绩",
     "special_sick": "生病", "special_travel": "外出", "special_laid_off": "下岗失业",
     "special_retired_away": "离退休居住在外党员", "special_floating": "流动", "delivered_study": "送学上门",
     "makeup_study": "补学", "has_work_plan": "制定方案"},
    {"county": "所属县区", "township": "镇(街道)", "branch": "党组织名称", "members": "党员数",
     "studied": "已参加学习人数", "discussion_meetings": "专题学习讨论会", "deeds_reports": "事迹报告会",
     "situation_reports": "形势报告会", "exchange_meetings": "心得体会交流会", "party_lectures": "负责人上党课",
     "test_takers": "参加测试人数", "sheets_returned": "收回答卷数", "avg_score": "平均得分",
     "special_sick": "因病", "special_travel": "出差", "special_laid_off": "下岗", "special_retired_away": "离退休异地居住",
     "special_floating": "流动党员", "delivered_study": "送学", "makeup_study": "补学人数", "has_work_plan": "是否制定实施方案"},
)
GROUP_SETS: tuple[dict[str, str], ...] = (
    {"activities": "“四会一课”开展情况", "test": "百题测试", "special": "特殊群体党员", "outreach": "送学补学"},
    {"activities": "四会一课(次)", "test": "百题测试情况", "special": "特殊党员群体", "outreach": "送学补学情况"},
    {"activities": "四会一课开展情况", "test": "百题测试", "special": "特殊群体党员数", "outreach": "送学、补学"},
    {"activities": "四会一课", "test": "一测试", "special": "特殊群体党员", "outreach": "送学补学"},
)
# For 市直单位 the township column holds working committees and departments.
CITY_TOWNSHIP_HEADER = ("乡镇(街道、部门)", "部门", "工委", "部门")
DERIVED_RATE_HEADER = "参考率"
HEADER_UNITS = {"members": "(人)", "studied": "(人)", "test_takers": "(人)", "avg_score": "(分)", "test_rate": "(%)"}

_UNIT_SUFFIX = {"members": "人", "studied": "人", "test_takers": "人", "sheets_returned": "份",
                "delivered_study": "人", "makeup_study": "人"}
_SMALL_COUNT_FIELDS = frozenset({
    "members", "studied", "discussion_meetings", "deeds_reports", "situation_reports", "exchange_meetings",
    "party_lectures", "special_sick", "special_travel", "special_laid_off", "special_retired_away",
    "special_floating", "delivered_study", "makeup_study",
})
_DIGITS = "零一二三四五六七八九"
_FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


@dataclass(frozen=True)
class Style:
    """One county's way of filling in the return: layout and value habits.

    county_in: where the county is named: column | title | filename.
    township_mode: repeat | blank (only on the first row of a township) | merge (vertical merge).
    Shares (units, fullwidth, cn_numerals, score_dunhao, zero_token_share) are per-cell chances.
    """

    name: str
    fmt: str  # xlsx | xls | csv
    filename: str  # format string: {county} {short} {period} {mmdd} {n}
    encoding: str = "utf-8"
    title: bool = False
    subtitle: bool = False
    two_row_header: bool = False
    county_in: str = "column"
    township_mode: str = "repeat"
    subtotals: bool = False
    grand_total: bool = False
    blank_rows: bool = False
    note: bool = False
    signature: bool = False
    header_set: int = 0
    fullwidth_brackets: bool = False
    header_units: bool = False
    header_breaks: bool = False
    numbers_as_text: bool = False
    units: float = 0.0
    fullwidth: float = 0.0
    cn_numerals: float = 0.0
    score_dunhao: float = 0.0
    zero_token: str | None = None
    zero_token_share: float = 0.6
    yesno: tuple[str, str] = ("是", "否")
    multi_sheet: bool = False
    index_col: bool = False
    spaced_branches: int = 0


def cn_numeral(n: int) -> str:
    """0–99 in Chinese numerals as people type them (十, 十二, 三十三)."""
    if not 0 <= n <= 99:
        raise ValueError(n)
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + ("" if ones == 0 else _DIGITS[ones])


def fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


def header_label(field: str, style: Style, *, county: str) -> str:
    """The leaf header a county writes for a field."""
    if field == "test_rate":
        label = DERIVED_RATE_HEADER
    elif field == "township" and county == "市直单位":
        label = CITY_TOWNSHIP_HEADER[style.header_set]
    else:
        label = HEADER_SETS[style.header_set][field]
    if style.header_units and field in HEADER_UNITS and not label.endswith(")"):
        label += HEADER_UNITS[field]
    if style.header_breaks and len(label) >= 7 and "(" not in label:
        label = label[: len(label) // 2] + "\n" + label[len(label) // 2 :]
    if style.fullwidth_brackets:
        label = label.replace("(", "（").replace(")", "）")
    return label


def group_label(group: str, style: Style) -> str:
    label = GROUP_SETS[style.header_set][group]
    return label.replace("(", "（").replace(")", "）") if style.fullwidth_brackets else label


def render_count(field: str, value: int, style: Style, rng: np.random.Generator) -> str | int:
    """A count as this county types it; parses back to ``value``."""
    u = rng.random()
    if value == 0 and style.zero_token is not None and u < style.zero_token_share:
        return style.zero_token
    if value < 0:
        return str(value) if style.numbers_as_text or style.fmt == "csv" else int(value)
    if field in _SMALL_COUNT_FIELDS and 0 < value <= 99 and u < style.cn_numerals:
        return cn_numeral(value)
    u = rng.random()
    if u < style.fullwidth:
        return fullwidth(str(value))
    if field in _UNIT_SUFFIX and u < style.fullwidth + style.units:
        return f"{value}{_UNIT_SUFFIX[field]}"
    return str(value) if style.numbers_as_text else int(value)


def render_score(value: float, style: Style, rng: np.random.Generator) -> str | float | int:
    """An average score; '、' typed for the decimal point in some cells (99、5 is 99.5)."""
    text = f"{value:.1f}".removesuffix(".0")
    if "." in text and rng.random() < style.score_dunhao:
        return text.replace(".", "、")
    if style.numbers_as_text:
        return text
    return int(value) if value == int(value) else float(text)


def render_yesno(value: bool, style: Style) -> str:
    return style.yesno[0] if value else style.yesno[1]


def render_rate(takers: int | None, members: int, rng: np.random.Generator, *, wrong: float = 0.05) -> str | None:
    """The derived 参考率 a county adds: a percent string, sometimes miscomputed (never trust it)."""
    if takers is None or members <= 0:
        return None
    pct = 100.0 * int(takers) / members
    if rng.random() < wrong:
        pct = min(100.0, pct * rng.choice([0.9, 0.95, 1.1]))  # typed over, or the wrong row
        if pct == 100.0 * int(takers) / members:
            pct -= 5.0
    return f"{pct:.1f}%".replace(".0%", "%")


def space_branch(name: str, k: int) -> str:
    """A branch name with stray spaces (full-width or doubled), the same name after NFKC."""
    if k % 2 == 0:
        return name.replace("党支部", "\u3000党支部", 1)
    return " " + name.replace("党支部", "  党支部", 1) + " "
