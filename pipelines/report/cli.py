"""`python -m pipelines report`: execute notebooks/03_report.ipynb with papermill, write the 汇报 as
Word (report.docx, pipelines.documents.word), render the HTML (report.xlsx beside it, a line linking
to both) and the PDF.

Exit status 0; 3 when the HTML report was made but report.docx could not be written (one line on
stderr says why; the HTML and PDF are still written); a failing notebook raises as before."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from pipelines import config

NOTEBOOK = config.NOTEBOOKS_DIR / "03_report.ipynb"


def report_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    """The options of every command that writes the 汇报 (``report``, ``docx``): the tables, the
    period, the language and the 落款."""
    parser.add_argument("--processed", type=Path, default=None, help="processed folder (default: pipelines.config)")
    parser.add_argument("--out", type=Path, default=None, help=out_help)
    parser.add_argument("--period", default=None, help="统计截至 date, YYYY-MM-DD (default: the latest period)")
    parser.add_argument("--language", choices=["zh", "en"], default="zh")
    parser.add_argument("--issuer", default=None, help="the 落款's issuing office (default: pipelines/params/report.yaml)")
    parser.add_argument("--issue-date", default=None, help="YYYY-MM-DD of the 落款 (default: the period's date)")
    parser.add_argument("--addressee", default=None, help="主送机关 above the text (default: none)")


def configure(parser: argparse.ArgumentParser) -> None:
    report_options(parser, "output folder (default: the reports folder)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    parser.add_argument("--no-docx", action="store_true", help="skip the Word document (report.docx)")


def execute(out: Path, processed: Path | None, period: str | None, language: str,
            issuer: str | None = None, issue_date: str | None = None, addressee: str | None = None) -> Path:
    """Run the notebook under papermill (cwd notebooks/, project kernel); return the executed copy."""
    import papermill as pm

    executed = out / f"03_report.{language}.ipynb"
    with tempfile.TemporaryDirectory(dir=out, prefix=".report-") as tmp:
        tmp_nb = Path(tmp) / executed.name
        pm.execute_notebook(
            str(NOTEBOOK), str(tmp_nb),
            parameters={
                "processed_dir": str(Path(processed).resolve()) if processed else None,
                "period": period, "language": language,
                "issuer": issuer, "issue_date": issue_date, "addressee": addressee,
            },
            kernel_name=config.KERNEL_NAME, cwd=str(config.NOTEBOOKS_DIR), progress_bar=False,
        )
        tmp_nb.replace(executed)
    return executed


def run(args: argparse.Namespace) -> int:
    from pipelines.report.render import render_html, render_pdf

    out = Path(args.out) if args.out else config.REPORTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.language == "zh" else f".{args.language}"
    executed = execute(out, args.processed, args.period, args.language, args.issuer, args.issue_date, args.addressee)
    status, docx = 0, None
    if not args.no_docx:
        docx, status = _docx(out, args, suffix)
    html = render_html(executed, out / f"report{suffix}.html", links=[docx] if docx else [])
    print(html)
    for beside in (html.with_suffix(".xlsx"), docx):
        if beside and beside.exists():
            print(beside)
    if not args.no_pdf:
        pdf = render_pdf(html, out / f"report{suffix}.pdf")
        if pdf is None:
            print("chromium not found: PDF skipped", file=sys.stderr)
        else:
            print(pdf)
    return status


def _docx(out: Path, args: argparse.Namespace, suffix: str) -> tuple[Path | None, int]:
    """report.docx from the same tables and parameters as the notebook; (None, 3) when it fails."""
    from pipelines.documents.word import write_report_docx

    target = out / f"report{suffix}.docx"
    try:
        result = write_report_docx(args.processed, target, period=args.period, language=args.language,
                                   issuer=args.issuer, issue_date=args.issue_date, addressee=args.addressee)
    except Exception as exc:  # noqa: BLE001 - the HTML report is still made; the exit status says it is incomplete
        print(f"report: 未能生成 {target.name}（{type(exc).__name__}: {exc}）/ {target.name} not written: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return None, 3
    if result.figures_error:
        print(f"report: {target.name} 未附图表 / without its figures: {result.figures_error}", file=sys.stderr)
    return result.path, 0
