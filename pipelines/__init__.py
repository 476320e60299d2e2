"""Returns Workbench (学习培训报表分析工作台): county returns in, weak links out."""

__version__ = "0.1.0"
