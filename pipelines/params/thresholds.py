"""The judge layer's parameters: thresholds.yaml, a partial YAML file on top, dotted overrides last.

Every key and value is checked against the defaults before anything runs: an unknown key, a
text where a number belongs, a negative gap or an impossible date raises ``ValueError`` naming
the key, so a misspelt ``--set`` or papermill override never runs silently with the defaults.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines import config

SECTIONS = ("indicators", "weak_links", "findings", "quality", "trends")
INDICATOR_KEYS = ("target", "warning", "due")

Overrides = Mapping[str, Any] | Iterable[str] | str | None


@dataclass(frozen=True)
class Thresholds:
    """Every parameter of the rules and checks (the parsed, overridden thresholds.yaml)."""

    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    weak_links: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    trends: dict[str, Any] = field(default_factory=dict)

    def gap(self, rule: str, unit: str) -> float:
        """A gap threshold of weak_links in the indicator's own unit (pp → share)."""
        value = float(self.weak_links[rule][unit])
        return value / 100.0 if unit == "share" else value

    def as_record(self) -> dict[str, Any]:
        """JSON-able form (dates as ISO text) for run records and the status table's provenance."""
        return json.loads(json.dumps(self.__dict__, default=str))


def defaults() -> dict[str, Any]:
    with open(config.THRESHOLDS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _scalar(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):  # 2005-02-30 fails in YAML's date constructor: keep the text
        return text


def parse_overrides(overrides: Overrides) -> dict[str, Any]:
    """Dotted overrides as a flat {key: value} dict.

    Accepts a mapping (``{"indicators.avg_score.target": 98}`` or nested dicts), ``KEY=VALUE``
    strings (the CLI's ``--set``), or one JSON/YAML object as text (papermill's ``-p overrides``).
    """
    if overrides is None or overrides == "" or overrides == {}:
        return {}
    if isinstance(overrides, str):
        text = overrides.strip()
        loaded = _scalar(text)
        if isinstance(loaded, dict):
            return parse_overrides(loaded)
        return parse_overrides([text])
    out: dict[str, Any] = {}
    if isinstance(overrides, Mapping):
        for key, value in overrides.items():
            if isinstance(value, Mapping) and value:
                for sub, v in parse_overrides(value).items():
                    out[f"{key}.{sub}"] = v
            else:
                out[str(key).strip()] = _scalar(value) if isinstance(value, str) else value
        return out
    for item in overrides:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise ValueError(f"override {item!r} is not KEY=VALUE (e.g. indicators.avg_score.target=98)")
        out[key.strip()] = _scalar(value.strip())
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_value(key: str, default: Any, value: Any) -> Any:
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ValueError(f"threshold {key}: expected a mapping with keys {sorted(default)}, not {value!r}")
        return {k: _check_value(f"{key}.{k}", _known(key, default, k), v) for k, v in value.items()}
    if default is None:  # optional number (max_rows_per_rule)
        if value is None or (_is_number(value) and value >= 1):
            return value
        raise ValueError(f"threshold {key}: {value!r} is not null or a number ≥ 1")
    if _is_number(default):
        if not _is_number(value):
            raise ValueError(f"threshold {key}: {value!r} is not a number")
        if value < 0:
            raise ValueError(f"threshold {key}: {value!r} is below 0")
        return value
    return value


def _unknown(key: str, known: list[str]) -> ValueError:
    *parent, last = key.split(".")
    near = difflib.get_close_matches(last, known, n=1)
    hint = f"did you mean {'.'.join([*parent, near[0]])}?" if near else f"known: {', '.join(known)}"
    return ValueError(f"unknown threshold {key} ({hint})")


def _known(key: str, default: dict[str, Any], sub: str) -> Any:
    if sub not in default:
        raise _unknown(f"{key}.{sub}", [str(k) for k in default])
    return default[sub]


def _check_indicator(key: str, value: Any) -> dict[str, Any]:
    from pipelines.domain import load
    from pipelines.domain.indicators import parse_due

    units = {r["id"]: r["unit"] for r in load.indicators()}
    ind = key.split(".", 1)[1]
    if ind not in units:
        near = difflib.get_close_matches(ind, list(units), n=1)
        hint = f"did you mean indicators.{near[0]}?" if near else f"indicators: {', '.join(units)}"
        raise ValueError(f"unknown indicator {key} ({hint})")
    if not isinstance(value, dict):
        raise ValueError(f"threshold {key}: expected a mapping of {', '.join(INDICATOR_KEYS)}, not {value!r}")
    top = 1.0 if units[ind] == "share" else 100.0
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k not in INDICATOR_KEYS:
            raise _unknown(f"{key}.{k}", list(INDICATOR_KEYS))
        if k == "due":
            out[k] = parse_due(v, f"threshold {key}.due")
        elif not _is_number(v):
            raise ValueError(f"threshold {key}.{k}: {v!r} is not a number")
        elif not 0 <= v <= top:
            raise ValueError(f"threshold {key}.{k}: {v!r} is out of range (0 to {top:g} for a {units[ind]})")
        else:
            out[k] = float(v)
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"override {key!r}: {part!r} is not a section")
        node[parts[-1]] = value
    return out


