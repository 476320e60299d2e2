"""The run's feedback workbooks, ``feedback/<county>.xlsx``, written after the report.

The documents stage makes them (``pipelines.documents.feedback.write_feedback``) from the run's
own tables, for the report's period. Like a PDF that could not be printed, a failure here never
fails the run: the report stands, the run is recorded ``incomplete`` with a one-line reason
(``feedback.error``) and the whole error goes to nightly.log; the next night tries again.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from pipelines.nightly.render import short_error

log = logging.getLogger("pipelines.nightly")


def write_run_feedback(run_dir: Path, tables: Path, period: str | None) -> dict[str, Any]:
    """Write the workbooks into ``run_dir/feedback``; returns what run.json records under ``feedback``."""
    out: dict[str, Any] = {"dir": None, "period": None, "files": {}, "unattributed": 0, "error": None}
    t0 = time.perf_counter()
    try:
        from pipelines.documents.feedback import FOLDER, write_feedback

        result = write_feedback(tables, run_dir / FOLDER, period)
    except Exception as exc:  # noqa: BLE001 - any failure leaves the report standing; the run is incomplete
        log.error("feedback: not written after %.1f s", time.perf_counter() - t0, exc_info=exc)
        out["error"] = short_error(exc)
    else:
        out.update(dir=str(result.out.relative_to(run_dir)), period=result.period.date().isoformat(),
                   files={county: str(path.relative_to(run_dir)) for county, path in result.files.items()},
                   unattributed=result.unattributed)
        log.info("feedback: %d workbooks for %s in %.1f s", len(result.files), out["period"], time.perf_counter() - t0)
        if result.unattributed:
            log.warning("feedback: %d rejected or warned rows name no county: in no workbook", result.unattributed)
    out["duration_s"] = round(time.perf_counter() - t0, 3)
    return out
