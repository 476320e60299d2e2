"""The cleaning stage's one API function: ``clean(raw, out) -> CleanResult``.

RAW/<YYYY-MM-DD>/* (the folder names the period) and RAW/registry/* are read into grids,
headers are mapped through the alias table, every sheet's rows are stacked into one frame
and then parsed, filled down, checked and split into returns and rejects with whole-column
operations. Every file gets a manifest row; a file that cannot be read is reported while the
rest are cleaned. The four outputs are validated against pipelines.schema first and only then
written, each atomically, so a failure leaves the previous outputs in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import config, schema
from pipelines.domain import load
from pipelines.ingest import values as V
from pipelines.ingest.counties import CountyTable
from pipelines.ingest.errors import IngestError, MissingRequiredColumnError, UnreadableFileError
from pipelines.ingest.headers import AliasTable, alias_table, find_header
from pipelines.ingest.manifest import FileReport, manifest_frame, sha256_of
from pipelines.ingest.readers import read_file
from pipelines.ingest.rules import Rule, broken_rows, row_rules
from pipelines.ingest.tables import SheetCells, sheet_cells, stack_sheets, title_period, title_text
from pipelines.ingest.totals import check_totals
from pipelines.io import write_parquet
from pipelines.schema import BOOL_COLUMNS, COUNT_COLUMNS, SCORE_COLUMNS, VALUE_COLUMNS

PERIOD_DIR_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REGISTRY_DIR = "registry"
_DEFAULT_SHEET_RE = re.compile(r"^(sheet|工作表)\s*\d*$", re.IGNORECASE)
REQUIRED = {"returns": ("branch", "members"), "registry": ("branch",)}
TEXT_COLUMNS = ("county", "township", "branch")
MAX_NAMES_IN_WARNING = 5
KEPT_COLUMNS = ("county", "county_code", "township", "branch", *VALUE_COLUMNS, "_file", "_sheet", "_row")


@dataclass
class CleanResult:
    """The four tables (as written), unmatched branches, the errors per file, and where they went."""

    returns: pd.DataFrame
    registry: pd.DataFrame
    rejects: pd.DataFrame
    manifest: pd.DataFrame
    unmatched: pd.DataFrame
    errors: list[IngestError] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        """0 when every file was read; 1 when any was unreadable or lacked a required column."""
        return 1 if self.errors else 0


# ----------------------------------------------------------------------------- discovery


def _skip(path: Path) -> bool:
    name = path.name
    return name.startswith((".", "~$")) or name.lower().startswith("readme")


def discover(raw: Path) -> list[FileReport]:
    """Every input file under RAW: the registry first, then the periods in date order.

    A file outside RAW/<YYYY-MM-DD>/ and RAW/registry/ gets a report with an error: its
    period is unknown, and silently skipping it would hide a misfiled return.
    """
    if not raw.is_dir():
        raise UnreadableFileError(
            f"raw folder {raw} does not exist", message_zh=f"原始数据目录 {raw} 不存在", file=str(raw)
        )
    registry, returns, stray = [], [], []
    for path in sorted(p for p in raw.rglob("*") if p.is_file() and not _skip(p)):
        rel = path.relative_to(raw).as_posix()
        top = rel.split("/", 1)[0]
        if "/" in rel and top == REGISTRY_DIR:
            registry.append(FileReport(path, rel, "registry", None))
            continue
        period = None
        if "/" in rel and PERIOD_DIR_RE.match(top):
            try:
                period = dt.date.fromisoformat(top)
            except ValueError:
                period = None
        if period is not None:
            returns.append(FileReport(path, rel, "returns", period))
        else:
            rep = FileReport(path, rel, "returns", None)
            rep.error = UnreadableFileError(
                "not inside RAW/<YYYY-MM-DD>/ or RAW/registry/: the period of the return is unknown",
                message_zh="文件不在 RAW/<YYYY-MM-DD>/ 或 RAW/registry/ 目录下,无法确定统计期",
                file=rel,
            )
            stray.append(rep)
    returns.sort(key=lambda r: (r.period, r.rel))
    return registry + returns + stray


# ----------------------------------------------------------------------------- reading


def _county_hint(title: str, sheet: str, file_stem: str, counties: CountyTable) -> str | None:
    return counties.find_in(title) or counties.find_in(sheet) or counties.find_in(file_stem)


def read_report(
    rep: FileReport, file_id: int, aliases: AliasTable, counties: CountyTable
) -> list[SheetBlock]:
    """Read one file into raw blocks (one per table sheet); fill ``rep``; raise on file errors."""
    rep.size = rep.path.stat().st_size
    rep.sha256 = sha256_of(rep.path)
    sheets = read_file(rep.path, rep.rel)
    required = REQUIRED[rep.kind]
    found = []
    missing_errors: list[MissingRequiredColumnError] = []
    for sh in sheets:
        header = find_header(sh.grid, aliases)
        if header is None:
            continue  # no table on this sheet (填表说明, a chart, an empty sheet)
        missing = header.missing(required)
        sheet_label = sh.name or None
        if missing:
            labels = {c: load.label(c, "zh") for c in missing}
            missing_errors.append(
                MissingRequiredColumnError(
                    f"no {', '.join(missing)} column in the header (row {sh.row_number(header.header_row)})",
                    message_zh=f"表头(第{sh.row_number(header.header_row)}行)缺少必填列:{'、'.join(labels.values())}",
                    file=rep.rel, sheet=sheet_label, row=sh.row_number(header.header_row), column=", ".join(missing),
                )
            )
            continue
        found.append((sh, header))
    multi = len(found) > 1
    frames = []
    for sheet_no, (sh, header) in enumerate(found):
        title = title_text(sh.grid, header.header_row)
        hint = _county_hint(title, sh.name, rep.path.stem, counties)
        where_en = f"sheet {sh.name}: " if sh.name else ""
        where_zh = f"工作表「{sh.name}」:" if sh.name else ""
        if "county" not in header.columns and hint is None:
            missing_errors.append(
                MissingRequiredColumnError(
                    "county not found in a column, the title, the sheet name or the file name",
                    message_zh="无法从列、标题、工作表名或文件名确定县(市、区)",
                    file=rep.rel, sheet=sh.name or None, column="county",
                )
            )
            continue
        cells = sheet_cells(sh.grid, header, sh.row_numbers)
        if "county" in header.columns and hint is not None and "township" not in header.columns:
            names = V.to_names(cells.column("county")).dropna().unique()  # still raw here
            known = sum(counties.resolve(c) is not None for c in names)
            if names.size and known < names.size / 2:  # a 单位 column listing units, not counties
                cells = cells.renamed("county", "township")
                rep.warnings.append(
                    f"{where_en}column '{header.labels['county']}' holds units, not counties: read as township"
                )
        period = title_period(title)
        if period and rep.period and period != rep.period:
            rep.warnings.append(
                f"{where_en}title says 统计截止 {period.isoformat()} but the folder is {rep.period.isoformat()}"
            )
        if header.unknown:
            rep.warnings.append(f"{where_en}unrecognised columns ignored: {', '.join(header.unknown)}")
        if header.duplicates:
            rep.warnings.append(f"{where_en}repeated columns ignored: {', '.join(header.duplicates)}")
        township_hint = None
        named_elsewhere = counties.find_in(title) or counties.find_in(rep.path.stem)
        if (multi and "township" not in cells.columns and not _DEFAULT_SHEET_RE.match(sh.name or "")
                and (counties.resolve(sh.name) is None or named_elsewhere)):
            township_hint = sh.name  # one sheet per working committee (the title names the county)
        rep.sheets.append(sh.name)
        frames.append(SheetBlock(cells, file_id, sheet_no, sh.name or None, hint, township_hint))
        del where_zh
    if missing_errors:
        first = missing_errors[0]
        if len(missing_errors) > 1:
            first.message_en += f" (and {len(missing_errors) - 1} more sheet(s))"
        rep.error = first
    if not found and not missing_errors:
        rep.error = MissingRequiredColumnError(
            "no table with a branch (党支部) and members (党员数) header in any sheet",
            message_zh="所有工作表中均未找到含“党支部”“党员数”表头的表格",
            file=rep.rel, column="branch, members",
        )
    return frames


# ----------------------------------------------------------------------------- processing


def _all_missing(n: int, dtype: str) -> pd.Series:
    """A column no file gives: all <NA> in its output dtype."""
    np_type = np.int64 if dtype == "Int64" else np.float64 if dtype == "Float64" else np.bool_
    array_type = {"Int64": pd.arrays.IntegerArray, "Float64": pd.arrays.FloatingArray, "boolean": pd.arrays.BooleanArray}[dtype]
    return pd.Series(array_type(np.zeros(n, dtype=np_type), np.ones(n, dtype=bool)))


def _typed_frame(raw: RawRows, aliases: AliasTable) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Parse every value column once per distinct value; normalise names; flag row kinds.

    Columns are collected first and the frame is built once (no insert per column)."""
    cols: dict[str, object] = {}
    bad: dict[str, np.ndarray] = {}
    n = len(raw)
    flags = {
        "total": ("contains", aliases.subtotal_markers),
        "ignore": ("startswith", aliases.ignore_markers),
    }
    marks = {k: np.zeros(n, dtype=bool) for k in flags}
    for c in ("_first", *TEXT_COLUMNS):  # markers tested once per distinct text, not per row
        if c not in raw.columns:
            cols[c] = pd.Series(np.full(n, None, dtype=object), dtype="str")
            continue
        cols[c], hit = V.to_names_flagged(raw[c], flags)
        for k in flags:
            marks[k] |= hit[k]
    no_bad = np.zeros(n, dtype=bool)
    for c in VALUE_COLUMNS:
        dtype = "Int64" if c in COUNT_COLUMNS else "Float64" if c in SCORE_COLUMNS else "boolean"
        if c not in raw.columns or raw[c].all_missing():  # a column no file gives: all <NA>, nothing to parse
            cols[c], bad[c] = _all_missing(n, dtype), no_bad
            continue
        parse = V.to_counts if c in COUNT_COLUMNS else V.to_scores if c in SCORE_COLUMNS else V.to_yes_no
        cols[c], unreadable = parse(raw[c])
        bad[c] = unreadable.to_numpy()
    if "county_code" in raw.columns:
        cols["county_code"] = V.to_codes(raw["county_code"])
    else:
        cols["county_code"] = pd.Series(np.full(n, None, dtype=object), dtype="str")
    total = marks["total"]
    small = np.zeros(n, dtype=bool)  # a 小计 among the (few) total rows
    for c in ("_first", *TEXT_COLUMNS):
        small[total] |= cols[c][total].str.contains("小计", regex=False).fillna(False).to_numpy(dtype=bool)
    ignore = marks["ignore"] & ~total
    has_values = np.logical_or.reduce([cols[c].notna().to_numpy() for c in VALUE_COLUMNS] + list(bad.values()))
    blank = cols["branch"].isna().to_numpy() & ~has_values
    cols["_total"] = np.where(total, np.where(small, 1, 2), 0).astype(np.int8)
    cols["_branch_row"] = ~blank & ~ignore & ~total
    cols["_label_row"] = blank & ~ignore & ~total
    for c in ("_file", "_sheet_no", "_sheet", "_row", "_county_hint", "_township_hint"):
        cols[c] = raw[c]
    cols = {c: v.array if isinstance(v, pd.Series) else v for c, v in cols.items()}
    return pd.DataFrame(cols, index=raw.index, copy=False), bad


