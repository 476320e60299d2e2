"""`python -m pipelines report`: execute notebooks/03_report.ipynb with papermill, render HTML and PDF."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from pipelines import config

NOTEBOOK = config.NOTEBOOKS_DIR / "03_report.ipynb"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--processed", type=Path, default=None, help="processed folder (default: pipelines.config)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: the reports folder)")
    parser.add_argument("--period", default=None, help="YYYY-MM-DD (default: the latest period)")
    parser.add_argument("--language", choices=["zh", "en"], default="zh")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF")


def execute(out: Path, processed: Path | None, period: str | None, language: str) -> Path:
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
    executed = execute(out, args.processed, args.period, args.language)
    html = render_html(executed, out / f"report{suffix}.html")
    print(html)
    if not args.no_pdf:
        pdf = render_pdf(html, out / f"report{suffix}.pdf")
        if pdf is None:
            print("chromium not found: PDF skipped", file=sys.stderr)
        else:
            print(pdf)
    return 0
