"""The run's Word 汇报, ``report.docx``, written before the HTML report so that the report can link to it.

The documents stage makes it (``pipelines.documents.word.write_report_docx``) from the run's own
tables with 03_report's parameters (period, language, issuer, issue_date, addressee): the same model,
so the same words as the HTML. Like a PDF that could not be printed, a failure here never fails the
run and never costs the HTML report: the run is recorded ``incomplete`` with a one-line reason
(``docx.error``), the whole error goes to nightly.log, and the next night tries again. Figures that
could not be drawn leave the 附图 out of the document (``docx.figures_error``, a warning).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.nightly.render import short_error

log = logging.getLogger("pipelines.nightly")
NAME = "report.docx"


def write_run_docx(run_dir: Path, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``run_dir/report.docx``; returns what run.json records under ``docx``."""
    out: dict[str, Any] = {"path": None, "period": None, "figures": 0, "figures_error": None, "error": None}
    t0 = time.perf_counter()
    try:
        from pipelines.documents.word import write_report_docx

        result = write_report_docx(
            parameters.get("processed_dir"), run_dir / NAME, period=parameters.get("period"),
            language=str(parameters.get("language") or "zh"), issuer=parameters.get("issuer"),
            issue_date=parameters.get("issue_date"), addressee=parameters.get("addressee"))
    except Exception as exc:  # noqa: BLE001 - any failure leaves the HTML report standing; the run is incomplete
        log.error("docx: %s not written after %.1f s", NAME, time.perf_counter() - t0, exc_info=exc)
        out["error"] = short_error(exc)
    else:
        out.update(path=str(result.path.relative_to(run_dir)), period=result.period, figures=result.figures,
                   figures_error=result.figures_error)
        log.info("docx: %s for %s in %.1f s (%d figures)", NAME, result.period, time.perf_counter() - t0,
                 result.figures)
        if result.figures_error:
            log.warning("docx: figures left out of %s: %s", NAME, result.figures_error)
    out["duration_s"] = round(time.perf_counter() - t0, 3)
    return out
