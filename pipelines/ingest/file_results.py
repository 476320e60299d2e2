"""One input file's cleaned result on its own: cut from a judged stack of files, kept in the cache,
and stacked again with the other files of its period for the checks that span files.

Up to ``rows.judge_rows`` a file's rows, row-rule rejects and warnings do not depend on the other
files (pipelines/ingest/README.md), so they can be cut apart after judging many files at once and
put back together for any set of files: a period's checks then see exactly the frame a clean of
all its files would have made (the file's branch rows in order, the rejects pointing at them).
What later steps need from the raw cells is resolved here, while they are at hand: the value
shown in each reject, and each row's branch cell as typed (a duplicate's reject shows it).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.ingest import errors as E
from pipelines.ingest import values as V
from pipelines.ingest.cache import DONE, read_json, write_json
from pipelines.ingest.manifest import FileReport
from pipelines.ingest.rows import REJECT_COLUMNS, RowStage
from pipelines.ingest.tables import RawRows
from pipelines.ingest.warning_codes import Warn, _jsonable
from pipelines.schema import VALUE_COLUMNS

#: What the checks across files and the output tables read of a branch row.
ROW_COLUMNS = ["_sheet", "_row", "county", "township", "branch", *VALUE_COLUMNS, "_branch_raw"]
RECORD_COLUMNS = [*REJECT_COLUMNS, "raw_value"]
_ERRORS = {cls.__name__: cls for cls in (E.IngestError, E.UnreadableFileError, E.MissingRequiredColumnError,
                                         E.OutputSchemaError)}


@dataclass
class FileResult:
    """A file's state after reading and judging: manifest facts and warnings, branch rows, rejects."""

    facts: dict[str, Any]
    rows: pd.DataFrame  # ROW_COLUMNS, the file's branch rows in order
    rejects: pd.DataFrame  # RECORD_COLUMNS; ``_idx`` is the position in ``rows``


# --- raw values, while the raw cells are at hand ----------------------------------------------------

def record_raw_values(rec: pd.DataFrame, df: pd.DataFrame, raw: RawRows) -> list[str | None]:
    """The value each reject shows: the cell as typed (the county cell before resolving; the branch
    name when its cell is blank)."""
    out = []
    for idx, col in zip(rec["_idx"], rec["column"], strict=True):
        value = df.at[idx, "_county_raw"] if col == "county" else (raw[col].value(idx) if col in raw.columns else None)
        if col == "branch" and value is None:
            value = df.at[idx, "branch"]
        out.append(V.raw_text(value) or None)
    return out


def _branch_cells(raw: RawRows) -> pd.Series:
    """Each row's branch cell as typed (null where blank), shown when the row turns out a duplicate."""
    if "branch" not in raw.columns:
        return pd.Series(pd.array([None] * len(raw), dtype="str"))
    enc = raw["branch"].compact()
    texts = pd.array([V.raw_text(u) for u in enc.uniques] + [None], dtype="str")
    return pd.Series(texts.take(np.where(enc.codes < 0, len(enc.uniques), enc.codes)))


def period_raw_values(rec: pd.DataFrame, df: pd.DataFrame, start: int) -> list[str | None]:
    """Raw values of the rejects: those of the row rules were resolved when the file was read; the
    checks across files (records from ``start`` on: duplicate_branch, superseded, on the branch
    column) show the branch cell as typed, else the name the row ended with."""
    out = rec["raw_value"].tolist()
    for i in range(start, len(rec)):
        idx, col = rec["_idx"].iat[i], rec["column"].iat[i]
        value = df.at[idx, "_branch_raw"] if col == "branch" else None
        if not isinstance(value, str):
            value = df.at[idx, col] if col in df.columns else None
        out[i] = V.raw_text(value) or None
    return [v if isinstance(v, str) else None for v in out]


# --- cut apart, put together ----------------------------------------------------------------------

def split(stage: RowStage, raw: RawRows, reports: list[FileReport]) -> list[FileResult]:
    """One result per report of a judged stack (``_file`` = position in ``reports``)."""
    df = stage.df
    rec = stage.rejects.copy()
    rec["raw_value"] = pd.array(record_raw_values(rec, df, raw), dtype="str")
    rows = df.assign(_branch_raw=_branch_cells(raw).to_numpy())[ROW_COLUMNS]
    files = df["_file"].to_numpy(dtype=np.int64)
    branch = np.flatnonzero(stage.branch_rows)
    position = np.full(len(df), -1, dtype=np.int64)
    rec_file = files[rec["_idx"].to_numpy(dtype=np.int64)] if len(rec) else np.empty(0, dtype=np.int64)
    out = []
    for i, rep in enumerate(reports):
        mine = branch[files[branch] == i]
        position[mine] = np.arange(len(mine))
        r = rec.loc[rec_file == i].reset_index(drop=True)
        r["_idx"] = position[r["_idx"].to_numpy(dtype=np.int64)]
        out.append(FileResult(snapshot(rep), rows.iloc[mine].reset_index(drop=True), r[RECORD_COLUMNS]))
    return out


