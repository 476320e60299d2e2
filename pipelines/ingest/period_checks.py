"""The checks that span files, run over a whole period after every file has been judged alone.

- **Registry matching**: a branch is matched by its name, else by the declared equivalences
  (大丰村支部 = 大丰村党支部, pipelines/domain/matching.yaml) when they name exactly one registry
  branch of its county (the row then takes the registry's name, with a note); one still unmatched
  is kept and gets an ``unregistered_branch`` warning listing the close registry names.
- **Corrections**: a file whose name holds a correction word (补报, 更正, 修改, 修订) supersedes the
  rows of the same branches from the period's other files (rule ``superseded``, naming the file
  and row that replace them); between two corrections the later file (path order) wins.
- **Duplicates**: otherwise the same branch twice in a period keeps the first occurrence (path
  order, then row) and rejects the others (rule ``duplicate_branch``, naming the first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingest.identity import Matching, RegistryIndex
from pipelines.ingest.manifest import FileReport
from pipelines.ingest.rows import REJECT_COLUMNS, RowStage
from pipelines.ingest.safe import safe
from pipelines.ingest.warning_codes import Warn


@dataclass
class PeriodResult:
    kept: pd.DataFrame
    rejects: pd.DataFrame  # REJECT_COLUMNS, row rules plus duplicates and superseded rows
    unmatched: pd.DataFrame


def join_keys(county: pd.Series, branch: pd.Series) -> pa.Array:
    """county U+001F branch, in Arrow (hashing 250k Python strings would cost more)."""
    c = pa.array(county.fillna(""), type=pa.large_string())
    b = pa.array(branch.fillna(""), type=pa.large_string())
    return pc.binary_join_element_wise(c, b, pa.scalar("\x1f", type=pa.large_string()))


def _sheet(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def match_registry(df: pd.DataFrame, rows: np.ndarray, registry: pd.DataFrame, reports: list[FileReport],
                   rules: Matching) -> tuple[np.ndarray, RegistryIndex | None]:
    """Rename rows matched by an equivalence to the registry's name; the rows still unmatched.

    Returns the mask of unmatched rows and the registry index of their counties (for suggestions)."""
    keys = join_keys(registry["county"], registry["branch"])
    miss = rows.copy()
    idx = np.flatnonzero(rows)
    if not len(idx):
        return miss, None
    found = pc.is_in(join_keys(df["county"].iloc[idx], df["branch"].iloc[idx]), value_set=keys)
    miss[idx[found.to_numpy(zero_copy_only=False)]] = False
    todo = np.flatnonzero(miss)
    if not len(todo):
        return miss, None
    counties = set(df["county"].iloc[todo].dropna())
    reg = registry[registry["county"].isin(counties)]
    index = RegistryIndex(reg["county"].tolist(), reg["township"].tolist(), reg["branch"].tolist(), rules)
    branch_col = df.columns.get_loc("branch")
    for i in todo.tolist():
        county, branch = df["county"].iat[i], df["branch"].iat[i]
        if not isinstance(county, str) or not isinstance(branch, str):
            continue
        name = index.equivalent(county, branch)
        if name is None:
            continue
        df.iat[i, branch_col] = name
        miss[i] = False
        rep = reports[int(df["_file"].iat[i])]
        rep.warns.append(Warn("branch_matched_by_equivalence", rep.rel, {"branch": branch, "registry_branch": name},
                              sheet=_sheet(df["_sheet"].iat[i]), row=int(df["_row"].iat[i]), column="branch",
                              county=county, period=rep.period))
    return miss, index


def _int_key(df: pd.DataFrame, key_cols: list[str]) -> np.ndarray:
    """One int64 per row standing for its key columns: each column factorized (Arrow for text) and
    the codes combined, so only integers are hashed and no sub-frame is copied."""
    key, size = np.zeros(len(df), dtype=np.int64), 1
    for c in key_cols:
        codes, uniques = pd.factorize(df[c], use_na_sentinel=True)
        width = len(uniques) + 1  # code -1 (missing) is a value of its own
        if size * width >= 2**62:  # renumber the combinations seen so far: the key stays an int64
            key, seen = pd.factorize(key)
            size = max(len(seen), 1)
        key, size = key * width + (codes + 1), size * width
    return key


def resolve_repeats(df: pd.DataFrame, alive: np.ndarray, key_cols: list[str], reports: list[FileReport],
                    rules: Matching | None) -> list[tuple]:
    """Reject records for repeated branches: superseded by a correction, or a duplicate of the first."""
    rows = np.flatnonzero(alive)
    repeated = pd.Series(_int_key(df, key_cols)[rows]).duplicated(keep=False).to_numpy()
    if not repeated.any():
        return []
    sub = df.iloc[rows[repeated]][list(dict.fromkeys([*key_cols, "_file", "_sheet", "_row", "branch"]))]
    correction = {i: bool(rules and rep.kind == "returns" and rules.is_correction(rep.path.name))
                  for i, rep in enumerate(reports)}
    records: list[tuple] = []
    pairs: dict[tuple[int, int], int] = {}
    for _, grp in sub.groupby(key_cols, sort=False, dropna=False):
        files = grp["_file"].to_numpy()
        corr = np.array([correction[int(f)] for f in files])
        if corr.any():
            win_file = max(int(f) for f, c in zip(files, corr, strict=True) if c)
            winner = grp.index[files == win_file][0]
        else:
            winner = grp.index[0]
        w = grp.loc[winner]
        wrep = reports[int(w["_file"])]
        for idx, r in grp.iterrows():
            if idx == winner:
                continue
            if correction[int(w["_file"])] and int(r["_file"]) != int(w["_file"]):
                sheet_zh = f" 工作表「{safe(w['_sheet'])}」" if _sheet(w["_sheet"]) else ""
                sheet_en = f", sheet {safe(w['_sheet'])}" if _sheet(w["_sheet"]) else ""
                records.append((idx, "superseded", "branch",
                                f"党支部“{safe(r['branch'])}”的数据已由更正(补报)文件 {safe(wrep.rel, 200)}{sheet_zh} "
                                f"第{int(w['_row'])}行替换",
                                f"branch '{safe(r['branch'])}' is superseded by the correction file "
                                f"{safe(wrep.rel, 200)}{sheet_en}, row {int(w['_row'])}"))
                pairs[(int(w["_file"]), int(r["_file"]))] = pairs.get((int(w["_file"]), int(r["_file"])), 0) + 1
                continue
            first = w
            frep = reports[int(first["_file"])]
            where_zh = safe(frep.rel, 200) + (f" 工作表「{safe(first['_sheet'])}」" if _sheet(first["_sheet"]) else "")
            where_en = safe(frep.rel, 200) + (f", sheet {safe(first['_sheet'])}" if _sheet(first["_sheet"]) else "")
            records.append((idx, "duplicate_branch", "branch",
                            f"党支部“{safe(r['branch'])}”在本期已上报,首次出现在 {where_zh} 第{int(first['_row'])}行;"
                            "保留首次,剔除本行",
                            f"branch '{safe(r['branch'])}' was already reported this period in {where_en}, "
                            f"row {int(first['_row'])}; the first is kept, this row rejected"))
    for (win, lost), n in pairs.items():
        wrep, lrep = reports[win], reports[lost]
        wrep.warns.append(Warn("correction_supersedes", wrep.rel, {"rows": n, "other_file": lrep.rel}, period=wrep.period))
        lrep.warns.append(Warn("superseded_by_correction", lrep.rel, {"rows": n, "other_file": wrep.rel},
                               period=lrep.period))
    return records


def check_period(stage: RowStage, reports: list[FileReport], kind: str, registry: pd.DataFrame | None,
                 rules: Matching) -> PeriodResult:
    """Registry matching, corrections and duplicates over the judged rows; fills the reports' counts."""
    df, rec, branch_rows = stage.df, stage.rejects, stage.branch_rows
    rejected = np.zeros(len(df), dtype=bool)
    rejected[rec["_idx"].to_numpy(dtype=np.int64)] = True
    alive = branch_rows & ~rejected
    unmatched_mask, index = None, None
    if kind == "returns" and registry is not None and len(registry):
        unmatched_mask, index = match_registry(df, alive, registry, reports, rules)
    key_cols = ["county", "branch"] if kind == "registry" else ["_period", "county", "branch"]
    if kind == "returns":  # the period is the file's: one ordinal per file, gathered by file id
        ordinals = np.array([r.period.toordinal() if r.period else -1 for r in reports] or [-1], dtype=np.int64)
        df["_period"] = ordinals[df["_file"].to_numpy(dtype=np.int64)]
    records = resolve_repeats(df, alive, key_cols, reports, rules if kind == "returns" else None)
    if records:
        rec = pd.concat([rec, pd.DataFrame(records, columns=REJECT_COLUMNS)], ignore_index=True)
        rejected[[r[0] for r in records]] = True
    kept_mask = branch_rows & ~rejected

    # each count from its own mask, so the manifest schema's kept + rejected = read is a real check
    n = pd.DataFrame({"read": branch_rows, "rejected": rejected & branch_rows, "kept": kept_mask},
                     index=df.index).groupby(df["_file"]).sum()
    for file_id, read, rej, kept in n.itertuples():
        rep = reports[int(file_id)]
        rep.rows_read, rep.rows_rejected, rep.rows_kept = int(read), int(rej), int(kept)
    unmatched = df.iloc[:0]
    if unmatched_mask is not None:
        for rep in reports:
            if rep.error is None:
                rep.unmatched = 0
        miss = np.flatnonzero(unmatched_mask & kept_mask)
        unmatched = df.iloc[miss]
        for i in miss.tolist():
            rep = reports[int(df["_file"].iat[i])]
            rep.unmatched = (rep.unmatched or 0) + 1
            county, town, branch = df["county"].iat[i], df["township"].iat[i], df["branch"].iat[i]
            near = index.suggestions(county, town if isinstance(town, str) else None, branch) if index else []
            rep.warns.append(Warn("unregistered_branch", rep.rel, {"branch": branch, "county": county,
                                                                  "suggestions": near},
                                  sheet=_sheet(df["_sheet"].iat[i]), row=int(df["_row"].iat[i]), column="branch",
                                  county=county, period=rep.period))
    return PeriodResult(df.loc[kept_mask], rec, unmatched)
