"""The branches behind a county's weak links: which of its reported branches still lack what.

The judge layer says which places fall short (findings.parquet). For each such finding of a
county, of one of its townships or of one branch, this module names the branches whose own
returns make up the shortfall: a branch flag that is not held (an activity, the work plan) or a
count still outstanding (members not studied, answer sheets not returned …). The branch values
and flags are the aggregate layer's (pipelines/aggregate/branches.py: one formula, run on the
engine), the count outstanding is the judge's (pipelines/judge/units.outstanding), and the due
dates are the ones the judge used (status.parquet). Reporting findings are answered by the
reporting record instead (the 未上报党支部 sheet), a score by no branch list.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines import config, datasets
from pipelines.domain import load
from pipelines.domain.indicators import Indicator, load_indicators

LONG_COLUMNS = ["finding", "branch_id", "county", "township", "branch", "members", "indicator", "n", "parts"]


def indicators_in_force(processed: Path, period: pd.Timestamp) -> list[Indicator]:
    """The indicators with the due dates the judge layer used at ``period`` (status.parquet), which
    an override may have moved; indicators.yaml's where status.parquet is absent."""
    inds = load_indicators()
    if not datasets.exists(processed, config.STATUS_TABLE):
        return inds
    status = datasets.read(processed, config.STATUS_TABLE, periods=[period], columns=["period", "indicator", "due"])
    status = status.loc[status["period"] == period]
    due = status.drop_duplicates("indicator").set_index("indicator")["due"]
    return [dataclasses.replace(i, due=None if pd.isna(due[i.id]) else pd.Timestamp(due[i.id]).date())
            if i.id in due.index else i for i in inds]


def chased(ind: Indicator) -> bool:
    """Whether a finding on ``ind`` has branches behind it to list here (not reporting, not a score)."""
    return ind.action != "reporting" and ind.count_unit != "points"


def branch_values(processed: Path, period: pd.Timestamp, registry: pd.DataFrame,
                  indicators: list[Indicator]) -> pd.DataFrame:
    """Every registry branch that reported at ``period``: its names, registry members, the returns
    columns and every branch flag and measure, as the aggregate layer makes them."""
    import ibis

    from pipelines.aggregate import branches
    from pipelines.aggregate.engine import engine

    processed = Path(processed)
    path = datasets.table_path(processed, config.RETURNS_TABLE)
    if not path.exists():
        from pipelines.documents.feedback_tables import FeedbackError

        raise FeedbackError(f"{path} is missing: run `python -m pipelines clean` first",
                            f"缺少 {path}:请先运行 python -m pipelines clean")
    with tempfile.TemporaryDirectory(prefix="rwb-feedback-") as tmp, \
            engine("duckdb", processed, temp_dir=Path(tmp)) as eng:
        returns = eng.read_parquet(path, periods=[period])  # that period's partition only
        returns = returns.filter(returns.period == ibis.timestamp(period.to_pydatetime()))
        if not len(registry):  # without a registry the branches that reported are the units
            registry = eng.frame(returns.select("county", "township", "branch").distinct())
            registry["members"] = pd.array([pd.NA] * len(registry), dtype="Int64")
        reg = branches.registry_frame(registry)
        values = eng.frame(branches.measures(branches.branch_values(returns, eng.table(reg)), indicators))
    names = reg[["branch_id", "county", "township", "branch", "members_expected"]]
    out = values.drop(columns=["county_idx", "township_id", "members_expected"]).merge(names, on="branch_id")
    out["members"] = out["members_expected"].astype("Float64").fillna(out["members"].astype("Float64"))
    return out.sort_values("branch_id", kind="stable").reset_index(drop=True)


