"""Sums and rates per unit: the registry decides which units exist, the returns fill them in.

Every registry county (and township) gets a row for every period, whether or not its returns
arrived, so a county whose file was unreadable shows report_rate 0 instead of vanishing from the
tables. Branch rows are reduced once to the additive columns of docs/contracts.md; every level
(township, county, city) is then a vectorised group-by sum of those columns, and every rate is
``numerator / denominator`` as indicators.yaml names them.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.domain import load
from pipelines.metrics import threads
from pipelines.metrics.indicators import Indicator

KEYS = ("county", "township", "branch")
ACTIVITY_FLAGS: dict[str, str] = {
    "discussion_meetings": "branches_discussion",
    "deeds_reports": "branches_deeds",
    "situation_reports": "branches_situation",
    "exchange_meetings": "branches_exchange",
    "party_lectures": "branches_lecture",
}
SPECIAL_COLUMNS = ("special_sick", "special_travel", "special_laid_off", "special_retired_away", "special_floating")
FLAG_COLUMNS = (*ACTIVITY_FLAGS.values(), "branches_all_activities", "branches_work_plan")
# Additive columns of a branch row; every level is their sum.
SUM_COLUMNS = (
    "branches_reported", "members_expected_reported", "members", "studied", "test_takers", "sheets_returned",
    "score_points", "score_takers", *FLAG_COLUMNS, "special_members", "special_reached",
)
# Members of reporting branches that lack the flag: the "members affected" of a coverage weak link.
AFFECTED_PREFIX = "_aff_"
AFFECTED_COLUMNS = tuple(AFFECTED_PREFIX + f for f in FLAG_COLUMNS)
OUTPUT_COLUMNS = (
    "period", "county", "county_code", "branches_expected", "branches_reported", "report_rate",
    "members_expected", "members", "member_coverage", "studied", "studied_rate", "test_takers", "test_rate",
    "sheets_returned", "return_rate", "score_points", "score_takers", "avg_score",
    "branches_discussion", "discussion_coverage", "branches_deeds", "deeds_coverage",
    "branches_situation", "situation_coverage", "branches_exchange", "exchange_coverage",
    "branches_lecture", "lecture_coverage", "branches_all_activities", "all_activities_rate",
    "branches_work_plan", "work_plan_rate", "special_members", "special_reached", "special_reached_rate",
)


def county_categories(registry: pd.DataFrame) -> list[str]:
    """Registry counties in the canonical order of counties.yaml, unknown ones after it."""
    order = load.county_order()
    present = pd.unique(registry["county"].dropna())
    return [c for c in order if c in set(present)] + sorted(set(present) - set(order))


def _as_category(values: pd.Series) -> pd.Categorical:
    codes, uniq = pd.factorize(values)
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniq))


def _in_order(values: pd.Series, categories: list[str]) -> pd.Categorical:
    """An ordered categorical of ``values`` (the few distinct values looked up, not every row)."""
    codes, uniq = pd.factorize(values)
    at = np.append(pd.Index(categories).get_indexer(uniq), -1)  # code −1 (blank) stays −1
    return pd.Categorical.from_codes(at[codes], categories=categories, ordered=True)


def clean_registry(registry: pd.DataFrame) -> pd.DataFrame:
    """One row per (county, township, branch) with a branch_id; county (ordered), township and branch
    as categoricals."""
    reg = registry.loc[registry["county"].notna() & registry["branch"].notna()]
    reg = reg.drop_duplicates(list(KEYS), keep="first").reset_index(drop=True)
    cats = county_categories(reg)
    out = pd.DataFrame(
        {
            "branch_id": np.arange(len(reg), dtype=np.int64),
            "county": _in_order(reg["county"], cats),
            "county_code": reg["county_code"].astype("str") if "county_code" in reg else pd.NA,
            "township": reg["township"].fillna("").astype("category"),
            # names as codes into the distinct names (in registry order): matching, the weak links
            # and their sentences all work on these, so 200,000 names are hashed once
            "branch": _as_category(reg["branch"].astype("str")),
            "members_expected": reg["members"].astype("Int64"),
        }
    )
    return out


def _arrow_text(values: pd.Series | pd.Index) -> pa.Array:
    """A text column as an Arrow string array (no copy when it already is one: pandas' default str)."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        s = s.astype("str")
    return pa.array(s.array)


def name_codes(values: pd.Series | pd.Index, names: pd.Index) -> np.ndarray:
    """Position of each value among ``names`` (−1 when absent or blank), hashed by Arrow off the GIL.

    A categorical is looked up through its few categories and its codes.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array if isinstance(values, pd.Series) else values.values
        at = np.append(name_codes(pd.Index(cat.categories), names), -1)  # code −1 (null) → −1
        return at[cat.codes]
    text = _arrow_text(values)
    found = pc.index_in(text, value_set=_arrow_text(names).cast(text.type))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def match_branches(returns: pd.DataFrame, reg: pd.DataFrame) -> np.ndarray:
    """branch_id of every returns row (−1 when the registry does not list it).

    Matched on (county, township, branch); a row whose township is blank or differs falls back to
    (county, branch) when that pair is unique in the registry. Names are turned into positions
    among the registry's distinct names once (Arrow's hash lookup); a branch name the registry
    holds once then names its branch directly, and only rows of names shared by several branches
    are matched on the whole key.
    """
    counties = pd.Index(reg["county"].cat.categories)
    branch = reg["branch"].astype("category")  # a no-op on clean_registry's own column
    names = pd.Index(branch.cat.categories)
    rc = reg["county"].cat.codes.to_numpy().astype(np.int64)
    rb = branch.cat.codes.to_numpy().astype(np.int64)
    bid = reg["branch_id"].to_numpy()
    qc, qb = threads.each(lambda job: name_codes(*job), [(returns["county"], counties), (returns["branch"], names)])
    holders = np.bincount(rb, minlength=len(names))  # registry branches bearing each name
    # Per name (and a trailing slot that code −1, an unknown or blank name, reads): the branch of a
    # name held once, else −1. Such a row is that branch if the county agrees (the township is then
    # either the same or the (county, branch) fallback, which that unique name satisfies).
    only = np.full(len(names) + 1, -1, dtype=np.int64)
    only[rb[holders[rb] == 1]] = bid[holders[rb] == 1]
    cand = only[qb]
    county_of = np.append(rc, -2)  # branch −1 reads −2: no county code matches it
    ids = np.where(county_of[cand] == qc, cand, -1)
    shared = np.flatnonzero(np.append(holders > 1, False)[qb] & (qc >= 0))
    if len(shared):
        towns = pd.Index(reg["township"].cat.categories)
        rt = reg["township"].cat.codes.to_numpy().astype(np.int64)
        town = (returns["township"].iloc[shared] if "township" in returns
                else pd.Series([""] * len(shared))).astype("str").fillna("")
        qt = name_codes(town, towns)
        nt, nb = len(towns) + 1, len(names) + 1
        sc, sb = qc[shared], qb[shared]
        full = pd.Index((rc * nt + rt) * nb + rb)  # unique: clean_registry keeps one row per key
        got = np.where(qt >= 0, full.get_indexer((sc * nt + qt) * nb + sb), -1)
        pair = rc * nb + rb
        unique = ~pd.Index(pair).duplicated(keep=False)
        pos = pd.Index(pair[unique]).get_indexer(sc * nb + sb)
        fallback = np.where(pos >= 0, bid[unique][np.maximum(pos, 0)], -1)
        ids[shared] = np.where(got >= 0, got, fallback)
    return ids


def _column(frame: pd.DataFrame, col: str, rows: np.ndarray | None) -> np.ndarray:
    """A count or score column (at ``rows``) as float64 with NaN for blanks.

    A column without blanks (numpy int64 or float64, as Parquet gives it) is taken and cast in
    one step, without a float copy of the whole column first.
    """
    s = frame[col]
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iuf":
        x = s.to_numpy()
        return (x if rows is None else x[rows]).astype(np.float64, copy=False)
    x = s.to_numpy(dtype=float, na_value=np.nan)
    return x if rows is None else x[rows]


def _integer_sum(frame: pd.DataFrame, cols: tuple[str, ...], rows: np.ndarray | None) -> np.ndarray | None:
    """Row-wise sum of integer columns without blanks (None when one is not such a column)."""
    if not all(isinstance(frame[c].dtype, np.dtype) and frame[c].dtype.kind in "iu" for c in cols):
        return None
    total = np.zeros(len(frame) if rows is None else len(rows), dtype=np.int64)
    for c in cols:
        x = frame[c].to_numpy()
        np.add(total, x if rows is None else x[rows], out=total)
    return total


def _last_per_key(period: np.ndarray, bid: np.ndarray, n_branches: int) -> np.ndarray:
    """Positions to keep so that each (period, branch) keeps its last row; sorts only when a pair repeats."""
    pcode = pd.factorize(period)[0].astype(np.int64)
    key = pcode * max(n_branches, 1) + bid
    if len(key) == 0 or np.bincount(key).max() <= 1:
        return np.arange(len(key))
    _, first_from_end = np.unique(key[::-1], return_index=True)
    return np.sort(len(key) - 1 - first_from_end)


def _rowwise_nansum(out: np.ndarray, arrays: list[np.ndarray]) -> None:
    """Row-wise sum into ``out``: NaN only when every cell is blank (pandas ``min_count=1``)."""
    out[:] = 0.0
    seen = np.zeros(len(out), dtype=bool)
    for x in arrays:
        ok = ~np.isnan(x)
        np.add(out, x, out=out, where=ok)
        seen |= ok
    out[~seen] = np.nan


def branch_values(returns: pd.DataFrame, reg: pd.DataFrame, ids: np.ndarray | None = None) -> pd.DataFrame:
    """One row per (period, registered branch that reported): the additive columns of every level.

    Unregistered rows are left out (data quality counts them); a branch sent twice in a period
    keeps its last row. The measured columns are float64 with NaN for blanks, written straight
    into one 2-D block (no per-column frame assembly), one column per task on the stage's
    threads; the activity and work-plan flags are a boolean block (the members lacking each are
    summed by ``township_sums``, not stored per row). Inputs are not modified.
    """
    ids = match_branches(returns, reg) if ids is None else ids
    keep = np.flatnonzero(ids >= 0)
    period_all = returns["period"].to_numpy()
    pos = _last_per_key(period_all[keep], ids[keep], len(reg))
    rows = keep[pos]
    period, bid = period_all[rows], ids[rows]
    take = None if len(rows) == len(returns) else rows  # rows is sorted and unique: all rows, in order

    def col(name: str) -> np.ndarray:
        return _column(returns, name, take)

    measured = [c for c in SUM_COLUMNS if c not in FLAG_COLUMNS]
    at = {c: i for i, c in enumerate(measured)}
    block = np.empty((len(measured), len(rows)))
    flags = np.empty((len(FLAG_COLUMNS), len(rows)), dtype=bool)  # 1 byte a flag, not 8
    fat = {c: i for i, c in enumerate(FLAG_COLUMNS)}

    def plain(name: str) -> None:
        block[at[name]] = col(name)

    def registry_members() -> None:
        block[at["branches_reported"]] = 1.0
        block[at["members_expected_reported"]] = reg["members_expected"].to_numpy(dtype=float, na_value=np.nan)[bid]

    def score() -> None:
        takers, avg = col("test_takers"), col("avg_score")
        block[at["test_takers"]] = takers
        ok = ~np.isnan(takers) & ~np.isnan(avg)
        np.multiply(avg, takers, out=block[at["score_points"]])
        np.copyto(block[at["score_points"]], np.nan, where=~ok)
        block[at["score_takers"]] = np.where(ok, takers, np.nan)

    def activities() -> None:
        all_five = flags[fat["branches_all_activities"]]
        all_five[:] = True
        for src, flag in ACTIVITY_FLAGS.items():
            np.greater(col(src), 0, out=flags[fat[flag]])  # NaN > 0 is False: a blank is not known to be held
            all_five &= flags[fat[flag]]
        plan = (returns["has_work_plan"].to_numpy(dtype=float, na_value=0.0) if "has_work_plan" in returns
                else np.zeros(len(returns)))
        flags[fat["branches_work_plan"]] = (plan if take is None else plan[take]) > 0

    def summed(name: str, cols: tuple[str, ...]) -> None:
        total = _integer_sum(returns, cols, take)
        if total is not None:  # no blanks possible: a plain sum
            block[at[name]] = total
        else:
            _rowwise_nansum(block[at[name]], [col(c) for c in cols])

    tasks = [
        registry_members, score, activities,
        *(functools.partial(plain, c) for c in ("members", "studied", "sheets_returned")),
        functools.partial(summed, "special_members", SPECIAL_COLUMNS),
        functools.partial(summed, "special_reached", ("delivered_study", "makeup_study")),
    ]
    threads.each(lambda task: task(), tasks)
    lead = pd.DataFrame({
        "period": period, "branch_id": bid,
        "row": rows,  # position in ``returns``: data quality reads raw columns by it
        "county": pd.Categorical.from_codes(reg["county"].cat.codes.to_numpy()[bid], dtype=reg["county"].dtype),
        "township": pd.Categorical.from_codes(reg["township"].cat.codes.to_numpy()[bid], dtype=reg["township"].dtype),
    }, copy=False)
    # put side by side without copying (inserting a column into a built frame copies it)
    return pd.concat([lead, pd.DataFrame(block.T, columns=measured, copy=False),
                      pd.DataFrame(flags.T, columns=list(FLAG_COLUMNS), copy=False)], axis=1)


def period_county_codes(values: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """An integer code per branch row for its (period, county), and the (period, county) of each code.

    Dense over periods × counties (a pair without rows simply counts 0), so the data-quality and
    balance counts use ``np.bincount`` with no string group-by and no second factorisation.
    """
    pcode, puniq = pd.factorize(values["period"].to_numpy())
    cats = values["county"].cat.categories
    ncat = len(cats)
    code = pcode.astype(np.int64) * ncat + values["county"].cat.codes.to_numpy().astype(np.int64)
    units = pd.DataFrame({
        "period": pd.DatetimeIndex(np.repeat(np.asarray(puniq), ncat)).astype("datetime64[ns]"),
        "county": pd.array(np.tile(np.asarray(cats, dtype=object), len(puniq)), dtype="str"),
    })
    return code, units


def add_rates(frame: pd.DataFrame, indicators: list[Indicator]) -> pd.DataFrame:
    """Add one column per indicator: numerator / denominator, null when the denominator is 0 or null."""
    out = frame.copy()
    for ind in indicators:
        num = out[ind.numerator].astype("Float64")
        den = out[ind.denominator].astype("Float64")
        out[ind.id] = (num / den.where(den > 0)).astype("Float64")
    return out


def _units(reg: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = reg.groupby(keys, observed=True, sort=True)
    units = g.agg(
        county_code=("county_code", "first"),
        branches_expected=("branch_id", "size"),
        members_expected=("members_expected", lambda s: s.sum(min_count=1)),
    ).reset_index()
    units["branches_expected"] = units["branches_expected"].astype("Int64")
    units["members_expected"] = units["members_expected"].astype("Int64")
    return units


def _group_sum(code: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
    """Sum of ``x`` per code, NaN where every value of the group is blank (pandas ``min_count=1``)."""
    total = np.bincount(code, weights=x, minlength=size)
    if not np.isnan(total).any():
        return total
    ok = ~np.isnan(x)
    total = np.bincount(code, weights=np.where(ok, x, 0.0), minlength=size)
    seen = np.bincount(code, weights=ok, minlength=size)
    total[seen == 0] = np.nan
    return total


def township_sums(values: pd.DataFrame) -> pd.DataFrame:
    """(period, county, township) sums of the additive columns: the only pass over the branch rows.

    Counties and the city are sums of these, so the big table is read once whatever the level.
    """
    pcode, puniq = pd.factorize(values["period"].to_numpy())
    ccat, tcat = values["county"].cat, values["township"].cat
    nc, nt = len(ccat.categories) + 1, len(tcat.categories) + 1
    full = (pcode.astype(np.int64) * nc + ccat.codes.to_numpy() + 1) * nt + tcat.codes.to_numpy() + 1
    code, uniq = pd.factorize(full)
    size = len(uniq)
    out = {
        "period": pd.DatetimeIndex(np.asarray(puniq)[uniq // (nc * nt)]).astype("datetime64[ns]"),
        "county": pd.Categorical.from_codes((uniq // nt) % nc - 1, dtype=values["county"].dtype),
        "township": pd.Categorical.from_codes(uniq % nt - 1, dtype=values["township"].dtype),
    }
    # Members of reporting branches lacking each flag, summed here rather than stored per branch row.
    m = np.nan_to_num(values["members_expected_reported"].to_numpy(dtype=float))

    def one(c: str) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:  # a task per column, on the threads
        if c == "flags":
            return _flag_sums(values, code, size, m)
        return _group_sum(code, values[c].to_numpy(dtype=float), size)

    # The branch count and the flags' two sums come from two bincounts, not fifteen.
    names = [c for c in SUM_COLUMNS if c != "branches_reported" and c not in FLAG_COLUMNS]
    *sums, (rows, held, lacking) = threads.each(one, [*names, "flags"])
    out.update(zip(names, sums))
    out["branches_reported"] = rows
    out.update(zip(FLAG_COLUMNS, held.T))
    out.update(zip(AFFECTED_COLUMNS, lacking.T))
    return pd.DataFrame(out)[["period", "county", "township", *SUM_COLUMNS, *AFFECTED_COLUMNS]]


def _flag_sums(values: pd.DataFrame, code: np.ndarray, size: int, members: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group: rows, branches holding each flag, and members of branches lacking it.

    The seven flags of a row are packed into one byte, so one bincount of rows and one of members
    over (group, byte) give every flag's sums; branches_reported is 1 on every branch row.
    """
    if len(FLAG_COLUMNS) > 8:
        raise ValueError("more than 8 flags do not fit the byte _flag_sums packs them into")
    packed = np.zeros(len(values), dtype=np.uint8)
    for k, f in enumerate(FLAG_COLUMNS):
        packed |= np.left_shift(values[f].to_numpy(dtype=bool).view(np.uint8), k)
    nbits = 1 << len(FLAG_COLUMNS)
    key = code * nbits + packed
    rows = np.bincount(key, minlength=size * nbits).reshape(size, nbits).astype(float)
    members = np.bincount(key, weights=members, minlength=size * nbits).reshape(size, nbits)
    has = (np.arange(nbits)[:, None] >> np.arange(len(FLAG_COLUMNS))) & 1 == 1  # byte × flag
    return rows.sum(axis=1), rows @ has, members @ ~has


