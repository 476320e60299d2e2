"""Long unit tables for the judge layer's unit tests, built by hand (pipelines/judge/units.py adds
each indicator's parameters and the city's value, as it does for the real chain)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from pipelines.domain import load
from pipelines.domain.indicators import Indicator, load_indicators
from pipelines.judge import units
from pipelines.params.thresholds import load_thresholds

P1, P2, P3 = pd.Timestamp("2005-02-11"), pd.Timestamp("2005-02-18"), pd.Timestamp("2005-02-25")
CITY = load.city_total_label()
TH = load_thresholds()
INDS = load_indicators(TH)
BY_ID = {i.id: i for i in INDS}
NAN = float("nan")


def lower(ind: Indicator, target: float, warning: float) -> Indicator:
    """The same indicator with lower values better (``direction: lower``)."""
    return dataclasses.replace(ind, id=f"{ind.id}_low", direction="lower", target=target, warning=warning)


def long_table(rows: list[dict], inds: list[Indicator] = INDS, th=TH) -> pd.DataFrame:
    """A long unit table as pipelines/judge/units.py makes it: one row per dict, with the indicator's
    parameters and the city's value of its period. Defaults: county level, studied_rate, P3."""
    base = {"period": P3, "level": "county", "county": None, "township": None, "branch": None, "branch_id": -1,
            "indicator": "studied_rate", "value": NAN, "numerator": NAN, "denominator": NAN, "outstanding": NAN,
            "members_affected": NAN, "branches_expected": NAN, "branches_reported": NAN}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["period"] = pd.to_datetime(frame["period"]).astype("datetime64[ns]")
    return units.add_city(units.with_parameters(frame, inds, th))


def city(value: float, **kw) -> dict:
    return {"level": "city", "county": CITY, "value": value, **kw}


def county(name: str, value: float, **kw) -> dict:
    return {"level": "county", "county": name, "value": value, **kw}
