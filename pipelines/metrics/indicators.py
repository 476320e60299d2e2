"""Indicators and thresholds as typed values: the one place the YAML is turned into parameters.

indicators.yaml holds every formula, label, direction, target and warning level; thresholds.yaml
holds the rule and check parameters and may override an indicator's target or warning. The CLI
and papermill add dotted overrides on top (``weak_links.below_city.share=3``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines import config
from pipelines.domain import load

UNITS = ("share", "score")
DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class Indicator:
    """One indicator of indicators.yaml, with its target and warning after overrides."""

    id: str
    zh: str
    en: str
    short_zh: str
    numerator: str
    denominator: str
    unit: str
    direction: str
    target: float
    warning: float
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


@dataclass(frozen=True)
class Thresholds:
    """Every parameter of the rules and checks (the parsed, overridden thresholds.yaml)."""

    indicators: dict[str, dict[str, float]] = field(default_factory=dict)
    weak_links: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    trends: dict[str, Any] = field(default_factory=dict)

    def gap(self, rule: str, unit: str) -> float:
        """A gap threshold of weak_links in the indicator's own unit (pp → share)."""
        value = float(self.weak_links[rule][unit])
        return value / 100.0 if unit == "share" else value


def _parse_scalar(text: str) -> Any:
    return yaml.safe_load(text)


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """Return a copy of ``data`` with dotted-key overrides applied (``a.b.c=1`` strings or a dict)."""
    out = copy.deepcopy(data)
    if not overrides:
        return out
    items = overrides.items() if isinstance(overrides, dict) else (o.split("=", 1) for o in overrides)
    for key, value in items:
        if isinstance(value, str):
            value = _parse_scalar(value)
        node = out
        parts = str(key).strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"override {key!r}: {part!r} is not a section")
        node[parts[-1]] = value
    return out


def load_thresholds(
    path: Path | None = None, overrides: dict[str, Any] | list[str] | None = None
) -> Thresholds:
    """Defaults from pipelines/params/thresholds.yaml, then ``path`` (partial file), then overrides."""
    with open(config.THRESHOLDS_FILE, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if path is not None:
        with open(path, encoding="utf-8") as fh:
            extra = yaml.safe_load(fh) or {}
        data = _merge(data, extra)
    data = apply_overrides(data, overrides)
    unknown = set(data) - {"indicators", "weak_links", "quality", "trends"}
    if unknown:
        raise ValueError(f"unknown threshold sections: {sorted(unknown)}")
    return Thresholds(
        indicators=dict(data.get("indicators") or {}),
        weak_links=dict(data.get("weak_links") or {}),
        quality=dict(data.get("quality") or {}),
        trends=dict(data.get("trends") or {}),
    )


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_indicators(thresholds: Thresholds | None = None, path: Path = config.INDICATORS_FILE) -> list[Indicator]:
    """The indicators of indicators.yaml, their target/warning overridden by ``thresholds``."""
    over = thresholds.indicators if thresholds else {}
    raw = load.indicators(path)
    ids = [r["id"] for r in raw]
    unknown = set(over) - set(ids)
    if unknown:
        raise ValueError(f"threshold overrides name unknown indicators: {sorted(unknown)}")
    out = []
    for r in raw:
        r = {**r, **(over.get(r["id"]) or {})}
        ind = Indicator(
            id=r["id"], zh=r["zh"], en=r["en"], short_zh=r.get("short_zh", r["zh"]),
            numerator=r["numerator"], denominator=r["denominator"], unit=r["unit"],
            direction=r["direction"], target=float(r["target"]), warning=float(r["warning"]),
            colour=r.get("colour", "#1f77b4"), note=r.get("note", ""),
        )
        if ind.unit not in UNITS or ind.direction not in DIRECTIONS:
            raise ValueError(f"indicator {ind.id}: unit {ind.unit!r} / direction {ind.direction!r}")
        if ind.sign * (ind.target - ind.warning) < 0:
            raise ValueError(f"indicator {ind.id}: the warning level must be on the bad side of the target")
        out.append(ind)
    if len(set(ids)) != len(ids):
        raise ValueError("indicator ids must be unique")
    return out
