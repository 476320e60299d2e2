"""`python -m pipelines docx --processed P --out report.docx`: the 汇报 as Word without executing the
report notebook (the same tables and parameters make the same document; ``report`` and the nightly
write it beside report.html on their own).

Exit status 0 when the document was written (a note on stderr when its 附图 had to be left out); 2 when
a parameter is not allowed (a period not in the tables, a date that is not a date); 1 when a table is
missing or unreadable or the file cannot be written. One line on stderr, in Chinese and English.
"""

from __future__ import annotations

import argparse
import sys

from pipelines import config


def configure(parser: argparse.ArgumentParser) -> None:
    from pipelines.report.cli import report_options

    report_options(parser, "the .docx to write (default: report.docx, report.en.docx in the reports folder)")
    parser.add_argument("--no-figures", action="store_true", help="leave the 附图 out (no Chromium needed)")


def run(args: argparse.Namespace) -> int:
    from pipelines.documents.word import file_name, write_report_docx
    from pipelines.params.rules import ParameterError

    out = args.out or config.REPORTS_DIR / file_name(args.language)
    try:
        result = write_report_docx(args.processed, out, period=args.period, language=args.language,
                                   issuer=args.issuer, issue_date=args.issue_date, addressee=args.addressee,
                                   figures=not args.no_figures)
    except ParameterError as exc:
        print(f"docx: 参数不符合要求 / {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"docx: 未能生成 {out}（{type(exc).__name__}: {exc}）/ not written: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 1
    if result.figures_error and not args.no_figures:
        print(f"docx: 未附图表 / figures left out: {result.figures_error}", file=sys.stderr)
    print(result.path)
    return 0
