"""One number format throughout: percentages to one decimal, counts as integers, Chinese dates."""

from __future__ import annotations

import pandas as pd

from pipelines.report import format as fmt


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
