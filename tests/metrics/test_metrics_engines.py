"""The same aggregates and verdicts from both engines: DuckDB (embedded) and Spark (local).

On the cleaned sample and on a generated set with more branches and periods: counts equal,
rates and other floats within a relative 1e-9, every list column (rules, contributors, the
activities a composite covers) equal.
"""

from __future__ import annotations

import json
import math
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from pipelines import config, datasets
from pipelines.ingest.clean import clean
from pipelines.metrics import compute_metrics
from pipelines.sample import write_sample

sys.path.insert(0, str(config.BENCHMARKS_DIR))
import metrics as bench  # noqa: E402  (the benchmark's generator of returns and a registry)

pytestmark = [pytest.mark.spark, pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")]

TABLES = ("county_metrics", "township_metrics", "balance", "trends", "data_quality", "status", "findings",
          "ranking", "actions")
KEYS = {
    "county_metrics": ["period", "county"], "township_metrics": ["period", "county", "township"],
    "balance": ["scope", "period", "indicator", "county"], "trends": ["period", "county", "indicator"],
    "data_quality": ["period", "county", "check"], "status": ["period", "level", "county", "township", "indicator"],
    "findings": ["period", "level", "county", "township", "branch", "indicator"],
    "ranking": ["period", "county", "indicator"], "actions": ["period", "rank"],
}


def _plain(value):
    """A list/dict cell as JSON with floats to 12 significant digits (1e-9 relative is finer than that
    prints only where they differ beyond it)."""
    def norm(x):
        if isinstance(x, dict):
            return {k: norm(v) for k, v in sorted(x.items())}
        if isinstance(x, (list, tuple, np.ndarray)):
            return [norm(v) for v in x]
        if isinstance(x, float):
            return float(f"{x:.12g}")
        return x

    return json.dumps(norm(value), ensure_ascii=False, default=str)


def assert_same(name: str, a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns), name
    assert len(a) == len(b), name
    keys = KEYS[name]
    a = a.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)
    b = b.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x.dtype):
            xv, yv = x.to_numpy(dtype=float, na_value=np.nan), y.to_numpy(dtype=float, na_value=np.nan)
            same = np.isclose(xv, yv, rtol=1e-9, atol=0) | (np.isnan(xv) & np.isnan(yv))
            assert same.all(), (name, col, a.loc[~same, keys + [col]].head(), b.loc[~same, col].head())
        elif x.dtype == object:
            assert [_plain(v) for v in x] == [_plain(v) for v in y], (name, col)
        else:
            pd.testing.assert_series_equal(x, y, check_names=False, obj=f"{name}.{col}")


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    base = tmp_path_factory.mktemp("engines")
    write_sample(base / "raw")
    clean(base / "raw", base / "sample")
    generated = base / "generated"
    generated.mkdir()
    bench.build(generated, branches=1500, periods=5, noise=0.2)
    return {"sample": base / "sample", "generated": generated}


@pytest.mark.parametrize("which", ["sample", "generated"])
def test_duckdb_and_spark_agree(sets, which, tmp_path):
    duck = compute_metrics(sets[which], out=tmp_path / "duckdb", engine_name="duckdb")
    spark = compute_metrics(sets[which], out=tmp_path / "spark", engine_name="spark")
    assert len(duck.findings) > 0 and len(duck.status) > 0
    for name in TABLES:
        assert_same(name, duck.frames()[name], spark.frames()[name])
    assert math.isclose(duck.county_metrics["avg_score"].dropna().sum(), spark.county_metrics["avg_score"].dropna().sum(),
                        rel_tol=1e-9)
    # the reporting record, streamed to Parquet by each engine in its own (unspecified) order and
    # partitioned by period, holds the same rows in the same folders
    def rows(path):
        frame = datasets.read(path.parent, path.name)
        return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(spark.paths["reporting"]), rows(duck.paths["reporting"]))
    assert sorted(datasets.partition_periods(spark.paths["reporting"])) == sorted(
        datasets.partition_periods(duck.paths["reporting"]))
