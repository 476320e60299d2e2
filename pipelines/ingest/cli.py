"""`python -m pipelines clean --raw RAW --out OUT [--full]`: the command-line face of :func:`clean`.

Each file's cleaned result is kept in a cache (``<out>/.cache/clean``, or ``--cache``), so a second
run reads only the files that are new or changed; ``--full`` discards it and reads every file again.
Exit status 0 when every file was read; 1 when any file could not be read or lacks a
required column (each named on stderr with the reason); the outputs are written for the rest.
Every message is printed with control and format characters escaped and long values cut
(pipelines.ingest.safe): a cell cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import config

MAX_WARNINGS_SHOWN = 50


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw", type=Path, default=config.RAW_DIR, help=f"raw folder (default {config.RAW_DIR})")
    parser.add_argument("--out", type=Path, default=config.PROCESSED_DIR, help=f"output folder (default {config.PROCESSED_DIR})")
    parser.add_argument("--counties", type=Path, default=config.COUNTIES_FILE, help="county alias table (counties.yaml)")
    parser.add_argument("--headers", type=Path, default=config.HEADERS_FILE, help="header alias table (headers.yaml)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="where each file's cleaned result is kept between runs (default OUT/.cache/clean)")
    parser.add_argument("--full", action="store_true",
                        help="discard the cache: read and clean every file again (the outputs are the same)")
    parser.add_argument("--quiet", action="store_true", help="print only errors")


def run(args: argparse.Namespace) -> int:
    from pipelines.ingest.clean import clean
    from pipelines.ingest.errors import IngestError
    from pipelines.ingest.safe import safe

    try:
        result = clean(args.raw, args.out, counties_file=args.counties, headers_file=args.headers,
                       cache=args.cache, full=args.full)
    except IngestError as exc:
        print(f"error: {safe(exc, 500)}", file=sys.stderr)
        return 1
    for err in result.errors:
        print(f"error [{err.rule}] {safe(err, 500)}", file=sys.stderr)
    if not args.quiet:
        # the warnings of the periods checked this run (a period taken whole from the cache was shown before)
        w = result.table("warnings", periods=result.judged)
        shown = w[w["level"] == "warning"]
        for msg in shown["message_en"].head(MAX_WARNINGS_SHOWN):
            print(f"warning {msg}", file=sys.stderr)  # already escaped when it was made
        if len(shown) > MAX_WARNINGS_SHOWN:
            print(f"… and {len(shown) - MAX_WARNINGS_SHOWN} more warnings (warnings/)", file=sys.stderr)
        m = result.manifest
        print(
            f"{len(m)} files ({len(result.read)} read, {len(result.reused)} reused from the cache; "
            f"{int((m['status'].isin(['ok', 'warning'])).sum())} usable, {len(result.errors)} failed); "
            f"{int(m.loc[m['period'].notna(), 'rows_kept'].sum())} branch rows kept, {int(m['rows_rejected'].sum())} rejected; "
            f"{len(result.registry)} registry rows; {len(result.unmatched)} branches not in the registry; "
            f"{len(w)} warnings in the {len(result.judged)} periods checked ({len(shown)} to look at) "
            f"→ {safe(args.out, 200)}"
        )
    return result.exit_status
