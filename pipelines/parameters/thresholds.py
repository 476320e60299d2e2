"""Override keys and values, and the thresholds file, as the metrics stage will read them.

Imports the metrics stage when called (pandas comes with it), so the nightly runs it after its
skip decision. ``load_thresholds``/``load_indicators`` decide; :func:`_known_override_keys` is a
stop-gap until ``load_thresholds`` refuses unknown keys and out-of-range values itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.parameters.rules import NOTEBOOK_PARAMETERS, ParameterError, short_list

def check_thresholds(thresholds_file: str | Path | None, overrides: Mapping[str, Any] | None,
                     name: str = "overrides") -> None:
    """Refuse override keys or values the metrics stage would not take, before anything runs.

    Calls ``load_thresholds(path, overrides)`` and ``load_indicators(thresholds)`` of the metrics
    stage, which raise ValueError naming the key; a file that is not a YAML mapping is named the same way.
    """
    from pipelines.metrics.indicators import load_indicators, load_thresholds

    path = Path(thresholds_file).expanduser() if thresholds_file else None
    overrides = dict(overrides or {})
    attempts = [("thresholds_file", thresholds_file, None)] if path is not None else []
    attempts.append((name, overrides, overrides))
    for culprit, value, given in attempts:
        try:
            if given:
                _known_override_keys(path, given)
            load_indicators(load_thresholds(path, given or None))
        except ParameterError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise ParameterError(culprit, value, detail[:120], NOTEBOOK_PARAMETERS[culprit].allowed) from None


def _known_override_keys(path: Path | None, overrides: Mapping[str, Any]) -> None:
    """Minimal key and value check until load_thresholds refuses unknown keys itself.

    A dotted key must name a setting that thresholds.yaml (or the thresholds file) has, or an
    indicator's ``target``/``warning``; its value must be a number where the default is one.
    """
    import yaml

    from pipelines.domain import load

    defaults = yaml.safe_load(config.THRESHOLDS_FILE.read_text(encoding="utf-8")) or {}
    if path is not None:
        extra = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(extra, dict):
            raise ValueError(f"{path} does not hold a mapping of threshold sections")
        for section, body in extra.items():
            if isinstance(body, dict) and isinstance(defaults.get(section), dict):
                defaults[section] = {**defaults[section], **body}
    units = {i["id"]: i.get("unit") for i in load.indicators(config.INDICATORS_FILE)}
    ids = list(units)
    allowed = NOTEBOOK_PARAMETERS["overrides"].allowed
    for key, value in overrides.items():
        parts = key.strip().split(".")
        if parts[0] == "indicators":
            if len(parts) != 3 or parts[1] not in ids or parts[2] not in ("target", "warning"):
                near = difflib.get_close_matches(".".join(parts[1:2]), ids, n=1)
                hint = f"; indicators: {', '.join(ids)}" if not near else f"; did you mean indicators.{near[0]}?"
                raise ParameterError(f"overrides[{key!r}]", value,
                                     f"not indicators.<id>.target or .warning{hint}"[:200], allowed)
            default: Any = 0.0
            top = 1.0 if units[parts[1]] == "share" else 100.0
            number = yaml.safe_load(value) if isinstance(value, str) and value.strip() else value
            if isinstance(number, int | float) and not isinstance(number, bool) and not 0 <= number <= top:
                raise ParameterError(f"overrides[{key!r}]", value, f"out of range for a {units[parts[1]]}",
                                     f"0 to {top:g}")
        else:
            node: Any = defaults
            for i, part in enumerate(parts):
                if not isinstance(node, dict) or part not in node:
                    here = sorted(node) if isinstance(node, dict) else []
                    near = difflib.get_close_matches(part, here, n=1)
                    where = ".".join(parts[:i]) or "thresholds"
                    hint = (f"did you mean {'.'.join([*parts[:i], near[0]])}?" if near
                            else f"{where} has {short_list(here)}")
                    raise ParameterError(f"overrides[{key!r}]", value, f"no such threshold; {hint}", allowed)
                node = node[part]
            default = node
        numeric_default = isinstance(default, int | float) and not isinstance(default, bool)
        if numeric_default or default is None:
            number = yaml.safe_load(value) if isinstance(value, str) and value.strip() else value
            is_number = isinstance(number, int | float) and not isinstance(number, bool)
            if not is_number and not (number is None and default is None):
                raise ParameterError(f"overrides[{key!r}]", value, "not a number", allowed)
