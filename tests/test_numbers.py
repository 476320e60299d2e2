"""One number format throughout: percentages to one decimal, counts as integers, Chinese dates."""

from __future__ import annotations

import pandas as pd

from pipelines import numbers as fmt


def test_percentages_one_decimal_trailing_zero_dropped() -> None:
    assert fmt.pct(0.988) == "98.8%"
    assert fmt.pct(1.0) == "100%"
    assert fmt.pct(0.12345) == "12.3%"
    assert fmt.pct(pd.NA) == "—"


def test_counts_and_scores() -> None:
    assert fmt.count(52417) == "52417"
    assert fmt.count(52417, "en") == "52,417"
    assert fmt.score(99.5) == "99.5分"
    assert fmt.score(99.0) == "99分"


def test_gaps_and_dates() -> None:
    assert fmt.pp(-0.042) == "4.2个百分点"
    assert fmt.pp(0.01, "en") == "1 percentage point"
    assert fmt.gap(2.0, "score") == "2分"
    assert fmt.day(pd.Timestamp("2005-02-25")) == "2005年2月25日"
    assert fmt.join(["梅县", "兴宁市", "五华县"]) == "梅县、兴宁市和五华县"


def test_a_figure_never_prints_like_the_one_beside_it() -> None:
    # 2 of 4,000 members short: 99.95% against a target of 100%, and a gap that is not "0"
    d = fmt.digits_apart(0.9995, [1.0, 0.999])
    assert d == 2 and fmt.pct(0.9995, digits=d) == "99.95%" and fmt.pct(1.0, digits=d) == "100%"
    assert fmt.gap(0.00049, "share") == "0.05个百分点" and fmt.gap(0.0006, "share") == "0.1个百分点"
    assert fmt.gap(0.04, "score") == "0.04分"
    assert fmt.digits_apart(0.988, [1.0]) == 1 and fmt.gap(0.012, "share") == "1.2个百分点"  # as before
    assert fmt.digits_apart(1.0, [1.0]) == 1  # equal figures print alike
    assert fmt.digits_apart(0.99999, [1.0]) == 3 and fmt.gap(0.0, "share") == "0个百分点"
