"""`python -m pipelines feedback --processed P --out DIR [--period YYYY-MM-DD]`: a workbook per county.

Exit status 0 when the workbooks were written; 2 when the period is not a real YYYY-MM-DD date or
not in the tables, or a county is unknown (one line on stderr, in Chinese and English); 1 when a
table is missing or unreadable, or a workbook could not be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import config


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--processed", type=Path, default=config.PROCESSED_DIR,
                        help=f"folder of the clean and metrics tables (default {config.PROCESSED_DIR})")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write <county>.xlsx into (default: <processed>/feedback)")
    parser.add_argument("--period", default=None, help="统计截至 date, YYYY-MM-DD (default: the latest period)")
    parser.add_argument("--county", action="append", default=None, metavar="NAME",
                        help="only this county (name or alias; repeatable; default: every county)")


def run(args: argparse.Namespace) -> int:
    from pipelines.documents.feedback import FeedbackError, describe, write_feedback

    try:
        result = write_feedback(args.processed, args.out, args.period, args.county)
    except FeedbackError as exc:
        print(f"feedback: {exc.line()}", file=sys.stderr)
        return exc.status
    except OSError as exc:
        print(f"feedback: 无法写入 {args.out}({exc.strerror}) / cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    print(f"feedback: {len(result.books)} workbooks in {result.out} (统计截至 {result.period.date().isoformat()})")
    for book in result.books:
        print(f"  {describe(book)}")
    if result.unattributed:
        print(f"  {result.unattributed} rejected or warned rows name no county (their file gives none either): "
              f"in no workbook; see {config.REJECTS_TABLE}/ and {config.WARNINGS_TABLE}/")
    return 0
