"""Where the parameter checks of the nightly and the notebooks find the indicator and threshold loaders.

The loaders live with their data: ``pipelines.domain.indicators`` (indicators.yaml) and
``pipelines.params.thresholds`` (thresholds.yaml); both raise ``ValueError`` naming the key for an
unknown key or a bad value.
"""

from pipelines.domain.indicators import Indicator, load_indicators
from pipelines.params.thresholds import Thresholds, load_thresholds

__all__ = ["Indicator", "Thresholds", "load_indicators", "load_thresholds"]
