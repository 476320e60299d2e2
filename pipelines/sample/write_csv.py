"""Write a SheetSpec to CSV in the encoding a county's PC used (GBK, UTF-8 with or without BOM).

A merge keeps its top-left value and leaves the other cells blank, as Excel's "save as CSV"
does; encoding gb18030 stands for GBK (a superset, identical bytes for these characters).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipelines.io import write_bytes
from pipelines.sample.layout import SheetSpec

ENCODINGS = ("gb18030", "utf-8-sig", "utf-8")


def csv_text(spec: SheetSpec) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in spec.rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def write_csv(spec: SheetSpec, path: Path, *, encoding: str) -> Path:
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported encoding {encoding!r}; one of {ENCODINGS}")
    return write_bytes(csv_text(spec).encode(encoding), path)