def stack(results: list[FileResult]) -> RowStage:
    """The files' rows as one stage, ``_file`` their position in ``results``, rejects re-pointed."""
    frames, recs, offset = [], [], 0
    for i, res in enumerate(results):
        frames.append(res.rows.assign(_file=np.int64(i)))
        if len(res.rejects):
            recs.append(res.rejects.assign(_idx=res.rejects["_idx"].to_numpy(dtype=np.int64) + offset))
        offset += len(res.rows)
    usable = [f for f in frames if len(f)]
    df = pd.concat(usable, ignore_index=True) if usable else _empty_rows()
    df["_file"] = df["_file"].astype(np.int64)
    rec = pd.concat(recs, ignore_index=True) if recs else pd.DataFrame({c: pd.Series(dtype=object)
                                                                        for c in RECORD_COLUMNS})
    rec["_idx"] = rec["_idx"].astype(np.int64)
    return RowStage(df, rec, np.ones(len(df), dtype=bool))


def _empty_rows() -> pd.DataFrame:
    from pipelines.schema import BOOL_COLUMNS, COUNT_COLUMNS

    dtypes = {c: "Int64" if c in COUNT_COLUMNS else "boolean" if c in BOOL_COLUMNS else "Float64" for c in VALUE_COLUMNS}
    cols = {c: pd.Series(dtype=dtypes.get(c, "str")) for c in ROW_COLUMNS}
    cols["_row"] = pd.Series(dtype=np.int64)
    return pd.DataFrame({**cols, "_file": pd.Series(dtype=np.int64)})


# --- a report's state -------------------------------------------------------------------------------

def snapshot(rep: FileReport) -> dict[str, Any]:
    """What reading and judging put into a report, as plain JSON values (what the cache gives back,
    so a file read now and one taken from the cache go on alike)."""
    facts = {
        "sha256": rep.sha256, "size": rep.size, "format": rep.format, "sheets": list(rep.sheets),
        "hidden_rows": rep.hidden_rows, "warns": [_warn_record(w) for w in rep.warns],
        "error": None if rep.error is None else error_record(rep.error),
    }
    return json.loads(json.dumps(facts, ensure_ascii=False, default=_jsonable))


def restore(rep: FileReport, facts: dict[str, Any]) -> FileReport:
    """Put a snapshot back into a report made by ``discover`` (its discovery warnings are in the snapshot)."""
    rep.sha256, rep.size, rep.format = facts["sha256"], facts["size"], facts["format"]
    rep.sheets, rep.hidden_rows = list(facts["sheets"]), int(facts["hidden_rows"])
    rep.warns = [_warn_from(w) for w in facts["warns"]]
    rep.error = None if facts["error"] is None else error_from(facts["error"])
    return rep


def error_from(record: dict[str, Any]) -> E.IngestError:
    cls = _ERRORS.get(record["class"], E.IngestError)
    return cls(record["message_en"], message_zh=record["message_zh"], file=record["file"], sheet=record["sheet"],
               row=record["row"], column=record["column"])


def error_record(err: E.IngestError) -> dict[str, Any]:
    return {"class": type(err).__name__, "message_en": err.message_en, "message_zh": err.message_zh,
            "file": err.file, "sheet": err.sheet, "row": err.row, "column": err.column}


def _warn_record(w: Warn) -> list[Any]:
    return [w.code, w.file, w.params, w.sheet, w.row, w.column, w.county, w.period.isoformat() if w.period else None]


def _warn_from(record: list[Any]) -> Warn:
    code, file, params, sheet, row, column, county, period = record
    return Warn(code, file, params, sheet, row, column, county, dt.date.fromisoformat(period) if period else None)


# --- in the cache ----------------------------------------------------------------------------------

def save(result: FileResult, folder: Path) -> None:
    """Write a result into an entry folder (``entry.json`` last: it marks the entry complete)."""
    if len(result.rows):
        result.rows.to_parquet(folder / "rows.parquet", index=False)
    if len(result.rejects):
        result.rejects.to_parquet(folder / "rejects.parquet", index=False)
    write_json(folder / DONE, {"facts": result.facts, "rows": len(result.rows), "rejects": len(result.rejects)})


def load(folder: Path) -> FileResult:
    """Read an entry written by :func:`save` (raises when it is damaged: the caller reads the file again)."""
    entry = read_json(folder / DONE)
    rows = pd.read_parquet(folder / "rows.parquet") if entry["rows"] else pd.DataFrame(columns=ROW_COLUMNS)
    rec = pd.read_parquet(folder / "rejects.parquet") if entry["rejects"] else pd.DataFrame(columns=RECORD_COLUMNS)
    if len(rows) != entry["rows"] or len(rec) != entry["rejects"] or list(rows.columns) != ROW_COLUMNS:
        raise ValueError(f"cache entry {folder} is incomplete")
    return FileResult(entry["facts"], rows, rec)
