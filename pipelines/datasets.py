"""The tables of a processed folder on disk: which are partitioned by period, how every stage reads
them, and how a stage replaces its tables all or none.

**Partitioned by period.** ``returns``, ``rejects``, ``warnings``, ``findings``, ``status`` and
``reporting`` grow by a period every week; each is a folder, hive style
(``returns/period=2005-02-25/part-0.parquet``, the ``period`` column in the folder name, not in the
file), so that a reader of one week opens that week's file and a year of history costs nothing.
Rows whose period is unknown (the registry's rejects, a file outside a period folder, the run's
own warnings) are in ``period=__HIVE_DEFAULT_PARTITION__``, which is always there, empty or not, so
that the table's columns are known from it. Every other table is one Parquet file (``registry``,
``manifest``, the metrics' small tables).

**One reader.** :func:`read` (and :func:`dataset`, :func:`part_files` for the engines) is how every
stage, document and the analysts' loader read a table: the period filter picks partition folders
by name before any file is opened; column order and types are the contract's (each part file
carries the table's column list, ``period`` included, in its metadata). A run folder made before
the tables were partitioned (``returns.parquet``) is still read.

**All or none.** A stage writes its tables into a new version folder, ``.versions/<stage>-<id>/``,
then switches one pointer, the symlink ``.<stage>`` (``.clean``, ``.metrics``), to it with
``os.replace``: an atomic rename. The names readers open are fixed symlinks through that pointer
(``returns -> .clean/returns``, ``registry.parquet -> .clean/registry.parquet``), so a reader sees
the whole previous set or the whole new one, never a mix; a failed or killed run leaves its version
folder behind (removed by the next write) and the pointer where it was. A partition the stage did
not change can be a hard link to the file it already has (the clean stage's cache), not a copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines import config
from pipelines.io import fsync_folder

if TYPE_CHECKING:  # pandas and pyarrow load where a table is read or written (the nightly's skip path stays light)
    import pandas as pd
    import pyarrow as pa
    import pyarrow.dataset as ds

#: The tables kept as one folder per period (docs/contracts.md).
PARTITIONED: frozenset[str] = frozenset(config.PARTITIONED_TABLES)
PERIOD = "period"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # hive's name for a null key; pyarrow, DuckDB and Spark read it as null
PART = "part-0.parquet"
VERSIONS = ".versions"
COLUMNS_KEY = b"rwb.columns"  # the table's columns in contract order, period included (part files' metadata)


# --- where a table is ---------------------------------------------------------------------------

def table_name(name: str) -> str:
    """A table's name from its name or its file name (``registry.parquet`` → ``registry``)."""
    return name.removesuffix(".parquet")


def table_path(folder: str | os.PathLike[str], name: str) -> Path:
    """The path of table ``name`` in ``folder``: ``<name>/`` for a partitioned table (``<name>.parquet``
    where an older run folder has only that), else ``<name>.parquet``."""
    folder, name = Path(folder), table_name(name)
    if name in PARTITIONED:
        path = folder / name
        legacy = folder / f"{name}.parquet"
        return legacy if not path.exists() and legacy.is_file() else path
    return folder / f"{name}.parquet"


def exists(folder: str | os.PathLike[str], name: str) -> bool:
    return table_path(folder, name).exists()


def partition_dir(root: str | os.PathLike[str], period: Any) -> Path:
    """The folder of one period (``None``/NaT: the rows of unknown period) under a dataset root."""
    return Path(root) / f"{PERIOD}={period_key(period)}"


def period_key(period: Any) -> str:
    """A period as written in a partition folder's name: ``2005-02-25`` (null: hive's default)."""
    if period is None or (not isinstance(period, str) and period != period):  # None, NaT, NaN
        return NULL_PARTITION
    if isinstance(period, str):
        return dt.date.fromisoformat(period[:10]).isoformat()
    if hasattr(period, "date") and callable(period.date):
        period = period.date()
    return period.isoformat()[:10]


def partition_periods(root: str | os.PathLike[str]) -> dict[str, Path]:
    """Partition key (``2005-02-25``, or hive's null name) → its folder, read from the folder names only."""
    root = Path(root)
    out = {}
    for entry in sorted(os.scandir(root), key=lambda e: e.name) if root.is_dir() else ():
        key, sep, value = entry.name.partition("=")
        if sep and key == PERIOD and entry.is_dir():
            out[value] = Path(entry.path)
    return out


