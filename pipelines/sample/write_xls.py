"""Write SheetSpecs to legacy .xls (BIFF8) with xlwt, merged cells via write_merge.

Some county offices still ran Excel 97 in 2005; the cleaner must read these through calamine.
"""

from __future__ import annotations

from pathlib import Path

import xlwt

from pipelines.io import atomic_path
from pipelines.sample.layout import SheetSpec


def write_xls(sheets: list[SheetSpec], path: Path) -> Path:
    with atomic_path(path) as tmp:
        wb = xlwt.Workbook(encoding="utf-8")
        title = xlwt.easyxf("font: bold on, height 280; align: horiz center")
        head = xlwt.easyxf("font: bold on; align: horiz center, vert center, wrap on; "
                           "borders: left thin, right thin, top thin, bottom thin")
        cell = xlwt.easyxf("borders: left thin, right thin, top thin, bottom thin")
        for spec in sheets:
            ws = wb.add_sheet(spec.name)
            fmt_of = {r: title for r in spec.title_rows} | {r: head for r in spec.header_rows}
            covered: set[tuple[int, int]] = set()
            for r1, c1, r2, c2 in spec.merges:
                v = spec.rows[r1][c1]
                ws.write_merge(r1, r2, c1, c2, "" if v is None else v, fmt_of.get(r1, cell))
                covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
            for r, row in enumerate(spec.rows):
                for c, v in enumerate(row):
                    if v is not None and (r, c) not in covered:
                        ws.write(r, c, v, fmt_of.get(r, cell))
            ws.col(2).width = 256 * 24
        wb.save(str(tmp))
    return Path(path)
