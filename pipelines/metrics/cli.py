"""`python -m pipelines metrics`: aggregate and judge a processed folder (or write the docs table)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import config

ENGINES = ("duckdb", "spark")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--processed", type=Path, default=None,
                        help="folder with returns/registry/rejects/manifest/warnings parquet (default: pipelines.config)")
    parser.add_argument("--out", type=Path, default=None, help="where to write the outputs (default: --processed)")
    parser.add_argument("--thresholds", type=Path, default=None,
                        help="YAML file layered over pipelines/params/thresholds.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one parameter, e.g. weak_links.below_city.share=3 or "
                             "indicators.avg_score.target=98 (repeatable)")
    parser.add_argument("--engine", choices=ENGINES, default=None,
                        help=f"engine of the aggregate layer (default: {config.ENGINE}; RWB_ENGINE)")
    parser.add_argument("--memory-limit", default=None, metavar="SIZE",
                        help="DuckDB's memory limit, e.g. 2GB (it spills to the processed folder beyond it); "
                             "for spark, the driver's memory")
    parser.add_argument("--spark-master", default=None, metavar="URL",
                        help="Spark master (default local[*]), e.g. spark://host:7077")
    parser.add_argument("--spark-remote", default=None, metavar="URL",
                        help="a Spark Connect address, e.g. sc://host:15002 (instead of --spark-master)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="where each period's sums and verdicts are kept between runs (default OUT/.cache/metrics)")
    parser.add_argument("--full", action="store_true",
                        help="discard that cache: compute and judge every period again (the outputs are the same)")
    parser.add_argument("--write-docs", action="store_true",
                        help="regenerate docs/indicators.md from indicators.yaml and exit")


def run(args: argparse.Namespace) -> int:
    if args.write_docs:
        from pipelines.metrics.docs import write_indicator_docs

        print(f"wrote {write_indicator_docs()}")
        return 0
    from pipelines.aggregate.engine import EngineError
    from pipelines.metrics.api import compute_metrics

    try:
        result = compute_metrics(args.processed, args.thresholds, args.overrides or None, out=args.out,
                                 engine_name=args.engine, memory_limit=args.memory_limit,
                                 spark_master=args.spark_master, spark_remote=args.spark_remote,
                                 cache=args.cache, full=args.full)
    except (FileNotFoundError, ValueError, EngineError) as exc:
        print(f"metrics: {exc}", file=sys.stderr)
        return 2
    for name, path in result.paths.items():
        rows = len(result.frames()[name]) if name in result.frames() else None
        print(f"{name}: {rows} rows -> {path}" if rows is not None else f"{name} -> {path}")
    latest = result.findings["period"].max() if len(result.findings) else None
    weak = result.weak_links(latest) if latest is not None else result.findings
    if latest is not None:
        print(f"findings at {latest.date()}: {len(weak)} weak links "
              f"({int((weak['status'] == 'alert').sum())} alert), "
              f"{int((result.findings['period'] == latest).sum()) - len(weak)} other findings")
    if result.computed is not None and result.judged is not None:
        print(f"metrics: {len(result.computed)} periods computed, {len(result.judged)} judged "
              f"(the others kept from earlier runs)")
    if not result.registry_known:
        print("metrics: no registry (党组织名册): expected branches and members are unknown", file=sys.stderr)
    return 0