def _fill_down(df: pd.DataFrame, col: str, keys: pd.Series) -> pd.Series:
    """Fill a column down within its sheet over branch and label rows (merged or blank cells)."""
    usable = df[col].where(df["_branch_row"] | df["_label_row"])
    return usable.groupby(keys, sort=False).ffill()


def _repeated(df: pd.DataFrame, key_cols: list[str], rows: np.ndarray) -> np.ndarray:
    """For the ``rows`` rows, in order: whether an earlier one had the same key (first kept).

    Each key column is factorized (Arrow for text) and the codes combined into one integer
    key, so only integers are hashed, and no sub-frame is copied."""
    key, size = np.zeros(len(df), dtype=np.int64), 1
    for c in key_cols:
        codes, uniques = pd.factorize(df[c], use_na_sentinel=True)
        width = len(uniques) + 1  # code -1 (missing) is a value of its own
        if size * width >= 2**62:  # renumber the combinations seen so far: the key stays an int64
            key, seen = pd.factorize(key)
            size = max(len(seen), 1)
        key, size = key * width + (codes + 1), size * width
    return pd.Series(key[rows]).duplicated(keep="first").to_numpy()


def _messages(rej: pd.DataFrame, files: list[str]) -> tuple[list[str], list[str]]:
    """Each reject's message names the file, sheet, row and column, in Chinese and English."""
    zh, en = [], []
    for fid, sheet, row, col, d_zh, d_en in zip(
        rej["_file"], rej["source_sheet"], rej["source_row"], rej["column"], rej["detail_zh"], rej["detail_en"]
    ):
        label_zh = load.label(col, "zh") if col else ""
        label_en = load.label(col, "en") if col else ""
        sheet = sheet if isinstance(sheet, str) and sheet else None
        zh.append(f"{files[fid]}" + (f" 工作表「{sheet}」" if sheet else "") + f" 第{row}行「{label_zh}」列:{d_zh}")
        en.append(f"{files[fid]}" + (f", sheet {sheet}" if sheet else "") + f", row {row}, column {col} ({label_en}): {d_en}")
    return zh, en


