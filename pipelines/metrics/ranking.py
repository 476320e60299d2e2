"""The order in which weak links are read: what sets a unit apart first, shared shortfalls after.

Within a period a weak link ranks by
1. tier: the lead finding of each place and indicator first; a second rule about the same place
   and indicator, and a county's below_target row for an indicator the whole city misses (the
   ``citywide`` row speaks for it), come after every lead finding;
2. severity: critical before warning;
3. level: city, county, township, branch (the office supervises the counties; townships and
   branches are the detail under them);
4. excess members: the members that the unit's gap from the city accounts for, i.e. how many
   more would be reached if the unit were at the city's level (members affected × gap from the
   city ÷ the unit's whole shortfall); for a city-wide row, the gap from the target;
5. members affected, then the gap.
Ties keep the rules' order. See docs/metrics.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.metrics.indicators import Indicator

COLUMNS = (
    "rank", "period", "level", "county", "township", "branch", "indicator", "value", "city_value", "gap_pp",
    "target", "rule", "severity", "members_affected", "reason_zh", "reason_en",
)
SEVERITY_ORDER = {"critical": 0, "warning": 1}
LEVEL_ORDER = {"city": 0, "county": 1, "township": 2, "branch": 3}
# Which rule leads when several flag the same place and indicator.
RULE_ORDER = {"citywide": 0, "not_reported": 1, "below_city": 2, "worst_county": 3, "fell_back": 4, "below_target": 5}
FULL_SCALE = {"share": 1.0, "score": 100.0}
PLACE = ("period", "level", "county", "township", "branch", "branch_id", "indicator")


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in (*COLUMNS, "template")})


def factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (−1 for missing) and the distinct values; a categorical gives its own codes.

    Lets the ranking compare and look up a few distinct labels instead of every row's string.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(), s.cat.categories
    codes, uniq = pd.factorize(s)
    return codes, pd.Index(uniq)


def lookup(values: pd.Series | np.ndarray, mapping: dict[str, float], default: float = np.nan) -> np.ndarray:
    """``values.map(mapping)`` as float64 (``default`` where unmapped or missing), once per distinct value."""
    codes, uniq = factorize(values)
    table = np.array([mapping.get(u, default) if isinstance(u, str) else default for u in uniq] + [default], dtype=float)
    table[np.isnan(table)] = default
    return table[codes]  # code −1 (missing) reads the trailing default


def _codes(values: pd.Series, order: dict[str, int], default: int = 9) -> np.ndarray:
    return lookup(values, {k: float(v) for k, v in order.items()}, float(default))


def is_value(values: pd.Series | np.ndarray, value: str) -> np.ndarray:
    """values == value as a plain bool array (missing is False)."""
    codes, uniq = factorize(values)
    hit = np.flatnonzero(np.asarray(uniq.astype(object) == value, dtype=bool))
    return np.isin(codes, hit) if len(hit) else np.zeros(len(codes), dtype=bool)


def place_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Codes 0…size−1 equal exactly where ``values.astype("str").fillna("")`` is equal, without the strings.

    Numbers and dates print distinctly and never as "", so their own distinct values serve
    (missing is ""); text categories are distinct strings already, so only missing and a ""
    category have to share a code; other text is compared through its distinct values only.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if s.dtype.kind in "iufbmM":
        codes, uniq = pd.factorize(s)
        return codes + 1, len(uniq) + 1  # missing → 0
    codes, uniq = factorize(s)
    if isinstance(s.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(uniq.dtype) and uniq.dtype != object:
        blank = uniq.get_indexer([""])[0]
        return np.where(codes < 0, blank, codes) + 1, len(uniq) + 1  # missing → 0, or the "" category
    text = pd.Series(uniq, dtype=object).astype("str").fillna("")
    ucodes, merged = pd.factorize(pd.concat([text, pd.Series([""], dtype=object)], ignore_index=True))
    return ucodes[codes], len(merged)  # code −1 (missing) reads the trailing ""


def place_key(links: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One integer per row, equal exactly where the printed values of ``columns`` are all equal."""
    key = np.zeros(len(links), dtype=np.int64)
    size = 1
    for c in columns:
        codes, n = place_codes(links[c])
        if size * n >= 2**62:  # compact the key so far before it could overflow
            key, uniq = pd.factorize(key)
            size = len(uniq)
        key = key * n + codes
        size *= n
    return key


