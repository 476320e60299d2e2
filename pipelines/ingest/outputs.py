"""The tables the stage writes, assembled from the judged rows and the file reports.

returns, registry, rejects (each reject's message names the file, sheet, row and column, in
Chinese and English), warnings and manifest, each cast to its schema in pipelines/schema.py.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from pipelines import schema
from pipelines.domain import load
from pipelines.ingest.counties import CountyTable
from pipelines.ingest.manifest import FileReport
from pipelines.ingest.rows import by_value
from pipelines.ingest.safe import safe
from pipelines.ingest.warning_codes import Warn, warnings_frame
from pipelines.schema import VALUE_COLUMNS

UNMATCHED_COLUMNS = ["period", "county", "township", "branch", "source_file", "source_sheet", "source_row"]


def period_series(reports: list[FileReport], file_ids: pd.Series) -> pd.Series:
    periods = np.array([np.datetime64(r.period, "ns") if r.period else np.datetime64("NaT", "ns") for r in reports])
    return pd.Series(periods[file_ids.to_numpy(dtype=np.int64)] if len(file_ids) else [], dtype=schema.PERIOD_DTYPE)


def _file_names(reports: list[FileReport], file_ids: pd.Series) -> pd.Series:
    names = pd.array([r.rel for r in reports] or [""], dtype="str")
    return pd.Series(names.take(file_ids.to_numpy(dtype=np.int64)), index=file_ids.index)


@lru_cache(maxsize=8)
def _dtypes(name: str) -> tuple[tuple[str, object], ...]:
    """Schema ``name``'s columns and dtypes (made once: a run cleans many periods)."""
    target = schema.empty(name)
    return tuple((c, target[c].dtype) for c in target.columns)


