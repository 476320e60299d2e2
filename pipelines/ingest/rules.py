"""The row rules: each a vectorised mask over the typed rows, with a Chinese and English reason.

A row that breaks any rule goes to rejects (one reject row per broken rule) and never reaches
returns.parquet. Masks are computed on whole columns; only the (few) broken rows are formatted.
A column a file does not give is <NA> and never breaks a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.schema import COUNT_COLUMNS, OUTREACH_COLUMNS, SPECIAL_COLUMNS


@dataclass(frozen=True)
class Rule:
    """A named check on typed rows; ``column`` is the column the reject points at."""

    rule: str
    column: str
    mask: Callable[[pd.DataFrame], pd.Series]
    zh: Callable[[pd.Series], str]
    en: Callable[[pd.Series], str]


def _gt(df: pd.DataFrame, a: str, b: str) -> pd.Series:
    return (df[a] > df[b]).fillna(False).astype(bool)


def _given_sum(df: pd.DataFrame, cols: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(sum of the given values, whether any is given) per row, on plain integer arrays."""
    given = np.logical_or.reduce([df[c].notna().to_numpy() for c in cols])
    total = np.add.reduce([df[c].to_numpy(dtype=np.int64, na_value=0) for c in cols])
    return total, given


def _outreach_mask(df: pd.DataFrame) -> pd.Series:
    outreach, outreach_given = _given_sum(df, OUTREACH_COLUMNS)
    special, special_given = _given_sum(df, SPECIAL_COLUMNS)
    return pd.Series(outreach_given & special_given & (outreach > special), index=df.index)


def _v(row: pd.Series, col: str) -> str:
    value = row.get(col)
    return "空" if value is None or pd.isna(value) else f"{value:g}" if isinstance(value, float) else str(value)


def _ve(row: pd.Series, col: str) -> str:
    value = row.get(col)
    return "blank" if value is None or pd.isna(value) else f"{value:g}" if isinstance(value, float) else str(value)


def row_rules() -> list[Rule]:
    """Every row rule, in the order rejects list them."""
    rules = [
        Rule(
            "missing_value", "branch",
            lambda df: df["branch"].isna(),
            lambda r: "党支部名称为空,但该行填有数据",
            lambda r: "branch name is blank on a row that has data",
        ),
        Rule(
            "missing_value", "members",
            lambda df: df["members"].isna() & ~df["_bad_members"],
            lambda r: "党员数为空(党支部及其党员数为必填项)",
            lambda r: "members is blank (the branch and its members are required)",
        ),
    ]
    for col in COUNT_COLUMNS:
        rules.append(
            Rule(
                "negative_count", col,
                (lambda c: lambda df: (df[c] < 0).fillna(False).astype(bool))(col),
                (lambda c: lambda r: f"人数或次数为负数({_v(r, c)})")(col),
                (lambda c: lambda r: f"negative count ({_ve(r, c)})")(col),
            )
        )
    rules += [
        Rule(
            "studied_gt_members", "studied",
            lambda df: _gt(df, "studied", "members"),
            lambda r: f"参加学习人数 {_v(r, 'studied')} 大于党员数 {_v(r, 'members')}",
            lambda r: f"studied {_ve(r, 'studied')} is above members {_ve(r, 'members')}",
        ),
        Rule(
            "test_takers_gt_members", "test_takers",
            lambda df: _gt(df, "test_takers", "members"),
            lambda r: f"参考人数 {_v(r, 'test_takers')} 大于党员数 {_v(r, 'members')}",
            lambda r: f"test_takers {_ve(r, 'test_takers')} is above members {_ve(r, 'members')}",
        ),
        Rule(
            "sheets_returned_gt_test_takers", "sheets_returned",
            lambda df: _gt(df, "sheets_returned", "test_takers"),
            lambda r: f"回收答卷数 {_v(r, 'sheets_returned')} 大于参考人数 {_v(r, 'test_takers')}",
            lambda r: f"sheets_returned {_ve(r, 'sheets_returned')} is above test_takers {_ve(r, 'test_takers')}",
        ),
        Rule(
            "score_out_of_range", "avg_score",
            lambda df: ((df["avg_score"] < 0) | (df["avg_score"] > 100)).fillna(False).astype(bool),
            lambda r: f"平均成绩 {_v(r, 'avg_score')} 不在 0–100 之间",
            lambda r: f"avg_score {_ve(r, 'avg_score')} is outside 0–100",
        ),
        Rule(
            "score_without_takers", "avg_score",
            lambda df: (df["avg_score"].notna() & (df["test_takers"].isna() | (df["test_takers"] == 0)))
            .fillna(False).astype(bool),
            lambda r: f"填有平均成绩 {_v(r, 'avg_score')},但参考人数为{_v(r, 'test_takers')}",
            lambda r: f"avg_score {_ve(r, 'avg_score')} is given but test_takers is {_ve(r, 'test_takers')}",
        ),
        Rule(
            "outreach_gt_special", "delivered_study",
            _outreach_mask,
            lambda r: (
                f"送学 {_v(r, 'delivered_study')} + 补学 {_v(r, 'makeup_study')} 超过特殊群体党员数合计 "
                f"{sum(int(r[c]) for c in SPECIAL_COLUMNS if pd.notna(r[c]))}"
            ),
            lambda r: (
                f"delivered_study {_ve(r, 'delivered_study')} + makeup_study {_ve(r, 'makeup_study')} is above the "
                f"special members {sum(int(r[c]) for c in SPECIAL_COLUMNS if pd.notna(r[c]))}"
            ),
        ),
    ]
    return rules


def broken_rows(df: pd.DataFrame, rules: list[Rule] | None = None, rows: np.ndarray | None = None) -> pd.DataFrame:
    """(row index, rule, column, reason zh/en) for every rule each row breaks.

    ``df`` holds the typed columns plus ``_bad_members``; ``rows`` (a boolean mask) limits the
    check to branch rows without copying the frame. Only broken rows are formatted.
    """
    records = []
    for rule in rules or row_rules():
        mask = rule.mask(df).to_numpy(dtype=bool, copy=True)
        if rows is not None:
            mask &= rows
        if not mask.any():
            continue
        for idx, row in df.loc[mask].iterrows():
            records.append((idx, rule.rule, rule.column, rule.zh(row), rule.en(row)))
    return pd.DataFrame(records, columns=["_idx", "rule", "column", "detail_zh", "detail_en"])
