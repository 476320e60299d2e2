"""The unit tables in long form: one row per (period, unit, judged indicator), with its parameters.

Every rule of the judge layer is then one vectorised mask over this table (not a loop over
indicators), and a finding is a row of it: the value, the city's value, the target and warning in
force, the counts behind the value, what is still outstanding (in the indicator's count unit) and
the members behind the shortfall are all here once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.aggregate.branches import LACKING
from pipelines.domain import load
from pipelines.domain.indicators import Indicator
from pipelines.params.thresholds import Thresholds

KEY = ("period", "level", "county", "township", "branch", "branch_id", "indicator")


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def outstanding(num: np.ndarray, den: np.ndarray, ind: Indicator) -> np.ndarray:
    """What a unit still lacks, in the indicator's count unit (branches, members, sheets); NaN for a score."""
    if ind.count_unit == "points":
        return np.full(len(num), np.nan)
    out = den - np.nan_to_num(num) if ind.sign > 0 else num
    return np.clip(out, 0, None)


def members_affected(frame: pd.DataFrame, ind: Indicator) -> np.ndarray:
    """Members behind the shortfall: not reached, not reporting, or in branches lacking the activity."""
    if ind.numerator == "branches_reported":
        out = _col(frame, "members_expected") - np.nan_to_num(_col(frame, "members_expected_reported"))
    elif ind.counts_branches:
        out = _col(frame, LACKING + ind.numerator)
    elif ind.unit == "score":
        out = _col(frame, ind.denominator)
    else:
        out = _col(frame, ind.denominator) - np.nan_to_num(_col(frame, ind.numerator))
    return np.round(np.clip(out, 0, None))


def _one(frame: pd.DataFrame, level: str | np.ndarray, ind: Indicator) -> pd.DataFrame:
    num, den = _col(frame, ind.numerator), _col(frame, ind.denominator)
    return pd.DataFrame({
        "period": frame["period"].to_numpy(),
        "level": level,
        "county": frame["county"].astype("str").to_numpy(),
        "township": frame["township"].astype("str").to_numpy() if "township" in frame else None,
        "branch": frame["branch"].astype("str").to_numpy() if "branch" in frame else None,
        "branch_id": frame["branch_id"].to_numpy() if "branch_id" in frame else -1,
        "indicator": ind.id,
        "value": _col(frame, ind.id) if ind.id in frame else np.where(den > 0, num / np.where(den > 0, den, 1), np.nan),
        "numerator": num,
        "denominator": den,
        "outstanding": outstanding(num, den, ind),
        "members_affected": members_affected(frame, ind),
        "branches_expected": _col(frame, "branches_expected"),
        "branches_reported": _col(frame, "branches_reported"),
    })


def with_parameters(long: pd.DataFrame, indicators: list[Indicator], th: Thresholds) -> pd.DataFrame:
    """Add each row's indicator parameters (target, warning, sign, scale, gap limits, due) as columns."""
    by = pd.DataFrame([{
        "indicator": i.id, "target": i.target, "warning": i.warning, "sign": float(i.sign), "scale": i.scale,
        "unit": i.unit, "count_unit": i.count_unit, "action": i.action,
        "due": pd.Timestamp(i.due) if i.due else pd.NaT,
        **{f"lim_{rule}": th.gap(rule, i.unit) for rule in ("below_city", "below_city_critical", "spread",
                                                             "spread_critical", "fell_back", "fell_back_critical")},
    } for i in indicators])
    out = long.merge(by, on="indicator", how="left")
    out["is_due"] = out["due"].isna() | (pd.to_datetime(out["period"]) >= out["due"])
    return out


def long_units(county_metrics: pd.DataFrame, township_metrics: pd.DataFrame, indicators: list[Indicator],
               th: Thresholds) -> pd.DataFrame:
    """City, counties and townships × judged indicators, with the city's value of each row's period."""
    city_label = load.city_total_label()
    level = np.where(county_metrics["county"] == city_label, "city", "county")
    parts = [_one(county_metrics, level, i) for i in indicators]
    parts += [_one(township_metrics, "township", i) for i in indicators]
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(KEY))
    return add_city(with_parameters(long, indicators, th))


def add_city(long: pd.DataFrame, city: pd.DataFrame | None = None) -> pd.DataFrame:
    """The city's value of each row's (period, indicator), from ``city`` (default: the rows of level city)."""
    src = long.loc[long["level"] == "city"] if city is None else city
    cv = src.set_index(["period", "indicator"])["value"]
    cv = cv[~cv.index.duplicated()]
    out = long.copy()
    out["city_value"] = cv.reindex(pd.MultiIndex.from_frame(out[["period", "indicator"]])).to_numpy(dtype=float)
    return out


def branch_rows(candidates: pd.DataFrame, runs: pd.DataFrame, indicators: list[Indicator], th: Thresholds,
                city: pd.DataFrame, people: list[Indicator]) -> pd.DataFrame:
    """Branch rows for the branch rules: the engine's candidates that the below-city rule flags, per
    people-counted indicator (hundreds of thousands of candidates never become rows), and the runs
    of missed periods (the report rate, value 0, at the run's last period)."""
    from pipelines.judge.rules import below_city_beyond_chance

    parts = []
    cv_of = city.set_index(["period", "indicator"])["value"]
    for ind in people if len(candidates) else []:
        num, den = _col(candidates, ind.numerator), _col(candidates, ind.denominator)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(den > 0, num / den, np.nan)
        keys = pd.MultiIndex.from_arrays([candidates["period"], np.full(len(candidates), ind.id)])
        cv = cv_of.reindex(keys).to_numpy(dtype=float)
        hit = below_city_beyond_chance(v, den, cv, np.full(len(v), float(ind.sign)),
                                       np.full(len(v), th.gap("below_city", ind.unit)), th)
        if hit.any():
            parts.append(_one(candidates.loc[hit], "branch", ind))
    report = next((i for i in indicators if i.numerator == "branches_reported"), None)
    if report is not None and len(runs):
        r = runs.rename(columns={"last_missed": "period"})
        f = pd.DataFrame({
            "period": pd.to_datetime(r["period"]).to_numpy(), "level": "branch", "county": r["county"].astype("str"),
            "township": r["township"].astype("str"), "branch": r["branch"].astype("str"),
            "branch_id": r["branch_id"].to_numpy(), "indicator": report.id, "value": 0.0, "numerator": 0.0,
            "denominator": 1.0, "outstanding": 1.0,
            "members_affected": pd.to_numeric(r["members"]).astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            "branches_expected": 1.0, "branches_reported": 0.0,
            "first_missed": pd.to_datetime(r["first_missed"]).to_numpy(),
            "periods_missed": pd.to_numeric(r["periods_missed"]).to_numpy(),
        })
        parts.append(f)
    if not parts:
        return pd.DataFrame(columns=list(KEY))
    return add_city(with_parameters(pd.concat(parts, ignore_index=True), indicators, th), city)
