"""Colours of the statuses the judge layer gives (status.parquet), one scheme for every chart.

The report never decides a status: it looks it up (``ReportData.status_of``) and colours it here.
"""

from __future__ import annotations

STATUS_COLOURS: dict[str, str] = {
    "met": "#2e7d32",        # green
    "watch": "#f9a825",      # amber
    "alert": "#c62828",      # red
    "scheduled": "#6d8fb3",  # blue-grey: short, but not due yet
    "no_data": "#bdbdbd",    # grey: no return
}
STATUS_LABELS: dict[str, dict[str, str]] = {
    "met": {"zh": "达到目标", "en": "target met"},
    "watch": {"zh": "未达目标（预警线以上）", "en": "below target, above warning"},
    "alert": {"zh": "低于预警线", "en": "below warning"},
    "scheduled": {"zh": "未到完成时限", "en": "not due yet"},
    "no_data": {"zh": "无数据", "en": "no data"},
}
STATUS_RANK: dict[str, int] = {"no_data": 0, "alert": 1, "watch": 2, "scheduled": 3, "met": 4}
CITY_LINE = "#424242"
TARGET_LINE = "#c62828"
