"""Metrics stage: coverage, balance, weak links, data quality and trends from the cleaned returns.

``compute_metrics(processed, thresholds)`` is the API the CLI and notebooks/02_metrics.ipynb call;
the modules hold pure functions: indicators (YAML → typed parameters), aggregate (sums and rates
per unit), balance (inequality measures), weak_links (rules), quality (checks), trends (pace),
sentences (every phrase a person reads), docs (docs/indicators.md from indicators.yaml).
"""

from pipelines.metrics.api import MetricsResult, compute_metrics, metrics_from_frames
from pipelines.metrics.indicators import Indicator, Thresholds, load_indicators, load_thresholds

__all__ = [
    "Indicator", "MetricsResult", "Thresholds", "compute_metrics", "load_indicators", "load_thresholds",
    "metrics_from_frames",
]
