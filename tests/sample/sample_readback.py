"""A reference reader for the sample's own files, used only by the sample tests.

Not the project's cleaner (pipelines/ingest is): just enough to prove that every messy value
the sample writes parses back to the value the truth says, and that the totals add up.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine

from pipelines.domain import load
from pipelines.ingest.periods import parse_period, period_folders

CN = {c: i for i, c in enumerate("零一二三四五六七八九")}
ZERO = {"-", "—", "无"}
YES, NO = {"是", "√", "有"}, {"否", "×", "无"}
COUNT_FIELDS = (
    "members", "studied", "discussion_meetings", "deeds_reports", "situation_reports", "exchange_meetings",
    "party_lectures", "test_takers", "sheets_returned", "special_sick", "special_travel", "special_laid_off",
    "special_retired_away", "special_floating", "delivered_study", "makeup_study",
)


def norm(text: object) -> str:
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"\((人|分|个|%)\)", "", s)
    return re.sub(r"[\s()]", "", s)


def aliases() -> dict[str, str]:
    out = {norm(a): col for col, names in load.headers()["columns"].items() for a in names}
    out.update({norm(a): "__derived__" for a in load.headers()["derived"]})
    return out


def group_aliases() -> set[str]:
    return {norm(a) for names in load.headers()["groups"].values() for a in names}


def parse_count(v: object) -> int | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, (int, float)):
        return int(v)
    s = unicodedata.normalize("NFKC", v).strip()
    if s == "":
        return None
    if s in ZERO:
        return 0
    s = s.rstrip("人份次")
    if s and all(c in CN or c == "十" for c in s):
        if "十" not in s:
            return CN[s]
        tens, _, ones = s.partition("十")
        return (CN[tens] if tens else 1) * 10 + (CN[ones] if ones else 0)
    return int(s)


def parse_score(v: object) -> float | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v == "":
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return float(unicodedata.normalize("NFKC", v).replace("、", ".").strip())


def parse_bool(v: object) -> bool | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v == "":
        return None
    return True if v in YES else False if v in NO else _bad(v)


def _bad(v: object) -> bool:
    raise ValueError(f"not a yes/no: {v!r}")


@dataclass
class Sheet:
    file: Path
    name: str
    rows: list[list[object]]
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


def read_sheets(path: Path) -> list[Sheet]:
    if path.suffix == ".csv":
        raw = path.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            text = raw.decode("utf-8-sig")
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")
        rows = [[c if c != "" else None for c in r] for r in csv.reader(io.StringIO(text))]
        return [Sheet(path, "csv", rows)]
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    out = []
    for name in wb.sheet_names:
        sh = wb.get_sheet_by_name(name)
        rows = [[None if c == "" else c for c in r] for r in sh.to_python()]
        out.append(Sheet(path, name, rows, list(sh.merged_cell_ranges or [])))
    return out


def _county_from(text: str) -> str | None:
    best = None
    for c in load.counties()["counties"]:
        for name in [c["name"], *c["aliases"]]:
            if name in text and (best is None or len(name) > best[1]):
                best = (c["name"], len(name))
    return best[0] if best else None


def parse_sheet(sheet: Sheet, period: pd.Timestamp) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(branch rows, total rows); a total row carries 'expected' sums of the rows it covers."""
    al, groups = aliases(), group_aliases()
    rows = sheet.rows
    h = next((i for i, r in enumerate(rows) if sum(norm(c) in al for c in r if c is not None) >= 5), None)
    if h is None:
        return [], []
    header = [norm(c) if c is not None else "" for c in rows[h]]
    start = h + 1
    if any(x in groups for x in header):
        below = [norm(c) if c is not None else "" for c in rows[h + 1]]
        header = [b if b else t for t, b in zip(header, below, strict=True)]
        start = h + 2
    cols = {i: al[x] for i, x in enumerate(header) if x in al and al[x] != "__derived__"}
    title = " ".join(str(c) for r in rows[:h] for c in r if c is not None)
    county_default = _county_from(title) or _county_from(sheet.file.name)
    out: list[dict[str, object]] = []
    totals: list[dict[str, object]] = []
    town = None
    block: list[dict[str, object]] = []
    everything: list[dict[str, object]] = []
    for r in rows[start:]:
        text = [str(c) for c in r if c is not None]
        if not text:
            continue
        joined = "".join(text)
        if any(m in joined for m in load.headers()["ignore_markers"]):
            continue
        rec = {f: r[i] if i < len(r) else None for i, f in cols.items()}
        if any(m in joined for m in ("小计", "合计")):
            scope = block if "小计" in joined else everything
            vals = {f: parse_count(rec[f]) for f in COUNT_FIELDS if f in rec}
            exp = {f: sum(int(x[f]) for x in scope if x[f] is not None) if any(x[f] is not None for x in scope) else None
                   for f in vals}
            totals.append({"kind": "小计" if "小计" in joined else "合计", "township": town, "file": sheet.file.name,
                           "sheet": sheet.name, "found": vals, "expected": exp})
            block = []
            continue
        if rec.get("township") is not None:
            if rec["township"] != town:
                block = []
            town = rec["township"]
        row = {"period": period, "county": rec.get("county") or county_default, "township": town,
               "branch": re.sub(r"\s", "", unicodedata.normalize("NFKC", rec["branch"])),
               "file": sheet.file.name, "sheet": sheet.name}
        for f in COUNT_FIELDS:
            row[f] = parse_count(rec.get(f))
        row["avg_score"] = parse_score(rec.get("avg_score"))
        row["has_work_plan"] = parse_bool(rec.get("has_work_plan"))
        out.append(row)
        block.append(row)
        everything.append(row)
    return out, totals


def read_raw(raw: Path) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    rows: list[dict[str, object]] = []
    totals: list[dict[str, object]] = []
    for folder in period_folders(raw):  # the one period parser (pipelines.ingest.periods)
        period = parse_period(folder.name)
        for f in sorted(folder.iterdir()):
            for sh in read_sheets(f):
                r, t = parse_sheet(sh, pd.Timestamp(period.date))
                rows += r
                totals += [dict(x, period=folder.name) for x in t]
    return pd.DataFrame(rows), totals
