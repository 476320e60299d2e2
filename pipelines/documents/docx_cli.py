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
from pathlib import Path

from pipelines import config


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--processed", type=Path, default=None, help="processed folder (default: pipelines.config)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the .docx to write (default: report.docx, report.en.docx in the reports folder)")
    parser.add_argument("--period", default=None, help="统计截至 date, YYYY-MM-DD (default: the latest period)")
    parser.add_argument("--language", choices=["zh", "en"], default="zh")
    parser.add_argument("--issuer", default=None, help="the 落款's issuing office (default: pipelines/params/report.yaml)")
    parser.add_argument("--issue-date", default=None, help="YYYY-MM-DD of the 落款 (default: the period's date)")
    parser.add_argument("--addressee", default=None, help="主送机关 above the text (default: none)")
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
