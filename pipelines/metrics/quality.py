"""Data-quality checks per county and period (WHO data-quality review style), with a 0–100 score.

Completeness of returns; rejected rows; unreadable files; total rows that disagreed with their
rows (from the manifest's warnings); cumulative figures that fell between periods; outliers of a
county against its own earlier periods (modified z-score of the period-on-period change, current
period excluded from the baseline); suspiciously uniform values; rows from branches the registry
does not know. Each check carries its threshold (thresholds.yaml ``quality``) and passes or not;
the score is the weighted share of the applicable checks that passed.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from pipelines.domain import load
from pipelines.metrics import sentences as st
from pipelines.metrics import threads
from pipelines.metrics.aggregate import match_branches, name_codes, period_county_codes
from pipelines.metrics.indicators import Indicator, Thresholds

COLUMNS = ("period", "county", "check", "value", "threshold", "passed", "detail_zh", "detail_en")
CUMULATIVE = (
    "studied", "discussion_meetings", "deeds_reports", "situation_reports", "exchange_meetings", "party_lectures",
    "test_takers", "sheets_returned", "delivered_study", "makeup_study",
)
UNIFORM_COLUMNS = ("avg_score", "members")
# The returns columns the checks read (the stage lets the others go once branch values are made).
READS = ("period", "county", *CUMULATIVE, *UNIFORM_COLUMNS)
FILE_RULES = ("unreadable_file", "missing_required_column")
TOTALS_PATTERN = re.compile(r"total|合计|总计|小计", re.IGNORECASE)
SHARE_CHECKS = {"completeness", "rejected_rows", "cumulative_fell", "uniform_values"}
# check → (threshold key, passes when value <= threshold (True) or >= threshold (False))
CHECKS: dict[str, tuple[str, bool]] = {
    "completeness": ("completeness_min", False),
    "rejected_rows": ("rejected_share_max", True),
    "unreadable_files": ("unreadable_files_max", True),
    "totals_disagreed": ("totals_disagreed_max", True),
    "cumulative_fell": ("fell_share_max", True),
    "outliers": ("outliers_max", True),
    "uniform_values": ("uniform_share_max", True),
    "unregistered_branches": ("unregistered_max", True),
}


def _grid(periods: list[pd.Timestamp], counties: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"period": pd.DatetimeIndex(periods).astype("datetime64[ns]")}).merge(
        pd.DataFrame({"county": counties}), how="cross"
    )


def _count_by(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Rows per (period, county): grouped first, names converted after (cheap on big frames)."""
    if frame.empty:
        return pd.DataFrame({"period": pd.Series(dtype="datetime64[ns]"), "county": pd.Series(dtype="str"), name: []})
    f = frame.groupby([frame["period"], frame["county"]], sort=False, observed=True).size().rename(name).reset_index()
    f["period"] = pd.to_datetime(f["period"]).astype("datetime64[ns]")
    f["county"] = f["county"].astype("str")
    return f.groupby(["period", "county"], sort=False)[name].sum().reset_index()


def _rows_per_unit(returns: pd.DataFrame, grid: pd.DataFrame) -> np.ndarray:
    """Returns rows per (period, county) of ``grid`` (a period × county cross product), counted on
    integer positions (Arrow's hash lookup for the names, a binary search for the dates)."""
    periods = pd.Index(pd.unique(grid["period"]))
    counties = pd.Index(pd.unique(grid["county"]))
    if len(returns) == 0 or len(grid) == 0 or len(periods) * len(counties) != len(grid):
        return grid.merge(_count_by(returns, "n"), on=["period", "county"], how="left")["n"].to_numpy()
    p = np.asarray(returns["period"].to_numpy(), dtype="datetime64[ns]")
    keys = np.asarray(periods.to_numpy(), dtype="datetime64[ns]")
    order = np.argsort(keys)
    at = np.minimum(np.searchsorted(keys[order], p), len(keys) - 1)
    size = len(periods) * len(counties)
    # a row of an unknown period or county counts in the trailing slot, which is dropped
    cell = np.where(keys[order][at] == p, order[at] * len(counties), size)
    ccode = name_codes(returns["county"], counties)
    n = np.bincount(np.where(ccode >= 0, cell + ccode, size), minlength=size + 1)[:size]
    gp = periods.get_indexer(grid["period"])
    gc = counties.get_indexer(grid["county"])
    return n[gp * len(counties) + gc].astype(float)


