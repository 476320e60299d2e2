"""The truth of the sample: what every branch really reported, before any county formats it.

Kept apart from rendering so that tests of the cleaner can compare against one frame, and so
that changing how a county lays out its sheet can never change a headline figure.

Policy for the deliberate rule breaks (``bad_rows``): a row that breaks a rule is written to
the raw files but is *not* in ``returns`` (a perfect cleaner rejects it); of a duplicated
branch row only the first copy is in ``returns``. ``bad_rows.intended`` keeps the value the
branch meant, should a cleaner prefer to null a cell rather than drop the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.domain import load
from pipelines.sample.names import branch_names
from pipelines.schema import ACTIVITY_COLUMNS, COUNT_COLUMNS, RETURNS_COLUMNS, SPECIAL_COLUMNS

PERIODS: tuple[pd.Timestamp, ...] = tuple(pd.Timestamp(d) for d in ("2005-02-04", "2005-02-11", "2005-02-18", "2005-02-25"))
LAST = len(PERIODS) - 1

# The report's headline figures at 2005-02-25 (section 二).
TOTAL_BRANCHES = 2394
TOTAL_MEMBERS = 52417
TOTAL_RETURNED = 51788  # 98.8 % of the takers
TARGET_SCORE = 99.5

ACTIVITIES = ACTIVITY_COLUMNS
SPECIAL = SPECIAL_COLUMNS
# the returns table without its source_* columns (the truth has no file to point at)
RETURN_COLUMNS: tuple[str, ...] = tuple(c for c in RETURNS_COLUMNS if not c.startswith("source_"))
BAD_COLUMNS: tuple[str, ...] = ("period", "county", "township", "branch", "column", "rule", "raw_value", "intended")

# Share of branches that have reported by each period (the rest send their rows later).
REPORT_RATE: dict[str, tuple[float, float, float]] = {
    "梅江区": (0.86, 0.95, 0.99), "梅县": (0.80, 0.93, 0.98), "兴宁市": (0.72, 0.90, 0.97),
    "平远县": (0.82, 0.94, 0.99), "蕉岭县": (0.85, 0.95, 0.99), "大埔县": (0.66, 0.86, 0.96),
    "丰顺县": (0.76, 0.91, 0.98), "五华县": (0.62, 0.84, 0.95), "市直单位": (0.90, 0.97, 1.00),
}
# Share of branches that have held each activity by each period (cumulative).
ACTIVITY_COVERAGE: dict[str, tuple[float, float, float, float]] = {
    "discussion_meetings": (0.45, 0.75, 0.92, 0.98),
    "deeds_reports": (0.25, 0.55, 0.85, 0.96),
    "situation_reports": (0.20, 0.50, 0.82, 0.95),
    "exchange_meetings": (0.00, 0.02, 0.05, 0.12),
    "party_lectures": (0.20, 0.45, 0.78, 0.94),
}
CITY_EXCHANGE = (0.00, 0.05, 0.30, 0.78)
# 大埔县 is uneven: in these two townships most branches have had no situation report or lecture.
DABU_WEAK_TOWNSHIPS = ("光德镇", "青溪镇")
DABU_WEAK_COVERAGE = (0.02, 0.08, 0.18, 0.30)
# Share of special members reached by 送学/补学 by each period; 五华县 lags.
SPECIAL_REACH = (0.30, 0.55, 0.78, 0.95)
WUHUA_REACH = (0.15, 0.30, 0.50, 0.70)
WORK_PLAN = (0.80, 0.92, 0.97, 1.0)
# Counties that write 0 in the test columns before their branches sit the test (others leave them blank).
ZERO_BEFORE_TEST = ("梅江区", "兴宁市", "大埔县", "五华县")

# The deliberate rule breaks, earlier periods only: (period index, county, column, rule).
BAD_SPECS: tuple[tuple[int, str, str, str], ...] = (
    (1, "平远县", "discussion_meetings", "negative_count"),
    (1, "蕉岭县", "studied", "studied_gt_members"),
    (1, "梅江区", "branch", "duplicate_branch"),
    (2, "丰顺县", "avg_score", "score_out_of_range"),
)


@dataclass(frozen=True)
class SampleData:
    """The truth of one seeded sample.

    registry: county, county_code, township, branch, members (the 党组织名册).
    returns: the clean table a perfect cleaner produces (returns.parquet without source_*).
    bad_rows: the deliberate rule breaks written to the raw files (see module docstring).
    written: the rows as the counties wrote them, bad rows included; ``part`` names the file
        of a county's period when it sent two (``main`` or ``late``, the 续报 file).
    """

    registry: pd.DataFrame
    returns: pd.DataFrame
    bad_rows: pd.DataFrame
    written: pd.DataFrame = field(repr=False)


def _registry(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    codes = {c["name"]: c["code"] for c in load.counties()["counties"]}
    rows: list[tuple[str, str, str, str, str]] = []
    for ci, county in enumerate(load.county_order()):
        rng = np.random.default_rng([seed, ci, 1])
        for town, branch, kind in branch_names(county, rng):
            rows.append((county, codes[county], town, branch, kind))
    reg = pd.DataFrame(rows, columns=["county", "county_code", "township", "branch", "kind"])
    members = _members(reg["kind"].to_numpy(), np.random.default_rng([seed, 99]))
    reg["members"] = pd.array(members, dtype="Int64")
    kinds = reg.pop("kind").to_numpy()
    for col in ("county", "county_code", "township", "branch"):
        reg[col] = reg[col].astype("str")
    return reg, kinds


def _members(kinds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Members per branch: a few tiny (3–6), most 10–40, a few large (80–200); exact city total."""
    n = len(kinds)
    mean = np.select([kinds == "village", kinds == "residents", kinds == "school", kinds == "organ"], [22, 16, 19, 20], 9)
    sd = np.select([kinds == "village", kinds == "organ"], [7, 9], 5)
    m = rng.normal(mean, sd)
    u = rng.random(n)
    tiny = u < 0.02
    large = (u > 0.985) & (kinds != "other")
    fixed = tiny | large
    m[tiny] = rng.integers(3, 7, tiny.sum())
    m[large] = rng.integers(80, 201, large.sum())
    middle = ~fixed
    m[middle] = np.clip(m[middle], 8, 45)
    need = TOTAL_MEMBERS - m[fixed].sum()
    m[middle] = np.round(m[middle] * need / m[middle].sum())
    m = m.astype(np.int64)
    diff = TOTAL_MEMBERS - int(m.sum())
    candidates = np.flatnonzero(middle & (m > 10) & (m < 40))
    picks = rng.choice(candidates, size=abs(diff), replace=False)
    m[picks] += np.sign(diff)
    assert m.sum() == TOTAL_MEMBERS and m.min() >= 3
    return m


