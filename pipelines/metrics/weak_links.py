"""Weak links (薄弱环节): every unit that falls short, by which rule, how badly, for how many members.

County rules: below the indicator's target; more than a threshold below the city; the worst
county when the spread between counties exceeds a threshold; branches expected but not reported;
a fall since the previous period. Township and branch flags are judged against the city with
funnel-plot limits (exact binomial tails at the 99.8 % level) and a minimum
denominator, so a branch of six members is not flagged for one absent member by chance. Every
rule is a vectorised filter over the metrics tables; sentences come from ``sentences``.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.domain import load
from pipelines.metrics import ranking
from pipelines.metrics import sentences as st
from pipelines.metrics.aggregate import AFFECTED_PREFIX
from pipelines.metrics.balance import branch_indicator_array
from pipelines.metrics.indicators import Indicator, Thresholds

COLUMNS = ranking.COLUMNS
EPS = 1e-9


def members_affected(frame: pd.DataFrame, ind: Indicator) -> pd.Series:
    """Members behind the shortfall of a unit: not reached, not reporting, or in branches lacking it."""
    def col(name: str) -> np.ndarray:
        return frame[name].to_numpy(dtype=float, na_value=np.nan)

    if ind.numerator == "branches_reported":
        out = col("members_expected") - np.nan_to_num(col("members_expected_reported"))
    elif ind.counts_branches:
        out = col(AFFECTED_PREFIX + ind.numerator)
    elif ind.unit == "score":
        out = col(ind.denominator)
    else:
        out = col(ind.denominator) - col(ind.numerator)
    return pd.Series(pd.array(np.round(np.clip(out, 0, None)), dtype="Int64"), index=frame.index)


def _city_values(county_metrics: pd.DataFrame, indicators: list[Indicator]) -> pd.DataFrame:
    city = county_metrics.loc[county_metrics["county"] == load.city_total_label()]
    return city.set_index("period")[[i.id for i in indicators]]


EXTRA = ("best_county", "best_value", "prev_period", "prev_value", "expected", "reported", "missing", "n")


def _positional(values: pd.Series | np.ndarray | pd.api.extensions.ExtensionArray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The values without their index (rows are matched by position, never aligned)."""
    return values.array if isinstance(values, pd.Series) else values


@functools.lru_cache(maxsize=None)
def _label_dtype(*labels: str) -> pd.CategoricalDtype:
    """One shared dtype per fixed label ("branch", "not_reported", …): built once, and rows of
    different rules with the same label are put together without recoding (ranking.concat)."""
    return pd.CategoricalDtype(pd.Index(list(labels), dtype="str"))


def _label(values: pd.Series | pd.Categorical | np.ndarray | str | None, n: int) -> pd.Categorical:
    """A text column as a categorical: the rules keep labels as codes; ``typed`` prints them once."""
    if values is None:
        return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), dtype=_label_dtype())
    if isinstance(values, str):
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), dtype=_label_dtype(values))
    if isinstance(values, pd.Categorical):
        return values
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.array
    return pd.Categorical(s.astype("str").to_numpy())


def _build(
    base: pd.DataFrame, ind: Indicator, rule: str, severity: pd.Categorical, gap: pd.Series | np.ndarray,
    template: str | np.ndarray, level: str, extra: dict[str, pd.Series] | None = None, county: str | None = None,
) -> pd.DataFrame:
    """Weak-link rows for one (indicator, rule) from the flagged units in ``base`` (phrased later).

    Text columns stay categorical (a few labels and integer codes) until ``typed``; every column
    is taken by position, so no index is reset or aligned on the way.
    """
    n = len(base)
    if n == 0:
        return None  # type: ignore[return-value]  # nothing flagged: skipped by ``rank``
    out = pd.DataFrame({
        "period": base["period"].to_numpy(),
        "level": _label(level, n),
        "county": _label(county if county is not None else base["county"], n),
        "township": _label(base["township"] if "township" in base else None, n),
        "branch": _label(base["branch"] if "branch" in base else None, n),
        "indicator": _label(ind.id, n),
        "value": pd.array(_positional(base["value"]), dtype="Float64"),
        "city_value": pd.array(_positional(base["city_value"]), dtype="Float64"),
        "gap_pp": (pd.array(_positional(gap), dtype="Float64") * ind.scale).round(6),
        "target": ind.target,
        "rule": _label(rule, n),
        "severity": _label(severity, n),
        "members_affected": pd.array(_positional(base["members_affected"]), dtype="Int64"),
        "template": _label(template, n),
    })
    if "branch_id" in base:  # resolved to a name by the caller, after filtering
        out["branch_id"] = base["branch_id"].to_numpy()
    for k, v in (extra or {}).items():
        out[k] = pd.Series(v).to_numpy()
    return out


