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
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.domain import load

TEMPLATES: dict[str, dict[str, str]] = {
    "zh": {
        "below_target": "{unit}{label}{value}，比目标值{target}低{gap}{gap_unit}。",
        "below_city": "{unit}{label}{value}，低于全市平均{gap}{gap_unit}。",
        "below_city_small": "{unit}{label}{value}（基数{n}），低于全市平均{gap}{gap_unit}，超出随机波动范围。",
        "worst_county": "{unit}{label}{value}，在各县（市、区）中排名最后，与最好的{best}（{best_value}）相差{gap}{gap_unit}。",
        "fell_back": "{unit}{label}{value}，比上期（{prev_period}）{prev_value}倒退{gap}{gap_unit}。",
        "not_reported_county": "{unit}应报党支部{expected}个，已报{reported}个，{missing}个未上报，上报率{value}。",
        "not_reported_branch": "{unit}截至{period}未上报报表，涉及党员{members}人。",
        "citywide": "{unit}{label}{value}，比目标值{target}低{gap}{gap_unit}，{n}个县（市、区）中有{missing}个未达标，是全市普遍性的薄弱环节。",
        "citywide_all": "{unit}{label}{value}，比目标值{target}低{gap}{gap_unit}，各县（市、区）均未达标，是全市普遍性的薄弱环节。",
    },
    "en": {
        "below_target": "{unit}: {label} {value}, {gap} {gap_unit} below the target of {target}.",
        "below_city": "{unit}: {label} {value}, {gap} {gap_unit} below the city average.",
        "below_city_small": "{unit}: {label} {value} (base {n}), {gap} {gap_unit} below the city average, beyond chance.",
        "worst_county": "{unit}: {label} {value}, the lowest-ranked county, {gap} {gap_unit} behind the best, {best} ({best_value}).",
        "fell_back": "{unit}: {label} {value}, {gap} {gap_unit} worse than the previous period ({prev_period}: {prev_value}).",
        "not_reported_county": "{unit}: {reported} of {expected} branches reported, {missing} missing (return rate {value}).",
        "not_reported_branch": "{unit}: no return by {period}; {members} members.",
        "citywide": "{unit}: {label} {value}, {gap} {gap_unit} below the target of {target}; {missing} of {n} counties fall short, a city-wide weak link.",
        "citywide_all": "{unit}: {label} {value}, {gap} {gap_unit} below the target of {target}; every county falls short, a city-wide weak link.",
    },
}
# A check without a verdict (value null) says why instead of printing a blank figure.
QUALITY_NOT_JUDGED: dict[str, dict[str, str]] = {
    "zh": {
        "outliers": "{unit}以往各期的变化不足{baseline}次，本期暂不判断异常值。",
        "cumulative_fell": "{unit}本期为第一期，没有上期数据可比，暂不判断累计数是否减少。",
        "uniform_values": "{unit}报送的党支部不足{min_branches}个，暂不判断数值是否雷同。",
        "default": "{unit}本期数据不足，暂不判断。",
    },
    "en": {
        "outliers": "{unit}: fewer than {baseline} earlier period-on-period changes, so outliers are not judged yet.",
        "cumulative_fell": "{unit}: the first period, with no previous one to compare cumulative figures with.",
        "uniform_values": "{unit}: fewer than {min_branches} branches reported, too few to judge uniform values.",
        "default": "{unit}: not enough data this period to judge.",
    },
}
GAP_UNITS = {"zh": {"share": "个百分点", "score": "分"}, "en": {"share": "percentage points", "score": "points"}}
QUALITY_TEMPLATES: dict[str, dict[str, str]] = {
    "zh": {
        "completeness": "{unit}报表完整率{value}（阈值不低于{threshold}）。",
        "rejected_rows": "{unit}被拒收的数据行占{value}（阈值不高于{threshold}）。",
        "unreadable_files": "{unit}无法读取或缺少必需列的文件{value}个（阈值{threshold}个）。",
        "totals_disagreed": "{unit}合计行与明细不符的表{value}个（阈值{threshold}个）。",
        "cumulative_fell": "{unit}累计数比上期减少的党支部占{value}（阈值不高于{threshold}）。",
        "outliers": "{unit}与本单位以往各期相比异常的指标{value}个（修正z分数，阈值{threshold}个）。",
        "uniform_values": "{unit}党支部上报数值雷同的最高比例为{value}（阈值不高于{threshold}）。",
        "unregistered_branches": "{unit}名册中没有的党支部报表{value}行（阈值{threshold}行）。",
        "score": "{unit}数据质量得分{value}分（阈值不低于{threshold}分）。",
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


def _pa(values: pd.Series | np.ndarray | list | pa.Array) -> pa.Array:
    """A pyarrow string array of ``values`` with nulls as empty strings."""
    if isinstance(values, pa.Array):  # already text: no trip through pandas
        return pc.fill_null(values.cast(pa.string()), "")
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    arr = pa.array(s.astype("str").reset_index(drop=True), type=pa.string(), from_pandas=True)
    return pc.fill_null(arr, "")


def _series(arr: pa.Array) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="str"))