def part_files(folder: str | os.PathLike[str], name: str, periods: Iterable[Any] | None = None,
               undated: bool = True) -> list[Path]:
    """The Parquet files that hold table ``name`` (of ``periods`` only, when given; with the rows of
    unknown period unless ``undated`` is false): what an engine is pointed at. Nothing is opened."""
    path = table_path(folder, name)
    if path.is_file():
        return [path]
    parts = partition_periods(path)
    keys = list(parts) if periods is None else [period_key(p) for p in periods]
    if undated and NULL_PARTITION not in keys:
        keys.insert(0, NULL_PARTITION)
    elif not undated:
        keys = [k for k in keys if k != NULL_PARTITION]
    keys = sorted(dict.fromkeys(keys), key=lambda k: (k != NULL_PARTITION, k))  # the always-there one first
    return [f for k in keys if k in parts for f in sorted(parts[k].glob("*.parquet"))]


def periods_of(folder: str | os.PathLike[str], name: str) -> list[pd.Timestamp]:
    """The periods a partitioned table holds, from its folder names (nothing read)."""
    import pandas as pd

    path = table_path(folder, name)
    if path.is_file():
        return sorted(pd.Timestamp(p) for p in read(folder, name, columns=[PERIOD])[PERIOD].dropna().unique())
    return [pd.Timestamp(k) for k in partition_periods(path) if k != NULL_PARTITION]


# --- reading --------------------------------------------------------------------------------------

def _partitioning() -> ds.Partitioning:
    import pyarrow as pa
    import pyarrow.dataset as ds

    return ds.partitioning(pa.schema([(PERIOD, pa.timestamp("ns"))]), flavor="hive")


def dataset(folder: str | os.PathLike[str], name: str, periods: Iterable[Any] | None = None) -> ds.Dataset:
    """Table ``name`` as a pyarrow dataset (of ``periods`` only, with the undated rows, when given)."""
    import pyarrow.dataset as ds

    path = table_path(folder, name)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing")
    if path.is_file():
        return ds.dataset(path, format="parquet")
    files = part_files(folder, name, periods)
    if not files:
        raise FileNotFoundError(f"{path} holds no partition (period=…/{PART})")
    return ds.dataset([str(f) for f in files], format="parquet", partitioning=_partitioning(),
                      partition_base_dir=str(path))


def read(folder: str | os.PathLike[str], name: str, *, periods: Iterable[Any] | None = None,
         columns: list[str] | None = None, filters: Any = None) -> pd.DataFrame:
    """Table ``name`` of ``folder`` as pandas, in the contract's column order and types.

    ``periods``: only those periods' partitions are opened (rows of unknown period come too);
    ``filters``: a pyarrow expression or pandas-style ``[(column, op, value), …]``, pushed down
    (a condition on ``period`` skips partitions by their folder name).
    """
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    data = dataset(folder, name, periods)
    if periods is not None and PERIOD in data.schema.names and table_path(folder, name).is_file():
        wanted = _timestamps(periods, data.schema.field(PERIOD).type)
        keep = ds.field(PERIOD).isin(wanted) | ds.field(PERIOD).is_null()
        filters = keep if filters is None else keep & _expression(filters, pq)
    elif filters is not None:
        filters = _expression(filters, pq)
    names = _column_order(data.schema) if table_path(folder, name).is_dir() else list(data.schema.names)
    cols = [c for c in names if c in set(columns)] if columns is not None else names
    if columns is not None and len(cols) != len(columns):  # ask for an unknown column: Arrow's error names it
        cols = list(columns)
    table = data.to_table(columns=cols, filter=filters)
    if columns is not None:
        table = table.select(list(columns))
    frame = table.to_pandas()
    if PERIOD in frame.columns and not str(frame[PERIOD].dtype).startswith("datetime64[ns"):
        frame[PERIOD] = frame[PERIOD].astype("datetime64[ns]")
    return frame


def _expression(filters: Any, pq: Any) -> Any:
    return pq.filters_to_expression(filters) if isinstance(filters, list) else filters


def _timestamps(periods: Iterable[Any], kind: pa.DataType) -> pa.Array:
    import pandas as pd
    import pyarrow as pa

    return pa.array([pd.Timestamp(p).as_unit("ns") for p in periods], type=pa.timestamp("ns")).cast(kind)