def _by_period(cov: np.ndarray, u: np.ndarray) -> np.ndarray:
    """held[i, p]: u[i] below the cumulative coverage of period p (monotone by construction)."""
    return u[:, None] < cov


def _cumulative_counts(held: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    extra = (rng.random(held.shape) < 0.18) & held
    first = held & ~np.concatenate([np.zeros((held.shape[0], 1), bool), held[:, :-1]], axis=1)
    extra &= ~first
    return np.where(held, 1 + np.cumsum(extra, axis=1), 0)


def _final_scores(takers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Branch averages with one decimal whose takers-weighted mean is 99.50 (±0.0005)."""
    s = np.clip(np.round(100 - rng.gamma(1.2, 0.42, len(takers)), 1), 96.0, 100.0)
    total = takers.sum()
    for _ in range(100_000):
        gap = TARGET_SCORE * total - (s * takers).sum()
        if abs(gap) < 0.0005 * total:
            break
        step = 0.1 if gap > 0 else -0.1
        i = int(rng.integers(len(s)))
        if 96.0 <= s[i] + step <= 100.0 and abs(step * takers[i]) <= abs(gap) * 1.5:
            s[i] = round(s[i] + step, 1)
    return s


def build_truth(seed: int = 2005) -> SampleData:
    """Registry, clean returns of four periods, row-level bad rows (writer.build_sample adds the wrong 小计)."""
    reg, kinds = _registry(seed)
    rng = np.random.default_rng([seed, 7])
    n, P = len(reg), len(PERIODS)
    county = reg["county"].to_numpy()
    town = reg["township"].to_numpy()
    members = reg["members"].to_numpy(dtype=np.int64)

    # Who has reported by each period: a latent lateness mixing branch and township, cut at the
    # county's quantiles so the report rates are what REPORT_RATE says.
    # n draws for fewer townships, on purpose: the random stream (and so the sample) stays as it always was
    town_u = {t: v for t, v in zip(pd.unique(reg["county"] + "/" + reg["township"]), rng.random(n), strict=False)}
    late = 0.55 * rng.random(n) + 0.45 * np.array([town_u[c + "/" + t] for c, t in zip(county, town, strict=True)])
    reported = np.ones((n, P), bool)
    for c, rates in REPORT_RATE.items():
        idx = np.flatnonzero(county == c)
        cuts = np.quantile(late[idx], rates)
        for p, cut in enumerate(cuts):
            reported[idx, p] = late[idx] <= cut

    # Study: cumulative share of members, rising to (almost) everyone.
    f0 = rng.uniform(0.5, 0.85, n)
    f1 = np.minimum(f0 + rng.uniform(0.05, 0.25, n), 1)
    f2 = np.maximum(f1, rng.uniform(0.9, 1.0, n))
    studied = np.floor(members[:, None] * np.stack([f0, f1, f2, np.ones(n)], axis=1)).astype(np.int64)
    short = (rng.random(n) < 0.02) & (members > 10)
    studied[:, LAST] -= short
    studied = np.minimum(np.maximum.accumulate(studied, axis=1), members[:, None])

    # The four meetings and the lecture.
    acts: dict[str, np.ndarray] = {}
    dabu_weak = (county == "大埔县") & np.isin(town, DABU_WEAK_TOWNSHIPS)
    for a, cov in ACTIVITY_COVERAGE.items():
        covs = np.tile(np.asarray(cov), (n, 1))
        if a == "exchange_meetings":
            covs[county == "市直单位"] = CITY_EXCHANGE
        if a in ("situation_reports", "party_lectures"):
            covs[dabu_weak] = DABU_WEAK_COVERAGE
            covs[(county == "大埔县") & ~dabu_weak] *= 0.97
        acts[a] = _cumulative_counts(_by_period(covs, rng.random(n)), rng)

    # The hundred-question test: mostly in the last two periods, everyone by the last.
    test_from = rng.choice([1, 2, 3], size=n, p=[0.06, 0.38, 0.56])
    tested = np.arange(P)[None, :] >= test_from[:, None]
    absent = rng.binomial(members[:, None], 0.03, (n, P))
    takers = np.where(tested, members[:, None] - absent, 0)
    takers[:, LAST] = members
    takers = np.maximum.accumulate(takers, axis=1)
    final_short = _spread(TOTAL_MEMBERS - TOTAL_RETURNED, members, rng)
    returned = np.minimum(takers - rng.binomial(takers, 0.015), (members - final_short)[:, None])
    returned[:, LAST] = members - final_short
    returned = np.maximum.accumulate(np.where(tested, returned, 0), axis=1)
    final_score = _final_scores(members, rng)
    early = np.round(final_score[:, None] - rng.uniform(0, 0.8, (n, P)), 1)
    scores = np.where(tested, np.clip(early, 90, 100), np.nan)
    scores[:, LAST] = final_score
    untested_zero = np.isin(county, ZERO_BEFORE_TEST)

    # Special members (fixed once surveyed) and how many were reached by 送学/补学.
    lam = {
        "special_sick": 0.018 * members,
        "special_travel": np.where(kinds == "organ", 0.4, 0.15),
        "special_laid_off": np.select([kinds == "residents", kinds == "other"], [0.9, 0.5], 0.08),
        "special_retired_away": np.where(np.isin(kinds, ["organ", "school"]), 0.5, 0.25),
        "special_floating": np.select([kinds == "village", kinds == "residents"], [1.3, 0.6], 0.05),
    }
    special = {k: rng.poisson(v) for k, v in lam.items()}
    total_sp = sum(special.values())
    cap = members // 3
    over = total_sp > cap
    for k in special:  # scale down the rare branch with more special than a third of its members
        special[k] = np.where(over, special[k] * cap // np.maximum(total_sp, 1), special[k])
    total_sp = sum(special.values())
    reach = np.tile(np.asarray(SPECIAL_REACH), (n, 1))
    reach[county == "五华县"] = WUHUA_REACH
    r = np.clip(reach + rng.normal(0, 0.08, (n, 1)), 0, 1)
    reached = np.maximum.accumulate(np.round(total_sp[:, None] * r).astype(np.int64), axis=1)
    share = rng.uniform(0.4, 0.8, n)
    delivered = np.floor(reached * share[:, None]).astype(np.int64)
    makeup = reached - delivered
    plan = _by_period(np.tile(np.asarray(WORK_PLAN), (n, 1)), rng.random(n) * 0.999)

    frames = []
    for p, period in enumerate(PERIODS):
        keep = reported[:, p]
        f = reg.loc[keep, ["county", "county_code", "township", "branch", "members"]].copy()
        f.insert(0, "period", period)
        f["studied"] = studied[keep, p]
        for a in ACTIVITIES:
            f[a] = acts[a][keep, p]
        t_ok = tested[keep, p]
        zero_ok = untested_zero[keep]
        f["test_takers"] = pd.array(np.where(t_ok | zero_ok, takers[keep, p], -1), dtype="Int64")
        f["sheets_returned"] = pd.array(np.where(t_ok | zero_ok, returned[keep, p], -1), dtype="Int64")
        f.loc[f["test_takers"] < 0, ["test_takers", "sheets_returned"]] = pd.NA
        f["avg_score"] = pd.array(scores[keep, p], dtype="Float64")
        for k in SPECIAL:
            f[k] = special[k][keep]
        f["delivered_study"] = delivered[keep, p]
        f["makeup_study"] = makeup[keep, p]
        f["has_work_plan"] = pd.array(plan[keep, p], dtype="boolean")
        frames.append(f)
    truth = pd.concat(frames, ignore_index=True)
    truth["period"] = truth["period"].astype("datetime64[ns]")
    for col in COUNT_COLUMNS:
        truth[col] = truth[col].astype("Int64")
    truth = truth[list(RETURN_COLUMNS)]

    written, bad = _inject_bad_rows(truth, np.random.default_rng([seed, 13]))
    drop = bad.loc[bad["rule"] != "duplicate_branch", ["period", "county", "branch"]]
    key = pd.MultiIndex.from_frame(truth[["period", "county", "branch"]])
    returns = truth.loc[~key.isin(pd.MultiIndex.from_frame(drop))].reset_index(drop=True)
    return SampleData(registry=reg, returns=returns, bad_rows=bad, written=written)


def _spread(total: int, cap: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """total units spread over branches in proportion to cap, never above cap//4."""
    out = rng.multinomial(total, cap / cap.sum())
    limit = cap // 4
    out = np.minimum(out, limit)
    while out.sum() < total:
        room = np.flatnonzero(out < limit)
        out[rng.choice(room, size=min(len(room), total - out.sum()), replace=False)] += 1
    return out


def _inject_bad_rows(truth: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows as written: truth plus the deliberate rule breaks of BAD_SPECS."""
    written = truth.copy()
    written["part"] = "main"
    written["avg_score"] = written["avg_score"].astype("Float64")
    bad: list[dict[str, object]] = []
    for p, county, column, rule in BAD_SPECS:
        period = PERIODS[p]
        here = written.index[(written["period"] == period) & (written["county"] == county)]
        if rule == "duplicate_branch":
            # The county sent a 续报 (late) file: its last township plus one row it had already sent.
            last_town = written.loc[here, "township"].iloc[-1]
            late = here[written.loc[here, "township"].to_numpy() == last_town]
            written.loc[late, "part"] = "late"
            main_rows = here.difference(late)
            i = int(main_rows[int(rng.integers(len(main_rows)))])
            dup = written.loc[[i]].copy()
            dup["part"] = "late"
            written = pd.concat([written, dup], ignore_index=True)
            raw: object = written.at[i, "branch"]
            intended: object = raw
        else:
            pool = here
            if rule == "score_out_of_range":
                pool = here[written.loc[here, "test_takers"].fillna(0).to_numpy() > 0]
            if rule == "studied_gt_members":
                pool = here[written.loc[here, "members"].to_numpy() >= 10]
            i = int(pool[int(rng.integers(len(pool)))])
            intended = written.at[i, column]
            raw = {"negative_count": -1, "studied_gt_members": int(written.at[i, "members"]) + 3,
                   "score_out_of_range": 105.0}[rule]
            written.at[i, column] = raw
        bad.append({"period": period, "county": county, "township": written.at[i, "township"],
                    "branch": written.at[i, "branch"], "column": column, "rule": rule,
                    "raw_value": str(raw), "intended": str(intended)})
    frame = pd.DataFrame(bad, columns=list(BAD_COLUMNS))
    frame["period"] = frame["period"].astype("datetime64[ns]")
    for col in BAD_COLUMNS[1:]:
        frame[col] = frame[col].astype("str")
    return written.reset_index(drop=True), frame