def _floats(values: pd.Series | np.ndarray | list) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(float, copy=False)
    s = pd.Series(values)
    if s.dtype == object:
        s = pd.to_numeric(s, errors="coerce")
    return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def decimals(values: pd.Series | np.ndarray | list, digits: np.ndarray | int | None = None) -> pd.Series:
    """Numbers to ``digits`` decimals (1 by default; an array gives each row its own), written as
    pipelines/report/format.py writes them: trailing zeros dropped ("72.3", "100", "99.95"); null
    gives ""; vectorised (pyarrow)."""
    v = _floats(values)
    d = np.broadcast_to(np.asarray(1 if digits is None else digits, dtype=np.int64), v.shape)
    out = None
    for k in np.unique(d) if len(d) else [1]:
        scale = 10 ** int(k)
        t = np.round(v * scale)
        ok = np.isfinite(t)
        a = np.where(ok, np.abs(t), 0).astype(np.int64)
        whole = pc.cast(pa.array(a // scale), pa.string())
        frac = pc.utf8_rtrim(pc.utf8_lpad(pc.cast(pa.array(a % scale), pa.string()), int(k), "0"), "0")
        point = pc.if_else(pc.equal(frac, ""), "", ".")
        sign = pa.array(np.where(ok & (t < 0), "-", ""), pa.string())
        text = pc.if_else(pa.array(ok), pc.binary_join_element_wise(sign, whole, point, frac, ""), "")
        out = text if out is None else pc.if_else(pa.array(d == k), text, out)
    return _series(out)


def digits_apart(values: pd.Series | np.ndarray | list, *others: pd.Series | np.ndarray | list,
                 scale: np.ndarray | float = 1.0, most: int = 3) -> np.ndarray:
    """Decimals per row (1 to ``most``) so that a figure never prints like another figure of its
    sentence that it differs from: 99.95% beside a target of 100%, not 100% beside 100%.

    ``scale``: what the figures are multiplied by when printed (100 for shares shown as %).
    """
    v = _floats(values) * scale
    d = np.ones(len(v), dtype=np.int64)
    refs = [_floats(o) * scale for o in others]
    for _ in range(2):  # a second pass: a finer precision can bring two other figures together
        for w in refs:
            for k in range(1, most):
                step = 10.0 ** k
                same = (d == k) & np.isfinite(v) & np.isfinite(w) & (v != w) & (np.round(v * step) == np.round(w * step))
                d[same] = k + 1
    return d


def percent(values: pd.Series | np.ndarray | list, digits: np.ndarray | int | None = None) -> pd.Series:
    """Shares 0–1 as "72.3%" (``digits`` as in ``decimals``)."""
    v = _floats(values)
    s = decimals(v * 100, digits)
    return s.where(~np.isfinite(v) | (s == ""), s + "%").astype("str")


def shown(values: pd.Series, units: pd.Series, lang: str, digits: np.ndarray | int | None = None) -> pd.Series:
    """A value in its indicator's unit: shares as %, scores with one decimal (and 分 in Chinese)."""
    share = percent(values, digits)
    score = decimals(values, digits)
    if lang == "zh":
        score = score.where(score == "", score + "分")
    return share.where(pd.Series(units).to_numpy() == "share", score).astype("str")


def integers(values: pd.Series | np.ndarray | list) -> pd.Series:
    return _series(integers_arrow(values))


def integers_arrow(values: pd.Series | np.ndarray | list, distinct: bool = False) -> pa.Array:
    """Whole numbers as text ("30"); null gives "".

    ``distinct``: a dictionary array, each distinct number printed once (``render_arrow`` then
    joins the template's text to those few strings rather than to every row).
    """
    v = _floats(values)
    if distinct:
        codes, uniq = pd.factorize(v)
        return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), integers_arrow(np.asarray(uniq)))
    ok = np.isfinite(v)
    s = pc.cast(pa.array(np.where(ok, np.round(v), 0).astype(np.int64)), pa.string())
    return pc.if_else(pa.array(ok), s, "")


def dates(values: pd.Series, lang: str) -> pd.Series:
    """Dates as 2005年2月25日 / 2005-02-25; formatted once per distinct date, then taken."""
    return _series(dates_arrow(values, lang))


def dates_arrow(values: pd.Series | np.ndarray, lang: str) -> pa.DictionaryArray:
    """``dates`` as a pyarrow dictionary array: a few periods formatted once (NaT is null, printed "")."""
    p = pd.to_datetime(pd.Series(values).reset_index(drop=True))
    codes, uniq = pd.factorize(p)
    text = _pa(_dates(pd.Series(uniq, dtype=p.dtype), lang))
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), text)