def _sum(values: pd.DataFrame, keys: list[str], sums: pd.DataFrame | None = None) -> pd.DataFrame:
    sums = township_sums(values) if sums is None else sums
    if keys == ["county", "township"]:
        return sums
    cols = [*SUM_COLUMNS, *AFFECTED_COLUMNS]
    return sums.groupby(["period", *keys], observed=True, sort=False)[cols].sum(min_count=1).reset_index()


def _finish(grid: pd.DataFrame, indicators: list[Indicator]) -> pd.DataFrame:
    grid["branches_reported"] = grid["branches_reported"].fillna(0).astype("Int64")
    for col in ("members_expected_reported", "members", "studied", "test_takers", "sheets_returned",
                *FLAG_COLUMNS, "special_members", "special_reached"):
        grid[col] = grid[col].astype("Float64").round().astype("Int64")
    for col in ("score_points", "score_takers", *AFFECTED_COLUMNS):
        grid[col] = grid[col].astype("Float64")
    return add_rates(grid, indicators)


def level_metrics(
    values: pd.DataFrame, reg: pd.DataFrame, periods: list[pd.Timestamp], keys: list[str],
    indicators: list[Indicator], sums: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Sums and rates for every (period, unit) of the registry at the level named by ``keys``.

    ``sums``: township_sums(values), when the caller already has it (it is the costly part).
    """
    units = _units(reg, keys)
    grid = pd.DataFrame({"period": pd.DatetimeIndex(periods).astype("datetime64[ns]")}).merge(units, how="cross")
    grid = grid.merge(_sum(values, keys, sums), on=["period", *keys], how="left")
    return _finish(grid, indicators)


def city_row(county: pd.DataFrame, indicators: list[Indicator]) -> pd.DataFrame:
    """The city total of every period: the sums over all counties, rates recomputed (not averaged)."""
    cols = ["branches_expected", "members_expected", *SUM_COLUMNS, *AFFECTED_COLUMNS]
    city = county.groupby("period", sort=True)[cols].sum(min_count=1).reset_index()
    city["county"] = load.city_total_label()
    city["county_code"] = str(load.counties()["city"]["code"])
    city["branches_expected"] = city["branches_expected"].astype("Int64")
    city["members_expected"] = city["members_expected"].astype("Int64")
    return _finish(city, indicators)


def county_metrics(
    values: pd.DataFrame, reg: pd.DataFrame, periods: list[pd.Timestamp], indicators: list[Indicator],
    sums: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """county_metrics.parquet with internal columns (``_aff_*``) still attached; see ``public``."""
    counties = level_metrics(values, reg, periods, ["county"], indicators, sums)
    city = city_row(counties, indicators)
    counties["county"] = counties["county"].astype("str")
    out = pd.concat([counties, city[counties.columns]], ignore_index=True)
    out["county_code"] = out["county_code"].astype("str")
    return out.sort_values("period", kind="stable").reset_index(drop=True)


def township_metrics(
    values: pd.DataFrame, reg: pd.DataFrame, periods: list[pd.Timestamp], indicators: list[Indicator],
    sums: pd.DataFrame | None = None,
) -> pd.DataFrame:
    out = level_metrics(values, reg, periods, ["county", "township"], indicators, sums)
    out["county"] = out["county"].astype("str")
    out["township"] = out["township"].astype("str").replace("", pd.NA)
    out["county_code"] = out["county_code"].astype("str")
    return out.reset_index(drop=True)  # already in (period, canonical county, township) order


def public(frame: pd.DataFrame, indicators: list[Indicator], township: bool = False) -> pd.DataFrame:
    """The columns of docs/contracts.md, in its order (plus any extra indicator of indicators.yaml)."""
    cols = list(OUTPUT_COLUMNS)
    if township:
        cols.insert(cols.index("county") + 1, "township")
    cols += [i.id for i in indicators if i.id not in cols]
    return frame[cols].reset_index(drop=True)
