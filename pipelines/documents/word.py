"""``write_report_docx``: the 汇报 as a Word document (report.docx beside report.html), the one API
function behind ``python -m pipelines docx``, ``python -m pipelines report`` and the nightly.

It reads the processed tables the way 03_report does (``tables.load_report_data``), makes the same
model with the same parameters (``report_model``: period, language, issuer, issue_date, addressee),
draws the 附图 with Chromium, lays the document out (docx_report) and writes it atomically: a reader
never sees half a file and a failure leaves the previous report.docx in place. It runs after the
notebook and apart from it, so a document that cannot be written never costs the HTML report.

A figure that cannot be drawn (no Chromium, a browser that fails) leaves the 附图 out and says why
(``DocxResult.figures_error``); the rest of the document does not depend on it.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.io import write_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocxResult:
    """What was written: the file, how many figures its 附图 holds, why there are none (or None)."""

    path: Path
    period: str
    figures: int
    figures_error: str | None


def file_name(language: str) -> str:
    """report.docx, report.en.docx: named like the HTML beside it."""
    return "report.docx" if language == "zh" else f"report.{language}.docx"


def _short(exc: BaseException, limit: int = 160) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_report_docx(processed: str | os.PathLike[str] | None, out: str | os.PathLike[str], *,
                      period: str | None = None, language: str = "zh", issuer: str | None = None,
                      issue_date: str | None = None, addressee: str | None = None,
                      figures: bool = True) -> DocxResult:
    """Write the 汇报 of ``processed`` (default: config.PROCESSED_DIR) for ``period`` (default: the
    latest) to ``out``; ``figures=False`` leaves the 附图 out without starting Chromium.

    The parameters are checked by the rules 03_report's are (pipelines.params.rules): a bad one raises
    ``ParameterError`` (a ValueError whose text is the one line to show) before anything is read."""
    from pipelines.documents import docx_report
    from pipelines.params.notebook import data_periods
    from pipelines.params.rules import Context, check_values
    from pipelines.report import tables
    from pipelines.report.model import report_model

    values = {"processed_dir": str(processed) if processed else None, "period": period, "language": language,
              "issuer": issuer, "issue_date": issue_date, "addressee": addressee}
    periods, where = data_periods(values["processed_dir"]) if period is not None else (None, "")
    v = check_values(values, Context(periods=periods, periods_from=where, values=values))  # as 03_report checks them
    data = tables.load_report_data(Path(v["processed_dir"]) if v["processed_dir"] else None, period=v["period"],
                                   language=v["language"])
    model = report_model(data, v["language"], issuer=v["issuer"], issue_date=v["issue_date"],
                         addressee=v["addressee"])
    drawn, error = [], None
    if figures:
        try:
            from pipelines.documents import docx_figures

            drawn = docx_figures.draw(data, model)
        except Exception as exc:  # noqa: BLE001 - the 附图 is left out; the 汇报 stands without it
            log.warning("report.docx: figures left out", exc_info=exc)
            error = _short(exc)
    else:
        error = "figures off"
    buffer = io.BytesIO()
    docx_report.build_document(model, drawn).save(buffer)
    path = write_bytes(buffer.getvalue(), Path(out))
    return DocxResult(path=path, period=model["period_iso"], figures=sum(len(f.images) for f in drawn),
                      figures_error=error)
