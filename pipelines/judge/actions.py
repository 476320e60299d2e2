"""actions.parquet: the few grouped actions (下一步工作) of each period, most urgent first.

Three kinds, in this order: ``weak`` — the weak links (findings with status watch or alert) of
the city and the counties, grouped by their indicators' ``action`` (activities, study, test,
special members, reporting, work plan); ``short`` — a group where the city is short of a target
although no place stands out (「全市尚有42名党员未参加学习」); ``scheduled`` — an activity not due
yet that the city has still to complete (「按计划于3月4日前召开学习心得交流会」). An action names only
the counties that fall behind: below the city average, or below the target where the city meets
it — never a county above the city average, and never a county for one branch when the whole
city's count is the story (branch findings never name a county here). Where the city itself is
short, the action speaks for the whole city and states its count. The townships named are the
contributors of the named counties' findings: the places that carry the gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.domain.indicators import Indicator
from pipelines.judge.status import WEAK
from pipelines.params.thresholds import Thresholds

COLUMNS = ("period", "rank", "kind", "action", "scope", "indicators", "counties", "townships", "outstanding",
           "count_unit", "members_affected", "findings", "due")
KINDS = ("weak", "short", "scheduled")
READ = ["indicator", "county", "value", "city_value", "rules", "status", "contributors", "outstanding"]  # of a finding
EPS = 1e-9


SETS_APART = {"below_city", "worst_county", "fell_back", "not_reported"}


def named(row: dict, ind: Indicator) -> bool:
    """A county the action may name: behind (below the city, or below the target where the city
    meets it), and set apart from the others — a rule that compares it with them fired, or it is
    past the warning level."""
    v, c = row["value"], row["city_value"]
    if pd.isna(v) or pd.isna(c):
        return False
    city_meets = ind.sign * (c - ind.target) >= -EPS  # then below the target is behind; else below the city
    behind = ind.sign * (v - ind.target) < -EPS if city_meets else ind.sign * (c - v) > EPS
    return bool(behind and (SETS_APART & set(row["rules"]) or row["status"] == "alert"))


def actions_table(findings: pd.DataFrame, status: pd.DataFrame, long: pd.DataFrame,
                  indicators: list[Indicator], thresholds: Thresholds) -> pd.DataFrame:
    """actions.parquet from the ranked findings, the status table and the long unit table."""
    by_id = {i.id: i for i in indicators}
    most = int(thresholds.findings["actions_max"])
    city_rows = long.loc[long["level"] == "city"].set_index(["period", "indicator"])["outstanding"]
    city_status = status.loc[status["level"] == "city"].set_index(["period", "indicator"])["status"]
    weak = findings.loc[findings["status"].isin(WEAK) & findings["level"].isin(["city", "county"])]
    rows = []
    for (period, action), group in weak.groupby(["period", "action"], sort=False):
        group = group.sort_values("rank")
        inds = list(dict.fromkeys(group["indicator"]))
        counties: list[str] = []
        townships: list[dict[str, str]] = []
        picked = []
        for f in group.loc[group["level"] == "county", READ].to_dict("records"):
            if not named(f, by_id[f["indicator"]]):
                continue
            picked.append(f)
            if f["county"] in counties:
                continue
            counties.append(f["county"])  # its best-ranked finding in the group names its townships
            for c in f["contributors"] if isinstance(f["contributors"], (list, np.ndarray)) else []:
                townships.append({"county": str(f["county"]), "township": str(c["name"])})
        city_short = any(city_status.get((period, i)) in WEAK for i in inds)
        scope = "city" if city_short or (group["level"] == "city").any() else "counties"
        if scope == "counties" and not counties:
            continue
        lead = by_id[inds[0]]
        if scope == "city":
            count = float(city_rows.get((period, lead.id), np.nan))
        else:
            count = float(np.nansum([f["outstanding"] for f in picked if f["indicator"] == lead.id]))
        rows.append({
            "period": period, "kind": "weak", "order": float(group["rank"].min()), "action": action, "scope": scope,
            "indicators": inds, "counties": counties, "townships": townships, "outstanding": count,
            "count_unit": lead.count_unit,
            "members_affected": float(np.nansum(group["members_affected"].to_numpy(dtype=float, na_value=np.nan))),
            "findings": len(group), "due": pd.NaT,
        })
    rows += _city_only(long, status, {(r["period"], r["action"]) for r in rows})
    if not rows:
        return empty()
    out = pd.DataFrame(rows)
    out["k"] = out["kind"].map({k: i for i, k in enumerate(KINDS)})
    out = out.sort_values(["period", "k", "order"], ascending=[False, True, True], kind="stable")
    out["rank"] = out.groupby("period", sort=False).cumcount() + 1
    out = out.loc[out["rank"] <= most]
    return typed(out)


def _city_only(long: pd.DataFrame, status: pd.DataFrame, done: set[tuple]) -> list[dict]:
    """Actions for the city's own shortfalls where no place stands out (``short``, the most members
    first) and for what is scheduled but not yet done (``scheduled``, the earliest due first)."""
    city = long.loc[long["level"] == "city"].copy()
    st = status.loc[status["level"] == "city"].set_index(["period", "indicator"])["status"]
    city["status"] = st.reindex(pd.MultiIndex.from_frame(city[["period", "indicator"]])).to_numpy()
    rows = []
    for kind, statuses in (("short", WEAK), ("scheduled", ("scheduled",))):
        part = city.loc[city["status"].isin(statuses)]
        for (period, action), g in part.groupby(["period", "action"], sort=False):
            if kind == "short" and (period, action) in done:  # its weak links' action speaks for it
                continue
            g = g.sort_values("members_affected", ascending=False, kind="stable")
            lead = g.iloc[0]
            rows.append({
                "period": period, "kind": kind, "action": action, "scope": "city",
                "order": float(-g["members_affected"].sum()) if kind == "short" else pd.Timestamp(g["due"].min()).value,
                "indicators": list(g["indicator"]), "counties": [], "townships": [],
                "outstanding": float(lead["outstanding"]), "count_unit": lead["count_unit"],
                "members_affected": float(g["members_affected"].sum()), "findings": 0,
                "due": g["due"].min() if kind == "scheduled" else pd.NaT,
            })
    return rows


def empty() -> pd.DataFrame:
    return typed(pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}))


def typed(f: pd.DataFrame) -> pd.DataFrame:
    out = f.copy()
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    for col in ("kind", "action", "scope", "count_unit"):
        out[col] = out[col].astype("str")
    out["due"] = pd.to_datetime(out["due"]).astype("datetime64[ns]")
    for col in ("rank", "outstanding", "members_affected", "findings"):
        out[col] = pd.to_numeric(out[col].astype(object), errors="coerce").astype("Float64").round().astype("Int64")
    return out[list(COLUMNS)].reset_index(drop=True)
