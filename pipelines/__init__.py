"""Returns Workbench (学习培训报表分析工作台): county returns in, weak links out.

For analysts: ``t = pipelines.load()`` reads the tables lazily (pipelines/loader.py) and
``pipelines.indicator("送学补学")`` describes an indicator. Both are imported on first use, so
``import pipelines`` stays cheap (no pandas): the nightly's skip path imports this package.
"""

from typing import Any

__version__ = "0.1.0"

_LAZY = {"load": "pipelines.loader", "Tables": "pipelines.loader", "indicator": "pipelines.indicator_card",
         "indicators": "pipelines.indicator_card"}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pipelines' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