def _lacking(values: pd.DataFrame, ind: Indicator, by_id: dict[str, Indicator],
             period: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """(lacks, n, parts) per branch row: whether it lacks ``ind``, how much (1 branch, or the count
    outstanding) and, for a branch flag, which activities (a composite's parts due and not held;
    filled for the rows that lack it)."""
    from pipelines.judge.units import outstanding

    rows = len(values)
    if ind.counts_branches:
        lacks = ~values[ind.numerator].astype("boolean").fillna(False).to_numpy(dtype=bool)
        missing: list[tuple[str, ...]] = [()] * rows
        if ind.composite:
            parts = [by_id[p] for p in ind.parts if ind.composite == "all" or by_id[p].is_due(period)]
            held = np.column_stack([values[p.numerator].astype("boolean").fillna(False).to_numpy(dtype=bool)
                                    for p in parts]) if parts else np.ones((rows, 0), bool)
            for i in np.flatnonzero(lacks):
                missing[i] = tuple(p.id for p, h in zip(parts, held[i], strict=True) if not h)
        else:
            missing = [(ind.id,)] * rows
        return lacks, np.ones(rows), missing
    num = pd.to_numeric(values[ind.numerator]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    den = pd.to_numeric(values[ind.denominator]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    n = np.nan_to_num(outstanding(num, den, ind))
    return n > 0, n, [()] * rows


def behind(findings: pd.DataFrame, values: pd.DataFrame, indicators: list[Indicator],
           period: pd.Timestamp) -> pd.DataFrame:
    """One row per (finding, branch behind it): ``finding`` is the finding's ``finding`` key.

    What each branch lacks is worked out once per indicator over every branch; a finding then
    takes the branches of its place (its county, township, or the branch itself)."""
    by_id = {i.id: i for i in indicators}
    if not len(values) or not len(findings):
        return pd.DataFrame(columns=LONG_COLUMNS)
    town = values["township"].fillna("").astype(str)
    places = {
        "county": values.groupby("county", sort=False).indices,
        "township": pd.Series(np.arange(len(values))).groupby([values["county"], town], sort=False).indices,
        "branch": pd.Series(np.arange(len(values))).groupby([values["county"], town, values["branch"]],
                                                            sort=False).indices,
    }
    cache: dict[str, tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]] = {}
    taken: list[tuple[int, str, np.ndarray]] = []
    for f in findings.to_dict("records"):
        ind = by_id.get(str(f["indicator"]))
        if ind is None or not chased(ind) or f["level"] not in places:
            continue
        township = "" if pd.isna(f.get("township")) else str(f["township"])
        key = {"county": f["county"], "township": (f["county"], township),
               "branch": (f["county"], township, f.get("branch"))}[f["level"]]
        at = places[f["level"]].get(key)
        if at is None:
            continue
        if ind.id not in cache:
            cache[ind.id] = _lacking(values, ind, by_id, period)
        lacks = cache[ind.id][0]
        at = at[lacks[at]]
        if len(at):
            taken.append((int(f["finding"]), ind.id, at))
    if not taken:
        return pd.DataFrame(columns=LONG_COLUMNS)
    rows = np.concatenate([at for _, _, at in taken])
    out = values.iloc[rows][["branch_id", "county", "township", "branch", "members"]].reset_index(drop=True)
    out.insert(0, "finding", np.concatenate([np.full(len(at), k) for k, _, at in taken]))
    out["indicator"] = np.concatenate([np.full(len(at), i, dtype=object) for _, i, at in taken])
    out["n"] = np.concatenate([cache[i][1][at] for _, i, at in taken]).astype(np.int64)
    out["parts"] = [cache[i][2][r] for _, i, at in taken for r in at]
    return out[LONG_COLUMNS]


class Lacking:
    """What one branch still lacks, in the words of terms.yaml (``feedback.lacking``):
    未开展形势报告会、党组织负责人上党课；3名党员未参加学习."""

    def __init__(self, indicators: list[Indicator]) -> None:
        self.words = load.terms()["feedback"]["lacking"]
        self.by_id = {i.id: i for i in indicators}
        self.order = {i.id: k for k, i in enumerate(indicators)}

    def text(self, rows: list[dict]) -> str:
        """``rows``: the branch's rows of ``behind`` (one per finding it is behind)."""
        activities: set[str] = set()
        texts: list[tuple[int, str]] = []
        for r in rows:
            ind = self.by_id[r["indicator"]]
            if ind.counts_branches and ind.action == "activities":
                activities.update(r["parts"])
            elif ind.counts_branches and ind.action in self.words:
                texts.append((self.order[ind.id], self.words[ind.action]))
            else:
                template = self.words.get(ind.id, self.words["other"])
                texts.append((self.order[ind.id], template.format(n=int(r["n"]), label=ind.label("zh"))))
        if activities:
            acts = sorted(activities, key=self.order.__getitem__)
            flags = [load.label(flag, "zh") for p in acts if (flag := self.by_id[p].flag)]
            texts.append((self.order[acts[0]], self.words["activities"].format(what="、".join(flags))))
        return "；".join(dict.fromkeys(t for _, t in sorted(texts)))
