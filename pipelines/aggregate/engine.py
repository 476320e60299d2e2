"""The engine the aggregate layer runs on: DuckDB embedded (default) or Spark, through Ibis.

Every relational step of the chain is an Ibis expression, written once; ``connect`` picks the
backend that executes it. DuckDB runs in-process with a memory limit and spills to a folder in
the processed area; Spark runs ``local[*]`` unless given a master URL or a Spark Connect address.
Both hand back pandas DataFrames for the small aggregated tables, and stream large ones to Parquet.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import config, datasets

ENGINES = ("duckdb", "spark")


class EngineError(RuntimeError):
    """The engine could not start (no Java for Spark, a bad master URL, …): the message says why."""


@dataclass
class Engine:
    """An Ibis connection and what the chain needs from it beyond plain expressions."""

    name: str
    con: Any  # ibis.BaseBackend
    _owned: list[Any] = field(default_factory=list)
    _cached: list[ibis.Table] = field(default_factory=list)
    _tables: int = 0

    def read_parquet(self, path: Path, periods: list[Any] | None = None) -> ibis.Table:
        """A Parquet file, or a table's folder partitioned by period (``returns/period=…/``: the period
        comes from the folder names, as a timestamp like a file's); ``periods`` opens those only."""
        path = Path(path)
        if self.name == "duckdb":
            if not path.is_dir():
                return self.con.read_parquet(str(path))
            files = [str(f) for f in datasets.part_files(path.parent, path.name, periods)]
            return _timestamp_periods(self.con.read_parquet(files, hive_partitioning=True))
        table = _timestamp_periods(_spark_periods(self.con.read_parquet(str(path))))
        if periods is not None:  # Spark prunes the partitions by the filter on their key
            wanted = [pd.Timestamp(p).to_pydatetime() for p in periods]
            table = table.filter(table.period.isin(wanted) | table.period.isnull())
        return table

    def cache(self, expr: ibis.Table) -> ibis.Table:
        """``expr`` computed once and kept in the engine (a temp table, or Spark's cache) until close."""
        cached = expr.cache()
        self._cached.append(cached)
        return cached

    def table(self, frame: pd.DataFrame) -> ibis.Table:
        """A small pandas frame (the registry, the periods) as a temporary table of this engine."""
        self._tables += 1
        name = f"rwb_frame_{id(self)}_{self._tables}"
        if self.name == "spark":  # a named view: expressions cached in Spark can refer to it
            return self.con.create_view(name, ibis.memtable(frame), overwrite=True)
        return self.con.create_table(name, obj=frame, temp=True)

    def frame(self, expr: ibis.Table) -> pd.DataFrame:
        """Execute ``expr`` and return it as pandas (timestamps as datetime64[ns])."""
        out = expr.to_pyarrow().to_pandas()
        for col in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[col]):
                out[col] = out[col].dt.tz_localize(None) if getattr(out[col].dt, "tz", None) else out[col]
                out[col] = out[col].astype("datetime64[ns]")
        return out

    def write_partitioned(self, expr: ibis.Table, root: Path) -> Path:
        """Stream ``expr`` into a folder partitioned by period (pipelines.datasets), never the whole
        table in memory; the undated partition is written empty (the table's columns)."""
        root = Path(root)
        undated = datasets.partition_dir(root, None) / datasets.PART
        if self.name == "duckdb":  # DuckDB's own COPY … TO … PARTITION_BY, streamed and multi-threaded
            dated = expr.mutate(period=expr.period.cast("date"))
            self.con.to_parquet(dated, str(root), partition_by="period", filename_pattern="part-{i}",
                                compression="zstd")
            undated.parent.mkdir(parents=True, exist_ok=True)
            self.con.to_parquet(expr.drop("period").limit(0), str(undated), compression="zstd")
            return root
        import pyarrow.dataset as ds

        batches = expr.to_pyarrow_batches(chunk_size=1_000_000)
        schema = _ns_schema(batches.schema)
        i = schema.names.index(datasets.PERIOD)
        dated_schema = schema.set(i, pa.field(datasets.PERIOD, pa.date32()))

        def cast() -> Iterator[pa.RecordBatch]:
            for batch in batches:
                yield from pa.Table.from_batches([batch]).cast(schema).cast(dated_schema).to_batches()

        ds.write_dataset(
            pa.RecordBatchReader.from_batches(dated_schema, cast()), root, format="parquet",
            basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore",
            partitioning=ds.partitioning(pa.schema([(datasets.PERIOD, pa.date32())]), flavor="hive"),
            file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        )
        undated.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist([], schema=schema.remove(i)), undated, compression="zstd")
        return root

    def close(self) -> None:
        for cached in self._cached:
            with contextlib.suppress(Exception):
                cached.release()
        self._cached.clear()
        for thing in self._owned:
            with contextlib.suppress(Exception):
                thing.stop()
        with contextlib.suppress(Exception):
            self.con.disconnect()


