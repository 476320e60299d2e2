"""Colours and traffic lights: one colour per indicator (indicators.yaml), one status scheme.

Status against an indicator's target: ``met`` (target reached), ``watch`` (short of the target
but not past the warning threshold), ``alert`` (past the warning threshold), ``none`` (no value).
"""

from __future__ import annotations

from typing import Any

from pipelines.report.format import is_missing

STATUS_COLOURS: dict[str, str] = {
    "met": "#2e7d32",    # green
    "watch": "#f9a825",  # amber
    "alert": "#c62828",  # red
    "none": "#bdbdbd",   # grey: no return
}
STATUS_LABELS: dict[str, dict[str, str]] = {
    "met": {"zh": "达到目标", "en": "target met"},
    "watch": {"zh": "未达目标（预警线以上）", "en": "below target, above warning"},
    "alert": {"zh": "低于预警线", "en": "below warning"},
    "none": {"zh": "无数据", "en": "no data"},
}
STATUS_RANK: dict[str, int] = {"none": 0, "alert": 1, "watch": 2, "met": 3}
CITY_LINE = "#424242"
TARGET_LINE = "#c62828"


def status(value: Any, spec: dict[str, Any]) -> str:
    """Traffic light of ``value`` for the indicator ``spec`` (direction-aware)."""
    if is_missing(value):
        return "none"
    v = float(value)
    target, warning = float(spec["target"]), float(spec["warning"])
    eps = 1e-9
    if spec.get("direction", "higher") == "lower":
        return "met" if v <= target + eps else ("watch" if v <= warning + eps else "alert")
    return "met" if v >= target - eps else ("watch" if v >= warning - eps else "alert")


def indicator_colour(spec: dict[str, Any]) -> str:
    return str(spec.get("colour", "#1f77b4"))
