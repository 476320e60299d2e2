"""Subtotal and total rows (小计, 合计, 总计): kept out of the branch rows, but checked.

A 小计 row is compared with the branch rows since the previous 小计 in its sheet (or, when it
names a township, with that township's rows); a 合计/总计 row with every branch row of the
sheet above it. A disagreement is a warning in the manifest, naming file, sheet, row, column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ADDITIVE = (
    "members", "studied", "discussion_meetings", "deeds_reports", "situation_reports", "exchange_meetings",
    "party_lectures", "test_takers", "sheets_returned", "special_sick", "special_travel", "special_laid_off",
    "special_retired_away", "special_floating", "delivered_study", "makeup_study",
)


def check_totals(df: pd.DataFrame, columns: list[str]) -> list[tuple[int, str, str]]:
    """[(file id, warning zh, warning en)] for every total row that disagrees with its rows.

    ``df``: all data rows of all sheets in sheet order, with typed ``columns``, ``_total``
    (0 none, 1 小计, 2 合计/总计), ``_branch_row`` (a branch row), ``_sheet_key``, ``_file``,
    ``_sheet``, ``_row``, ``township``.
    """
    totals = df.index[df["_total"].to_numpy() > 0]
    cols = [c for c in ADDITIVE if c in columns]
    if len(totals) == 0 or not cols:
        return []
    branch = df["_branch_row"].to_numpy()
    values = np.where(branch[:, None], df[cols].fillna(0).to_numpy(dtype=np.int64), 0)
    csum = np.vstack([np.zeros((1, len(cols)), dtype=np.int64), np.cumsum(values, axis=0)])
    pos = {idx: i for i, idx in enumerate(df.index)}
    sheet_key = df["_sheet_key"].to_numpy()
    kind = df["_total"].to_numpy()
    out = []
    last_sub: dict[int, int] = {}
    sheet_start: dict[int, int] = {}
    for i, key in enumerate(sheet_key):  # first position of each sheet
        sheet_start.setdefault(int(key), i)
    for idx in totals:
        i = pos[idx]
        key = int(sheet_key[i])
        start = last_sub.get(key, sheet_start[key]) if kind[i] == 1 else sheet_start[key]
        block = csum[i] - csum[start]
        stated = df.loc[idx, cols]
        candidates = [block]
        town = df.at[idx, "township"] if "township" in df.columns else None
        if kind[i] == 1 and isinstance(town, str) and town:
            in_town = branch & (sheet_key == key) & (df["township"].to_numpy(dtype=object, na_value=None) == town)
            candidates.append(values[in_town].sum(axis=0))
        if kind[i] == 1:
            last_sub[key] = i + 1
        diffs_by = []
        for cand in candidates:
            diffs = [(c, int(stated[c]), int(cand[j])) for j, c in enumerate(cols) if pd.notna(stated[c]) and int(stated[c]) != int(cand[j])]
            diffs_by.append(diffs)
            if not diffs:
                break
        else:
            diffs = diffs_by[0]
            label = "小计" if kind[i] == 1 else "合计"
            zh = "; ".join(f"{c} 填报 {s} 而各行合计 {t}" for c, s, t in diffs)
            en = "; ".join(f"{c} stated {s} but its rows sum to {t}" for c, s, t in diffs)
            sheet = df.at[idx, "_sheet"]
            where_zh = f"工作表「{sheet}」" if isinstance(sheet, str) and sheet else ""
            where_en = f"sheet {sheet}, " if isinstance(sheet, str) and sheet else ""
            out.append((
                int(df.at[idx, "_file"]),
                f"{where_zh}第{int(df.at[idx, '_row'])}行{label}与所列支部数据不符:{zh}",
                f"{where_en}row {int(df.at[idx, '_row'])}: {label} row disagrees with its branch rows: {en}",
            ))
    return out