def _ns_schema(schema: pa.Schema) -> pa.Schema:
    """Timestamps as nanoseconds without a zone: the project's Parquet convention (datetime64[ns])."""
    return pa.schema([
        pa.field(f.name, pa.timestamp("ns")) if pa.types.is_timestamp(f.type) else f for f in schema
    ])


def _timestamp_periods(table: ibis.Table) -> ibis.Table:
    """A period read from a partition folder's name is a date (text when only the undated folder is
    there): made a nanosecond timestamp, as in a file."""
    if "period" in table.columns and (table.schema()["period"].is_date() or table.schema()["period"].is_string()):
        return table.mutate(period=table.period.cast(ibis.expr.datatypes.Timestamp(scale=9)))
    return table


def _spark_periods(table: ibis.Table) -> ibis.Table:
    """Spark reads a nanosecond timestamp as a long (see ``connect``): make it a timestamp again
    (periods are dates at midnight, so whole seconds lose nothing)."""
    fixes = {c: (table[c] // 1_000_000_000).as_timestamp("s") for c, t in table.schema().items()
             if c == "period" and t.is_integer()}
    return table.mutate(**fixes) if fixes else table


def connect(
    name: str = "duckdb",
    *,
    memory_limit: str | None = None,
    temp_dir: Path | None = None,
    threads: int | None = None,
    spark_master: str | None = None,
    spark_remote: str | None = None,
) -> Engine:
    """An engine to run the aggregate layer on.

    duckdb: in-process; ``memory_limit`` such as ``"2GB"`` (DuckDB spills to ``temp_dir`` beyond
    it, by default a folder in the processed area). spark: ``local[*]`` unless ``spark_master``
    (e.g. ``spark://host:7077``) or ``spark_remote`` (Spark Connect, ``sc://host:15002``) is given.
    """
    if name not in ENGINES:
        raise ValueError(f"engine {name!r} is not one of {', '.join(ENGINES)}")
    if name == "duckdb":
        # Row order is never relied on (every table is sorted where it is read): DuckDB may then insert
        # and write in parallel.
        settings: dict[str, Any] = {"preserve_insertion_order": False}
        if memory_limit:
            settings["memory_limit"] = memory_limit
        if threads:
            settings["threads"] = int(threads)
        if temp_dir is not None:
            Path(temp_dir).mkdir(parents=True, exist_ok=True)
            settings["temp_directory"] = str(temp_dir)
        return Engine("duckdb", ibis.duckdb.connect(**settings))
    return _spark(spark_master, spark_remote, memory_limit)


def _spark_size(memory: str) -> str:
    """``2GB``/``2 GiB`` (DuckDB's spelling, checked by params) → ``2g`` (the JVM's)."""
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT])i?B", memory.strip(), flags=re.IGNORECASE)
    if found is None:
        raise ValueError(f"memory_limit {memory!r}: expected a size such as 2GB or 512MiB")
    number, unit = found.groups()
    factor = {"K": 1, "M": 2**10, "G": 2**20, "T": 2**30}[unit.upper()]
    return f"{max(1, round(float(number) * factor))}k"


def _spark(master: str | None, remote: str | None, memory: str | None) -> Engine:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the optional extra is not installed
        raise EngineError("the spark engine needs the optional extra: pip install 'returns-workbench[spark]'") from exc
    builder = SparkSession.builder.appName("returns-workbench")
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.master(master or "local[*]")
        builder = builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
        builder = builder.config("spark.driver.memory", _spark_size(memory) if memory else config.SPARK_DRIVER_MEMORY)
    builder = (builder.config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.legacy.parquet.nanosAsLong", "true"))
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java missing, bad master URL, …
        raise EngineError(f"Spark did not start: {str(exc).strip().splitlines()[0][:200]}") from exc
    return Engine("spark", ibis.pyspark.connect(session), _owned=[])


@contextlib.contextmanager
def engine(name: str = "duckdb", processed: Path | None = None, **options: Any) -> Iterator[Engine]:
    """``connect`` as a context manager; DuckDB spills into ``<processed>/.engine-tmp`` by default."""
    if name == "duckdb" and options.get("temp_dir") is None:
        options["temp_dir"] = Path(processed or config.PROCESSED_DIR) / ".engine-tmp"
    eng = connect(name, **options)
    try:
        yield eng
    finally:
        eng.close()