def process(
    raw: RawRows,
    reports: list[FileReport],
    kind: str,
    counties: CountyTable,
    aliases: AliasTable,
    registry_keys: pa.Array | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Raw stacked rows of ``kind`` files → (kept rows, rejects, unmatched rows); fills the reports."""
    df, bad = _typed_frame(raw, aliases)
    keys = pd.Series(raw["_file"] * 10_000 + raw["_sheet_no"], index=df.index)
    df["_sheet_key"] = keys
    # township / county: fill down (merged or blank cells), then the sheet/title/file hints
    township_cell = df["township"]
    df["township"] = _fill_down(df, "township", keys).fillna(df["_township_hint"])
    county_cell = _fill_down(df, "county", keys)
    resolved = _by_code(county_cell, counties.resolve)
    unknown_county = county_cell.notna().to_numpy() & resolved.isna().to_numpy()
    df["_county_raw"] = county_cell
    df["county"] = resolved.fillna(df["_county_hint"])
    branch_rows = df["_branch_row"].to_numpy()
    present = set(raw.columns)

    # totals: checked on every sheet, as warnings on the file
    for file_id, w_zh, w_en in check_totals(df, [c for c in COUNT_COLUMNS if c in present], township_cell):
        reports[file_id].warnings.append(w_en)

    # row rules on branch rows
    records = []
    for c, mask in bad.items():
        m = mask & branch_rows
        if m.any():
            label = load.label(c, "zh")
            for idx in df.index[m]:
                records.append((idx, "unparseable_value", c, f"无法识别的值(应为{'是/否' if c in BOOL_COLUMNS else '数字'})",
                                f"value cannot be read as {'yes/no' if c in BOOL_COLUMNS else 'a number'}"))
            del label
    m = unknown_county & branch_rows
    for idx in df.index[m]:
        records.append((idx, "unknown_county", "county", f"县(市、区)“{df.at[idx, '_county_raw']}”不在县区表中",
                        f"county '{df.at[idx, '_county_raw']}' is not in the county table (counties.yaml or the registry)"))
    rules: list[Rule] = row_rules()
    if kind == "registry":
        rules = [r for r in rules if (r.rule, r.column) in {("missing_value", "branch"), ("negative_count", "members")}]
    df["_bad_members"] = bad["members"]
    broken = broken_rows(df, rules, rows=branch_rows)
    rec = pd.DataFrame(records, columns=["_idx", "rule", "column", "detail_zh", "detail_en"])
    rec = pd.concat([rec, broken], ignore_index=True) if len(broken) else rec
    rejected = set(rec["_idx"].tolist())

    # the same branch twice: keep the first occurrence, reject the later one naming the first
    rejected_mask = np.zeros(len(df), dtype=bool)
    rejected_mask[list(rejected)] = True
    alive = branch_rows & ~rejected_mask
    key_cols = ["county", "branch"] if kind == "registry" else ["_period", "county", "branch"]
    if kind == "returns":  # the period is the file's: one ordinal per file, gathered by file id
        ordinals = np.array([r.period.toordinal() if r.period else -1 for r in reports] or [-1], dtype=np.int64)
        df["_period"] = ordinals[df["_file"].to_numpy(dtype=np.int64)]
    dup = _repeated(df, key_cols, alive)
    if dup.any():
        sub = df.loc[alive, key_cols + ["_file", "_sheet", "_row"]]
        first = sub.loc[~sub.duplicated(key_cols, keep="first")].set_index(key_cols)
        dup_records = []
        for idx, r in sub.loc[dup].iterrows():
            f = first.loc[tuple(r[k] for k in key_cols)]
            where = reports[int(f["_file"])].rel + (f" 工作表「{f['_sheet']}」" if isinstance(f["_sheet"], str) else "")
            where_en = reports[int(f["_file"])].rel + (f", sheet {f['_sheet']}" if isinstance(f["_sheet"], str) else "")
            dup_records.append((
                idx, "duplicate_branch", "branch",
                f"党支部“{r['branch']}”在本期已上报,首次出现在 {where} 第{int(f['_row'])}行;保留首次,剔除本行",
                f"branch '{r['branch']}' was already reported this period in {where_en}, row {int(f['_row'])}; "
                "the first is kept, this row rejected",
            ))
        rec = pd.concat([rec, pd.DataFrame(dup_records, columns=rec.columns)], ignore_index=True)
        rejected |= set(sub.index[dup])
        rejected_mask[sub.index[dup]] = True

    kept_mask = branch_rows & ~rejected_mask
    kept = df.loc[kept_mask, [c for c in KEPT_COLUMNS if c in df.columns]]  # only what the tables use

    # counts per file: kept + rejected = read
    read_n = pd.Series(branch_rows, index=df.index).groupby(df["_file"]).sum()
    rej_n = pd.Series(rejected_mask, index=df.index).groupby(df["_file"]).sum()
    for file_id, n in read_n.items():
        rep = reports[int(file_id)]
        rep.rows_read = int(n)
        rep.rows_rejected = int(rej_n.get(file_id, 0))
        rep.rows_kept = rep.rows_read - rep.rows_rejected
    for file_id, c in kept.groupby("_file")["county"].unique().items():
        reports[int(file_id)].counties = sorted({x for x in c if isinstance(x, str)}, key=_county_sort(counties))

    # unmatched branches: a warning per file (and the count in the manifest), never a reject
    unmatched = pd.DataFrame()
    if kind == "returns" and registry_keys is not None:
        miss = ~pc.is_in(_join_keys(kept), value_set=registry_keys).to_numpy(zero_copy_only=False)
        unmatched = kept.loc[miss]
        for file_id in np.unique(kept["_file"].to_numpy()).tolist():
            reports[file_id].unmatched = 0
        for file_id, grp in unmatched.groupby("_file"):
            names = grp["branch"].tolist()
            more = f" … (+{len(names) - MAX_NAMES_IN_WARNING})" if len(names) > MAX_NAMES_IN_WARNING else ""
            reports[int(file_id)].unmatched = len(names)
            reports[int(file_id)].warnings.append(
                f"{len(names)} branch(es) not in the registry: {', '.join(names[:MAX_NAMES_IN_WARNING])}{more}"
            )

    # rejects with their raw values and messages
    if len(rec):
        rec = rec.sort_values("_idx", kind="stable")
        at = df.loc[rec["_idx"].to_numpy()]
        raw_values = []
        for idx, col in zip(rec["_idx"], rec["column"]):
            src = "county" if col == "county" else col
            value = raw[src].value(idx) if src in raw.columns else None
            if col == "county":
                value = df.at[idx, "_county_raw"]
            raw_values.append(V.raw_text(value) or None)
        rej = pd.DataFrame({
            "_file": at["_file"].to_numpy(dtype=np.int64),
            "source_sheet": at["_sheet"].to_numpy(dtype=object),
            "source_row": at["_row"].to_numpy(dtype=np.int64),
            "column": rec["column"].to_numpy(dtype=object),
            "raw_value": raw_values,
            "rule": rec["rule"].to_numpy(dtype=object),
            "detail_zh": rec["detail_zh"].to_numpy(dtype=object),
            "detail_en": rec["detail_en"].to_numpy(dtype=object),
            "county": at["county"].to_numpy(dtype=object),
            "branch": at["branch"].to_numpy(dtype=object),
        })
        rej["message_zh"], rej["message_en"] = _messages(rej, [r.rel for r in reports])
    else:
        rej = pd.DataFrame(columns=["_file", "source_sheet", "source_row", "column", "raw_value", "rule",
                                    "detail_zh", "detail_en", "county", "branch", "message_zh", "message_en"])
    return kept, rej, unmatched


def _county_sort(counties: CountyTable):
    order = {n: i for i, n in enumerate(counties.names)}
    return lambda name: (order.get(name, len(order)), name)


# ----------------------------------------------------------------------------- assembly


@dataclass(frozen=True)
class SheetBlock:
    """One table sheet's cells and what every one of its rows shares (file, sheet, hints)."""

    cells: SheetCells
    file_id: int
    sheet_no: int
    sheet: str | None
    county_hint: str | None
    township_hint: str | None


class RawRows:
    """Every sheet's rows stacked: meta columns as arrays, raw cells as Encoded columns."""

    def __init__(self, blocks: list[SheetBlock]) -> None:
        lengths = [b.cells.n for b in blocks]
        self.n = sum(lengths)
        self.index = pd.RangeIndex(self.n)

        block_of_row = np.repeat(np.arange(len(blocks)), lengths)

        def per_block(values: list, dtype: type | str) -> np.ndarray | pd.api.extensions.ExtensionArray:
            """One value per sheet → one per row (text gathered in Arrow, no string per row)."""
            return pd.array(values, dtype=dtype).take(block_of_row) if dtype == "str" else np.array(values, dtype=dtype)[block_of_row]

        self.data: dict[str, object] = {
            "_row": np.concatenate([b.cells.rows for b in blocks]) if blocks else np.empty(0, dtype=np.int64),
            "_file": per_block([b.file_id for b in blocks], np.int64),
            "_sheet_no": per_block([b.sheet_no for b in blocks], np.int64),
            "_sheet": per_block([b.sheet for b in blocks], "str"),
            "_county_hint": per_block([b.county_hint for b in blocks], "str"),
            "_township_hint": per_block([b.township_hint for b in blocks], "str"),
            **stack_sheets([b.cells for b in blocks]),
        }
        self.columns = frozenset(self.data)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str):  # noqa: ANN204
        return self.data[name]


