"""Subtotal and total rows (小计, 合计, 总计): kept out of the branch rows, but checked.

A 小计 row is compared with the branch rows since the previous 小计 in its sheet (or, when it
names a township, with that township's rows); a 合计/总计 row with every branch row of the
sheet above it. A disagreement is a warning in the manifest, naming file, sheet, row, column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.schema import COUNT_COLUMNS

ADDITIVE = COUNT_COLUMNS  # every count adds up over branch rows (the score does not)


def _branch_cumsum(df: pd.DataFrame, cols: list[str], branch: np.ndarray) -> np.ndarray:
    """Running sums of the branch rows' values (row 0 is zero): a block's sum is one subtraction."""
    csum = np.zeros((len(df) + 1, len(cols)), dtype=np.int64, order="F")
    for j, c in enumerate(cols):
        np.cumsum(np.where(branch, df[c].to_numpy(dtype=np.int64, na_value=0), 0), out=csum[1:, j])
    return csum


def _block_starts(kind: np.ndarray, totals: np.ndarray, sheet_key: np.ndarray) -> np.ndarray:
    """Where each total row's block starts: the row after the sheet's previous 小计 (for a 小计),
    else the sheet's first row. Rows of a sheet are contiguous."""
    starts = np.r_[0, np.flatnonzero(sheet_key[1:] != sheet_key[:-1]) + 1]
    start = starts[np.searchsorted(starts, totals, side="right") - 1]
    small = kind[totals] == 1
    pos = totals[small]
    after_previous = np.r_[False, sheet_key[pos[1:]] == sheet_key[pos[:-1]]]
    start[small] = np.where(after_previous, np.r_[0, pos[:-1] + 1], start[small])
    return start


def check_totals(
    df: pd.DataFrame, columns: list[str], township: pd.Series | None = None
) -> list[tuple[int, str | None, int, dict]]:
    """[(file id, sheet, row, params)] for every total row that disagrees with its rows.

    params: ``{"label": "小计" | "合计", "diffs": [{"column", "stated", "sum"}, …]}``.

    ``df``: all data rows of all sheets in sheet order, with typed ``columns``, ``_total``
    (0 none, 1 小计, 2 合计/总计), ``_branch_row`` (a branch row), ``_sheet_key``, ``_file``,
    ``_sheet``, ``_row``; ``township`` the township cells as written (default
    ``df["township"]``). Sums come from one cumulative sum over all rows and every total row
    is compared at once; only the rows that disagree are looked at one by one.
    """
    kind = df["_total"].to_numpy()
    totals = np.flatnonzero(kind > 0)
    cols = [c for c in ADDITIVE if c in columns]
    if len(totals) == 0 or not cols:
        return []
    town_cells = df["township"] if township is None else township
    branch = df["_branch_row"].to_numpy(dtype=bool)
    csum = _branch_cumsum(df, cols, branch)
    sheet_key = df["_sheet_key"].to_numpy()
    start = _block_starts(kind, totals, sheet_key)
    stated_cells = [df[c].array[totals] for c in cols]  # the total rows' own values
    stated = np.column_stack([v.to_numpy(dtype=np.int64, na_value=0) for v in stated_cells])
    given = np.column_stack([~v.isna() for v in stated_cells])
    blocks = csum[totals] - csum[start]
    off = np.flatnonzero(((blocks != stated) & given).any(axis=1))
    if not len(off):
        return []
    # branch-row sums per (sheet, township), for a 小计 that names its township: computed only
    # when some 小计 disagrees with its block (rare), not on every run
    town_sums: dict[tuple[int, str], np.ndarray] | None = None

    def township_sums() -> dict[tuple[int, str], np.ndarray]:
        values = np.diff(csum, axis=0)  # each row's own branch values
        sub = pd.DataFrame(values[branch], columns=cols)
        sub["_k"], sub["_t"] = sheet_key[branch], town_cells.to_numpy(dtype=object, na_value=None)[branch]
        sums = sub.dropna(subset=["_t"]).groupby(["_k", "_t"], sort=False)[cols].sum()
        return {(int(k), t): v for (k, t), v in zip(sums.index, sums.to_numpy(dtype=np.int64), strict=True)}
    files, sheets, rows = df["_file"].to_numpy(), df["_sheet"].to_numpy(dtype=object), df["_row"].to_numpy()
    out = []
    for j in off.tolist():
        i = int(totals[j])
        key = int(sheet_key[i])
        small = kind[i] == 1
        block = blocks[j]
        town = town_cells.iloc[i] if small else None
        if small and isinstance(town, str):
            if town_sums is None:
                town_sums = township_sums()
            alt = town_sums.get((key, town))
            if alt is not None:
                if not ((alt != stated[j]) & given[j]).any():
                    continue
                block = alt  # it names its township: the township's rows are what it should add up to
        diffs = [{"column": c, "stated": int(stated[j, n]), "sum": int(block[n])}
                 for n, c in enumerate(cols) if given[j, n] and stated[j, n] != block[n]]
        sheet = sheets[i]
        out.append((int(files[i]), sheet if isinstance(sheet, str) and sheet else None, int(rows[i]),
                    {"label": "小计" if small else "合计", "diffs": diffs}))
    return out
