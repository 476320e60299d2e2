"""Small hand-made frames that follow the returns/registry/rejects/manifest contract.

Four counties: 梅江区 (a1, a2 report, a3 does not), 梅县 (b1, b2; b2 leaves the special columns
blank, so its special-members denominator is 0), 兴宁市 (c1, perfect), 平远县 (d1, no return at
all). Expected values in the tests are worked out by hand from these rows.
"""

from __future__ import annotations

import shutil

import pandas as pd

from pipelines import datasets, table_sets

P1 = pd.Timestamp("2005-02-04")
P2 = pd.Timestamp("2005-02-11")
COUNTS = (
    "members", "studied", "discussion_meetings", "deeds_reports", "situation_reports", "exchange_meetings",
    "party_lectures", "test_takers", "sheets_returned", "special_sick", "special_travel", "special_laid_off",
    "special_retired_away", "special_floating", "delivered_study", "makeup_study",
)
CODES = {"梅江区": "441402", "梅县": "441421", "兴宁市": "441481", "平远县": "441426"}


def registry() -> pd.DataFrame:
    rows = [
        ("梅江区", "金山街道", "a1", 10), ("梅江区", "金山街道", "a2", 20), ("梅江区", "江南街道", "a3", 30),
        ("梅县", "程江镇", "b1", 10), ("梅县", "程江镇", "b2", 10),
        ("兴宁市", "宁中镇", "c1", 40),
        ("平远县", "大柘镇", "d1", 5),
    ]
    f = pd.DataFrame(rows, columns=["county", "township", "branch", "members"])
    f.insert(1, "county_code", f["county"].map(CODES))
    f["members"] = f["members"].astype("Int64")
    for c in ("county", "county_code", "township", "branch"):
        f[c] = f[c].astype("str")
    return f[["county", "county_code", "township", "branch", "members"]]


def _row(period, county, township, branch, members, studied, acts, takers, sheets, score, special, delivered,
         makeup, plan) -> dict:
    d = {"period": period, "county": county, "county_code": CODES[county], "township": township, "branch": branch,
         "members": members, "studied": studied}
    for k, a in zip(("discussion_meetings", "deeds_reports", "situation_reports", "exchange_meetings",
                     "party_lectures"), acts, strict=True):
        d[k] = a
    d.update({"test_takers": takers, "sheets_returned": sheets, "avg_score": score})
    for k, s in zip(("special_sick", "special_travel", "special_laid_off", "special_retired_away",
                     "special_floating"), special, strict=True):
        d[k] = s
    d.update({"delivered_study": delivered, "makeup_study": makeup, "has_work_plan": plan})
    return d


def returns_rows(period=P1) -> list[dict]:
    N = None
    return [
        _row(period, "梅江区", "金山街道", "a1", 10, 8, (1, 0, 2, 1, 1), 10, 9, 90.0, (1, 1, 0, 0, 0), 1, 0, True),
        _row(period, "梅江区", "金山街道", "a2", 20, 20, (1, 1, 1, 1, 1), 18, 18, 95.0, (0, 0, 0, 0, 3), 1, 1, False),
        _row(period, "梅县", "程江镇", "b1", 10, 5, (1, 0, 0, 0, 0), 0, 0, N, (0, 0, 0, 0, 0), 0, 0, True),
        _row(period, "梅县", "程江镇", "b2", 10, 10, (1, 1, 1, 1, 1), 10, 10, 80.0, (N, N, N, N, N), N, N, N),
        _row(period, "兴宁市", "宁中镇", "c1", 40, 40, (1, 1, 1, 1, 1), 40, 40, 100.0, (4, 0, 0, 0, 0), 4, 0, True),
    ]


def returns(rows: list[dict] | None = None) -> pd.DataFrame:
    f = pd.DataFrame(rows if rows is not None else returns_rows())
    f["period"] = pd.to_datetime(f["period"]).astype("datetime64[ns]")
    for c in COUNTS:
        f[c] = f[c].astype("Int64")
    f["avg_score"] = f["avg_score"].astype("Float64")
    f["has_work_plan"] = f["has_work_plan"].astype("boolean")
    for c in ("county", "county_code", "township", "branch"):
        f[c] = f[c].astype("str")
    f["source_file"] = "f.xlsx"
    f["source_sheet"] = "Sheet1"
    f["source_row"] = pd.array(range(2, len(f) + 2), dtype="Int64")
    f["source_file"] = f["source_file"].astype("str")
    f["source_sheet"] = f["source_sheet"].astype("str")
    return f


def rejects(rows: list[dict] | None = None) -> pd.DataFrame:
    cols = ["source_file", "source_sheet", "source_row", "column", "raw_value", "rule", "message_zh", "message_en",
            "period", "county", "branch"]
    f = pd.DataFrame(rows or [], columns=cols)
    for c in cols:
        if c == "period":
            f[c] = pd.to_datetime(f[c]).astype("datetime64[ns]")
        elif c == "source_row":
            f[c] = f[c].astype("Int64")
        else:
            f[c] = f[c].astype("str")
    return f


def manifest(rows: list[dict] | None = None) -> pd.DataFrame:
    cols = ["path", "sha256", "size", "county", "period", "sheets", "rows_read", "rows_kept", "rows_rejected",
            "status", "warnings"]
    f = pd.DataFrame(rows or [], columns=cols)
    f["period"] = pd.to_datetime(f["period"]).astype("datetime64[ns]")
    for c in ("path", "sha256", "county", "status", "warnings"):
        f[c] = f[c].astype("str")
    return f


def warnings(rows: list[dict] | None = None) -> pd.DataFrame:
    cols = ["period", "county", "source_file", "source_sheet", "source_row", "column", "code", "message_zh",
            "message_en"]
    f = pd.DataFrame(rows or [], columns=cols)
    f["period"] = pd.to_datetime(f["period"]).astype("datetime64[ns]")
    f["source_row"] = f["source_row"].astype("Int64")
    for c in ("county", "source_file", "source_sheet", "column", "code", "message_zh", "message_en"):
        f[c] = f[c].astype("str")
    return f


def write(folder, returns_frame=None, registry_frame=None, rejects_frame=None, manifest_frame=None,
          warnings_frame=None):
    """The processed folder the metrics stage reads, laid out as the clean stage writes it (returns,
    rejects and warnings partitioned by period; registry False: no registry file)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "returns": returns() if returns_frame is None else returns_frame,
        "registry": registry() if registry_frame is None else registry_frame,
        "rejects": rejects() if rejects_frame is None else rejects_frame,
        "manifest": manifest() if manifest_frame is None else manifest_frame,
        "warnings": warnings() if warnings_frame is None else warnings_frame,
    }
    for name, frame in frames.items():
        if frame is False:
            continue
        if name in datasets.PARTITIONED:
            shutil.rmtree(folder / name, ignore_errors=True)
            table_sets.write_partitioned(frame, folder / name)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def run(folder, rows=None, overrides=None, registry_frame=None, **frames):
    """compute_metrics on hand-made frames written to ``folder`` (nothing written back)."""
    from pipelines.metrics import compute_metrics

    frame = None if rows is None else returns(rows) if rows else returns().iloc[0:0]
    write(folder, frame, registry_frame, **frames)
    return compute_metrics(folder, overrides=overrides, write=False)