def _read_all(reports: list[FileReport], aliases: AliasTable, counties: CountyTable) -> RawRows:
    frames = []
    for i, rep in enumerate(reports):
        if rep.error is not None:
            continue
        try:
            frames.extend(read_report(rep, i, aliases, counties))
        except IngestError as exc:
            rep.error = exc
    return RawRows(frames)


def _period_series(reports: list[FileReport], file_ids: pd.Series) -> pd.Series:
    periods = np.array([np.datetime64(r.period, "ns") if r.period else np.datetime64("NaT", "ns") for r in reports])
    return pd.Series(periods[file_ids.to_numpy(dtype=np.int64)] if len(file_ids) else [], dtype=schema.PERIOD_DTYPE)


def _by_code(values: pd.Series, mapping: Callable[[str], str | None]) -> pd.Series:
    """Map a low-cardinality str column through ``mapping`` once per distinct value.

    Factorized and gathered in Arrow: no Python string per row."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = pd.array([mapping(u) for u in uniques] + [None], dtype="str")
    return pd.Series(mapped.take(np.where(codes < 0, len(uniques), codes)), index=values.index)


def _file_names(reports: list[FileReport], file_ids: pd.Series) -> pd.Series:
    names = pd.array([r.rel for r in reports] or [""], dtype="str")
    return pd.Series(names.take(file_ids.to_numpy(dtype=np.int64)), index=file_ids.index)


def _returns_table(kept: pd.DataFrame, reports: list[FileReport], counties: CountyTable) -> pd.DataFrame:
    kept = kept.reset_index(drop=True)
    cols: dict[str, pd.Series] = {
        "period": pd.Series(_period_series(reports, kept["_file"]).to_numpy(), index=kept.index),
        "county": kept["county"],
        "county_code": _by_code(kept["county"], counties.codes.get),
        "township": kept["township"],
        "branch": kept["branch"],
        **{c: kept[c] for c in VALUE_COLUMNS},
        "source_file": _file_names(reports, kept["_file"]),
        "source_sheet": kept["_sheet"],
        "source_row": kept["_row"],
    }
    return _as_schema(pd.DataFrame(cols, copy=False), "returns")


def _registry_table(kept: pd.DataFrame, counties: CountyTable) -> pd.DataFrame:
    kept = kept.reset_index(drop=True)
    code = _by_code(kept["county"], counties.codes.get)
    if "county_code" in kept.columns:
        code = kept["county_code"].fillna(code)
    cols = {"county": kept["county"], "county_code": code, "township": kept["township"],
            "branch": kept["branch"], "members": kept["members"]}
    return _as_schema(pd.DataFrame(cols, copy=False), "registry")


def _as_schema(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast ``df`` to the dtypes of schema ``name`` (strings → str, empty → NA) in its column order."""
    target = schema.empty(name)
    out = {}
    for c in target.columns:
        dtype = target[c].dtype
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


