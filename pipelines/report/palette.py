"""The one status colour scheme of every chart and table, for the statuses of status.parquet.

The report never decides a status: it looks it up (``ReportData.status_of``) and colours it here.
The fills are ordered by lightness as well as hue — met pale, watch mid amber, alert dark red — so
a colour-blind reader and a black-and-white printout still tell them apart; the text on each fill is
black or white, whichever contrasts more (WCAG 2 ratio, at least 4.5:1, tested).
"""

from __future__ import annotations

STATUS_COLOURS: dict[str, str] = {
    "met": "#D9F0D3",        # pale green: target met (recedes; the eye goes to what is short)
    "watch": "#F4A442",      # amber: short of the target, not past the warning level
    "alert": "#B2182B",      # dark red: past the warning level
    "scheduled": "#C6DBEF",  # pale blue: short, but not due yet
    "no_data": "#E6E6E6",    # grey: no return
}
STATUS_ORDER = ("alert", "watch", "scheduled", "met", "no_data")  # legends and keys, most urgent first
STATUS_LABELS: dict[str, dict[str, str]] = {
    "met": {"zh": "达到目标值", "en": "target met"},
    "watch": {"zh": "未达目标值", "en": "below target"},
    "alert": {"zh": "低于预警线", "en": "below warning level"},
    "scheduled": {"zh": "未到完成时限", "en": "not due yet"},
    "no_data": {"zh": "无数据", "en": "no data"},
}
STATUS_RANK: dict[str, int] = {"no_data": 0, "alert": 1, "watch": 2, "scheduled": 3, "met": 4}
CITY_LINE = "#424242"
TARGET_LINE = "#1F4E79"   # dark blue: a target is not an alarm
NEUTRAL = "#4A6A8A"       # series colour where no status applies (trends)
GRID = "#ECECEC"


def _luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG 2) of ``#RRGGBB``."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    return "#000000" if contrast(fill, "#000000") >= contrast(fill, "#FFFFFF") else "#FFFFFF"


STATUS_TEXT: dict[str, str] = {k: text_on(v) for k, v in STATUS_COLOURS.items()}


def status_style(status: str) -> str:
    """Inline CSS for a cell of ``status`` (background and text), for tables and tiles."""
    status = status if status in STATUS_COLOURS else "no_data"
    return f"background:{STATUS_COLOURS[status]};color:{STATUS_TEXT[status]}"


def status_bar(status: str) -> str:
    """Inline CSS for a table cell marked by a bar of its status colour (tables full of figures stay
    readable; the fills are for the grid, the tiles, the charts and the map)."""
    status = status if status in STATUS_COLOURS else "no_data"
    edge = STATUS_COLOURS[status] if status != "met" else "#7FBF7B"
    return f"box-shadow:inset 6px 0 0 {edge}"
