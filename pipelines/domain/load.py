"""Read the domain YAML files once per process; every stage asks here, never re-parses them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipelines import config


@cache
def _read(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def counties(path: Path = config.COUNTIES_FILE) -> dict[str, Any]:
    return _read(Path(path))


def county_order(path: Path = config.COUNTIES_FILE) -> list[str]:
    """Canonical county names in the order every table and chart uses."""
    return [c["name"] for c in counties(path)["counties"]]


def city_total_label(path: Path = config.COUNTIES_FILE) -> str:
    return counties(path)["city"]["total_label"]


def terms(path: Path = config.TERMS_FILE) -> dict[str, Any]:
    return _read(Path(path))


def cumulative_columns(path: Path = config.TERMS_FILE) -> tuple[str, ...]:
    """The returns' columns counted since the campaign began (terms.yaml form columns ``counted: cumulative``):
    a branch's figure in them never falls from one return to the next."""
    columns = terms(path)["form"]["columns"]
    return tuple(c for c, spec in columns.items() if (spec or {}).get("counted") == "cumulative")


def label(column: str, lang: str = "zh") -> str:
    """The person-facing label of a column or term, in Chinese (zh) or English (en)."""
    t = terms()
    for section in ("columns", "groups", "words"):
        if column in t.get(section, {}):
            return t[section][column][lang]
    raise KeyError(f"no label for {column!r} in {config.TERMS_FILE}")


def headers(path: Path = config.HEADERS_FILE) -> dict[str, Any]:
    return _read(Path(path))


def indicators(path: Path = config.INDICATORS_FILE) -> list[dict[str, Any]]:
    return list(_read(Path(path))["indicators"])