def _rejects_table(parts: list[pd.DataFrame], reports: list[FileReport]) -> pd.DataFrame:
    rows = [p for p in parts if len(p)]
    file_level = []
    for i, rep in enumerate(reports):
        if rep.error is None:
            continue
        e = rep.error
        file_level.append({
            "_file": i, "source_sheet": e.sheet, "source_row": e.row, "column": e.column, "raw_value": None,
            "rule": "missing_required_column" if e.rule == "missing_required_column" else "unreadable_file",
            "message_zh": f"{rep.rel}" + (f" 工作表「{e.sheet}」" if e.sheet else "") + (f" 第{e.row}行" if e.row else "") + f":{e.message_zh}",
            "message_en": str(e), "county": None, "branch": None,
        })
    if file_level:
        rows.append(pd.DataFrame(file_level))
    if not rows:
        return schema.empty("rejects")
    rej = pd.concat(rows, ignore_index=True)
    files = np.array([r.rel for r in reports], dtype=object)
    fid = rej["_file"].to_numpy(dtype=np.int64)
    rej["source_file"] = files[fid]
    rej["period"] = _period_series(reports, rej["_file"]).to_numpy()
    rej["source_row"] = pd.array(rej["source_row"].to_numpy(dtype=object), dtype="Int64")
    rej = rej.sort_values(["_file", "source_row"], kind="stable", na_position="first")
    return _as_schema(rej, "rejects")