def _column_order(schema: pa.Schema) -> list[str]:
    """The contract's order (written in each part file by this module), else the file's with
    ``period`` first (where every partitioned table but rejects has it; an engine's files)."""
    meta = schema.metadata or {}
    if COLUMNS_KEY in meta:
        order = [c for c in json.loads(meta[COLUMNS_KEY]) if c in schema.names]
        return order + [c for c in schema.names if c not in order]
    names = list(schema.names)
    return [PERIOD, *(n for n in names if n != PERIOD)] if PERIOD in names else names


def count_rows(folder: str | os.PathLike[str], name: str) -> int:
    """Rows of a table, from the Parquet footers (nothing read)."""
    return int(dataset(folder, name).count_rows())


# --- writing --------------------------------------------------------------------------------------

def arrow_table(frame: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """A frame as Arrow, with its column list in the metadata (so a partition's reader can put
    ``period`` back where the contract has it)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[COLUMNS_KEY] = json.dumps(list(map(str, frame.columns)), ensure_ascii=False).encode()
    return table.replace_schema_metadata(meta)


def write_partition(frame: pd.DataFrame, target: str | os.PathLike[str], schema: pa.Schema | None = None) -> Path:
    """One period's rows (``period`` column dropped: it is the folder's name) to ``target``, atomically."""
    import pyarrow.parquet as pq

    from pipelines.io import atomic_path

    table = arrow_table(frame, schema)
    if PERIOD in table.column_names:
        table = table.drop_columns([PERIOD])
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return Path(target)


def write_partitioned(frame: pd.DataFrame, root: str | os.PathLike[str]) -> list[Path]:
    """A whole table as one file per period under ``root`` (pyarrow's hive writer), plus the
    undated partition, empty when no row lacks a period."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    root = Path(root)
    table = arrow_table(frame)
    i = table.column_names.index(PERIOD)
    table = table.set_column(i, PERIOD, table.column(i).cast(pa.date32()))
    written: list[Path] = []
    ds.write_dataset(
        table, root, format="parquet", basename_template="part-{i}.parquet",
        partitioning=ds.partitioning(pa.schema([(PERIOD, pa.date32())]), flavor="hive"),
        existing_data_behavior="overwrite_or_ignore", preserve_order=True,
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        file_visitor=lambda f: written.append(Path(f.path)),
    )
    empty = partition_dir(root, None) / PART
    if not empty.exists():
        write_partition(frame.iloc[:0], empty, table.schema.remove(i).insert(i, pa.field(PERIOD, pa.timestamp("ns"))))
        written.append(empty)
    return written


def link_or_copy(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> bool:
    """Make ``target`` the same file as ``source`` (a hard link), else a copy; True when linked."""
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
        return True
    except OSError:
        shutil.copyfile(source, target)
        return False


class TableSet:
    """The tables one stage writes in one run, in a new version folder until :meth:`commit`."""

    def __init__(self, folder: str | os.PathLike[str], stage: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.folder = Path(folder)
        self.stage = stage
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        self.version = self.folder / VERSIONS / f"{stage}-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.version.mkdir(parents=True)
        self.names: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{stage}-tables")
        self._writes: list[Any] = []

    def path(self, name: str) -> Path:
        """Where table ``name`` goes in the version folder (a folder for a partitioned table)."""
        name = table_name(name)
        if name not in self.names:
            self.names.append(name)
        return self.version / (name if name in PARTITIONED else f"{name}.parquet")

    def public(self, name: str) -> Path:
        """The path readers open once the set is committed."""
        name = table_name(name)
        return self.folder / (name if name in PARTITIONED else f"{name}.parquet")

    def write(self, name: str, frame: pd.DataFrame) -> Path:
        """Write ``frame`` as table ``name`` in the background (Arrow encodes without the GIL, so the
        stage goes on); ``frame`` must not change afterwards. A partitioned table is split by period."""
        target = self.path(name)

        def write() -> None:
            if table_name(name) in PARTITIONED:
                write_partitioned(frame, target)
            else:
                frame.to_parquet(target, index=False, compression="zstd")

        self._writes.append(self._pool.submit(write))
        return self.public(name)

    def partition(self, name: str, period: Any) -> Path:
        """The part file of one period of partitioned table ``name``, for the caller to fill or link."""
        path = partition_dir(self.path(name), period) / PART
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def file(self, name: str) -> Path:
        """The file (or, for a partitioned table, the folder) of table ``name``, for the caller to fill
        before :meth:`commit` (an engine streaming Parquet)."""
        return self.path(name)

    def commit(self) -> dict[str, Path]:
        """Wait for every write, then switch the stage's pointer to this version in one rename; make
        the public names, drop the older versions and any older single-file layout of a table."""
        for done in self._writes:
            done.result()  # the first failed write raises here, before the pointer moves
        self._pool.shutdown()
        for name in self.names:
            if name in PARTITIONED and not (partition_dir(self.path(name), None) / PART).exists():
                raise RuntimeError(f"{self.path(name)}: no undated partition (the table's columns would be unknown)")
        _fsync_tree(self.version)
        pointer = self.folder / f".{self.stage}"
        _replace_with_link(pointer, os.path.relpath(self.version, self.folder))
        for name in self.names:
            public = self.public(name)
            _replace_with_link(public, f".{self.stage}/{public.name}")
            if name in PARTITIONED:  # the single file an older version of this folder had
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / f"{name}.parquet").unlink()
        self._unlink_dropped(pointer)
        fsync_folder(self.folder)
        remove_stale_versions(self.folder, self.stage)
        return {name: self.public(name) for name in self.names}

    def _unlink_dropped(self, pointer: Path) -> None:
        """Public names of this stage whose table the new version no longer has."""
        for entry in self.folder.iterdir():
            if entry.is_symlink() and os.readlink(entry).startswith(f"{pointer.name}/") and not entry.exists():
                entry.unlink()

    def abort(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.version, ignore_errors=True)


@contextlib.contextmanager
def table_set(folder: str | os.PathLike[str], stage: str) -> Iterator[TableSet]:
    """``with table_set(out, "clean") as tables: tables.write("returns", df) …``: committed when the
    block ends without an error; otherwise the version folder is removed and nothing changes."""
    tables = TableSet(folder, stage)
    try:
        yield tables
    except BaseException:
        tables.abort()
        raise
    try:
        tables.commit()
    except BaseException:
        current = (tables.folder / f".{stage}").resolve()
        if current != tables.version.resolve():
            tables.abort()
        raise


def remove_stale_versions(folder: str | os.PathLike[str], stage: str | None = None) -> list[Path]:
    """Version folders no pointer names (a run that failed or was killed, an older set)."""
    folder = Path(folder)
    root = folder / VERSIONS
    if not root.is_dir():
        return []
    live = {(folder / p.name).resolve() for p in folder.iterdir() if p.name.startswith(".") and p.is_symlink()}
    removed = []
    for version in root.iterdir():
        if stage is not None and not version.name.startswith(f"{stage}-"):
            continue
        if version.resolve() not in live:
            _writable(version)
            shutil.rmtree(version, ignore_errors=True)
            removed.append(version)
    return removed


def is_machinery(path: Path) -> bool:
    """The version folders and stage pointers of a table folder (not temporary files to sweep)."""
    return path.name == VERSIONS or VERSIONS in path.parts or (path.is_symlink() and path.name.startswith(".")
                                                               and os.readlink(path).startswith(VERSIONS))


def _replace_with_link(path: Path, target: str) -> None:
    """Point ``path`` at ``target`` in one rename; what was there (a copied folder, an old file) goes."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.link")
    os.symlink(target, tmp)
    if path.is_dir() and not path.is_symlink():  # e.g. a folder copied with its links followed
        aside = path.with_name(f".{path.name}.{os.getpid()}.old")
        os.replace(path, aside)
        os.replace(tmp, path)
        shutil.rmtree(aside, ignore_errors=True)
        return
    os.replace(tmp, path)


def _fsync_tree(root: Path) -> None:
    """Flush every file and folder of a new version before the pointer names it."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError), open(os.path.join(dirpath, name), "rb") as fh:
                os.fsync(fh.fileno())
        fsync_folder(Path(dirpath))


def _writable(root: Path) -> None:
    """Give a sealed folder tree its owner write bits back, so it can be removed."""
    for dirpath, dirs, _files in os.walk(root):
        for d in dirs:
            with contextlib.suppress(OSError):
                p = os.path.join(dirpath, d)
                os.chmod(p, os.stat(p).st_mode | 0o200)
    with contextlib.suppress(OSError):
        os.chmod(root, root.stat().st_mode | 0o200)
