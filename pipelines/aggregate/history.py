"""Values of the data-quality checks, per period and county (the judge layer gives the verdicts).

From the engine: branches whose cumulative figures fell since their previous return (a window
over each branch's returns), the most common value's share of a county's branches (copied
figures), rows the registry does not know. From the small tables: rejected rows, unreadable
files, total rows that disagreed (warnings coded ``total_mismatch``), and outliers of a county
against its own earlier periods (modified z-score of the period-on-period change).
"""

from __future__ import annotations

import warnings

import ibis
import numpy as np
import pandas as pd

from pipelines.domain import load
from pipelines.domain.indicators import Indicator

# Cumulative columns of the returns (terms.yaml, the form's ``counted``): a branch's figure never
# falls from one return to the next.
CUMULATIVE = load.cumulative_columns()
UNIFORM_COLUMNS = ("avg_score", "members")
FILE_RULES = ("unreadable_file", "missing_required_column")
# Rejects that are not an error in the county's figures: a row a later correction (补报, 更正) replaced.
NOT_ERRORS = ("superseded",)
TOTAL_MISMATCH = "total_mismatch"  # the clean stage's warning code for a total row that disagrees
CHECKS = ("completeness", "rejected_rows", "unreadable_files", "totals_disagreed", "cumulative_fell",
          "outliers", "uniform_values", "unregistered_branches")


def fell_counts(matched: ibis.Table) -> ibis.Table:
    """(period, county_idx, fell, with_previous): branches whose cumulative figures fell since their
    previous return, among the branches that had one."""
    w = ibis.window(group_by=matched.branch_id, order_by=matched.period)
    cols = [c for c in CUMULATIVE if c in matched.columns]
    first = ibis.row_number().over(w) == 0
    fell = ibis.literal(False)
    for c in cols:
        fell = fell | (matched[c] < matched[c].lag().over(w)).fill_null(False)
    t = matched.select("period", "county_idx", first=first, fell=fell)
    return t.group_by(["period", "county_idx"]).aggregate(
        fell=(t.fell & ~t.first).cast("int64").sum(), with_previous=(~t.first).cast("int64").sum())


def uniform_shares(matched: ibis.Table, min_branches: int) -> ibis.Table:
    """(period, county_idx, value): the largest share of a county's branches giving the very same
    avg_score (or members), where at least ``min_branches`` gave one."""
    parts = []
    for c in UNIFORM_COLUMNS:
        t = matched.filter(matched[c].notnull())
        counts = t.group_by(["period", "county_idx", c]).aggregate(n=t.count())
        per = counts.group_by(["period", "county_idx"]).aggregate(mode=counts.n.max(), total=counts.n.sum())
        parts.append(per.mutate(share=ibis.ifelse(per.total >= min_branches,
                                                  per.mode.cast("float64") / per.total.cast("float64"),
                                                  ibis.null().cast("float64"))))
    u = parts[0].union(parts[1]) if len(parts) > 1 else parts[0]
    return u.group_by(["period", "county_idx"]).aggregate(value=u.share.max())


def _grid(periods: list[pd.Timestamp], counties: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"period": pd.DatetimeIndex(periods).astype("datetime64[ns]")}).merge(
        pd.DataFrame({"county": pd.array(counties, dtype="str")}), how="cross")


def _on_grid(grid: pd.DataFrame, frame: pd.DataFrame, column: str, fill: float | None = 0.0) -> pd.Series:
    f = frame.copy()
    f["period"] = pd.to_datetime(f["period"]).astype("datetime64[ns]")
    f["county"] = f["county"].astype("str")
    f = f.groupby(["period", "county"], sort=False)[column].sum(min_count=1).reset_index()
    s = grid.merge(f, on=["period", "county"], how="left")[column]
    return s.fillna(fill) if fill is not None else s