def _registry_keys(registry: pd.DataFrame) -> pa.Array | None:
    """county + U+001F + branch of every registry row (None when there is no registry)."""
    if registry.empty:
        return None
    return _join_keys(registry)


def _join_keys(df: pd.DataFrame) -> pa.Array:
    """county U+001F branch, in Arrow (hashing 250k Python strings would cost more)."""
    county = pa.array(df["county"].fillna(""), type=pa.large_string())
    branch = pa.array(df["branch"].fillna(""), type=pa.large_string())
    return pc.binary_join_element_wise(county, branch, pa.scalar("\x1f", type=pa.large_string()))


@contextlib.contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector: reading makes millions of acyclic cell objects, and
    each automatic collection would walk all of them again (≈30 % of the run on a province)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def clean(
    raw: Path,
    out: Path | None = None,
    *,
    counties_file: Path = config.COUNTIES_FILE,
    headers_file: Path = config.HEADERS_FILE,
    write: bool = True,
) -> CleanResult:
    """Clean RAW into returns/registry/rejects/manifest; validate all four, then write each atomically.

    ``out`` defaults to pipelines.config.PROCESSED_DIR; ``write=False`` returns the tables only.
    Data problems never raise: they become rejects and manifest rows (see ``CleanResult.errors``);
    an :class:`OutputSchemaError` means a bug and nothing is written.
    """
    with _no_cyclic_gc():
        return _clean(Path(raw), Path(out) if out is not None else config.PROCESSED_DIR,
                      counties_file=counties_file, headers_file=headers_file, write=write)