def _union(pieces: list[pd.Series | None], lengths: list[int]) -> pd.Categorical:
    """One categorical of the pieces (a None piece is all missing), recoded to the union of their categories.

    The union grows from the largest piece's categories, so branch names shared by several rules
    (codes into the registry's names) are neither copied nor recoded; only the few names of the
    other pieces are looked up.
    """
    cats = [None if p is None else (p.array if isinstance(p.dtype, pd.CategoricalDtype) else pd.Categorical(p))
            for p in pieces]
    given = [c for c in cats if c is not None and len(c.categories)]
    union = max((c.categories for c in given), key=len) if given else pd.Index([], dtype="str")
    for c in given:
        if c.categories is not union:
            new = c.categories[union.get_indexer(c.categories) < 0]
            union = union.append(new) if len(new) else union
    codes = []
    for c, n in zip(cats, lengths):
        if c is None or not len(c.categories):
            codes.append(np.full(n, -1, dtype=np.int64))
        elif c.categories is union:
            codes.append(c.codes)
        else:
            codes.append(np.append(union.get_indexer(c.categories), -1)[c.codes])
    return pd.Categorical.from_codes(np.concatenate(codes), categories=union)


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """pd.concat that keeps categorical text columns categorical (union of categories), not object."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty()
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    cat = [c for c in columns if any(c in f and isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames)]
    out = pd.concat([f.drop(columns=[c for c in cat if c in f]) for f in frames], ignore_index=True)
    lengths = [len(f) for f in frames]
    for c in cat:
        out[c] = _union([f[c] if c in f else None for f in frames], lengths)
    return out[columns]


def excess_members(links: pd.DataFrame, indicators: list[Indicator]) -> np.ndarray:
    """Members affected × (gap from the city, or from the target for a city row) ÷ the whole shortfall.

    A county at 71.6 % against a city at 94.1 % with 181 special members not reached owes about
    144 of them to being behind the city; a county above the city owes none (0).
    """
    by_id = {i.id: i for i in indicators}
    ind = links["indicator"]
    sign = lookup(ind, {k: float(i.sign) for k, i in by_id.items()}, 1.0)
    full = lookup(ind, {k: FULL_SCALE.get(i.unit, 1.0) for k, i in by_id.items()}, 1.0)
    target = lookup(ind, {k: i.target for k, i in by_id.items()}, np.nan)
    value = pd.to_numeric(links["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    city = pd.to_numeric(links["city_value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bench = np.where(is_value(links["level"], "city"), target, city)
    affected = pd.to_numeric(links["members_affected"], errors="coerce").to_numpy(dtype=float, na_value=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shortfall = np.where(sign > 0, full - value, value)  # the unit's whole distance from "all reached"
        behind = np.clip(sign * (bench - value), 0.0, None)
        share = np.where(shortfall > 0, np.minimum(behind / shortfall, 1.0), 0.0)
    return np.nan_to_num(affected * share, nan=0.0)


def tiers(links: pd.DataFrame) -> np.ndarray:
    """0 for the lead finding of a place and indicator, 1 for the rest (see the module docstring)."""
    n = len(links)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rule = links["rule"]
    city_wide = is_value(rule, "citywide")
    subsumed = np.zeros(n, dtype=bool)
    if city_wide.any():
        # (period, indicator) as one integer per row: the pairs that have a city-wide row
        key = place_key(links, ["period", "indicator"])
        shared = np.isin(key, key[city_wide])
        subsumed = shared & is_value(links["level"], "county") & is_value(rule, "below_target")
    place = [c for c in PLACE if c in links]
    order = np.lexsort((_codes(rule, RULE_ORDER), _codes(links["severity"], SEVERITY_ORDER), subsumed))
    # the place as one integer per row: equal exactly where the printed place is equal
    second = np.zeros(n, dtype=bool)
    second[order] = pd.Series(place_key(links, place)[order]).duplicated(keep="first").to_numpy()
    return (subsumed | second).astype(np.int64)


def rank(links: list[pd.DataFrame] | pd.DataFrame, indicators: list[Indicator],
         max_rows_per_rule: int | None = None) -> pd.DataFrame:
    """Order the weak links of every period (latest period first) and number them 1.. per period."""
    out = concat(links) if isinstance(links, list) else links.reset_index(drop=True)
    period = pd.to_datetime(out["period"]).to_numpy().view(np.int64)
    gap = pd.to_numeric(out["gap_pp"], errors="coerce").to_numpy(dtype=float, na_value=-np.inf)
    members = pd.to_numeric(out["members_affected"], errors="coerce").to_numpy(dtype=float, na_value=0.0)
    # period (latest first), tier, severity and level as one small integer: one sort pass, not four
    latest, _ = pd.factorize(-period, sort=True)
    level = _codes(out["level"], LEVEL_ORDER).astype(np.int64)  # 0–3, 9 unknown
    severity = _codes(out["severity"], SEVERITY_ORDER).astype(np.int64)  # 0–1, 9 unknown
    lead = ((latest.astype(np.int64) * 2 + tiers(out)) * 10 + severity) * 10 + level
    keys = (-gap, -members, -excess_members(out, indicators), lead)
    out = out.iloc[np.lexsort(keys)].reset_index(drop=True)  # last key first
    if max_rows_per_rule:
        out = out.groupby(["period", "level", "rule"], sort=False).head(int(max_rows_per_rule)).reset_index(drop=True)
    out["rank"] = out.groupby("period", sort=False).cumcount() + 1
    return out
