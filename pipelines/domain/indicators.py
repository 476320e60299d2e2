"""Indicators as typed values: indicators.yaml read once, with the targets, warnings and due dates
in force after the threshold overrides (pipelines/params/thresholds.py).

Every layer asks here: the aggregate layer for formulas and branch flags, the judge layer for
targets, warnings, due dates and count units, the documents for labels, the analysts' loader for
a lookup by id, Chinese or English name (``find("送学补学")``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines import config
from pipelines.domain import load

if TYPE_CHECKING:
    from pipelines.params.thresholds import Thresholds

UNITS = ("share", "score")
DIRECTIONS = ("higher", "lower")
COUNT_UNITS = ("branches", "members", "sheets", "points")
COMPOSITES = ("all", "due")


@dataclass(frozen=True)
class Indicator:
    """One indicator of indicators.yaml, its target, warning and due date after overrides."""

    id: str
    zh: str
    en: str
    short_zh: str
    short_en: str
    numerator: str
    denominator: str
    unit: str
    direction: str
    target: float
    warning: float
    count_unit: str
    action: str
    flag: str | None = None
    due: dt.date | None = None
    composite: str | None = None
    parts: tuple[str, ...] = ()
    judged: bool = True
    colour: str = "#1f77b4"
    note: str = ""

    @property
    def sign(self) -> int:
        """+1 when higher is better, −1 when lower is better: ``sign * (a - b) > 0`` means a is better."""
        return 1 if self.direction == "higher" else -1

    @property
    def scale(self) -> float:
        """Multiplier from the stored value to the shown one (shares are shown in % and gaps in pp)."""
        return 100.0 if self.unit == "share" else 1.0

    @property
    def counts_branches(self) -> bool:
        """True when the denominator counts branches (activities, work plan, report rate)."""
        return self.denominator.startswith("branches_")

    def label(self, lang: str = "zh", short: bool = False) -> str:
        if lang == "zh":
            return self.short_zh if short else self.zh
        return self.short_en if short else self.en

    def is_due(self, period: Any) -> bool:
        """Whether a shortfall at ``period`` is judged (True) or still scheduled (False)."""
        return self.due is None or _date(period) >= self.due


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "date"):  # pandas Timestamp, numpy datetime64 via pandas
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def parse_due(value: Any, where: str) -> dt.date | None:
    """A due date from YAML (a date, an ISO string, or null); a bad one names where it was."""
    if value is None:
        return None
    try:
        return _date(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: due must be a date YYYY-MM-DD, not {value!r}") from exc


def load_indicators(thresholds: Thresholds | None = None, path: Path = config.INDICATORS_FILE) -> list[Indicator]:
    """The indicators of indicators.yaml, their target/warning/due overridden by ``thresholds``."""
    over = thresholds.indicators if thresholds else {}
    raw = load.indicators(path)
    ids = [r["id"] for r in raw]
    if len(set(ids)) != len(ids):
        raise ValueError("indicator ids must be unique")
    unknown = set(over) - set(ids)
    if unknown:
        raise ValueError(f"threshold overrides name unknown indicators: {sorted(unknown)} (known: {', '.join(ids)})")
    out: list[Indicator] = []
    for r in raw:
        r = {**r, **(over.get(r["id"]) or {})}
        ind = Indicator(
            id=r["id"], zh=r["zh"], en=r["en"], short_zh=r.get("short_zh", r["zh"]), short_en=r.get("short_en", r["en"]),
            numerator=r["numerator"], denominator=r["denominator"], unit=r["unit"], direction=r["direction"],
            target=float(r["target"]), warning=float(r["warning"]), count_unit=r["count_unit"], action=r["action"],
            flag=r.get("flag"), due=parse_due(r.get("due"), f"indicator {r['id']}"), composite=r.get("composite"),
            parts=tuple(r.get("parts") or ()), judged=bool(r.get("judged", True)), colour=r.get("colour", "#1f77b4"),
            note=r.get("note", ""),
        )
        _check(ind, ids)
        out.append(ind)
    by_id = {i.id: i for i in out}
    # An `all` composite is due when its last part is: before that it is scheduled with them.
    for k, ind in enumerate(out):
        if ind.composite == "all" and ind.due is None:
            dues = [due for p in ind.parts if (due := by_id[p].due) is not None]
            if dues:
                out[k] = _replace(ind, due=max(dues))
    return out


def _replace(ind: Indicator, **changes: Any) -> Indicator:
    from dataclasses import replace

    return replace(ind, **changes)


def _check(ind: Indicator, ids: list[str]) -> None:
    if ind.unit not in UNITS or ind.direction not in DIRECTIONS:
        raise ValueError(f"indicator {ind.id}: unit {ind.unit!r} / direction {ind.direction!r}")
    if ind.count_unit not in COUNT_UNITS:
        raise ValueError(f"indicator {ind.id}: count_unit must be one of {COUNT_UNITS}, not {ind.count_unit!r}")
    if ind.sign * (ind.target - ind.warning) < 0:
        raise ValueError(f"indicator {ind.id}: the warning level must be on the bad side of the target")
    top = 1.0 if ind.unit == "share" else 100.0
    for name, v in (("target", ind.target), ("warning", ind.warning)):
        if not 0.0 <= v <= top:
            raise ValueError(f"indicator {ind.id}: {name} {v} is outside 0–{top:g}")
    if ind.composite is not None and (ind.composite not in COMPOSITES or not ind.parts or not set(ind.parts) <= set(ids)):
        raise ValueError(f"indicator {ind.id}: composite {ind.composite!r} needs parts among the indicators")


def find(key: str, indicators: Sequence[Indicator] | None = None) -> Indicator:
    """An indicator by its id, Chinese name or short name, or English name (case and spaces ignored).

    ``find("送学补学")``, ``find("special_reached_rate")`` and ``find("Special members reached")``
    all give the same indicator.
    """
    inds = indicators if indicators is not None else load_indicators()

    def norm(s: str) -> str:
        return "".join(str(s).split()).lower().replace("“", "").replace("”", "").replace('"', "")

    want = norm(key)
    for ind in inds:
        if want in {norm(ind.id), norm(ind.zh), norm(ind.short_zh), norm(ind.en), norm(ind.short_en)}:
            return ind
    names = "; ".join(f"{i.id} ({i.short_zh})" for i in inds)
    raise KeyError(f"no indicator {key!r}; known: {names}")