def _clean(raw: Path, out: Path, *, counties_file: Path, headers_file: Path, write: bool) -> CleanResult:
    aliases = alias_table(Path(headers_file))
    counties = CountyTable.from_yaml(Path(counties_file))
    reports = discover(raw)

    # the registry first: it may name counties beyond counties.yaml
    reg_reports = [r for r in reports if r.kind == "registry"]
    ret_reports = [r for r in reports if r.kind == "returns"]
    reg_raw = _read_all(reg_reports, aliases, counties)
    if len(reg_raw) and "county" in reg_raw.columns:
        pairs = pd.DataFrame({
            "county": V.to_names(reg_raw["county"]),
            "code": V.to_text(reg_raw["county_code"]) if "county_code" in reg_raw.columns else None,
        }).drop_duplicates()  # a few distinct (county, code) pairs, not one per branch
        counties = counties.extended(pairs["county"].tolist(), pairs["code"].tolist())
    reg_kept, reg_rej, _ = process(reg_raw, reg_reports, "registry", counties, aliases)
    registry = _registry_table(reg_kept, counties)

    ret_raw = _read_all(ret_reports, aliases, counties)
    keys = _registry_keys(registry)
    ret_kept, ret_rej, unmatched = process(ret_raw, ret_reports, "returns", counties, aliases, keys)
    returns = _returns_table(ret_kept, ret_reports, counties)
    unmatched_table = (
        _returns_table(unmatched, ret_reports, counties)[["period", "county", "township", "branch", "source_file", "source_sheet", "source_row"]]
        if len(unmatched) else pd.DataFrame(columns=["period", "county", "township", "branch", "source_file", "source_sheet", "source_row"])
    )
    if keys is None and ret_reports:
        for rep in ret_reports:
            if rep.error is None:
                rep.unmatched = None

    all_reports = reg_reports + ret_reports
    rejects = _rejects_table(
        [reg_rej.assign(_file=reg_rej["_file"]) if len(reg_rej) else reg_rej,
         ret_rej.assign(_file=ret_rej["_file"] + len(reg_reports)) if len(ret_rej) else ret_rej],
        all_reports,
    )
    manifest = manifest_frame(all_reports)

    tables = {
        "returns": schema.enforce(returns, "returns"),
        "registry": schema.enforce(registry, "registry"),
        "rejects": schema.enforce(rejects, "rejects"),
        "manifest": schema.enforce(manifest, "manifest"),
    }
    outputs: dict[str, Path] = {}
    if write:
        names = {"returns": config.RETURNS_FILE, "registry": config.REGISTRY_FILE,
                 "rejects": config.REJECTS_FILE, "manifest": config.MANIFEST_FILE}
        for name, df in tables.items():  # all validated above: a failure here is I/O, per file atomic
            outputs[name] = write_parquet(df, out / names[name])
    errors = [r.error for r in all_reports if r.error is not None]
    return CleanResult(
        returns=tables["returns"], registry=tables["registry"], rejects=tables["rejects"],
        manifest=tables["manifest"], unmatched=unmatched_table, errors=errors, outputs=outputs,
    )
