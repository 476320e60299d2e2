"""Judge the rows of each file: parse values, fill names down, resolve counties, apply the row rules.

Every step here stays within one file's rows (fill-down within a sheet, totals within a sheet),
so a file's rows, rejects and warnings do not depend on the other files of the run; the checks
that span files (duplicates, corrections, the registry) come after, in ``period_checks``.
Stacked rows of many files are processed at once with whole-column operations for speed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingest import values as V
from pipelines.ingest.counties import CountyTable
from pipelines.ingest.headers import AliasTable
from pipelines.ingest.identity import had_invisible
from pipelines.ingest.manifest import FileReport
from pipelines.ingest.rules import Rule, broken_rows, row_rules
from pipelines.ingest.tables import RawRows
from pipelines.ingest.totals import check_totals
from pipelines.ingest.warning_codes import Warn
from pipelines.schema import BOOL_COLUMNS, COUNT_COLUMNS, SCORE_COLUMNS, VALUE_COLUMNS

TEXT_COLUMNS = ("county", "township", "branch")
# control and format characters (a first pass in Arrow over the distinct names; Python confirms the hits)
_INVISIBLE_RE2 = (r"[\x00-\x1f\x7f-\x9f\x{ad}\x{61c}\x{180e}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2060}-\x{206f}"
                  r"\x{feff}\x{fff9}-\x{fffb}]")
REJECT_COLUMNS = ["_idx", "rule", "column", "detail_zh", "detail_en"]
_REASON_TEXT = {
    1: ("无法识别的值(应为{what_zh})", "value cannot be read as {what_en}"),
    2: ("人数或次数填成了百分数(单元格为百分比格式或带 %),无法作为数量读取",
        "a count given as a percentage cannot be read as a count"),
    3: ("单元格为 Excel 错误值 {raw}(公式出错)", "the cell holds the Excel error {raw} (its formula failed)"),
    4: ("单元格是公式 {raw},但文件未保存其计算结果", "the cell holds the formula {raw} with no saved result"),
}


@dataclass
class RowStage:
    """All rows typed, which are branch rows, and the row-rule rejects (one record per broken rule)."""

    df: pd.DataFrame
    rejects: pd.DataFrame  # REJECT_COLUMNS
    branch_rows: np.ndarray


def _all_missing(n: int, dtype: str) -> pd.Series:
    """A column no file gives: all <NA> in its output dtype."""
    np_type = np.int64 if dtype == "Int64" else np.float64 if dtype == "Float64" else np.bool_
    array_type = {"Int64": pd.arrays.IntegerArray, "Float64": pd.arrays.FloatingArray,
                  "boolean": pd.arrays.BooleanArray}[dtype]
    return pd.Series(array_type(np.zeros(n, dtype=np_type), np.ones(n, dtype=bool)))


def typed_frame(raw: RawRows, aliases: AliasTable) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Parse every value column once per distinct value; normalise names; flag row kinds.

    Returns the frame and, per value column, why each cell could not be read (0: it could)."""
    cols: dict[str, Any] = {}
    bad: dict[str, np.ndarray] = {}
    n = len(raw)
    flags = {"total": ("endswith", aliases.subtotal_markers), "ignore": ("startswith", aliases.ignore_markers)}
    marks = {k: np.zeros(n, dtype=bool) for k in flags}
    for c in ("_first", *TEXT_COLUMNS):  # markers tested once per distinct text, not per row
        if c not in raw.columns:
            cols[c] = pd.Series(np.full(n, None, dtype=object), dtype="str")
            continue
        cols[c], hit = V.to_names_flagged(raw[c], flags)
        for k in flags:
            marks[k] |= hit[k]
    no_bad = np.zeros(n, dtype=np.int8)
    for c in VALUE_COLUMNS:
        dtype = "Int64" if c in COUNT_COLUMNS else "Float64" if c in SCORE_COLUMNS else "boolean"
        if c not in raw.columns or raw[c].all_missing():
            cols[c], bad[c] = _all_missing(n, dtype), no_bad
            continue
        parse = V.to_counts if c in COUNT_COLUMNS else V.to_scores if c in SCORE_COLUMNS else V.to_yes_no
        cols[c], reason = parse(raw[c])
        bad[c] = reason.to_numpy()
    cols["county_code"] = V.to_codes(raw["county_code"]) if "county_code" in raw.columns else pd.Series(
        np.full(n, None, dtype=object), dtype="str")
    total = marks["total"]
    small = np.zeros(n, dtype=bool)  # a 小计 among the (few) total rows
    for c in ("_first", *TEXT_COLUMNS):
        small[total] |= cols[c][total].str.contains("小计", regex=False).fillna(False).to_numpy(dtype=bool)
    ignore = marks["ignore"] & ~total
    has_values = np.logical_or.reduce([cols[c].notna().to_numpy() for c in VALUE_COLUMNS]
                                      + [b != 0 for b in bad.values()])
    blank = cols["branch"].isna().to_numpy() & ~has_values
    cols["_total"] = np.where(total, np.where(small, 1, 2), 0).astype(np.int8)
    cols["_branch_row"] = ~blank & ~ignore & ~total
    cols["_label_row"] = blank & ~ignore & ~total
    for c in ("_file", "_sheet_no", "_sheet", "_row", "_county_hint", "_township_hint", "_hidden"):
        cols[c] = raw[c]
    cols = {c: v.array if isinstance(v, pd.Series) else v for c, v in cols.items()}
    return pd.DataFrame(cols, index=raw.index, copy=False), bad