def _with_city(frame: pd.DataFrame, sums: list[str], extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add the 全市 rows: sums over the counties (plus rows of no known county, from ``extra``)."""
    city = frame.groupby("period", sort=False)[sums].sum(min_count=1).reset_index()
    if extra is not None and len(extra):
        e = extra.groupby("period")[sums].sum().reset_index()
        city = city.merge(e, on="period", how="left", suffixes=("", "_x"))
        for c in sums:
            city[c] = city[c].fillna(0) + city[f"{c}_x"].fillna(0)
        city = city.drop(columns=[f"{c}_x" for c in sums])
    city["county"] = load.city_total_label()
    return pd.concat([frame, city[frame.columns]], ignore_index=True)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("Float64")
    return (num.astype("Float64") / den.where(den > 0)).astype("Float64")


def outlier_counts(county_metrics: pd.DataFrame, indicators: list[Indicator], periods: list[pd.Timestamp],
                   z: float, min_baseline: int) -> pd.DataFrame:
    """(period, county, value): indicators whose change since the previous period is an outlier
    against the county's own earlier changes (null where too few earlier changes to judge).

    M = 0.6745·(x − median)/MAD (Iglewicz & Hoaglin); with MAD 0, (x − median)/(1.253314·mean
    absolute deviation); with both 0 the change is not judged. Cumulative figures grow every
    period, so the change, not the level, is compared; the current period is not in its baseline.
    """
    ids = [i.id for i in indicators]
    cm = county_metrics.set_index(["county", "period"])[ids]
    wide = cm.stack(future_stack=True).unstack("period").reindex(columns=pd.DatetimeIndex(periods))
    v = wide.to_numpy(dtype=float, na_value=np.nan)
    change = np.full_like(v, np.nan)
    change[:, 1:] = v[:, 1:] - v[:, :-1]
    counties = wide.index.get_level_values(0)
    rows = []
    for i, period in enumerate(periods):
        if i < min_baseline + 1:
            hits = None
        else:
            base = change[:, 1:i]
            n = np.sum(~np.isnan(base), axis=1)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(base, axis=1)
                dev = np.abs(base - med[:, None])
                mad = np.nanmedian(dev, axis=1)
                meanad = np.nanmean(dev, axis=1)
                x = change[:, i] - med
                m = np.where(mad > 1e-9, 0.6745 * x / mad, np.where(meanad > 1e-9, x / (1.253314 * meanad), np.nan))
            hits = (n >= min_baseline) & (np.abs(np.nan_to_num(m)) > z)
        per = pd.Series(hits if hits is not None else np.zeros(len(wide), bool), index=counties).groupby(level=0).sum()
        for county, count in per.items():
            rows.append((period, county, float(count) if hits is not None else np.nan))
    return pd.DataFrame(rows, columns=["period", "county", "value"])


def check_values(
    *, periods: list[pd.Timestamp], counties: list[str], county_metrics: pd.DataFrame, indicators: list[Indicator],
    rows: pd.DataFrame, fell: pd.DataFrame, uniform: pd.DataFrame, rejects: pd.DataFrame,
    manifest: pd.DataFrame, warnings_table: pd.DataFrame, outlier_z: float, outlier_min_baseline: int,
) -> pd.DataFrame:
    """(period, county, check, value) for every check, county and the city (全市).

    rows: (period, county, kept, unregistered) from the engine; fell: (period, county, fell,
    with_previous); uniform: (period, county, value).
    """
    grid = _grid(periods, counties)
    city = load.city_total_label()
    out: dict[str, pd.DataFrame] = {}
    cm = county_metrics[["period", "county", "report_rate"]].rename(columns={"report_rate": "value"})
    out["completeness"] = cm

    g = grid.copy()
    bad = rejects.loc[~rejects["rule"].isin((*FILE_RULES, *NOT_ERRORS))] if len(rejects) else rejects
    if len(bad):
        bad = bad.drop_duplicates(["source_file", "source_sheet", "source_row"])
        bad = bad.loc[bad["period"].notna() & bad["county"].notna()].assign(n=1)
    g["rejected"] = _on_grid(grid, bad, "n") if len(bad) else 0.0
    g["kept"] = _on_grid(grid, rows, "kept")
    g = _with_city(g, ["rejected", "kept"])
    g["value"] = _ratio(g["rejected"], g["rejected"] + g["kept"])
    out["rejected_rows"] = g

    m = manifest.copy()
    m["n"] = m["status"].isin(["unreadable", "missing_required_column"]).astype(float) if len(m) else []
    known = m.loc[m["county"].notna() & m["period"].notna()] if len(m) else m
    unknown = m.loc[m["county"].isna() & m["period"].notna()] if len(m) else m
    g = grid.copy()
    g["value"] = _on_grid(grid, known, "n") if len(known) else 0.0
    out["unreadable_files"] = _with_city(g, ["value"], unknown.rename(columns={"n": "value"}) if len(unknown) else None)

    w = warnings_table.loc[warnings_table["code"] == TOTAL_MISMATCH].assign(n=1.0) if len(warnings_table) else warnings_table
    g = grid.copy()
    g["value"] = _on_grid(grid, w.loc[w["county"].notna() & w["period"].notna()], "n") if len(w) else 0.0
    out["totals_disagreed"] = _with_city(g, ["value"], w.loc[w["county"].isna()].rename(columns={"n": "value"})
                                         if len(w) else None)

    g = grid.copy()
    g["fell"] = _on_grid(grid, fell, "fell")
    g["with_previous"] = _on_grid(grid, fell, "with_previous")
    g = _with_city(g, ["fell", "with_previous"])
    g["value"] = _ratio(g["fell"], g["with_previous"])
    out["cumulative_fell"] = g

    out["outliers"] = outlier_counts(county_metrics, indicators, periods, outlier_z, outlier_min_baseline)

    g = grid.copy()
    g["value"] = _on_grid(grid, uniform, "value", fill=None).astype("Float64")
    c = g.groupby("period", sort=False)["value"].max().reset_index().assign(county=city)
    out["uniform_values"] = pd.concat([g, c[g.columns]], ignore_index=True)

    g = grid.copy()
    g["value"] = _on_grid(grid, rows, "unregistered")
    extra = rows.loc[~rows["county"].isin(counties)].rename(columns={"unregistered": "value"})
    out["unregistered_branches"] = _with_city(g, ["value"], extra[["period", "value"]] if len(extra) else None)

    frames = []
    for check in CHECKS:
        f = out[check][["period", "county", "value"]].copy()
        f["value"] = pd.to_numeric(f["value"].astype(object), errors="coerce").astype("Float64")
        f["check"] = check
        frames.append(f)
    dq = pd.concat(frames, ignore_index=True)
    dq["period"] = pd.to_datetime(dq["period"]).astype("datetime64[ns]")
    dq["county"] = dq["county"].astype("str")
    return dq[["period", "county", "check", "value"]]
