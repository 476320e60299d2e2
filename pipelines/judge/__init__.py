"""The judge layer: the only place that decides what is short, how badly, and what to do.

``judge`` reads the aggregate layer's tables (and, for the branch-level rules, the branch values
still in the engine) and returns the tables every document renders: ``status`` (every unit ×
indicator × period: met, watch, alert, scheduled, no_data), ``findings`` (one row per place and
indicator the rules flagged), ``ranking`` (counties ranked per indicator), ``actions`` (the few
grouped actions of each period) and ``data_quality`` (the checks' verdicts and score). Documents
never load thresholds or compare a value with a target themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.aggregate import Aggregates
from pipelines.aggregate.branches import county_order
from pipelines.aggregate.engine import Engine
from pipelines.domain import load
from pipelines.domain.indicators import Indicator
from pipelines.judge import actions, findings, quality, ranking, rules, status, units
from pipelines.params.thresholds import Thresholds


@dataclass
class Judgement:
    status: pd.DataFrame
    findings: pd.DataFrame
    ranking: pd.DataFrame
    actions: pd.DataFrame
    data_quality: pd.DataFrame


def candidates_of(eng: Engine, agg: Aggregates, indicators: list[Indicator], thresholds: Thresholds) -> pd.DataFrame:
    """The branch rows past the below-city gap (rules.branch_candidates) of the periods whose branch
    values the engine holds (``agg.values``), against the city's value of each period."""
    judged = [i for i in indicators if i.judged]
    if not _asks_candidates(agg, judged):
        return pd.DataFrame()
    long = units.long_units(agg.county_metrics, agg.township_metrics, judged, thresholds)
    return _candidates(eng, agg, judged, thresholds, long.loc[long["level"] == "city", ["period", "indicator", "value"]])


def _asks_candidates(agg: Aggregates, judged: list[Indicator]) -> bool:
    """Branch rules to feed, periods to judge, and the branch values still in the engine."""
    return bool(rules.branch_indicators(judged)) and bool(agg.periods) and agg.values is not None


def _candidates(eng: Engine, agg: Aggregates, judged: list[Indicator], thresholds: Thresholds,
                city: pd.DataFrame) -> pd.DataFrame:
    if not _asks_candidates(agg, judged):
        return pd.DataFrame()
    return eng.frame(rules.branch_candidates(agg.values, eng.table(agg.registry), city, judged, thresholds))


def judge(eng: Engine, agg: Aggregates, indicators: list[Indicator], thresholds: Thresholds,
          candidates: pd.DataFrame | None = None) -> Judgement:
    """Status, findings, ranking, actions and data-quality verdicts of every period of ``agg``.

    ``candidates``: the branch rows the engine picked for the branch rules (:func:`candidates_of`),
    when the metrics stage kept them from an earlier run; else they are asked of the engine now."""
    judged = [i for i in indicators if i.judged]
    every_indicator = units.long_units(agg.county_metrics, agg.township_metrics, indicators, thresholds)
    long = every_indicator.loc[every_indicator["indicator"].isin([i.id for i in judged])].reset_index(drop=True)
    st = status.status_table(long, agg.trends)
    city = long.loc[long["level"] == "city", ["period", "indicator", "value"]]
    people = rules.branch_indicators(judged)
    if candidates is None:
        candidates = _candidates(eng, agg, judged, thresholds, city)
    branch = units.branch_rows(candidates, agg.missed_runs, judged, thresholds, city, people)
    every = pd.concat([long, branch], ignore_index=True) if len(branch) else long
    across = agg.balance.loc[agg.balance["scope"] == "across_counties"]
    hits = [rules.citywide(every, judged, thresholds), *rules.county_rules(every, across, judged),
            rules.small_units(every, "township", judged, thresholds), rules.small_units(every, "branch", judged, thresholds),
            rules.missed_runs(every)]
    found = findings.findings_table(every, hits, agg.trends, judged, thresholds)
    return Judgement(
        status=st,
        findings=found,
        ranking=ranking.ranking_table(every_indicator),
        actions=actions.actions_table(found, st, long, judged, thresholds),
        data_quality=quality.data_quality(agg.quality, county_order(agg.registry), load.city_total_label(), thresholds),
    )


__all__ = ["Judgement", "candidates_of", "judge"]
