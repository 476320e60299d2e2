"""What the return form asks for, gathered from the homes of each fact, with no workbook in sight.

The columns and their order are the returns contract (pipelines/schema.py), their one spelling
and group cells are terms.yaml's labels, what each asks for is terms.yaml's ``form`` section, and
the input rules are the clean stage's: the bounds and the not-above relations are read from the
pandera checks of pipelines/schema.py; the two row rules that exist only as code in
pipelines/ingest/rules.py (送学+补学 ≤ the special groups, a score needs test takers) are restated
here over the schema's column sets, and tests hold both to what the clean stage really rejects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pipelines import schema
from pipelines.domain import load
from pipelines.ingest.headers import REQUIRED

NAME_COLUMNS = ("township", "branch")


@dataclass(frozen=True)
class FormColumn:
    """One column of the form: its canonical name, the one label, its group, and what it asks for."""

    name: str
    label: str
    kind: str  # name | count | score | yes_no
    group: str | None
    help: str
    counted: str | None  # cumulative | as_of | None
    unit: str | None
    zero: str | None  # what a 0 says, when a 0 means something
    required: bool


@dataclass(frozen=True)
class Relation:
    """sum(small) ≤ sum(big) on a row where both sides hold a value; ``rule`` is the clean stage's name."""

    small: tuple[str, ...]
    big: tuple[str, ...]
    rule: str

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.small, *self.big)


@dataclass(frozen=True)
class FormRules:
    """The clean stage's row rules as parameters a spreadsheet can enforce."""

    count_min: int
    score_min: float
    score_max: float
    relations: tuple[Relation, ...]
    score: str  # the score column, which needs test takers above zero on its row
    score_takers: str
    yes: str
    no: str


def _form_terms() -> dict[str, Any]:
    return load.terms()["form"]


def _statistic(column: str, key: str) -> Any:
    """A bound of a returns column, read from its pandera check (the output contract)."""
    for check in schema.RETURNS.columns[column].checks:
        if key in (check.statistics or {}):
            return check.statistics[key]
    raise KeyError(f"pipelines/schema.py RETURNS.{column} has no check with {key}")


@lru_cache(maxsize=1)
def form_rules() -> FormRules:
    """Bounds and relations of the clean stage, each from where it is kept."""
    counts = {_statistic(c, "min_value") for c in schema.COUNT_COLUMNS}
    if len(counts) != 1:
        raise ValueError(f"count columns disagree on their minimum: {sorted(counts)}")
    relations = [
        Relation((c.statistics["small"],), (c.statistics["big"],), f"{c.statistics['small']}_gt_{c.statistics['big']}")
        for c in schema.RETURNS.checks
        if {"small", "big"} <= set(c.statistics or {})
    ]
    # rules.py: outreach_gt_special compares the sums of these two column sets (not in the schema)
    relations.append(Relation(schema.OUTREACH_COLUMNS, schema.SPECIAL_COLUMNS, "outreach_gt_special"))
    (score,) = schema.SCORE_COLUMNS
    words = load.terms()["words"]
    return FormRules(
        count_min=int(counts.pop()),
        score_min=float(_statistic(score, "min_value")),
        score_max=float(_statistic(score, "max_value")),
        relations=tuple(relations),
        score=score,
        score_takers="test_takers",  # rules.py: score_without_takers
        yes=words["yes"]["zh"],
        no=words["no"]["zh"],
    )


@lru_cache(maxsize=1)
def form_columns() -> tuple[FormColumn, ...]:
    """The form's columns in contract order: township, branch, then every value column."""
    spec = _form_terms()["columns"]
    group_of = {c: g for g, cols in schema.GROUP_COLUMNS.items() for c in cols}
    out = []
    for name in (*NAME_COLUMNS, *schema.VALUE_COLUMNS):
        s = spec[name]
        kind = ("name" if name in NAME_COLUMNS else "count" if name in schema.COUNT_COLUMNS
                else "score" if name in schema.SCORE_COLUMNS else "yes_no")
        out.append(FormColumn(
            name=name, label=load.label(name, "zh"), kind=kind, group=group_of.get(name), help=s["help"],
            counted=s.get("counted"), unit=s.get("unit"), zero=s.get("zero"), required=name in REQUIRED["returns"],
        ))
    return tuple(out)


def group_label(group: str) -> str:
    return load.label(group, "zh")


def side_label(columns: tuple[str, ...]) -> str:
    """How a rule names one side of a relation: a group's label for a whole group, else the column's."""
    if len(columns) == 1:
        return load.label(columns[0], "zh")
    for g, cols in schema.GROUP_COLUMNS.items():
        if tuple(cols) == tuple(columns):
            return f"{group_label(g)}人数之和"
    return "、".join(load.label(c, "zh") for c in columns) + "之和"


def rule_text(col: FormColumn, rules: FormRules | None = None) -> str:
    """The input rule of a column in plain Chinese (the cell's input message, the 填表说明 and the error)."""
    rules = rules or form_rules()
    parts: list[str] = []
    if col.kind == "count":
        parts.append(f"填不小于{rules.count_min}的整数")
    elif col.kind == "score":
        parts.append(f"填{rules.score_min:g}至{rules.score_max:g}之间的数")
        parts.append(f"{load.label(rules.score_takers, 'zh')}大于0时才填")
    elif col.kind == "yes_no":
        parts.append(f"从下拉列表选“{rules.yes}”或“{rules.no}”")
    if col.required:
        parts.append("必填")
    for rel in rules.relations:
        if col.name in rel.small:
            who = "" if len(rel.small) == 1 else f"{side_label(rel.small)}"
            parts.append(f"{who}不大于{side_label(rel.big)}")
        elif col.name in rel.big:
            who = "" if len(rel.big) == 1 else f"{side_label(rel.big)}"
            parts.append(f"{who}不小于{side_label(rel.small)}")
    if col.name == rules.score_takers:
        parts.append(f"填了{load.label(rules.score, 'zh')}的须大于0")
    return "；".join(_merge_same_bound(parts))


def _merge_same_bound(parts: list[str]) -> list[str]:
    """不小于参加学习人数；不小于参考人数 → 不小于参加学习人数、参考人数 (no chain of identical clauses)."""
    out: list[str] = []
    for p in parts:
        for lead in ("不小于", "不大于"):
            if p.startswith(lead) and out and out[-1].startswith(lead):
                out[-1] += "、" + p[len(lead):]
                break
        else:
            out.append(p)
    return out


def counted_label(col: FormColumn) -> str | None:
    return _form_terms()["counted"][col.counted] if col.counted else None


def input_message(col: FormColumn) -> str:
    """The note a cell shows while it is selected: what to fill, how it is counted, its rule, blank vs 0."""
    t = _form_terms()
    text = col.help
    if col.counted:
        text += f"（{t['counted'][col.counted]}：{t['counted_help'][col.counted]}）"
    text += "。"
    if col.unit:
        text += f"单位：{col.unit}，只填数字。"
    rule = rule_text(col)
    if rule:
        text += rule + "。"
    if col.zero and col.zero.startswith("不填0"):
        text += col.zero + "。"
    elif col.zero:
        text += f"填0表示{col.zero}；尚未统计的留空。"
    return text


def date_text(period: dt.date) -> str:
    """2005年3月4日: a date as the 统计截至 line writes it (the clean stage reads it back)."""
    return f"{period.year}年{period.month}月{period.day}日"


def form_text() -> dict[str, Any]:
    """The form's fixed texts (title, sheet names, notes) from terms.yaml."""
    return _form_terms()
