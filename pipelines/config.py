"""Every path the project uses, resolved from this file and never from the working directory.

Environment variables override the data folders so that a nightly run or a test can point the
whole chain at another tree without touching code.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


DATA_DIR = _env_path("RWB_DATA", PROJECT_ROOT / "data")
RAW_DIR = _env_path("RWB_RAW", DATA_DIR / "raw")
PROCESSED_DIR = _env_path("RWB_PROCESSED", DATA_DIR / "processed")
REPORTS_DIR = _env_path("RWB_REPORTS", PROJECT_ROOT / "reports")
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
# The engine of the aggregate layer (duckdb | spark) and DuckDB's memory limit (e.g. "2GB"; DuckDB
# spills to <processed>/.engine-tmp beyond it). The CLI's --engine/--memory-limit win over these.
ENGINE = os.environ.get("RWB_ENGINE") or "duckdb"
ENGINE_MEMORY_LIMIT = os.environ.get("RWB_MEMORY_LIMIT") or None
# Spark's own default driver heap (1 GB) runs out on a few million rows in local mode, where the
# driver is also the executor; a memory limit given for the run takes precedence.
SPARK_DRIVER_MEMORY = os.environ.get("RWB_SPARK_DRIVER_MEMORY") or "4g"
BENCHMARKS_DIR = PROJECT_ROOT / "benchmarks"

DOMAIN_DIR = PACKAGE_DIR / "domain"
PARAMS_DIR = PACKAGE_DIR / "params"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
GEO_DIR = PACKAGE_DIR / "geo"

COUNTIES_FILE = DOMAIN_DIR / "counties.yaml"
HEADERS_FILE = DOMAIN_DIR / "headers.yaml"
TERMS_FILE = DOMAIN_DIR / "terms.yaml"
INDICATORS_FILE = DOMAIN_DIR / "indicators.yaml"
PINYIN_FILE = DOMAIN_DIR / "pinyin.yaml"
THRESHOLDS_FILE = PARAMS_DIR / "thresholds.yaml"
NIGHTLY_PARAMS_FILE = PARAMS_DIR / "nightly.yaml"
REPORT_PARAMS_FILE = PARAMS_DIR / "report.yaml"

# The Jupyter kernel that `make venv` registers for the project's virtual environment.
KERNEL_NAME = "returns-workbench"

# Output tables inside the processed folder: one place, read by every stage (through pipelines.datasets).
# Partitioned by period, a folder each (<name>/period=YYYY-MM-DD/part-0.parquet):
RETURNS_TABLE = "returns"
REJECTS_TABLE = "rejects"
WARNINGS_TABLE = "warnings"
FINDINGS_TABLE = "findings"
STATUS_TABLE = "status"
REPORTING_TABLE = "reporting"
PARTITIONED_TABLES = (RETURNS_TABLE, REJECTS_TABLE, WARNINGS_TABLE, FINDINGS_TABLE, STATUS_TABLE, REPORTING_TABLE)
# One Parquet file each:
REGISTRY_FILE = "registry.parquet"
MANIFEST_FILE = "manifest.parquet"
COUNTY_METRICS_FILE = "county_metrics.parquet"
TOWNSHIP_METRICS_FILE = "township_metrics.parquet"
BALANCE_FILE = "balance.parquet"
DATA_QUALITY_FILE = "data_quality.parquet"
TRENDS_FILE = "trends.parquet"
RANKING_FILE = "ranking.parquet"
ACTIONS_FILE = "actions.parquet"
# The stages' caches (issue 19): each input file's cleaned rows, each period's sums and verdicts;
# inside the output folder by default (hidden, so no reader takes them for tables); the nightly keeps
# them beside its runs, <reports>/cache/clean and <reports>/cache/metrics.
CACHE_DIR = ".cache"
CLEAN_CACHE, METRICS_CACHE = "clean", "metrics"  # each stage's subfolder of a cache folder
CLEAN_CACHE_DIR = f"{CACHE_DIR}/{CLEAN_CACHE}"
METRICS_CACHE_DIR = f"{CACHE_DIR}/{METRICS_CACHE}"
NIGHTLY_CACHE_DIR = "cache"
