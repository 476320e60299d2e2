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

**Written as sets** by pipelines/table_sets.py: the names readers open are links through a
stage's pointer (``returns -> .clean/returns``), switched in one rename.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines import config

if TYPE_CHECKING:  # pandas and pyarrow load where a table is read or written (the nightly's skip path stays light)
    import pandas as pd
    import pyarrow as pa
    import pyarrow.dataset as ds

#: The tables kept as one folder per period (docs/contracts.md).
PARTITIONED: frozenset[str] = frozenset(config.PARTITIONED_TABLES)
PERIOD = "period"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # hive's name for a null key; pyarrow, DuckDB and Spark read it as null
PART = "part-0.parquet"
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
