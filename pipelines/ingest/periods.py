"""The one period parser: a folder name → the period it names (standard library only).

Counties and clerks name period folders as they write dates: ``2005-02-25``, ``2005-2-25``,
``20050225``, ``2005年2月25日``, ``2005.2.25``, with a stray space or full-width digits. Every
place that recognises a period folder asks here — the clean step, the sample writer and the
Makefile's "does RAW already hold returns?" check (``python -m pipelines sample --if-empty``) —
so the three can never disagree. An impossible date (``2005-02-30``) is not silently skipped:
:func:`parse_period` raises :class:`PeriodError` saying why.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# year, month, day separated by - _ . / or a space, or written 年 月 (日), or eight digits
_SPELLINGS = (
    re.compile(r"^(\d{4})\s*[-_./\s]\s*(\d{1,2})\s*[-_./\s]\s*(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


class PeriodError(ValueError):
    """A folder name written as a date that does not exist (2005-02-30, 2005-13-01)."""

    def __init__(self, name: str, message_en: str, message_zh: str) -> None:
        self.name, self.message_en, self.message_zh = name, message_en, message_zh
        super().__init__(message_en)


@dataclass(frozen=True)
class Period:
    """A parsed period folder: the date, and whether the name was not already ``YYYY-MM-DD``."""

    date: dt.date
    written: str  # the folder name as it is on disk

    @property
    def iso(self) -> str:
        return self.date.isoformat()

    @property
    def normalised(self) -> bool:
        return self.written != self.iso


def _fields(name: str) -> tuple[int, int, int] | None:
    text = unicodedata.normalize("NFKC", name).strip()
    for pattern in _SPELLINGS:
        m = pattern.match(text)
        if m:
            return int(m.group(1)), int(m.group(2)), int(m.group(3))
    return None


def looks_like_period(name: str) -> bool:
    """Whether ``name`` is written as a date at all (possible or not)."""
    return _fields(name) is not None


def parse_period(name: str) -> Period | None:
    """The period a folder name spells; None when it is not a date spelling (``registry``, ``misc``).

    Raises PeriodError for a date spelling that names no day (month 13, 30 February).
    """
    fields = _fields(name)
    if fields is None:
        return None
    year, month, day = fields
    if not 1 <= month <= 12:
        raise PeriodError(name, f"folder '{name}' is not a date: there is no month {month}",
                          f"文件夹“{name}”不是有效日期:没有{month}月")
    last = calendar.monthrange(year, month)[1] if year >= 1 else 0
    if not 1 <= day <= last:
        raise PeriodError(name, f"folder '{name}' is not a date: {year}-{month:02d} has {last} days, not {day}",
                          f"文件夹“{name}”不是有效日期:{year}年{month}月只有{last}天,没有{day}日")
    return Period(dt.date(year, month, day), name)


def period_folders(raw: Path) -> list[Path]:
    """The folders directly under ``raw`` whose names are written as dates (valid or not), sorted."""
    raw = Path(raw)
    if not raw.is_dir():
        return []
    return sorted(p for p in raw.iterdir() if p.is_dir() and looks_like_period(p.name))
