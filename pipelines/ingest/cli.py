"""`python -m pipelines clean --raw RAW --out OUT`: the command-line face of :func:`clean`.

Exit status 0 when every file was read; 1 when any file could not be read or lacks a
required column (each named on stderr with the reason); the outputs are written for the rest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import config


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw", type=Path, default=config.RAW_DIR, help=f"raw folder (default {config.RAW_DIR})")
    parser.add_argument("--out", type=Path, default=config.PROCESSED_DIR, help=f"output folder (default {config.PROCESSED_DIR})")
    parser.add_argument("--counties", type=Path, default=config.COUNTIES_FILE, help="county alias table (counties.yaml)")
    parser.add_argument("--headers", type=Path, default=config.HEADERS_FILE, help="header alias table (headers.yaml)")
    parser.add_argument("--quiet", action="store_true", help="print only errors")


def run(args: argparse.Namespace) -> int:
    from pipelines.ingest.clean import clean
    from pipelines.ingest.errors import IngestError

    try:
        result = clean(args.raw, args.out, counties_file=args.counties, headers_file=args.headers)
    except IngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for err in result.errors:
        print(f"error [{err.rule}] {err}", file=sys.stderr)
    if not args.quiet:
        m = result.manifest
        warned = m[m["status"] == "warning"]
        for row in warned.itertuples(index=False):
            print(f"warning {row.path}: {row.warnings}", file=sys.stderr)
        print(
            f"{len(m)} files ({int((m['status'].isin(['ok', 'warning'])).sum())} read, {len(result.errors)} failed); "
            f"{len(result.returns)} branch rows kept, {int(m['rows_rejected'].sum())} rejected; "
            f"{len(result.registry)} registry rows; {len(result.unmatched)} branches not in the registry → {args.out}"
        )
    return result.exit_status
