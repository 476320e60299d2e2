"""`python -m pipelines metrics`: compute the metrics of a processed folder (or write the docs table)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--processed", type=Path, default=None,
                        help="folder with returns/registry/rejects/manifest parquet (default: pipelines.config)")
    parser.add_argument("--out", type=Path, default=None, help="where to write the outputs (default: --processed)")
    parser.add_argument("--thresholds", type=Path, default=None,
                        help="YAML file layered over pipelines/params/thresholds.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one parameter, e.g. weak_links.below_city.share=3 or "
                             "indicators.avg_score.target=98 (repeatable)")
    parser.add_argument("--write-docs", action="store_true",
                        help="regenerate docs/indicators.md from indicators.yaml and exit")


def run(args: argparse.Namespace) -> int:
    if args.write_docs:
        from pipelines.metrics.docs import write_indicator_docs

        path = write_indicator_docs()
        print(f"wrote {path}")
        return 0
    from pipelines.metrics.api import compute_metrics

    try:
        result = compute_metrics(args.processed, args.thresholds, args.overrides or None, out=args.out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"metrics: {exc}", file=sys.stderr)
        return 2
    for name, path in result.paths.items():
        print(f"{name}: {len(result.frames()[name])} rows -> {path}")
    critical = int((result.weak_links["severity"] == "critical").sum())
    print(f"weak links: {len(result.weak_links)} ({critical} critical)")
    return 0
