"""`python -m pipelines template --county 平远县 --period 2005-03-04 --out FILE.xlsx`: the return form.

Exit status 0 when the form was written; 2 when the county is not in counties.yaml, the period
is not a real YYYY-MM-DD date or the output is not an .xlsx file (one line on stderr, in Chinese
and English); 1 when the registry could not be read or the form could not be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import config


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--county", required=True, help="county name or alias from counties.yaml, e.g. 平远县")
    parser.add_argument("--period", required=True, help="统计截至 date of the return, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")
    parser.add_argument("--processed", type=Path, default=config.PROCESSED_DIR,
                        help=f"folder holding registry.parquet (default {config.PROCESSED_DIR})")
    parser.add_argument("--blank-rows", type=int, default=None,
                        help="empty rows to add (default 20 after the registry's branches, 300 without a registry)")
    parser.add_argument("--counties", type=Path, default=config.COUNTIES_FILE, help="county table (counties.yaml)")


def run(args: argparse.Namespace) -> int:
    from pipelines.documents.template import TemplateError, write_template

    try:
        result = write_template(args.county, args.period, args.out, processed=args.processed,
                                blank_rows=args.blank_rows, counties_file=args.counties)
    except TemplateError as exc:
        print(f"template: {exc.line()}", file=sys.stderr)
        return exc.status
    except OSError as exc:
        print(f"template: 无法写入 {args.out}({exc.strerror}) / cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    registry = Path(args.processed) / config.REGISTRY_FILE
    if result.branches:
        source = f"{result.branches} branches from {result.registry}"
    elif result.registry is None:
        source = f"no registry at {registry}: an empty form"
    else:
        source = f"no branch of {result.county} in {registry}: an empty form"
    print(f"template: wrote {result.path} ({result.county}, 统计截至 {result.period.isoformat()}; "
          f"{source}; {result.blank_rows} blank rows)")
    return 0