def _dates(p: pd.Series, lang: str) -> pd.Series:
    if lang == "zh":
        y, m, d = (p.dt.year.astype("Int64"), p.dt.month.astype("Int64"), p.dt.day.astype("Int64"))
        s = pc.binary_join_element_wise(integers(y).pipe(_pa), "年", integers(m).pipe(_pa), "月",
                                        integers(d).pipe(_pa), "日", "")
        return _series(pc.if_else(pa.array(p.notna().to_numpy()), s, ""))
    return p.dt.strftime("%Y-%m-%d").astype("str").fillna("")


def render(template: str, fields: dict[str, pd.Series | str], n: int) -> pd.Series:
    """Fill a ``str.format`` template column-wise; every field is a Series (or pyarrow array) of length ``n``, or a str."""
    return _series(render_arrow(template, fields, n))


def render_arrow(template: str, fields: dict[str, pd.Series | pa.Array | str], n: int) -> pa.Array:
    """``render`` as a pyarrow string array (no round trip through Python objects).

    A field given as a dictionary array (dates, branch names, counts: few distinct values) takes
    the template's neighbouring text into its dictionary, so that text is joined to a few
    strings, not repeated on every row.
    """
    parts: list[pa.Array | str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if name:
            f = fields[name]
            parts.append(f if isinstance(f, str) else _filled(f) if isinstance(f, pa.DictionaryArray) else _pa(f))
    parts = _fold(parts)
    if not any(isinstance(p, pa.Array) for p in parts):
        return pa.array(["".join(parts)] * n, pa.string())  # type: ignore[arg-type]
    if len(parts) == 1:
        return parts[0]  # type: ignore[return-value]
    return pc.binary_join_element_wise(*parts, "")


def _filled(field: pa.DictionaryArray) -> pa.DictionaryArray:
    """A dictionary field whose nulls (a null index or value) read "", as ``_pa`` does."""
    values = pc.fill_null(field.dictionary.cast(pa.string()), "")
    indices = field.indices
    if indices.null_count:
        values = pa.concat_arrays([values, pa.array([""], pa.string())])
        indices = pc.fill_null(indices, pa.scalar(len(values) - 1, indices.type))
    return pa.DictionaryArray.from_arrays(indices, values)


def _affix(field: pa.DictionaryArray, before: str, after: str) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(field.indices, pc.binary_join_element_wise(before, field.dictionary, after, ""))


def _fold(parts: list[pa.Array | str]) -> list[pa.Array | str]:
    """Move each literal into a neighbouring dictionary field, then decode the dictionaries (one take each)."""
    out: list[pa.Array | str] = []
    pending = ""
    for p in parts:
        if isinstance(p, str):
            if not pending and out and isinstance(out[-1], pa.DictionaryArray):
                out[-1] = _affix(out[-1], "", p)
            else:
                pending += p
        elif isinstance(p, pa.DictionaryArray):
            out.append(_affix(p, pending, "") if pending else p)
            pending = ""
        else:
            if pending:
                out.append(pending)
            out.append(p)
            pending = ""
    if pending:
        out.append(pending)
    return [p.dictionary.take(p.indices) if isinstance(p, pa.DictionaryArray) else p for p in out]


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
    return _series(unit_names_arrow(county, township, branch, lang))


def text_arrow(values: pd.Series | np.ndarray | list, mapping: dict[str, str] | None = None) -> pa.Array:
    """``values.astype("str")`` as a pyarrow array (nulls kept), optionally relabelled by ``mapping``.

    A categorical (or a relabelled column) is converted through its few distinct values and one
    take, so a column of half a million county or township names never becomes Python objects.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    s = s.reset_index(drop=True)
    if not isinstance(s.dtype, pd.CategoricalDtype) and mapping is None:
        return pa.array(s.astype("str"), type=pa.string(), from_pandas=True)
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, uniq = s.cat.codes.to_numpy(), s.cat.categories
    else:
        codes, uniq = pd.factorize(s)
    u = pd.Series(uniq).astype("str")  # the distinct values only
    if mapping is not None:
        u = u.map(mapping).fillna(u).astype("str")
    return pa.array(u, type=pa.string(), from_pandas=True).take(pa.array(codes, mask=codes < 0))


def unit_names_arrow(county: pd.Series, township: pd.Series, branch: pd.Series, lang: str) -> pa.Array:
    """``unit_names`` as a pyarrow array (a missing county gives null)."""
    c = text_arrow(county, county_names(lang))
    t = pc.fill_null(text_arrow(township), "")
    b = pc.fill_null(text_arrow(branch), "")
    if lang == "zh":
        return pc.binary_join_element_wise(c, t, b, "")
    sep_t = pc.if_else(pc.equal(t, ""), "", pc.binary_join_element_wise(" / ", t, ""))
    sep_b = pc.if_else(pc.equal(b, ""), "", pc.binary_join_element_wise(" / ", b, ""))
    return pc.binary_join_element_wise(c, sep_t, sep_b, "")
