"""The metrics stage: the aggregate layer (pipelines/aggregate) then the judge layer (pipelines/judge).

``compute_metrics(processed, thresholds, overrides)`` is the API the CLI (`python -m pipelines
metrics`) and notebooks/02_metrics.ipynb call; this package only wires the two layers, checks the
outputs (schema) and writes them as one set. docs.py writes docs/indicators.md from indicators.yaml.
"""

from pipelines.domain.indicators import Indicator, load_indicators
from pipelines.metrics.api import MetricsResult, compute_metrics
from pipelines.params.thresholds import Thresholds, load_thresholds

__all__ = ["Indicator", "MetricsResult", "Thresholds", "compute_metrics", "load_indicators", "load_thresholds"]