def _with_city(frame: pd.DataFrame, col: str, city_extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add the 全市 row of a count: the sum over counties (plus rows whose county is unknown)."""
    cols = [c for c in frame.columns if c not in ("period", "county")]
    city = frame.groupby("period", sort=False)[cols].sum(min_count=1).reset_index()
    if city_extra is not None and len(city_extra):
        city = city.merge(city_extra, on="period", how="left", suffixes=("", "_x"))
        city[col] = city[col].fillna(0) + city[f"{col}_x"].fillna(0)
        city = city.drop(columns=[f"{col}_x"])
    city["county"] = load.city_total_label()
    return pd.concat([frame, city[frame.columns]], ignore_index=True)


def rejected_rows(returns: pd.DataFrame, rejects: pd.DataFrame, grid: pd.DataFrame) -> pd.DataFrame:
    """Share of rows rejected: distinct rejected source rows / (rejected + kept rows)."""
    rows = rejects.loc[~rejects["rule"].isin(FILE_RULES)] if len(rejects) else rejects
    if len(rows):
        rows = rows.drop_duplicates(["source_file", "source_sheet", "source_row"])
        rows = rows.loc[rows["period"].notna() & rows["county"].notna()]
    rej = _count_by(rows, "rejected")
    f = grid.merge(rej, on=["period", "county"], how="left")
    f["kept"] = _rows_per_unit(returns, grid)
    f[["rejected", "kept"]] = f[["rejected", "kept"]].fillna(0)
    f = _with_city(f[["period", "county", "rejected", "kept"]], "rejected")
    total = f["rejected"] + f["kept"]
    f["value"] = (f["rejected"] / total.where(total > 0)).astype("Float64")
    return f[["period", "county", "value"]]


def manifest_counts(manifest: pd.DataFrame, grid: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unreadable files and disagreeing total rows per (period, county), from the manifest."""
    out = []
    m = manifest.copy()
    if len(m):
        m["period"] = pd.to_datetime(m["period"]).astype("datetime64[ns]")
    for name in ("unreadable_files", "totals_disagreed"):
        if len(m) == 0:
            f = grid.copy()
            f[name] = 0.0
            out.append(_with_city(f, name))
            continue
        if name == "unreadable_files":
            n = m["status"].isin(["unreadable", "missing_required_column"]).astype(float)
        else:
            items = m["warnings"].fillna("").astype("str").str.split(";").explode().str.strip()
            hit = items.str.contains(TOTALS_PATTERN).fillna(False).astype(float)
            n = hit.groupby(level=0).sum().reindex(m.index).fillna(0.0)
        f = pd.DataFrame({"period": m["period"], "county": m["county"].astype("str"), name: n.to_numpy()})
        known = f["county"].notna() & f["period"].notna()
        unknown = f.loc[~known & f["period"].notna()].groupby("period")[name].sum().reset_index()
        agg = f.loc[known].groupby(["period", "county"], sort=False)[name].sum().reset_index()
        g = grid.merge(agg, on=["period", "county"], how="left")
        g[name] = g[name].fillna(0.0)
        out.append(_with_city(g, name, unknown))
    return out[0], out[1]


def cumulative_fell(
    returns: pd.DataFrame, values: pd.DataFrame, grid: pd.DataFrame,
    codes: tuple[np.ndarray, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Share of branches (with an earlier return) whose cumulative figures fell since that return.

    ``codes``: aggregate.period_county_codes(values), when the caller already has it.
    """
    order = np.lexsort((values["period"].to_numpy().view(np.int64), values["branch_id"].to_numpy()))
    rows = values["row"].to_numpy()[order]
    bid = values["branch_id"].to_numpy()[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = bid[1:] == bid[:-1]

    def fell_in(col: str) -> np.ndarray:  # compared in the column's own dtype (NaN < x is False)
        s = returns[col]
        raw = s.to_numpy() if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iuf" else s.to_numpy(
            dtype=float, na_value=np.nan)
        x = raw[rows]
        return x[1:] < x[:-1]

    fell = np.zeros(len(order), dtype=bool)
    for f in threads.each(fell_in, [c for c in CUMULATIVE if c in returns]):
        fell[1:] |= f
    fell[1:] &= same[1:]
    code, units = period_county_codes(values) if codes is None else (codes[0], codes[1].copy())
    code = code[order]
    units["fell"] = np.bincount(code, weights=fell, minlength=len(units))
    units["with_prev"] = np.bincount(code, weights=same, minlength=len(units))
    g = grid.merge(units, on=["period", "county"], how="left")
    city = g.groupby("period")[["fell", "with_prev"]].sum(min_count=1).reset_index()
    city["county"] = load.city_total_label()
    g = pd.concat([g, city[g.columns]], ignore_index=True)
    g["value"] = (g["fell"] / g["with_prev"].where(g["with_prev"] > 0)).astype("Float64")
    return g[["period", "county", "value"]]


def modified_z(
    long: pd.DataFrame, periods: list[pd.Timestamp], z: float, min_baseline: int
) -> pd.DataFrame:
    """Flag (period, county, indicator) whose change since the previous period is an outlier.

    Baseline: the county's own earlier changes of that indicator (current period excluded).
    M = 0.6745·(x − median)/MAD (Iglewicz & Hoaglin); with MAD 0, (x − median)/(1.253314·mean
    absolute deviation); with both 0 the period is not judged. Cumulative figures grow every
    period, so the change, not the level, is what is compared.
    """
    wide = long.pivot_table(index=["county", "indicator"], columns="period", values="value", aggfunc="first",
                            dropna=False, observed=True)
    wide = wide.reindex(columns=pd.DatetimeIndex(periods))
    v = wide.to_numpy(dtype=float, na_value=np.nan)
    change = np.full_like(v, np.nan)
    change[:, 1:] = v[:, 1:] - v[:, :-1]
    flags = []
    for i in range(min_baseline + 1, len(periods)):
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
        hit = (n >= min_baseline) & (np.abs(np.nan_to_num(m)) > z)
        if hit.any():
            idx = wide.index[hit]
            flags.append(pd.DataFrame({"period": periods[i], "county": idx.get_level_values(0).astype("str"),
                                       "indicator": idx.get_level_values(1).astype("str"), "m": m[hit]}))
    if not flags:
        return pd.DataFrame({"period": pd.Series(dtype="datetime64[ns]"), "county": pd.Series(dtype="str"),
                             "indicator": pd.Series(dtype="str"), "m": pd.Series(dtype=float)})
    return pd.concat(flags, ignore_index=True)


def uniform_values(
    returns: pd.DataFrame, values: pd.DataFrame, grid: pd.DataFrame, min_branches: int,
    codes: tuple[np.ndarray, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Largest share of a county's reporting branches that gave the very same value of a column."""
    rows = values["row"].to_numpy()
    ucode, units = period_county_codes(values) if codes is None else codes
    uniq_units = pd.MultiIndex.from_frame(units)

    def share_of_mode(col: str) -> np.ndarray:
        x = returns[col].to_numpy(dtype=float, na_value=np.nan)[rows]
        ok = ~np.isnan(x)
        xcode, xs = pd.factorize(x[ok])
        pair = ucode[ok].astype(np.int64) * (len(xs) + 1) + xcode
        if len(uniq_units) * (len(xs) + 1) <= 4 * len(pair) + 1_000_000:  # few distinct values: count densely
            counts = np.bincount(pair, minlength=len(uniq_units) * (len(xs) + 1))
            mode = counts.reshape(len(uniq_units), len(xs) + 1).max(axis=1, initial=0).astype(float)
        else:
            pairs, counts = np.unique(pair, return_counts=True)
            mode = np.zeros(len(uniq_units))
            np.maximum.at(mode, pairs // (len(xs) + 1), counts)
        n = np.bincount(ucode[ok], minlength=len(uniq_units)).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n >= min_branches, mode / n, np.nan)

    best = np.full(len(uniq_units), np.nan)
    for share in threads.each(share_of_mode, [c for c in UNIFORM_COLUMNS if c in returns]):
        best = np.fmax(best, share)
    f = pd.DataFrame({"period": uniq_units.get_level_values(0), "county": uniq_units.get_level_values(1),
                      "value": best})
    g = grid.merge(f, on=["period", "county"], how="left")
    city = g.groupby("period")["value"].max().reset_index()
    city["county"] = load.city_total_label()
    g = pd.concat([g, city[g.columns]], ignore_index=True)
    g["value"] = g["value"].astype("Float64")
    return g


def data_quality(
    returns: pd.DataFrame, values: pd.DataFrame, reg: pd.DataFrame, county_metrics: pd.DataFrame,
    rejects: pd.DataFrame, manifest: pd.DataFrame, periods: list[pd.Timestamp], indicators: list[Indicator],
    thresholds: Thresholds, ids: np.ndarray | None = None, codes: tuple[np.ndarray, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """data_quality.parquet: one row per (period, county, check), county 全市 included.

    ``ids``: the registry branch of each returns row (aggregate.match_branches), when known;
    ``codes``: aggregate.period_county_codes(values), when known.
    """
    codes = period_county_codes(values) if codes is None else codes
    q = {"unregistered_max": 0, **thresholds.quality}
    counties = [str(c) for c in reg["county"].cat.categories]
    grid = _grid(periods, counties)
    city_label = load.city_total_label()
    checks: dict[str, pd.DataFrame] = {}

    comp = county_metrics[["period", "county", "report_rate"]].rename(columns={"report_rate": "value"})
    checks["completeness"] = comp
    checks["rejected_rows"] = rejected_rows(returns, rejects, grid)
    unread, totals = manifest_counts(manifest, grid)
    checks["unreadable_files"] = unread.rename(columns={"unreadable_files": "value"})
    checks["totals_disagreed"] = totals.rename(columns={"totals_disagreed": "value"})
    checks["cumulative_fell"] = cumulative_fell(returns, values, grid, codes)

    long = []
    for ind in indicators:
        f = county_metrics[["period", "county"]].copy()
        f["indicator"] = ind.id
        f["value"] = county_metrics[ind.id].astype("Float64")
        long.append(f)
    out_flags = modified_z(pd.concat(long, ignore_index=True), periods, float(q["outlier_z"]),
                           int(q["outlier_min_baseline"]))
    n_out = out_flags.groupby(["period", "county"]).size().rename("value").reset_index()
    o = county_metrics[["period", "county"]].merge(n_out, on=["period", "county"], how="left")
    o["value"] = o["value"].fillna(0).astype("Float64")
    judged = periods[int(q["outlier_min_baseline"]) + 1:] if len(periods) > int(q["outlier_min_baseline"]) + 1 else []
    o.loc[~o["period"].isin(judged), "value"] = pd.NA
    checks["outliers"] = o
    checks["uniform_values"] = uniform_values(returns, values, grid, int(q["uniform_min_branches"]), codes)

    ids = match_branches(returns, reg) if ids is None else ids
    unreg = _count_by(returns.loc[ids < 0], "value")
    u = grid.merge(unreg, on=["period", "county"], how="left")
    u["value"] = u["value"].fillna(0)
    unknown = unreg.loc[~unreg["county"].isin(counties)].groupby("period")["value"].sum().reset_index()
    checks["unregistered_branches"] = _with_city(u, "value", unknown)

    frames = []
    for name, f in checks.items():
        key, at_most = CHECKS[name]
        thr = float(q[key])
        f = f[["period", "county", "value"]].copy()
        f["value"] = pd.to_numeric(f["value"].astype(object), errors="coerce").astype("Float64")
        f["check"] = name
        f["threshold"] = thr
        f["passed"] = (f["value"] <= thr) if at_most else (f["value"] >= thr)
        frames.append(f)
    dq = pd.concat(frames, ignore_index=True)
    dq["passed"] = dq["passed"].astype("boolean")

    weights = {k: float(v) for k, v in q["weights"].items()}
    dq["w"] = dq["check"].map(weights).fillna(0.0)
    applicable = dq["passed"].notna()
    dq["wp"] = dq["w"] * dq["passed"].fillna(False).astype(float)
    dq["wa"] = dq["w"] * applicable.astype(float)
    sc = dq.groupby(["period", "county"], sort=False)[["wp", "wa"]].sum().reset_index()
    sc["value"] = (100 * sc["wp"] / sc["wa"].where(sc["wa"] > 0)).round(1).astype("Float64")
    sc["check"] = "score"
    sc["threshold"] = float(q["score_min"])
    sc["passed"] = (sc["value"] >= sc["threshold"]).astype("boolean")
    dq = pd.concat([dq.drop(columns=["w", "wp", "wa"]), sc[["period", "county", "value", "check", "threshold",
                                                              "passed"]]], ignore_index=True)

    order = {c: i for i, c in enumerate([*counties, city_label])}
    corder = {c: i for i, c in enumerate([*CHECKS, "score"])}
    dq = dq.assign(_c=dq["county"].map(order), _k=dq["check"].map(corder))
    dq = dq.sort_values(["period", "_c", "_k"], kind="stable").drop(columns=["_c", "_k"]).reset_index(drop=True)
    return _details(dq, {"baseline": int(q["outlier_min_baseline"]), "min_branches": int(q["uniform_min_branches"])})


def _details(dq: pd.DataFrame, params: dict[str, int]) -> pd.DataFrame:
    n = len(dq)
    is_share = dq["check"].isin(SHARE_CHECKS).to_numpy()
    out = dq.copy()
    for lang in ("zh", "en"):
        val = st.percent(dq["value"]).where(is_share, st.decimals(dq["value"]))
        thr = st.percent(dq["threshold"]).where(is_share, st.decimals(dq["threshold"]))
        val = val.where(dq["value"].notna().to_numpy(), "—" if lang == "zh" else "n/a")
        unit = st.unit_names(dq["county"], pd.Series([None] * n), pd.Series([None] * n), lang)
        text = pd.Series([""] * n, dtype="str")
        for check, template in st.QUALITY_TEMPLATES[lang].items():
            mask = (dq["check"] == check).to_numpy()
            if mask.any():
                part = st.render(template, {"unit": unit[mask].reset_index(drop=True),
                                            "value": val[mask].reset_index(drop=True),
                                            "threshold": thr[mask].reset_index(drop=True)}, int(mask.sum()))
                text.loc[mask] = part.to_numpy()
        none = dq["value"].isna().to_numpy()
        for check in pd.unique(dq.loc[none, "check"]):  # no verdict: say why, not "—个"
            mask = none & (dq["check"] == check).to_numpy()
            template = st.QUALITY_NOT_JUDGED[lang].get(check, st.QUALITY_NOT_JUDGED[lang]["default"])
            for key, number in params.items():
                template = template.replace("{" + key + "}", str(number))
            part = st.render(template, {"unit": unit[mask].reset_index(drop=True)}, int(mask.sum()))
            text.loc[mask] = part.to_numpy()
        out[f"detail_{lang}"] = text.astype("str")
    out["period"] = out["period"].astype("datetime64[ns]")
    out["county"] = out["county"].astype("str")
    out["check"] = out["check"].astype("str")
    out["threshold"] = out["threshold"].astype("Float64")
    return out[list(COLUMNS)]