LANGUAGE_FREE = ("gap", "members", "expected", "reported", "missing", "n")


def _fields(
    links: pd.DataFrame, idx: np.ndarray, names: set[str], lang: str, by_id: dict[str, Indicator],
    branch_names: pa.Array | None, shared: dict[str, pd.Series | pa.Array] | None = None,
) -> dict[str, pd.Series | pa.Array | str]:
    """The template fields a template needs, for its rows ``idx`` of ``links`` only.

    Only the columns a field reads are taken (not the whole frame), and nothing is computed for
    a field the template does not use; ``shared`` keeps the LANGUAGE_FREE fields (plain numbers)
    from the first language for the second.
    """
    n = len(idx)
    none = pd.Series([None] * n)

    def col(name: str) -> pd.Series:
        return links[name].iloc[idx].reset_index(drop=True)

    @functools.cache
    def unit() -> pd.Series:  # the indicator's unit per row, looked up once per distinct indicator
        codes, uniq = ranking.factorize(col("indicator"))
        return pd.Series(np.array([by_id[u].unit if u in by_id else None for u in uniq] + [None], dtype=object)[codes])

    @functools.cache
    def digits() -> np.ndarray:  # one precision per row for every value the sentence prints
        figures = [col(c) for c in ("target", "best_value", "prev_value") if c in names and c in links]
        return st.digits_apart(col("value"), *figures, scale=np.where(unit().to_numpy() == "share", 100.0, 1.0))

    def shown(name: str) -> pd.Series:
        return st.shown(col(name), unit(), lang, digits())

    def unit_name() -> pd.Series | pa.Array:
        ids = pd.to_numeric(col("branch_id"), errors="coerce") if "branch_id" in links else None
        if branch_names is not None and ids is not None and ids.notna().all():
            # names made once per branch; kept as a dictionary so the template's text joins them once
            return pa.DictionaryArray.from_arrays(pa.array(ids.to_numpy(dtype=np.int64)), branch_names)
        return st.unit_names(col("county"), col("township"), col("branch"), lang)

    make = {
        "unit": unit_name,
        "label": lambda: st.text_arrow(col("indicator"), {k: (i.zh if lang == "zh" else i.en) for k, i in by_id.items()}),
        "value": lambda: shown("value"),
        "target": lambda: shown("target"),
        "gap": lambda: st.decimals(col("gap_pp"), st.digits_apart(col("gap_pp"), np.zeros(n))),
        "gap_unit": lambda: unit().map(st.GAP_UNITS[lang]),
        "period": lambda: st.dates_arrow(col("period"), lang),
        "members": lambda: st.integers_arrow(col("members_affected"), distinct=True),
        "best": lambda: st.unit_names(col("best_county"), none, none, lang),
        "best_value": lambda: shown("best_value"),
        "prev_value": lambda: shown("prev_value"),
        "prev_period": lambda: st.dates_arrow(col("prev_period"), lang),
        "expected": lambda: st.integers_arrow(col("expected")),
        "reported": lambda: st.integers_arrow(col("reported")),
        "missing": lambda: st.integers_arrow(col("missing")),
        "n": lambda: st.integers_arrow(col("n")),
    }
    shared = {} if shared is None else shared
    out: dict[str, pd.Series | pa.Array | str] = {}
    for k in names:
        if k in LANGUAGE_FREE:
            if k not in shared:
                shared[k] = make[k]()
            out[k] = shared[k]
        else:
            out[k] = make[k]()
    return out


