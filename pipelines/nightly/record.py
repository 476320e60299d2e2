"""Facts for run.json that are not produced by a step: package versions and the manifest's verdicts.

The code state is in gitstate.py, the tables' hashes and row counts in store.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.cache import library_versions

PACKAGES = (
    "returns-workbench", "papermill", "nbformat", "nbclient", "nbconvert", "ipykernel", "jupyter_client",
    "pandas", "pyarrow", "plotly", "pandera", "python-calamine", "jinja2", "pyyaml", "playwright",
)
#: manifest.parquet statuses that make the input incomplete (a file that was not used at all).
INCOMPLETE_STATUSES = ("unreadable", "missing_required_column")


def versions() -> dict[str, str | None]:
    return library_versions(PACKAGES)


def read_manifest(processed: Path) -> list[dict[str, Any]] | None:
    """manifest.parquet as rows (path, county, period, status, warnings, reused), or None when absent."""
    import pyarrow.parquet as pq

    path = processed / config.MANIFEST_FILE
    if not path.exists():
        return None
    table = pq.read_table(path)
    wanted = [c for c in ("path", "county", "period", "status", "warnings", "rows_rejected", "reused")
              if c in table.column_names]
    return table.select(wanted).to_pylist()


def incomplete_files(manifest: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"path": row.get("path"), "county": row.get("county"), "status": row.get("status")}
        for row in manifest
        if row.get("status") in INCOMPLETE_STATUSES
    ]


def manifest_warnings(manifest: list[dict[str, Any]]) -> list[str]:
    out = []
    for row in manifest:
        status, text = row.get("status"), (row.get("warnings") or "").strip()
        if status and status != "ok":
            out.append(f"{row.get('path')}: {status}" + (f" ({text})" if text else ""))
        elif text:
            out.append(f"{row.get('path')}: {text}")
    return out
