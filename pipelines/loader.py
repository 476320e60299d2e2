"""The analysts' one-line loader: every table of a processed folder or a nightly run, typed, on first use.

``t = pipelines.load()`` (the analysts' data/processed), ``pipelines.load("../reports/latest")``
(the tables an official report was made from) or ``pipelines.load(folder, period="2005-02-25")``.
Each table of docs/contracts.md is an attribute read when first asked for (``t.returns``,
``t.county_metrics``, ``t.findings`` …); ``t.latest`` is the same for the latest period only, and
a few helpers answer the common questions in one line (``t.lowest("township", "送学补学")``).

Why a loader: answering three ordinary questions took 13 lines and five documents (issue 16).
Every table goes through :func:`read_table`, which reads it with :func:`pipelines.datasets.read`:
returns, rejects, warnings, findings, status and reporting are folders partitioned by period
(``returns/period=2005-02-25/part-0.parquet``), and ``t.at("2005-02-25")`` opens that period's
files only, so a year of history is not read for one week. Types are the contract's, plus: every
date column datetime64[ns], and county columns an ordered categorical in the city's order
(counties.yaml, 全市 last), so sorting, grouping and charts follow that order.

This module is imported on first use of ``pipelines.load`` (``import pipelines`` stays light).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import config, datasets
from pipelines.domain import load as domain
from pipelines.indicator_card import IndicatorCard, indicator

__all__ = ["Tables", "indicator", "load", "read_table"]

#: Table name → its name in the folder: every table of pipelines/config.py (``*_TABLE``, partitioned
#: by period: a folder; ``*_FILE``: a Parquet file).
TABLES: dict[str, str] = {
    **{v: v for k, v in vars(config).items() if k.endswith("_TABLE") and isinstance(v, str)},
    **{v.removesuffix(".parquet"): v for k, v in vars(config).items()
       if k.endswith("_FILE") and isinstance(v, str) and v.endswith(".parquet")},
}
#: The clean stage writes these; the metrics stage writes every other table.
CLEAN_TABLES = ("returns", "registry", "rejects", "manifest", "warnings")
#: Columns holding a county name (made ordered categoricals).
COUNTY_COLUMNS = ("county", "best_county", "worst_county")
#: A run folder of the nightly keeps its tables here (pipelines/nightly/store.py TABLES_DIR).
RUN_TABLES = "tables"
WEAK = ("watch", "alert")


def read_table(path: str | Path, periods: Iterable[Any] | None = None,
               columns: list[str] | None = None) -> pd.DataFrame:
    """One table, typed: a table's folder partitioned by period (``returns/``) or its Parquet file,
    read with :func:`pipelines.datasets.read`.

    ``periods``: keep those periods only, opening their partitions only (rows whose period is
    unknown, such as a file that could not be read, are kept too); a table without a period
    column is read whole.
    """
    path = Path(path)
    frame = datasets.read(path.parent, path.name, periods=periods, columns=columns)
    for col in frame.columns:  # every date column as datetime64[ns] (a date32, µs)
        if pd.api.types.is_datetime64_any_dtype(frame[col]) and str(frame[col].dtype) != "datetime64[ns]":
            frame[col] = frame[col].astype("datetime64[ns]")
    for col in COUNTY_COLUMNS:
        if col in frame.columns:
            frame[col] = counties_ordered(frame[col])
    return frame


def counties_ordered(values: pd.Series) -> pd.Series:
    """County names as an ordered categorical: counties.yaml's order, names it does not know
    (a registry's further county) after them, the city total last."""
    order, city = domain.county_order(), domain.city_total_label()
    extra = sorted(set(values.dropna().astype(str)) - {*order, city})
    return values.astype(pd.CategoricalDtype([*order, *extra, city], ordered=True))


def load(source: str | Path | None = None, *, period: Any = None, periods: Iterable[Any] | None = None) -> Tables:
    """The tables of a processed folder or a nightly run folder, read lazily and typed.

    ``t = pipelines.load()`` (config.PROCESSED_DIR), ``pipelines.load("data/processed")``,
    ``pipelines.load("reports/latest")`` (a run folder: its ``tables/``; ``reports`` means its
    ``latest``); ``period="2005-02-25"`` or ``periods=[…]`` reads those periods only.
    """
    if period is not None and periods is not None:
        raise ValueError("give period= or periods=, not both")
    root = Path(source).expanduser() if source is not None else config.PROCESSED_DIR
    if not root.is_dir():
        raise FileNotFoundError(f"no such folder: {root} (give a processed folder such as data/processed, "
                                f"or a nightly run folder such as reports/latest)")
    if not (root / RUN_TABLES).is_dir() and (root / "latest" / RUN_TABLES).is_dir():
        root = root / "latest"
    run = (root / RUN_TABLES).is_dir()
    t = Tables(root / RUN_TABLES if run else root, run=run)
    chosen = [period] if period is not None else periods
    return t if chosen is None else t.at(*chosen)


def _day(value: Any) -> pd.Timestamp:
    """A period as a Timestamp at midnight; a text must be an ISO date (20050225 is refused)."""
    if isinstance(value, str):
        from pipelines.params.rules import parse_period

        return pd.Timestamp(parse_period("period", value)).as_unit("ns")
    return pd.Timestamp(value).normalize().as_unit("ns")


class Tables:
    """Every table of one folder as an attribute, read on first use and kept (``t.returns``, …).

    The frames are shared between accesses: copy one before changing it in place.
    """

    def __init__(self, folder: Path, *, run: bool = False, periods: tuple[pd.Timestamp, ...] | None = None) -> None:
        self.folder, self.run, self.filter = Path(folder), run, periods
        self._frames: dict[str, pd.DataFrame] = {}

    # --- the tables ----------------------------------------------------------------------------

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_") or name not in TABLES:
            near = difflib.get_close_matches(name, list(TABLES), n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            raise AttributeError(f"no table {name!r}{hint} (tables: {', '.join(TABLES)})")
        if name not in self._frames:
            self._frames[name] = read_table(self.path(name), self.filter)
        return self._frames[name]

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *TABLES})

    def path(self, name: str) -> Path:
        """Where table ``name`` is; a missing one raises FileNotFoundError naming the command that makes it."""
        path = datasets.table_path(self.folder, name)
        if path.exists():
            return path
        if self.run:
            raise FileNotFoundError(f"{path} is missing: this nightly run did not keep {name} (its step "
                                    f"{'01_clean' if name in CLEAN_TABLES else '02_metrics'} makes it)")
        made_by = (f"python -m pipelines clean --raw data/raw --out {self.folder}" if name in CLEAN_TABLES
                   else f"python -m pipelines metrics --processed {self.folder}")
        raise FileNotFoundError(f"{path} is missing: `{made_by}` makes it")

    def info(self) -> pd.DataFrame:
        """Each table: its path, whether it is there, its rows (from the Parquet footers, nothing read)
        and, for a table partitioned by period, how many periods it holds."""
        rows = []
        for name in TABLES:
            path = datasets.table_path(self.folder, name)
            n = datasets.count_rows(self.folder, name) if path.exists() else None
            rows.append({"table": name, "path": str(path), "exists": path.exists(), "rows": n,
                         "periods": len(datasets.periods_of(self.folder, name)) if path.is_dir() else None})
        return pd.DataFrame(rows).astype({"rows": "Int64", "periods": "Int64"})

    def __repr__(self) -> str:
        there = [n for n in TABLES if datasets.exists(self.folder, n)]
        span = ", ".join(str(p.date()) for p in self.periods) or "none"
        kind = "nightly run" if self.run else "processed folder"
        return f"<Tables of the {kind} {self.folder}: periods {span}; tables {', '.join(there) or 'none'}>"

    # --- periods -------------------------------------------------------------------------------

    @cached_property
    def periods(self) -> list[pd.Timestamp]:
        """The periods these tables hold (the filter's, when one was given), oldest first."""
        if self.filter is not None:
            return list(self.filter)
        for name in ("county_metrics", "returns", "manifest"):
            path = datasets.table_path(self.folder, name)
            if path.is_dir():  # the partitions' names say it: nothing is read
                return datasets.periods_of(self.folder, name)
            if path.exists():
                return sorted(read_table(path, columns=["period"])["period"].dropna().unique())
        return []

    @property
    def period(self) -> pd.Timestamp:
        """The latest period."""
        if not self.periods:
            raise LookupError(f"no period in {self.folder}: no county_metrics, returns or manifest table")
        return self.periods[-1]

    @cached_property
    def latest(self) -> Tables:
        """The same tables for the latest period only (read with the filter pushed down)."""
        return self if self.filter == (self.period,) else self.at(self.period)

    def at(self, *periods: Any) -> Tables:
        """The same tables for these periods only: ``t.at("2005-02-18")``; a period not in the data
        raises ValueError listing those there are."""
        wanted = sorted({_day(p) for p in periods})
        known = self.periods
        missing = [p for p in wanted if known and p not in known]
        if missing:
            raise ValueError(f"no period {missing[0].date()} in {self.folder}: its periods are "
                             f"{', '.join(str(p.date()) for p in known) or 'none'}")
        return Tables(self.folder, run=self.run, periods=tuple(wanted))

    # --- one-line answers ----------------------------------------------------------------------

    @property
    def weak_links(self) -> pd.DataFrame:
        """The findings that are weak links (status watch or alert): ``t.latest.weak_links``."""
        f = self.findings
        return f.loc[f["status"].isin(WEAK)]

    def indicator(self, name: str) -> IndicatorCard:
        """An indicator with the target and warning these tables were judged by (status.parquet):
        ``t.indicator("送学补学").target``."""
        card = indicator(name)
        status = self.latest.status if datasets.exists(self.folder, "status") else None
        used = status.loc[status["indicator"] == card.id] if status is not None else pd.DataFrame()
        if len(used):
            card = card.replace(target=float(used["target"].iloc[0]), warning=float(used["warning"].iloc[0]))
        return card

    def series(self, place: str, name: str, county: str | None = None) -> pd.DataFrame:
        """An indicator across periods for the city, a county or a township, with its status:
        ``t.series("大埔县", "四会一课")``, ``t.series("湖寮镇", "送学补学", county="大埔县")``.

        Columns: period, county, township (a township), indicator, value, numerator, denominator,
        target, warning, status (null for an indicator shown but not judged, such as 五项全开).
        """
        ind = indicator(name)
        level, county_name, township = self._place(place, county)
        frame = self.township_metrics if level == "township" else self.county_metrics
        keys = ["county"] if level != "township" else ["county", "township"]
        rows = frame.loc[frame["county"] == county_name]
        if township is not None:
            rows = rows.loc[rows["township"] == township]
        out = _values(rows, keys, ind)
        st = self.status
        st = st.loc[(st["level"] == level) & (st["county"] == county_name) & (st["indicator"] == ind.id)]
        if township is not None:
            st = st.loc[st["township"] == township]
        out = out.merge(st[["period", "target", "warning", "status"]], on="period", how="left")
        return out.sort_values("period").reset_index(drop=True)

    def _place(self, place: str, county: str | None) -> tuple[str, str, str | None]:
        """(level, county, township) of a place name: 全市, a county (or its alias), or a township."""
        city = domain.city_total_label()
        if place in (city, domain.counties()["city"]["name"]):
            return "city", city, None
        for c in domain.counties()["counties"]:
            if place == c["name"] or place in c.get("aliases", ()):
                return "county", c["name"], None
        towns = self.township_metrics[["county", "township"]].drop_duplicates()
        hits = towns.loc[(towns["township"] == place) & ((towns["county"] == county) if county else True)]
        if len(hits) == 1:
            return "township", str(hits["county"].iloc[0]), place
        if len(hits) > 1:
            raise KeyError(f"township {place!r} is in {', '.join(map(str, hits['county']))}: give county=")
        near = difflib.get_close_matches(place, [*domain.county_order(), *towns["township"].astype(str)], n=3)
        raise KeyError(f"no county or township {place!r}" + (f"; did you mean {', '.join(near)}?" if near else ""))

    def lowest(self, level: str, name: str, n: int | None = 10, period: Any = None,
               county: str | None = None) -> pd.DataFrame:
        """The ``n`` counties or townships with the lowest value of an indicator at the latest period
        (or ``period``), with the counts behind it and the status: ``t.lowest("township", "送学补学", n=10)``;
        ``county="大埔县"`` ranks that county's townships only; ``n=None`` keeps them all.

        Columns: period, county, township, indicator, value, numerator, denominator, status. Units
        without a value (a zero denominator) are left out; ties go in the city's order.
        """
        if level not in ("county", "township"):
            raise ValueError(f"level must be 'county' or 'township', not {level!r}")
        ind = indicator(name)
        at = self.latest if period is None else self.at(period)
        frame = at.township_metrics if level == "township" else at.county_metrics
        keys = ["county", "township"] if level == "township" else ["county"]
        keep = frame[ind.id].notna() & (frame["county"] != domain.city_total_label())
        if county is not None:
            keep &= frame["county"] == self._place(county, None)[1]
        rows = _values(frame.loc[keep], keys, ind)
        st = at.status.loc[(at.status["level"] == level) & (at.status["indicator"] == ind.id)]
        rows = rows.merge(st[["period", *keys, "status"]], on=["period", *keys], how="left")
        rows = rows.sort_values(["value", *keys], kind="stable")
        return (rows if n is None else rows.head(n)).reset_index(drop=True)

    def never_reported(self, until: Any = None) -> pd.DataFrame:
        """Registry branches with no return in any period of these tables, or in any period up to
        ``until`` (from ``reporting``): ``t.never_reported()``, ``t.never_reported(until="2005-02-11")``.

        Columns: county, township, branch, members (registry), periods (how many they missed).
        """
        r = self.reporting
        if until is not None:
            r = r.loc[r["period"] <= _day(until)]
        g = r.groupby(["county", "township", "branch"], observed=True, sort=False)
        out = g.agg(members=("members", "max"), reported=("reported", "any"), periods=("period", "nunique"))
        out = out.loc[~out["reported"]].drop(columns="reported").reset_index()
        return out.sort_values(["county", "township", "branch"], kind="stable").reset_index(drop=True)

    def sentences(self, frame: pd.DataFrame, lang: str = "zh") -> pd.Series:
        """The sentence of each row of findings, actions or data_quality, as the report words it:
        ``t.latest.weak_links.assign(sentence=t.sentences)`` or ``t.sentences(t.latest.actions)``."""
        from pipelines.report import phrases

        if {"rules", "level"} <= set(frame.columns):
            say = phrases.finding
        elif {"action", "scope"} <= set(frame.columns):
            say = phrases.action
        elif "check" in frame.columns:
            say = phrases.quality
        else:
            raise TypeError("sentences() phrases rows of findings, actions or data_quality; "
                            f"this frame has columns {', '.join(map(str, frame.columns))}")
        return pd.Series([say(row, lang) for row in frame.to_dict("records")], index=frame.index, dtype="str",
                         name="sentence")


def _values(frame: pd.DataFrame, keys: list[str], ind: IndicatorCard) -> pd.DataFrame:
    """The place, the indicator's value and the counts behind it, under names that do not depend on it."""
    out = frame[["period", *keys]].assign(indicator=ind.id, value=frame[ind.id], numerator=frame[ind.numerator],
                                          denominator=frame[ind.denominator])
    return out

