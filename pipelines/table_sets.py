"""A stage's tables written as one set: a new version folder, then one pointer switched.

**All or none.** A stage writes its tables into a new version folder, ``.versions/<stage>-<id>/``,
then switches one pointer, the symlink ``.<stage>`` (``.clean``, ``.metrics``), to it with
``os.replace``: an atomic rename. The names readers open are fixed symlinks through that pointer
(``returns -> .clean/returns``, ``registry.parquet -> .clean/registry.parquet``), so a reader sees
the whole previous set or the whole new one, never a mix; a failed or killed run leaves its version
folder behind (removed by the next write) and the pointer where it was. A partition the stage did
not change can be a hard link to the file it already has (a stage's cache), not a copy. The layout
the files follow (one folder per period for the partitioned tables) is pipelines/datasets.py's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.datasets import COLUMNS_KEY, PART, PARTITIONED, PERIOD, partition_dir, table_name
from pipelines.io import fsync_folder

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

VERSIONS = ".versions"

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
