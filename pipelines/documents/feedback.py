"""A feedback workbook per county: what was wrong with its return and what it should chase.

``write_feedback(processed, out, period=None)`` writes ``<out>/<county>.xlsx`` for every county
(counties.yaml's, and any other the tables name): a 说明 sheet (the county, the period, what the
workbook is, how many rows each kind of problem has), then one sheet per kind that has rows —
rejected rows, warnings on its files (notes marked 提示), registry branches that did not report,
branches not in the registry with the registry's near names, its weak links with their sentences,
and the branches behind them with what each still lacks. A county with nothing to fix gets the
说明 sheet alone, saying so. The workbooks are written together (pipelines.io.staged): all or none.

The rows come from the clean stage's and the judge layer's tables (feedback_tables.py); nothing
here compares a value with a target.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines import config, io
from pipelines.documents import feedback_rows
from pipelines.documents.feedback_book import write_book
from pipelines.documents.feedback_chase import LONG_COLUMNS, behind, branch_values, chased, indicators_in_force
from pipelines.documents.feedback_tables import FeedbackError, Tables, read_tables
from pipelines.domain import load

__all__ = ["CountyBook", "FeedbackError", "FeedbackResult", "file_name", "write_feedback"]

FOLDER = "feedback"  # the run folder's sub-folder the nightly writes them into


@dataclass(frozen=True)
class CountyBook:
    """One county's workbook: where it is and how many rows each kind of problem has."""

    county: str
    path: Path
    counts: dict[str, int]  # section (feedback_rows.SECTIONS) → rows
    to_fix: bool  # False: the one-sheet workbook saying there is nothing to fix


@dataclass(frozen=True)
class FeedbackResult:
    period: pd.Timestamp
    out: Path
    books: list[CountyBook] = field(default_factory=list)
    unattributed: int = 0  # reject and warning rows of the period that name no county: in no workbook

    @property
    def files(self) -> dict[str, Path]:
        return {b.county: b.path for b in self.books}


def file_name(county: str) -> str:
    """``<county>.xlsx``, with a character no file system takes replaced by ``_``."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", county).strip(". ") + ".xlsx"


def _wanted(tables: Tables, counties: list[str] | None) -> list[str]:
    if not counties:
        return tables.counties
    from pipelines.ingest.counties import CountyTable

    table = CountyTable.from_yaml(config.COUNTIES_FILE)
    out = []
    for name in counties:
        county = name if name in tables.counties else table.resolve(name)
        if county is None or county not in tables.counties:
            known = "、".join(tables.counties)
            raise FeedbackError(f"unknown county {name!r} (known: {', '.join(tables.counties)})",
                                f"未知的县(市、区)「{name}」(已有:{known})", status=2)
        out.append(county)
    return list(dict.fromkeys(out))


def write_feedback(processed: Path | None = None, out: Path | None = None,
                   period: str | dt.date | pd.Timestamp | None = None, counties: list[str] | None = None) -> FeedbackResult:
    """Write each county's feedback workbook for ``period`` (default: the latest) into ``out``.

    ``processed``: the folder of the clean and metrics tables (default config.PROCESSED_DIR);
    ``out`` defaults to ``<processed>/feedback``; ``counties`` limits the workbooks to those named
    (names or aliases of counties.yaml). Raises FeedbackError when a table is missing or
    unreadable, or the period or a county is not in the tables.
    """
    tables = read_tables(processed, period)
    out = Path(out) if out else tables.processed / FOLDER
    wanted = _wanted(tables, counties)
    indicators = indicators_in_force(tables.processed, tables.period)
    by_id = {i.id: i for i in indicators}
    mine = tables.findings.loc[tables.findings["county"].isin(wanted)]
    chase_these = mine.loc[[chased(by_id[i]) if i in by_id else False for i in mine["indicator"]]]
    chase = pd.DataFrame(columns=LONG_COLUMNS)
    if len(chase_these):  # the engine and the returns are read only when some finding has branches behind it
        values = branch_values(tables.processed, tables.period, tables.registry, indicators)
        chase = behind(chase_these, values, indicators, tables.period)
    words = load.terms()["feedback"]
    books = []
    with io.staged() as stage:
        for county in wanted:
            rows = tables.of(county)
            sheets = feedback_rows.sheets(rows, chase.loc[chase["county"] == county], tables.registry, indicators)
            target = out / file_name(county)
            write_book(stage.file(target), title=words["title"].format(county=county), period=tables.period.date(),
                       summary=feedback_rows.summary(rows, sheets), sheets=[s for s in sheets.values() if s.rows])
            books.append(CountyBook(county, target, {k: len(s.rows) for k, s in sheets.items()}, rows.to_fix))
    return FeedbackResult(tables.period, out, books, tables.unattributed)


def describe(book: CountyBook) -> str:
    """One line for a person: the county and what its workbook holds."""
    if not book.to_fix and not any(book.counts.values()):
        return f"{book.county}: nothing to fix (one sheet)"
    parts = [f"{n} {k}" for k, n in book.counts.items() if n]
    return f"{book.county}: " + ", ".join(parts)