def phrase(links: pd.DataFrame, indicators: list[Indicator], reg: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add reason_zh / reason_en: one column-wise render per template, not one per row.

    ``reg`` (aggregate.clean_registry) lets branch rows take their names, built once per branch.
    """
    out = links.reset_index(drop=True)
    n = len(out)
    for col in EXTRA:
        if col not in out:
            out[col] = None
    by_id = {i.id: i for i in indicators}
    langs = ("zh", "en")
    names = {lang: st.unit_names_arrow(reg["county"], reg["township"], reg["branch"], lang) if reg is not None
             else None for lang in langs}
    codes, keys = ranking.factorize(out["template"])
    pieces: dict[str, list[pa.Array]] = {lang: [] for lang in langs}
    where: list[np.ndarray] = []
    for key in st.TEMPLATES[langs[0]]:
        k = keys.get_indexer([key])[0]
        idx = np.flatnonzero(codes == k) if k >= 0 else np.zeros(0, dtype=np.int64)
        if not len(idx):
            continue
        shared: dict[str, pd.Series | pa.Array] = {}  # numbers read the same in both languages: made once
        for lang in langs:
            template = st.TEMPLATES[lang][key]
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            pieces[lang].append(st.render_arrow(template, _fields(out, idx, fields, lang, by_id, names[lang], shared),
                                                len(idx)))
        where.append(idx)
    back = pa.array(np.argsort(np.concatenate(where), kind="stable")) if where else None
    for lang in langs:
        if back is not None:  # put each template's sentences back in row order with one take
            out[f"reason_{lang}"] = pd.array(pa.concat_arrays(pieces[lang]).take(back), dtype="str")
        else:
            out[f"reason_{lang}"] = pd.Series([""] * n, dtype="str")
    return out


def _severity(critical: pd.Series | np.ndarray) -> pd.Categorical:
    """critical / warning from a (nullable) flag; null is a warning."""
    flag = pd.Series(critical).fillna(False).to_numpy(dtype=bool)
    return pd.Categorical.from_codes(np.where(flag, 0, 1).astype(np.int8), dtype=_label_dtype("critical", "warning"))


def county_rules(
    county_metrics: pd.DataFrame, balance: pd.DataFrame, indicators: list[Indicator], th: Thresholds
) -> list[pd.DataFrame]:
    """below_target, below_city, worst_county, fell_back and not_reported for every county."""
    city_label = load.city_total_label()
    cm = county_metrics.loc[county_metrics["county"] != city_label].reset_index(drop=True)
    city = _city_values(county_metrics, indicators)
    across = balance.loc[balance["scope"] == "across_counties"].set_index(["period", "indicator"])
    periods = sorted(cm["period"].unique())
    prev_of = dict(zip(periods[1:], periods[:-1]))
    keyed = cm.set_index(["period", "county"])  # once, for the best county's and the previous values
    county = _label(cm["county"], len(cm))  # printed once in ``typed``, not per rule
    # Looked up once for every indicator: each row's city row, and its previous period's row.
    city_at = city.index.get_indexer(cm["period"])  # −1 reads the NaN appended to each column below
    if prev_of:
        prev_period = cm["period"].map(prev_of)
        prev_at = keyed.index.get_indexer(pd.MultiIndex.from_arrays([prev_period, cm["county"]]))
    out: list[pd.DataFrame] = []
    for ind in indicators:
        s = ind.sign
        base = pd.DataFrame({"period": cm["period"].to_numpy(), "county": county})
        base["value"] = cm[ind.id].astype("Float64")
        city_v = np.append(city[ind.id].to_numpy(dtype=float, na_value=np.nan), np.nan)
        base["city_value"] = pd.array(city_v[city_at], dtype="Float64")
        base["members_affected"] = members_affected(cm, ind)
        v = base["value"]

        if ind.numerator != "branches_reported":  # the report rate has its own rule, not_reported
            short = (s * (v - ind.target) < -EPS).fillna(False)
            f = base.loc[short]
            crit = (s * (f["value"] - ind.warning) < -EPS)
            out.append(_build(f, ind, "below_target", _severity(crit), s * (ind.target - f["value"]),
                              "below_target", "county"))

        gap_city = s * (base["city_value"] - v)
        lim, lim_c = th.gap("below_city", ind.unit), th.gap("below_city_critical", ind.unit)
        below = (gap_city > lim + EPS).fillna(False)
        f = base.loc[below]
        out.append(_build(f, ind, "below_city", _severity(gap_city[below] > lim_c + EPS), gap_city[below],
                          "below_city", "county"))

        a = across.xs(ind.id, level="indicator")
        spread = a["difference"].astype("Float64")
        lim, lim_c = th.gap("spread", ind.unit), th.gap("spread_critical", ind.unit)
        worst = a.loc[(spread > lim + EPS).fillna(False) & a["worst_county"].notna(), ["worst_county", "best_county"]]
        if len(worst):
            key = pd.MultiIndex.from_arrays([cm["period"], cm["county"]])
            pick = key.isin(pd.MultiIndex.from_arrays([worst.index, worst["worst_county"]]))
            f = base.loc[pick].reset_index(drop=True)
            w = worst.reindex(f["period"].to_numpy())
            best_v = keyed[ind.id].reindex(
                pd.MultiIndex.from_arrays([f["period"], w["best_county"].to_numpy()])
            ).astype("Float64").reset_index(drop=True)
            gap = s * (best_v - f["value"])
            extra = {"best_county": w["best_county"].astype(object), "best_value": best_v.astype(float)}
            out.append(_build(f, ind, "worst_county", _severity(gap > lim_c + EPS), gap, "worst_county",
                              "county", extra))

        if prev_of:
            prev_v = np.append(keyed[ind.id].to_numpy(dtype=float, na_value=np.nan), np.nan)
            prev = pd.Series(pd.array(prev_v[prev_at], dtype="Float64"))
            drop = s * (prev - v)
            lim, lim_c = th.gap("fell_back", ind.unit), th.gap("fell_back_critical", ind.unit)
            fell = (drop > lim + EPS).fillna(False)
            f = base.loc[fell]
            extra = {"prev_value": prev[fell].astype(float), "prev_period": prev_period[fell]}
            out.append(_build(f, ind, "fell_back", _severity(drop[fell] > lim_c + EPS), drop[fell],
                              "fell_back", "county", extra))

        if ind.numerator == "branches_reported":
            missing = (cm["branches_expected"] - cm["branches_reported"]).astype("Int64")
            has_missing = (missing > 0).fillna(False)
            f = base.loc[has_missing]
            crit = (s * (f["value"] - ind.warning) < -EPS) | (cm.loc[has_missing, "branches_reported"] == 0)
            extra = {"expected": cm.loc[has_missing, "branches_expected"].astype(float),
                     "reported": cm.loc[has_missing, "branches_reported"].astype(float),
                     "missing": missing[has_missing].astype(float)}
            out.append(_build(f, ind, "not_reported", _severity(crit), s * (ind.target - f["value"]),
                              "not_reported_county", "county", extra))
    return out


def citywide_rule(county_metrics: pd.DataFrame, indicators: list[Indicator], th: Thresholds) -> list[pd.DataFrame]:
    """One city-level weak link where the city is beyond its warning level and most counties miss the target.

    A shortfall that nearly every county shares (the 学习心得交流会 still to be held everywhere)
    is one finding about the city, not nine about its counties; ranking then puts the counties'
    own below_target rows for it after the findings that set a unit apart from the rest.
    """
    city_label = load.city_total_label()
    is_city = (county_metrics["county"] == city_label).to_numpy()
    cm, city = county_metrics.loc[~is_city], county_metrics.loc[is_city].reset_index(drop=True)
    share = float(th.weak_links["citywide"]["share_of_counties"])
    judged = [i for i in indicators if i.numerator != "branches_reported"]  # a silent county: not_reported
    # counties with a value and counties short of the target, per period, for every indicator at once
    v_all = np.column_stack([cm[i.id].to_numpy(dtype=float, na_value=np.nan) for i in judged]) if judged else None
    out: list[pd.DataFrame] = []
    if v_all is None:
        return out
    sign = np.array([i.sign for i in judged], dtype=float)
    target = np.array([i.target for i in judged], dtype=float)
    pos = pd.Index(pd.unique(city["period"])).get_indexer(cm["period"])
    ok = pos >= 0
    n_all = np.zeros((len(city), len(judged)))
    below_all = np.zeros((len(city), len(judged)))
    np.add.at(n_all, pos[ok], ~np.isnan(v_all[ok]))
    np.add.at(below_all, pos[ok], sign * (v_all[ok] - target) < -EPS)
    for k, ind in enumerate(judged):
        s = ind.sign
        n = pd.Series(n_all[:, k])
        below = pd.Series(below_all[:, k])
        cv = city[ind.id].astype("Float64")
        flag = ((s * (cv - ind.warning) < -EPS).fillna(False) & (n > 0) & (below > share * n)).to_numpy(dtype=bool)
        if not flag.any():
            continue
        f = pd.DataFrame({
            "period": city.loc[flag, "period"].to_numpy(),
            "value": cv[flag].to_numpy(), "city_value": cv[flag].to_numpy(),
            "members_affected": members_affected(city.loc[flag], ind).to_numpy(),
        })
        extra = {"n": n[flag].astype(float), "missing": below[flag].astype(float)}
        template = np.where(below[flag].to_numpy() == n[flag].to_numpy(), "citywide_all", "citywide")
        crit = pd.Series(np.ones(len(f), dtype=bool))  # beyond the warning level by construction
        out.append(_build(f, ind, "citywide", _severity(crit), s * (ind.target - f["value"]), template, "city",
                          extra, county=city_label))
    return out


EXACT_MAX = 300  # beyond this many shortfalls the normal approximation of the binomial is exact enough


def binomial_upper_tail(bad: np.ndarray, n: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """P(B ≥ bad) for B ~ Binomial(n, pi), vectorised over rows (log-space recurrence over k).

    Loops over k = 0 … max(bad) (at most EXACT_MAX), never over rows.
    """
    bad = np.asarray(bad, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    pi = np.clip(np.asarray(pi, dtype=float), 0.0, 1.0)
    out = np.ones(len(bad))
    todo = bad > 0
    zero = todo & (pi <= 0)
    out[zero] = 0.0  # a shortfall that cannot happen by chance
    one = todo & (pi >= 1)
    todo &= ~zero & ~one
    if not todo.any():
        return out
    b, m, q = bad[todo], n[todo], pi[todo]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = m * np.log1p(-q)  # k = 0
        log_ratio = np.log(q) - np.log1p(-q)
        cdf = np.exp(log_term)  # P(B ≤ k)
        for k in range(0, int(b.max()) - 1):
            live = k + 1 < b
            if not live.any():
                break
            log_term = log_term + np.log(np.maximum(m - k, 1)) - np.log(k + 1) + log_ratio
            cdf = cdf + np.where(live, np.exp(log_term), 0.0)
    out[todo] = np.clip(1.0 - cdf, 0.0, 1.0)
    return out


def funnel_below(p: pd.Series, n: pd.Series, p0: pd.Series, sign: int, z: float) -> pd.Series:
    """True where a proportion p of n lies beyond the funnel limit around p0, on the bad side.

    Funnel-plot control limits with exact binomial tails (Spiegelhalter 2005): the unit is
    flagged when, if its true rate were the city's p0, a shortfall at least as large as the
    observed one would happen with probability below the one-sided tail of ``z`` (3.09 → 0.1 %,
    the 99.8 % limit). Exact tails matter near 100 %, where the normal approximation flags a branch
    of 12 for one absent member. Above EXACT_MAX shortfalls the score (normal) limit is used.
    """
    pv = p.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    p0v = p0.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    nv = n.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(pv) & np.isfinite(p0v) & np.isfinite(nv) & (nv > 0) & (sign * (pv - p0v) < -EPS)
    out = np.zeros(len(pv), dtype=bool)
    if not ok.any():
        return pd.Series(out, index=p.index)
    nn = np.round(nv[ok]).astype(np.int64)
    # shortfall count and its chance under p0: failures when higher is better, successes when lower
    bad = np.round(nn * ((1 - pv[ok]) if sign > 0 else pv[ok])).astype(np.int64)
    pi = (1 - p0v[ok]) if sign > 0 else p0v[ok]
    alpha = 0.5 * math.erfc(z / math.sqrt(2))
    big = bad > EXACT_MAX
    flag = np.zeros(len(nn), dtype=bool)
    if (~big).any():
        flag[~big] = binomial_upper_tail(bad[~big], nn[~big], pi[~big]) < alpha
    if big.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            half = z * np.sqrt(np.clip(p0v[ok][big] * (1 - p0v[ok][big]), 0, None) / nn[big])
        flag[big] = sign * (pv[ok][big] - p0v[ok][big]) < -(half + EPS)
    out[np.flatnonzero(ok)] = flag
    return pd.Series(out, index=p.index)


def _positions(index: pd.Index, values: pd.Series | np.ndarray) -> np.ndarray:
    """``index.get_indexer(values)`` for a few sorted periods and millions of rows: a binary search
    over the periods instead of hashing every row."""
    v = np.asarray(values)
    if not (index.is_monotonic_increasing and index.is_unique) or v.dtype != index.dtype or not len(index):
        return index.get_indexer(pd.Index(values))
    keys = index.to_numpy()
    pos = np.minimum(np.searchsorted(keys, v), len(keys) - 1)
    return np.where(keys[pos] == v, pos, -1)


def _period_rows(period: pd.Series, city: pd.DataFrame) -> np.ndarray:
    """Each row's position in the city table's periods (−1 when absent): looked up once, not per indicator."""
    return _positions(city.index, period)


PeriodPositions = tuple[pd.Index, np.ndarray]


def period_positions(values: pd.DataFrame, periods: list[pd.Timestamp]) -> PeriodPositions:
    """The periods and each branch row's position among them: found once for every branch-level rule."""
    pidx = pd.Index(periods)
    return pidx, _positions(pidx, values["period"])


def _plain(values: pd.Series | np.ndarray) -> np.ndarray:
    """float64 values (NaN for null), without copying a column that already is float64."""
    if isinstance(values, (pd.Series, np.ndarray)) and values.dtype == np.float64:
        return np.asarray(values)
    return pd.Series(values).to_numpy(dtype=float, na_value=np.nan)


def _city_at(city: pd.DataFrame, ind: Indicator, rows: np.ndarray) -> np.ndarray:
    """The city value of ``ind`` at each row's period (NaN where the city has none)."""
    per_period = city[ind.id].to_numpy(dtype=float, na_value=np.nan)
    return np.append(per_period, np.nan)[rows]  # row −1 reads the trailing NaN


def small_unit_rule(
    frame: pd.DataFrame, level: str, keys: list[str], city: pd.DataFrame, ind: Indicator, th: Thresholds,
    value: pd.Series, n: pd.Series, affected: pd.Series | Callable[[np.ndarray], np.ndarray],
    period_rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """below_city for townships and branches: beyond the gap threshold AND beyond the funnel limit.

    The cheap tests (denominator, gap) run first on plain arrays; the binomial tail only on the
    units that pass them. ``period_rows`` (``_period_rows``) saves looking up the period of
    millions of branch rows once per indicator; ``affected`` may be a function of the flagged
    rows, so that it is computed for those rows only.
    """
    s = ind.sign
    v = _plain(value)
    nv = _plain(n)
    rows_at = _period_rows(frame["period"], city) if period_rows is None else period_rows
    cityv = _city_at(city, ind, rows_at)
    gap = s * (cityv - v)
    lim, lim_c = th.gap("below_city", ind.unit), th.gap("below_city_critical", ind.unit)
    cand = np.flatnonzero((nv >= float(th.weak_links["min_denominator"])) & (gap > lim + EPS))
    if len(cand) == 0:
        return None  # type: ignore[return-value]
    sub_v, sub_n, sub_c = (pd.Series(a[cand]) for a in (v, nv, cityv))
    hit = funnel_below(sub_v, sub_n, sub_c, s, float(th.weak_links["funnel_z"])).to_numpy()
    rows = cand[hit]
    base = frame.iloc[rows][["period", *keys]].reset_index(drop=True)
    base["value"] = v[rows]
    base["city_value"] = cityv[rows]
    aff = affected(rows) if callable(affected) else _plain(affected)[rows]
    base["members_affected"] = pd.array(np.round(np.clip(aff, 0, None)), dtype="Float64").astype("Int64")
    g = pd.Series(gap[rows])
    return _build(base, ind, "below_city", _severity(g > lim_c + EPS), g, "below_city_small", level,
                  {"n": pd.Series(nv[rows])})


def township_rules(
    township_metrics: pd.DataFrame, county_metrics: pd.DataFrame, indicators: list[Indicator], th: Thresholds
) -> list[pd.DataFrame]:
    """Townships significantly below the city on share indicators (scores are not binomial: skipped)."""
    city = _city_values(county_metrics, indicators)
    out = []
    for ind in indicators:
        if ind.unit != "share":
            continue
        out.append(small_unit_rule(
            township_metrics, "township", ["county", "township"], city, ind, th,
            township_metrics[ind.id], township_metrics[ind.denominator], members_affected(township_metrics, ind),
        ))
    return out


def branch_rules(
    values: pd.DataFrame, reg: pd.DataFrame, county_metrics: pd.DataFrame, indicators: list[Indicator],
    th: Thresholds, period_pos: PeriodPositions | None = None,
) -> list[pd.DataFrame]:
    """Branches significantly below the city on indicators counted in people (not 0/1 branch flags)."""
    city = _city_values(county_metrics, indicators)
    frame = values[["period", "county", "township", "branch_id"]]
    if period_pos is None:
        period_rows = _period_rows(values["period"], city)
    else:  # from the rows' positions among the periods to the city table's rows (a few dozen looked up)
        pidx, at = period_pos
        period_rows = np.append(city.index.get_indexer(pidx), -1)[at]
    out = []
    for ind in indicators:
        if ind.unit != "share" or ind.counts_branches or ind.denominator == "members_expected":
            continue
        v = branch_indicator_array(values, ind)
        den, num = _plain(values[ind.denominator]), _plain(values[ind.numerator])
        f = small_unit_rule(frame, "branch", ["county", "township", "branch_id"], city, ind, th, v, den,
                            lambda rows, den=den, num=num: den[rows] - num[rows], period_rows)
        if f is not None:
            f["branch"] = _take_label(reg["branch"], f["branch_id"].to_numpy(dtype=np.int64))
        out.append(f)
    return out


def _take_label(column: pd.Series, rows: np.ndarray) -> pd.Categorical:
    """``column`` at positions ``rows`` as a categorical: integer codes taken, no string copied."""
    cat = column.array if isinstance(column.dtype, pd.CategoricalDtype) else pd.Categorical(column)
    return pd.Categorical.from_codes(cat.codes[rows], dtype=cat.dtype)


def not_reported_branches(
    values: pd.DataFrame, reg: pd.DataFrame, periods: list[pd.Timestamp], indicators: list[Indicator],
    county_metrics: pd.DataFrame, period_pos: PeriodPositions | None = None,
) -> pd.DataFrame:
    """One row per registry branch and period without a return; critical when it also missed the last one."""
    ind = next((i for i in indicators if i.numerator == "branches_reported"), None)
    if ind is None or not periods:
        return ranking.empty()
    pidx, at = period_positions(values, periods) if period_pos is None else period_pos
    seen = np.zeros((len(periods), len(reg)), dtype=bool)
    seen[at, values["branch_id"].to_numpy()] = True
    p, b = np.nonzero(~seen)
    twice = np.zeros(len(p), dtype=bool)
    twice[p > 0] = ~seen[p[p > 0] - 1, b[p > 0]]
    city = _city_values(county_metrics, indicators)
    city_v = city[ind.id].astype("Float64").reindex(pidx).array  # one value per period, taken per row
    base = pd.DataFrame({  # names as codes into the registry's categories (see _take_label)
        "period": pidx.to_numpy()[p], "county": _take_label(reg["county"], b),
        "township": _take_label(reg["township"], b), "branch": _take_label(reg["branch"], b),
        "value": np.zeros(len(p)), "members_affected": reg["members_expected"].array.take(b), "branch_id": b,
        "city_value": city_v.take(p),
    })
    return _build(base, ind, "not_reported", _severity(twice), np.full(len(p), ind.target - 0.0),
                  "not_reported_branch", "branch")


def registry_labels(reg: pd.DataFrame) -> pd.DataFrame:
    """The registry with its name columns as categoricals, factorised once for every rule.

    Branch rows then carry their county, township and branch as integer codes into these
    categories (``_take_label``), and rows from different rules share them, so putting the
    rules together recodes nothing.
    """
    out = reg.copy(deep=False)
    for col in ("county", "township", "branch"):
        if col in out and not isinstance(out[col].dtype, pd.CategoricalDtype):
            codes, uniq = pd.factorize(out[col])
            out[col] = pd.Categorical.from_codes(codes, categories=pd.Index(uniq))
    return out


def typed(out: pd.DataFrame) -> pd.DataFrame:
    """The dtypes of docs/contracts.md (without object round trips on large frames).

    Works on a selection of the contract's columns: copy-on-write keeps ``out`` itself unchanged
    without copying half a million sentences first.
    """
    out = out[list(COLUMNS)]
    out["rank"] = out["rank"].astype("Int64")
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    for col in ("level", "county", "township", "branch", "indicator", "rule", "severity", "reason_zh", "reason_en"):
        out[col] = pd.Series(pd.array(st.text_arrow(out[col]), dtype="str"), index=out.index)  # categories printed once
    for col in ("value", "city_value", "gap_pp", "target", "members_affected"):
        if out[col].dtype == object:
            out[col] = pd.to_numeric(out[col], errors="coerce")
    for col in ("value", "city_value", "gap_pp", "target"):
        out[col] = out[col].astype("Float64")
    out["members_affected"] = out["members_affected"].astype("Float64").round().astype("Int64")
    return out[list(COLUMNS)]


def unit_rules(
    county_metrics: pd.DataFrame, township_metrics: pd.DataFrame, balance: pd.DataFrame,
    indicators: list[Indicator], thresholds: Thresholds,
) -> list[pd.DataFrame]:
    """The city-wide, county and township rules: small tables, read once per indicator."""
    return [*citywide_rule(county_metrics, indicators, thresholds),
            *county_rules(county_metrics, balance, indicators, thresholds),
            *township_rules(township_metrics, county_metrics, indicators, thresholds)]


def ranked_table(parts: list[pd.DataFrame], reg: pd.DataFrame, indicators: list[Indicator],
                 thresholds: Thresholds) -> pd.DataFrame:
    """weak_links.parquet from the rules' rows: ranked, phrased, typed."""
    ranked = ranking.rank(parts, indicators, thresholds.weak_links.get("max_rows_per_rule"))
    return typed(phrase(ranked, indicators, reg))


def weak_links(
    values: pd.DataFrame, reg: pd.DataFrame, periods: list[pd.Timestamp], county_metrics: pd.DataFrame,
    township_metrics: pd.DataFrame, balance: pd.DataFrame, indicators: list[Indicator], thresholds: Thresholds,
) -> pd.DataFrame:
    """weak_links.parquet: every rule at every level, ranked (what the stage runs, in one call;
    the stage itself spreads these calls over its two lanes, in this order)."""
    reg = registry_labels(reg)
    at = period_positions(values, periods)  # once for both passes over the branch rows
    parts = unit_rules(county_metrics, township_metrics, balance, indicators, thresholds)
    parts += branch_rules(values, reg, county_metrics, indicators, thresholds, at)
    parts.append(not_reported_branches(values, reg, periods, indicators, county_metrics, at))
    return ranked_table(parts, reg, indicators, thresholds)
