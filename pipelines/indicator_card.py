"""``pipelines.indicator("送学补学")``: one indicator as an analyst asks for it, by any of its names.

The definition stays in pipelines/domain/indicators.yaml (with the targets and warnings in force
after pipelines/params/thresholds.yaml); this module only finds it by id, Chinese name, Chinese
short name or English name, suggests the nearest names when none matches, and shows it as a
card (labels, formula, unit, direction, target, warning, due date, what a shortfall is counted in).
"""

from __future__ import annotations

import dataclasses
import difflib
from functools import lru_cache
from typing import Any, cast

import pandas as pd

from pipelines.domain import load as domain
from pipelines.domain.indicators import Indicator, find, load_indicators

UNIT_WORDS = {"share": "a share 0–1, shown in %", "score": "a score 0–100"}


@dataclasses.dataclass(frozen=True, repr=False)
class IndicatorCard(Indicator):
    """An Indicator (usable wherever one is) with its formula spelt out and a readable repr."""

    @property
    def formula(self) -> str:
        """numerator / denominator, as column names of county_metrics."""
        return f"{self.numerator} / {self.denominator}"

    @property
    def formula_zh(self) -> str:
        """The formula in the terms' Chinese labels where they have one."""
        return f"{_label(self.numerator)} / {_label(self.denominator)}"

    def replace(self, **changes: Any) -> IndicatorCard:
        return dataclasses.replace(self, **changes)

    def show(self, value: float) -> str:
        """A stored value as shown (shares in %, scores in points)."""
        return f"{value * self.scale:.1f}{'%' if self.unit == 'share' else ''}"

    def __repr__(self) -> str:
        lines = [
            f"{self.id} · {self.short_zh} · {self.zh} · {self.en}",
            f"  formula   {self.formula}" + (f"  ({self.formula_zh})" if self.formula_zh != self.formula else "")
            + (f"; {self.note}" if self.note else ""),
            f"  unit      {UNIT_WORDS[self.unit]}, {self.direction} is better; a shortfall counts {self.count_unit}",
            f"  target    {self.show(self.target)}, warning below {self.show(self.warning)}"
            + (f", due {self.due}" if self.due else "") + ("" if self.judged else "; shown, not judged"),
        ]
        return "\n".join(lines)


def _label(column: str) -> str:
    try:
        return domain.label(column)
    except KeyError:
        return column


@lru_cache(maxsize=1)
def _in_force() -> tuple[IndicatorCard, ...]:
    from pipelines.params.thresholds import load_thresholds

    return tuple(IndicatorCard(**{f.name: getattr(i, f.name) for f in dataclasses.fields(Indicator)})
                 for i in load_indicators(load_thresholds()))


def indicator(name: str) -> IndicatorCard:
    """An indicator by id, Chinese name or short name, or English name, with the target and
    warning in force by default (thresholds.yaml): ``pipelines.indicator("送学补学").target``.

    A name that matches none raises KeyError with the nearest names and every indicator.
    """
    cards = list(_in_force())
    try:
        return cast(IndicatorCard, find(name, cards))  # find() returns one of the cards it is given
    except KeyError:
        names = {n: c for c in cards for n in (c.id, c.zh, c.short_zh, c.en, c.short_en)}
        near = difflib.get_close_matches(str(name), list(names), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(f'{n} ({names[n].id})' for n in near)}? " if near else ""
        known = "; ".join(f"{c.short_zh} = {c.id}" for c in cards)
        raise KeyError(f"no indicator {name!r}; {hint}known: {known}") from None


def indicators() -> pd.DataFrame:
    """Every indicator as one row (id, names, formula, unit, direction, target, warning, due,
    count unit, judged): ``pipelines.indicators()``."""
    return pd.DataFrame([{
        "id": c.id, "short_zh": c.short_zh, "zh": c.zh, "en": c.en, "formula": c.formula, "unit": c.unit,
        "direction": c.direction, "target": c.target, "warning": c.warning, "due": c.due, "count_unit": c.count_unit,
        "judged": c.judged,
    } for c in _in_force()]).set_index("id")