def as_schema(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast ``df`` to the dtypes of schema ``name`` (strings → str, empty → NA) in its column order."""
    out = {}
    for c, dtype in _dtypes(name):
        s = df[c] if c in df.columns else pd.Series(pd.NA, index=df.index, dtype=object)
        if str(dtype) == "str":
            if str(s.dtype) != "str":
                s = pd.Series(s.to_numpy(dtype=object), index=df.index).astype("str")
            empty = (s == "").fillna(False).to_numpy(dtype=bool)
            if empty.any():
                s = s.where(~empty)
        elif s.dtype != dtype:
            s = s.astype(dtype)
        out[c] = s
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def returns_table(kept: pd.DataFrame, reports: list[FileReport], counties: CountyTable) -> pd.DataFrame:
    kept = kept.reset_index(drop=True)
    cols: dict[str, pd.Series] = {
        "period": pd.Series(period_series(reports, kept["_file"]).to_numpy(), index=kept.index),
        "county": kept["county"],
        "county_code": by_value(kept["county"], counties.codes.get),
        "township": kept["township"],
        "branch": kept["branch"],
        **{c: kept[c] for c in VALUE_COLUMNS},
        "source_file": _file_names(reports, kept["_file"]),
        "source_sheet": kept["_sheet"],
        "source_row": kept["_row"],
    }
    return as_schema(pd.DataFrame(cols, copy=False), "returns")


def unmatched_table(unmatched: pd.DataFrame, reports: list[FileReport], counties: CountyTable) -> pd.DataFrame:
    if not len(unmatched):
        return pd.DataFrame(columns=UNMATCHED_COLUMNS)
    return returns_table(unmatched, reports, counties)[UNMATCHED_COLUMNS]


def registry_table(kept: pd.DataFrame, counties: CountyTable) -> pd.DataFrame:
    kept = kept.reset_index(drop=True)
    code = by_value(kept["county"], counties.codes.get)
    if "county_code" in kept.columns:
        code = kept["county_code"].fillna(code)
    cols = {"county": kept["county"], "county_code": code, "township": kept["township"],
            "branch": kept["branch"], "members": kept["members"]}
    return as_schema(pd.DataFrame(cols, copy=False), "registry")


def _messages(rej: pd.DataFrame, files: list[str]) -> tuple[list[str], list[str]]:
    """Each reject's message names the file, sheet, row and column, in Chinese and English."""
    zh, en = [], []
    for fid, sheet, row, col, d_zh, d_en in zip(
        rej["_file"], rej["source_sheet"], rej["source_row"], rej["column"], rej["detail_zh"], rej["detail_en"], strict=True
    ):
        label_zh = load.label(col, "zh") if col else ""
        label_en = load.label(col, "en") if col else ""
        sheet = safe(sheet) if isinstance(sheet, str) and sheet else None
        file = safe(files[fid], 200)
        zh.append(f"{file}" + (f" 工作表「{sheet}」" if sheet else "") + f" 第{row}行「{label_zh}」列:{d_zh}")
        en.append(f"{file}" + (f", sheet {sheet}" if sheet else "") + f", row {row}, column {col} ({label_en}): {d_en}")
    return zh, en


def row_rejects(rec: pd.DataFrame, df: pd.DataFrame, reports: list[FileReport]) -> pd.DataFrame:
    """Reject records (one per broken rule, with the value they show in ``raw_value``) → reject rows
    with the messages."""
    cols = ["_file", "source_sheet", "source_row", "column", "raw_value", "rule", "detail_zh", "detail_en",
            "county", "branch", "message_zh", "message_en"]
    if not len(rec):
        return pd.DataFrame(columns=cols)
    rec = rec.sort_values("_idx", kind="stable")
    at = df.loc[rec["_idx"].to_numpy()]
    rej = pd.DataFrame({
        "_file": at["_file"].to_numpy(dtype=np.int64),
        "source_sheet": at["_sheet"].to_numpy(dtype=object),
        "source_row": at["_row"].to_numpy(dtype=np.int64),
        "column": rec["column"].to_numpy(dtype=object),
        "raw_value": [v if isinstance(v, str) else None for v in rec["raw_value"]],
        "rule": rec["rule"].to_numpy(dtype=object),
        "detail_zh": rec["detail_zh"].to_numpy(dtype=object),
        "detail_en": rec["detail_en"].to_numpy(dtype=object),
        "county": at["county"].to_numpy(dtype=object),
        "branch": at["branch"].to_numpy(dtype=object),
    })
    rej["message_zh"], rej["message_en"] = _messages(rej, [r.rel for r in reports])
    return rej


def rejects_table(parts: list[pd.DataFrame], reports: list[FileReport]) -> pd.DataFrame:
    """Row rejects of every kind plus one row per file that could not be read."""
    rows = [p for p in parts if len(p)]
    file_level = []
    for i, rep in enumerate(reports):
        if rep.error is None:
            continue
        e = rep.error
        where_zh = safe(rep.rel, 200) + (f" 工作表「{safe(e.sheet)}」" if e.sheet else "") + (f" 第{e.row}行" if e.row else "")
        file_level.append({
            "_file": i, "source_sheet": e.sheet, "source_row": e.row, "column": e.column, "raw_value": None,
            "rule": "missing_required_column" if e.rule == "missing_required_column" else "unreadable_file",
            "message_zh": f"{where_zh}:{safe(e.message_zh, 300)}", "message_en": safe(str(e), 500),
            "county": None, "branch": None,
        })
    if file_level:
        rows.append(pd.DataFrame(file_level))
    if not rows:
        return schema.empty("rejects")
    rej = pd.concat(rows, ignore_index=True)
    files = np.array([r.rel for r in reports], dtype=object)
    fid = rej["_file"].to_numpy(dtype=np.int64)
    rej["source_file"] = files[fid]
    rej["period"] = period_series(reports, rej["_file"]).to_numpy()
    rej["source_row"] = pd.array(rej["source_row"].to_numpy(dtype=object), dtype="Int64")
    rej = rej.sort_values(["_file", "source_row"], kind="stable", na_position="first")
    return as_schema(rej, "rejects")


def warnings_table(reports: list[FileReport], run_level: list[Warn]) -> pd.DataFrame:
    """Every file's warnings (file order, then as found) and the run's own, as schema ``warnings``."""
    warns: list[Warn] = []
    for rep in reports:
        county = rep.counties[0] if len(rep.counties) == 1 else None
        for w in rep.warns:
            if w.county is None and county is not None:
                w = Warn(w.code, w.file, w.params, w.sheet, w.row, w.column, county, w.period)
            warns.append(w)
    warns += run_level
    return as_schema(warnings_frame(warns), "warnings") if warns else schema.empty("warnings")
