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
# Threads the metrics stage may use for its column passes and independent tables (numpy, pandas and
# Arrow release the GIL in their heavy loops; see pipelines/metrics/threads.py); RWB_THREADS=1 runs
# everything in the calling thread.
WORKER_THREADS = max(1, int(os.environ.get("RWB_THREADS") or min(2, os.cpu_count() or 1)))
BENCHMARKS_DIR = PROJECT_ROOT / "benchmarks"

DOMAIN_DIR = PACKAGE_DIR / "domain"
PARAMS_DIR = PACKAGE_DIR / "params"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
GEO_DIR = PACKAGE_DIR / "geo"

COUNTIES_FILE = DOMAIN_DIR / "counties.yaml"
HEADERS_FILE = DOMAIN_DIR / "headers.yaml"
TERMS_FILE = DOMAIN_DIR / "terms.yaml"
INDICATORS_FILE = DOMAIN_DIR / "indicators.yaml"
THRESHOLDS_FILE = PARAMS_DIR / "thresholds.yaml"
NIGHTLY_PARAMS_FILE = PARAMS_DIR / "nightly.yaml"

# The Jupyter kernel that `make venv` registers for the project's virtual environment.
KERNEL_NAME = "returns-workbench"

# Output file names inside the processed folder: one place, read by every stage.
RETURNS_FILE = "returns.parquet"
REGISTRY_FILE = "registry.parquet"
REJECTS_FILE = "rejects.parquet"
MANIFEST_FILE = "manifest.parquet"
WARNINGS_FILE = "warnings.parquet"
COUNTY_METRICS_FILE = "county_metrics.parquet"
TOWNSHIP_METRICS_FILE = "township_metrics.parquet"
BALANCE_FILE = "balance.parquet"
WEAK_LINKS_FILE = "weak_links.parquet"
DATA_QUALITY_FILE = "data_quality.parquet"
TRENDS_FILE = "trends.parquet"