def _fill_down(df: pd.DataFrame, col: str, keys: pd.Series) -> pd.Series:
    """Fill a column down within its sheet over branch and label rows (merged or blank cells)."""
    usable = df[col].where(df["_branch_row"] | df["_label_row"])
    return usable.groupby(keys, sort=False).ffill()


def by_value(values: pd.Series, mapping: Callable[[str], str | None]) -> pd.Series:
    """Map a low-cardinality str column through ``mapping`` once per distinct value (in Arrow)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = pd.array([mapping(u) for u in uniques] + [None], dtype="str")
    return pd.Series(mapped.take(np.where(codes < 0, len(uniques), codes)), index=values.index)


def _odd_values(uniques: np.ndarray) -> np.ndarray:
    """Which distinct cell values are text holding a control or format character (U+200B, U+202E …).

    One Arrow pass over the table of distinct values every stacked column shares; Python confirms
    the few hits."""
    if not len(uniques):
        return np.zeros(0, dtype=bool)
    is_text = np.fromiter((type(u) is str for u in uniques), dtype=bool, count=len(uniques))
    shown = uniques.copy()
    shown[~is_text] = None
    texts = pa.array(shown, type=pa.large_string())
    odd = pc.fill_null(pc.match_substring_regex(texts, pattern=_INVISIBLE_RE2), False).to_numpy(zero_copy_only=False)
    for j in np.flatnonzero(odd).tolist():
        odd[j] = had_invisible(uniques[j])
    return odd


def _invisible_warnings(raw: RawRows, df: pd.DataFrame, reports: list[FileReport]) -> None:
    """A name that held control or format characters: a warning on its row."""
    columns = [c for c in TEXT_COLUMNS if c in raw.columns]
    if not columns:
        return
    odd = _odd_values(raw[columns[0]].uniques)  # the stacked columns share one table of distinct values
    if not odd.any():
        return
    odd = np.append(odd, False)  # code -1: a missing cell
    for c in columns:
        enc = raw[c]
        rows = np.flatnonzero(odd[enc.codes] & df["_branch_row"].to_numpy())
        for i in rows.tolist():
            rep = reports[int(df["_file"].iat[i])]
            rep.warns.append(Warn("format_characters_removed", rep.rel, {"value": enc.value(i), "name": df[c].iat[i]},
                                  sheet=df["_sheet"].iat[i] if isinstance(df["_sheet"].iat[i], str) else None,
                                  row=int(df["_row"].iat[i]), column=c, period=rep.period))


def judge_rows(raw: RawRows, reports: list[FileReport], kind: str, counties: CountyTable,
               aliases: AliasTable) -> RowStage:
    """Stacked raw rows of ``kind`` files → typed rows, branch-row mask and row-rule rejects."""
    df, bad = typed_frame(raw, aliases)
    keys = pd.Series(raw["_file"] * 10_000 + raw["_sheet_no"], index=df.index)
    df["_sheet_key"] = keys
    township_cell = df["township"]
    df["township"] = _fill_down(df, "township", keys).fillna(df["_township_hint"])
    county_cell = _fill_down(df, "county", keys)
    resolved = by_value(county_cell, counties.resolve)
    if "county_code" in raw.columns:  # a 行政区划代码 column names the county where no name does
        gap = resolved.isna().to_numpy() & df["county_code"].notna().to_numpy()
        if gap.any():
            resolved = resolved.where(~gap, by_value(df["county_code"].where(gap), counties.resolve))
    unknown_county = county_cell.notna().to_numpy() & resolved.isna().to_numpy()
    df["_county_raw"] = county_cell
    df["county"] = resolved.fillna(df["_county_hint"])
    branch_rows = df["_branch_row"].to_numpy()
    present = set(raw.columns)

    for file_id, sheet, row, params in check_totals(df, [c for c in COUNT_COLUMNS if c in present], township_cell):
        rep = reports[file_id]
        rep.warns.append(Warn("total_mismatch", rep.rel, params, sheet=sheet, row=row,
                              column=params["diffs"][0]["column"], period=rep.period,
                              county=_total_county(df, file_id, sheet, row)))
    hidden = df["_hidden"].to_numpy() & (branch_rows | (df["_total"].to_numpy() > 0))
    for i in np.flatnonzero(hidden).tolist():
        rep = reports[int(df["_file"].iat[i])]
        rep.hidden_rows += 1
        rep.warns.append(Warn("hidden_row", rep.rel, {}, sheet=df["_sheet"].iat[i] if isinstance(df["_sheet"].iat[i], str)
                              else None, row=int(df["_row"].iat[i]), period=rep.period,
                              county=df["county"].iat[i] if isinstance(df["county"].iat[i], str) else None))
    _invisible_warnings(raw, df, reports)

    records = []
    for c, reason in bad.items():
        m = (reason != 0) & branch_rows
        if not m.any():
            continue
        what = ("是/否", "yes/no") if c in BOOL_COLUMNS else ("数字", "a number")
        for idx in df.index[m]:
            code = int(reason[idx])
            zh, en = _REASON_TEXT[code]
            shown = V.raw_text(raw[c].value(idx))
            records.append((idx, V.REASON_RULES[code], c, zh.format(what_zh=what[0], raw=shown),
                            en.format(what_en=what[1], raw=shown)))
    for idx in df.index[unknown_county & branch_rows]:
        records.append((idx, "unknown_county", "county", f"县(市、区)“{df.at[idx, '_county_raw']}”不在县区表中",
                        f"county '{df.at[idx, '_county_raw']}' is not in the county table (counties.yaml or the registry)"))
    rules: list[Rule] = row_rules()
    if kind == "registry":
        rules = [r for r in rules if (r.rule, r.column) in {("missing_value", "branch"), ("negative_count", "members")}]
    df["_bad_members"] = bad["members"] != 0
    broken = broken_rows(df, rules, rows=branch_rows)
    rec = pd.DataFrame(records, columns=REJECT_COLUMNS)
    rec = pd.concat([rec, broken], ignore_index=True) if len(broken) else rec
    return RowStage(df, rec, branch_rows)


def _total_county(df: pd.DataFrame, file_id: int, sheet: str | None, row: int) -> str | None:
    """The county a total row counts: its own, else that of the branch rows above it in its sheet."""
    same = (df["_file"].to_numpy() == file_id) & (df["_row"].to_numpy() <= row)
    if sheet is not None:
        same &= (df["_sheet"] == sheet).fillna(False).to_numpy(dtype=bool)
    counties = df.loc[same & (df["_branch_row"].to_numpy() | (df["_row"].to_numpy() == row)), "county"].dropna()
    return str(counties.iloc[-1]) if len(counties) else None
