"""Every sentence a person reads about a weak link or a data-quality check, in one place.

Templates are ``str.format`` strings; ``render`` fills them column-wise (string concatenation
over whole Series), so a table of half a million weak links is phrased without a Python loop per
row. Labels come from indicators.yaml, counties.yaml and terms.yaml. Percentages have one
decimal, gaps are in 个百分点 (percentage points) or 分 (points), Chinese sentences use ,。
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd

from pipelines.domain import load

TEMPLATES: dict[str, dict[str, str]] = {
    "zh": {
        "below_target": "{unit}{label}{value},比目标值{target}低{gap}{gap_unit}。",
        "below_city": "{unit}{label}{value},低于全市平均{gap}{gap_unit}。",
        "below_city_small": "{unit}{label}{value}(基数{n}),低于全市平均{gap}{gap_unit},超出随机波动范围。",
        "worst_county": "{unit}{label}{value},在各县(市、区)中排名最后,与最好的{best}({best_value})相差{gap}{gap_unit}。",
        "fell_back": "{unit}{label}{value},比上期({prev_period}){prev_value}倒退{gap}{gap_unit}。",
        "not_reported_county": "{unit}应报党支部{expected}个,已报{reported}个,{missing}个未上报,上报率{value}。",
        "not_reported_branch": "{unit}截至{period}未上报报表,涉及党员{members}人。",
    },
    "en": {
        "below_target": "{unit}: {label} {value}, {gap} {gap_unit} below the target of {target}.",
        "below_city": "{unit}: {label} {value}, {gap} {gap_unit} below the city average.",
        "below_city_small": "{unit}: {label} {value} (base {n}), {gap} {gap_unit} below the city average, beyond chance.",
        "worst_county": "{unit}: {label} {value}, the lowest-ranked county, {gap} {gap_unit} behind the best, {best} ({best_value}).",
        "fell_back": "{unit}: {label} {value}, {gap} {gap_unit} worse than the previous period ({prev_period}: {prev_value}).",
        "not_reported_county": "{unit}: {reported} of {expected} branches reported, {missing} missing (return rate {value}).",
        "not_reported_branch": "{unit}: no return by {period}; {members} members.",
    },
}
GAP_UNITS = {"zh": {"share": "个百分点", "score": "分"}, "en": {"share": "percentage points", "score": "points"}}
QUALITY_TEMPLATES: dict[str, dict[str, str]] = {
    "zh": {
        "completeness": "{unit}报表完整率{value}(阈值不低于{threshold})。",
        "rejected_rows": "{unit}被拒收的数据行占{value}(阈值不高于{threshold})。",
        "unreadable_files": "{unit}无法读取或缺少必需列的文件{value}个(阈值{threshold}个)。",
        "totals_disagreed": "{unit}合计行与明细不符的表{value}个(阈值{threshold}个)。",
        "cumulative_fell": "{unit}累计数比上期减少的党支部占{value}(阈值不高于{threshold})。",
        "outliers": "{unit}与本单位以往各期相比异常的指标{value}个(修正z分数,阈值{threshold}个)。",
        "uniform_values": "{unit}党支部上报数值雷同的最高比例为{value}(阈值不高于{threshold})。",
        "unregistered_branches": "{unit}名册中没有的党支部报表{value}行(阈值{threshold}行)。",
        "score": "{unit}数据质量得分{value}分(阈值不低于{threshold}分)。",
    },
    "en": {
        "completeness": "{unit}: returns complete for {value} of branches (threshold at least {threshold}).",
        "rejected_rows": "{unit}: {value} of rows rejected (threshold at most {threshold}).",
        "unreadable_files": "{unit}: {value} files unreadable or missing a required column (threshold {threshold}).",
        "totals_disagreed": "{unit}: {value} sheets whose total row disagreed with their rows (threshold {threshold}).",
        "cumulative_fell": "{unit}: cumulative figures fell since the previous period in {value} of branches (threshold at most {threshold}).",
        "outliers": "{unit}: {value} indicators are outliers against the county's own earlier periods (modified z-score; threshold {threshold}).",
        "uniform_values": "{unit}: up to {value} of branches reported the very same value (threshold at most {threshold}).",
        "unregistered_branches": "{unit}: {value} rows from branches not in the registry (threshold {threshold}).",
        "score": "{unit}: data-quality score {value} (threshold at least {threshold}).",
    },
}


def tenths(values: pd.Series | np.ndarray) -> pd.Series:
    """Numbers with exactly one decimal ("72.3", "100.0"), null stays empty; vectorised."""
    v = pd.Series(values).astype("Float64")
    t = (v * 10).round().astype("Int64")
    neg = (t < 0).fillna(False)
    a = t.abs()
    s = (a // 10).astype("str") + "." + (a % 10).astype("str")
    s = s.where(~neg, "-" + s)
    return s.fillna("").astype("str")


def percent(values: pd.Series | np.ndarray) -> pd.Series:
    """Shares 0–1 as "72.3%"."""
    s = tenths(pd.Series(values).astype("Float64") * 100)
    return s.where(s == "", s + "%").astype("str")


def shown(values: pd.Series, units: pd.Series, lang: str) -> pd.Series:
    """A value in its indicator's unit: shares as %, scores with one decimal (and 分 in Chinese)."""
    share = percent(values)
    score = tenths(values)
    if lang == "zh":
        score = score.where(score == "", score + "分")
    return share.where(units.to_numpy() == "share", score).astype("str")


def integers(values: pd.Series) -> pd.Series:
    return pd.Series(values).astype("Float64").round().astype("Int64").astype("str").fillna("").astype("str")


def dates(values: pd.Series, lang: str) -> pd.Series:
    p = pd.to_datetime(pd.Series(values))
    if lang == "zh":
        return (p.dt.year.astype("str") + "年" + p.dt.month.astype("str") + "月" + p.dt.day.astype("str") + "日").fillna("")
    return p.dt.strftime("%Y-%m-%d").astype("str").fillna("")


def render(template: str, fields: dict[str, pd.Series | str], n: int) -> pd.Series:
    """Fill a ``str.format`` template column-wise; every field is a Series of length ``n`` or a str."""
    out = pd.Series([""] * n, dtype="str")
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            out = out + literal
        if name:
            f = fields[name]
            if isinstance(f, str):
                out = out + f
            else:
                out = out + pd.Series(f).astype("str").fillna("").reset_index(drop=True)
    return out


def county_names(lang: str) -> dict[str, str]:
    """County name → its label in ``lang`` (counties.yaml), city total included."""
    data = load.counties()
    if lang == "zh":
        names = {c["name"]: c["name"] for c in data["counties"]}
        names[data["city"]["total_label"]] = data["city"]["total_label"]
    else:
        names = {c["name"]: c.get("name_en", c["name"]) for c in data["counties"]}
        names[data["city"]["total_label"]] = data["city"].get("total_label_en", "City total")
    return names


def unit_names(county: pd.Series, township: pd.Series, branch: pd.Series, lang: str) -> pd.Series:
    """"五华县" / "五华县水寨镇" / "五华县水寨镇某党支部"; in English "Wuhua / 水寨镇 / …"."""
    c = pd.Series(county).astype("str").reset_index(drop=True)
    c = c.map(county_names(lang)).fillna(c).astype("str")
    t = pd.Series(township).astype("str").reset_index(drop=True).fillna("")
    b = pd.Series(branch).astype("str").reset_index(drop=True).fillna("")
    if lang == "zh":
        return (c + t + b).astype("str")
    sep_t = t.where(t == "", " / " + t)
    sep_b = b.where(b == "", " / " + b)
    return (c + sep_t + sep_b).astype("str")
