"""One way to write every number, in Chinese typographic conventions (and the English equivalent).

The judge layer and every document format through here, so a rate never reads 98.8% in one
place and 0.988 or 98.80% in another. Rule: shares as percentages to one decimal with a trailing
“.0” dropped (100%, 98.8%), scores to one decimal, counts as integers (Chinese text has no
thousands separator, as in “党员52417人”), differences in percentage points. A figure gets a
second (or third) decimal only where one would print it like a different figure beside it
(99.95% against a target of 100%, a gap of 0.05个百分点): ``decimals_apart`` decides, the judge
layer stores the decimals it used with each finding, and computes the gaps from the figures as
shown, so that a reader can check 14.8 − 9.5 = 5.3.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

Lang = str  # "zh" | "en"


def is_missing(value: Any) -> bool:
    """True for None, pandas NA/NaT and float NaN (a blank stays distinct from 0)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _decimals(x: float, digits: int = 1) -> str:
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def digits_apart(v: Any, others: list[Any], unit: str = "share", most: int = 3) -> int:
    """Decimals (1 to ``most``) so that ``v`` never prints like a figure beside it that it differs
    from: a county at 99.95 % against a target of 100 % reads 99.95%, not 100%. A gap is kept
    apart from 0 the same way (``others=[0]``)."""
    if is_missing(v):
        return 1
    scale = 100.0 if unit == "share" else 1.0
    x = float(v) * scale
    refs = [float(o) * scale for o in others if not is_missing(o) and float(o) != float(v)]
    digits = 1
    while digits < most and any(_decimals(x, digits) == _decimals(r, digits) for r in refs):
        digits += 1
    return digits


def decimals_apart(values: Any, *others: Any, scale: Any = 1.0, most: int = 3) -> np.ndarray:
    """Decimals per row (1 to ``most``) so that a value never prints like another figure of its row
    that it differs from (vectorised ``digits_apart``): 99.95% beside a target of 100%, not 100%.

    ``scale``: what the figures are multiplied by when printed (100 for shares shown as %).
    """
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float) * scale
    d = np.ones(len(v), dtype=np.int64)
    refs = [np.asarray(pd.to_numeric(pd.Series(o), errors="coerce"), dtype=float) * scale for o in others]
    for _ in range(2):  # a finer precision can bring two other figures together: look twice
        for w in refs:
            for k in range(1, most):
                step = 10.0 ** k
                same = (d == k) & np.isfinite(v) & np.isfinite(w) & (v != w) & (np.round(v * step) == np.round(w * step))
                d[same] = k + 1
    return d


def shown(values: Any, scale: Any, digits: Any) -> np.ndarray:
    """Values as printed (× scale, rounded to each row's digits): the figures gaps are computed from."""
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float) * scale
    d = np.broadcast_to(np.asarray(digits, dtype=np.int64), v.shape)
    out = np.full(v.shape, np.nan)
    for k in np.unique(d):
        at = d == k
        out[at] = np.round(v[at], int(k))
    return out


def pct(share: Any, lang: Lang = "zh", digits: int = 1) -> str:
    """A share 0–1 as a percentage: 0.988 → “98.8%”, 1.0 → “100%”, missing → “—”."""
    if is_missing(share):
        return "—"
    return _decimals(float(share) * 100, digits) + "%"


def pp(diff_share: Any, lang: Lang = "zh", digits: int = 1) -> str:
    """A difference of shares in percentage points, unsigned: 0.042 → “4.2个百分点”."""
    if is_missing(diff_share):
        return "—"
    value = _decimals(abs(float(diff_share)) * 100, digits)
    if lang == "zh":
        return f"{value}个百分点"
    return f"{value} percentage point" + ("" if value == "1" else "s")


def score(value: Any, lang: Lang = "zh", unit: bool = True, digits: int = 1) -> str:
    """An average score to one decimal: 99.5 → “99.5分”."""
    if is_missing(value):
        return "—"
    text = _decimals(float(value), digits)
    if not unit:
        return text
    return f"{text}分" if lang == "zh" else f"{text} points"


def count(value: Any, lang: Lang = "zh") -> str:
    """A count as an integer: 52417 (zh) or 52,417 (en)."""
    if is_missing(value):
        return "—"
    n = int(round(float(value)))
    return str(n) if lang == "zh" else f"{n:,}"


def ratio(value: Any, lang: Lang = "zh") -> str:
    """A plain ratio (balance measures): two decimals."""
    if is_missing(value):
        return "—"
    return f"{float(value):.2f}"


def value(v: Any, unit: str, lang: Lang = "zh", digits: int = 1) -> str:
    """An indicator value by its unit in indicators.yaml (share | score)."""
    return pct(v, lang, digits) if unit == "share" else score(v, lang, digits=digits)


def gap(diff: Any, unit: str, lang: Lang = "zh", digits: int | None = None) -> str:
    """A gap between two indicator values: percentage points for shares, points for scores.

    Without ``digits``, a gap too small for one decimal gets as many as it needs (up to 3), so a
    real shortfall never reads “0个百分点”."""
    if is_missing(diff):
        return "—"
    digits = digits_apart(abs(float(diff)), [0.0], unit) if digits is None else digits
    if unit == "share":
        return pp(diff, lang, digits)
    return score(abs(float(diff)), lang, digits=digits)


def day(period: Any, lang: Lang = "zh") -> str:
    """A period date: 2005年2月25日 / 25 February 2005."""
    if is_missing(period):
        return "—"
    d = pd.Timestamp(period)
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {d.strftime('%B')} {d.year}"


def short_day(period: Any, lang: Lang = "zh") -> str:
    """A period on a chart axis: 2月25日 / 25 Feb."""
    d = pd.Timestamp(period)
    return f"{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {d.strftime('%b')}"


def join(items: list[str], lang: Lang = "zh") -> str:
    """Join names as a list: 梅县、兴宁市和五华县 / Meixian, Xingning and Wuhua."""
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if lang == "zh":
        return "、".join(items[:-1]) + "和" + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]


def signed_pp(diff_share: Any, lang: Lang = "zh") -> str:
    """A change in percentage points with its direction in words: 提高1.2个百分点 / up 1.2 points."""
    if is_missing(diff_share):
        return "—"
    d = float(diff_share)
    if abs(d) < 0.0005:
        return "持平" if lang == "zh" else "unchanged"
    if lang == "zh":
        return ("提高" if d > 0 else "下降") + pp(d, lang)
    return ("up " if d > 0 else "down ") + pp(d, lang)


__all__ = [
    "count", "day", "decimals_apart", "digits_apart", "gap", "shown", "is_missing", "join", "pct", "pp", "ratio", "score",
    "short_day", "signed_pp", "value",
]