def checked(data: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a partial thresholds tree) checked against the defaults ``base``."""
    out: dict[str, Any] = {}
    for section, value in data.items():
        if section not in SECTIONS:
            raise _unknown(section, list(SECTIONS))
        if section == "indicators":
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ValueError(f"threshold indicators: expected a mapping of indicator ids, not {value!r}")
            out[section] = {ind: _check_indicator(f"indicators.{ind}", v) for ind, v in value.items()}
        else:
            out[section] = _check_value(section, base.get(section) or {}, value)
    return out


def load_thresholds(path: Path | str | None = None, overrides: Overrides = None) -> Thresholds:
    """Defaults from pipelines/params/thresholds.yaml, then ``path`` (a partial file), then overrides.

    Raises ``ValueError`` (naming the key) for an unknown key or a bad value, ``FileNotFoundError``
    for a missing file. Indicator ids are checked by ``load_indicators``.
    """
    base = defaults()
    data = copy.deepcopy(base)
    data["indicators"] = checked({"indicators": base.get("indicators") or {}}, base)["indicators"]
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"thresholds file {path} does not exist")
        with open(path, encoding="utf-8") as fh:
            extra = yaml.safe_load(fh) or {}
        if not isinstance(extra, dict):
            raise ValueError(f"thresholds file {path} must hold a mapping")
        data = _merge(data, checked(extra, base))
    data = _merge(data, checked(_nest(parse_overrides(overrides)), base))
    return Thresholds(**{s: dict(data.get(s) or {}) for s in SECTIONS})


def check_thresholds(thresholds_file: str | Path | None, overrides: Overrides, name: str = "overrides") -> None:
    """Refuse a thresholds file or overrides the metrics stage would not take, before anything runs.

    The same loaders as the stage (``load_thresholds``, then ``load_indicators`` for the indicator
    ids and the warning's side of the target); their ``ValueError`` names the key and becomes the
    one-line :class:`ParameterError` of the nightly and the notebooks' validation cell.
    """
    from pipelines.domain.indicators import load_indicators
    from pipelines.params.rules import NOTEBOOK_PARAMETERS, ParameterError

    path = Path(thresholds_file).expanduser() if thresholds_file else None
    attempts: list[tuple[str, Any, Overrides]] = [("thresholds_file", thresholds_file, None)] if path is not None else []
    attempts.append((name, overrides, overrides))
    for culprit, value, given in attempts:
        try:
            load_indicators(load_thresholds(path, given or None))
        except (ValueError, TypeError, OSError) as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise ParameterError(culprit, value, detail[:200], NOTEBOOK_PARAMETERS[culprit].allowed) from None
