"""Coded warnings: the closed list of codes, one record per warning, and the messages made from them.

The codes and their zh/en templates live in ``pipelines/domain/warnings.yaml``; this module is
the only place that turns (code, params) into text, so downstream stages read ``code`` and
``params`` from ``warnings.parquet`` and never parse a message. ``params`` is stored as a JSON
object (sorted keys, UTF-8): scalars, and lists of objects for list parameters (the columns of a
total that disagrees, the registry names close to an unregistered branch).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines import config
from pipelines.domain import load
from pipelines.ingest.safe import safe

WARNING_CODES_FILE = config.DOMAIN_DIR / "warnings.yaml"
LEVELS = ("note", "warning")


@lru_cache(maxsize=4)
def catalogue(path: Path = WARNING_CODES_FILE) -> dict[str, dict[str, Any]]:
    """code → its entry (level, zh, en, items, optional, choices), in the file's order."""
    codes = load._read(Path(path))["codes"]
    for code, entry in codes.items():
        if entry.get("level") not in LEVELS or "zh" not in entry or "en" not in entry:
            raise ValueError(f"{path}: code {code} needs level ({'/'.join(LEVELS)}), zh and en")
    return codes


def codes() -> tuple[str, ...]:
    """The closed list of warning codes."""
    return tuple(catalogue())


@dataclass(frozen=True)
class Warn:
    """One warning: where (file, sheet, row, column), what (code) and its facts (params)."""

    code: str
    file: str | None
    params: dict[str, Any] = field(default_factory=dict)
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # a contract column name, or the sheet's column letter
    county: str | None = None
    period: dt.date | None = None

    def __post_init__(self) -> None:
        if self.code not in catalogue():
            raise ValueError(f"unknown warning code {self.code!r}: add it to {WARNING_CODES_FILE}")

    @property
    def level(self) -> str:
        return catalogue()[self.code]["level"]


def _label(column: str | None, lang: str) -> str | None:
    if not column:
        return None
    try:
        return load.label(column, lang)
    except KeyError:
        return None


def _fill(template: str, params: dict[str, Any], lang: str) -> str:
    values = {}
    for k, v in params.items():
        values[k] = safe(v) if isinstance(v, str) else v
    return template.format_map(_Missing(values))


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def body(code: str, params: dict[str, Any], lang: str) -> str:
    """The message of ``code`` with ``params``, without the location (zh or en)."""
    entry = catalogue()[code]
    shown = dict(params)
    for name, options in (entry.get("choices") or {}).items():
        if name in shown and shown[name] in options:
            shown[name] = options[shown[name]][lang]
    for name, item in (entry.get("items") or {}).items():
        rows = shown.get(name) or []
        parts = []
        for r in rows:
            r = dict(r)
            if "column" in r:
                r["column_zh"] = _label(r["column"], "zh") or r["column"]
            parts.append(_fill(item[lang], r, lang))
        shown[name] = ";".join(parts) if lang == "zh" else "; ".join(parts)
    text = _fill(entry[lang], {k: v for k, v in shown.items() if not isinstance(v, list)}, lang)
    for name, extra in (entry.get("optional") or {}).items():
        value = shown.get(name)
        if value:
            items = value if isinstance(value, list) else [value]
            joined = ("、" if lang == "zh" else ", ").join(safe(v) for v in items)
            text += extra[lang].format_map(_Missing({name: joined}))
    return text


def column_name(column: str | None, lang: str) -> str | None:
    """How a warning's column is shown: the contract label (with its name in en), or the letter."""
    if not column:
        return None
    label = _label(column, lang)
    if lang == "zh":
        return f"「{label}」列" if label else f"{column}列"
    return f"column {column} ({label})" if label else f"column {column}"


def where(file: str | None, sheet: str | None, row: int | None, column: str | None, lang: str) -> str:
    """The location prefix every ingest message starts with (file, sheet, row, column)."""
    col = column_name(column, lang)
    if lang == "zh":
        parts = [safe(file, 200) if file else "(全部文件)"]
        if sheet:
            parts.append(f"工作表「{safe(sheet)}」")
        if row is not None:
            parts.append(f"第{row}行")
        if col:
            parts.append(col)
        return " ".join(parts)
    parts = [safe(file, 200) if file else "(all files)"]
    if sheet:
        parts.append(f"sheet {safe(sheet)}")
    if row is not None:
        parts.append(f"row {row}")
    if col:
        parts.append(col)
    return ", ".join(parts)


def message(w: Warn, lang: str) -> str:
    sep = ":" if lang == "zh" else ": "
    return where(w.file, w.sheet, w.row, w.column, lang) + sep + body(w.code, w.params, lang)


def params_json(params: dict[str, Any]) -> str:
    return json.dumps(params, ensure_ascii=False, sort_keys=True, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()[:10]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return str(value)


def warnings_frame(warns: list[Warn]) -> pd.DataFrame:
    """The warnings table (schema ``warnings``), one row per warning, in the order given."""
    periods = [pd.Timestamp(w.period) if w.period else pd.NaT for w in warns]
    return pd.DataFrame({
        "period": pd.Series(periods, dtype="datetime64[ns]"),
        "county": pd.array([w.county for w in warns], dtype="str"),
        "source_file": pd.array([w.file for w in warns], dtype="str"),
        "source_sheet": pd.array([w.sheet or None for w in warns], dtype="str"),
        "source_row": pd.array([w.row for w in warns], dtype="Int64"),
        "column": pd.array([w.column for w in warns], dtype="str"),
        "code": pd.array([w.code for w in warns], dtype="str"),
        "level": pd.array([w.level for w in warns], dtype="str"),
        "params": pd.array([params_json(w.params) for w in warns], dtype="str"),
        "message_zh": pd.array([message(w, "zh") for w in warns], dtype="str"),
        "message_en": pd.array([message(w, "en") for w in warns], dtype="str"),
    })


def counts_json(warns: list[Warn]) -> str:
    """Per-code counts of one file's warnings as a JSON object ({} when none), codes in list order."""
    order = {c: i for i, c in enumerate(codes())}
    counts: dict[str, int] = {}
    for w in warns:
        counts[w.code] = counts.get(w.code, 0) + 1
    return json.dumps(dict(sorted(counts.items(), key=lambda kv: order[kv[0]])), ensure_ascii=False)


def summary(warns: list[Warn], per_code: int = 3) -> str:
    """A human-readable line for the manifest: the warnings (not the notes), up to ``per_code``
    messages per code, then a count; '' when the file has none."""
    by_code: dict[str, list[Warn]] = {}
    for w in warns:
        if w.level != "warning":
            continue
        by_code.setdefault(w.code, []).append(w)
    parts = []
    for code, ws in by_code.items():
        for w in ws[:per_code]:
            loc = ", ".join(x for x in (f"sheet {safe(w.sheet)}" if w.sheet else "", f"row {w.row}" if w.row else "",
                                         f"column {w.column}" if w.column else "") if x)
            parts.append((loc + ": " if loc else "") + body(code, w.params, "en"))
        if len(ws) > per_code:
            parts.append(f"… and {len(ws) - per_code} more {code}")
    return "; ".join(parts)
