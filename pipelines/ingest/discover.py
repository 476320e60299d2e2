"""Which files under RAW are returns, of which period; which are the registry; which are skipped.

RAW/<period>/… holds the returns of a period (the folder name through the one period parser,
:mod:`pipelines.ingest.periods`), RAW/registry/… the registry. A file anywhere else gets a
report with an error (its period is unknown, and silently skipping it would hide a misfiled
return). Hidden files and README files are skipped; so is an Office lock file (``~$name``)
when it is one — a small file that is not a workbook, or one beside the workbook it locks. A
``~$`` file that is a whole workbook with no such neighbour is the only copy of a return: read,
with a warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingest.errors import UnreadableFileError
from pipelines.ingest.manifest import FileReport
from pipelines.ingest.periods import Period, PeriodError, looks_like_period, parse_period
from pipelines.ingest.warning_codes import Warn

REGISTRY_DIR = "registry"
LOCK_PREFIX = "~$"
LOCK_FILE_MAX_BYTES = 4096  # Office lock files are 162–165 bytes


@dataclass
class Discovered:
    """Every input file's report (registry first, then periods in date order, then strays)."""

    registry: list[FileReport] = field(default_factory=list)
    returns: list[FileReport] = field(default_factory=list)
    periods: dict[dt.date, str] = field(default_factory=dict)  # every period folder, empty ones too


def _is_workbook_bytes(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8)
    return head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))


def _is_lock_file(path: Path) -> bool:
    """An Office lock file: beside the workbook it names, or small and not a workbook."""
    locked = path.name[len(LOCK_PREFIX):]
    siblings = {p.name for p in path.parent.iterdir() if p != path}
    if locked in siblings or any(s.endswith(locked) for s in siblings if not s.startswith(LOCK_PREFIX)):
        return True
    return path.stat().st_size <= LOCK_FILE_MAX_BYTES or not _is_workbook_bytes(path)


def _skip(path: Path) -> bool:
    name = path.name
    if name.startswith(LOCK_PREFIX):
        return _is_lock_file(path)
    return name.startswith(".") or name.lower().startswith("readme")


def discover(raw: Path) -> Discovered:
    """Every input file under RAW, with its kind and period (or the error that it has none)."""
    if not raw.is_dir():
        raise UnreadableFileError(
            f"raw folder {raw} does not exist", message_zh=f"原始数据目录 {raw} 不存在", file=str(raw)
        )
    found = Discovered()
    stray: list[FileReport] = []
    folders: dict[str, Period | PeriodError | None] = {}
    for folder in sorted(raw.iterdir()):
        if folder.is_dir() and folder.name != REGISTRY_DIR and looks_like_period(folder.name):
            try:
                folders[folder.name] = parse_period(folder.name)
            except PeriodError as exc:
                folders[folder.name] = exc
    for p in folders.values():
        if isinstance(p, Period):
            found.periods.setdefault(p.date, p.written)
    for path in sorted(p for p in raw.rglob("*") if p.is_file() and not _skip(p)):
        rel = path.relative_to(raw).as_posix()
        top = rel.split("/", 1)[0]
        rep = FileReport(path, rel, "returns", None)
        if path.name.startswith(LOCK_PREFIX):
            rep.warns.append(Warn("lock_file_name", rel))
        if "/" in rel and top == REGISTRY_DIR:
            rep.kind = "registry"
            found.registry.append(rep)
            continue
        period = folders.get(top) if "/" in rel else None
        if isinstance(period, PeriodError):
            rep.error = UnreadableFileError(period.message_en, message_zh=period.message_zh, file=rel)
            stray.append(rep)
        elif period is not None:
            rep.period = period.date
            if period.normalised:
                rep.warns.append(Warn("period_folder_normalised", rel, {"folder": top, "period": rep.period.isoformat()},
                                      period=rep.period))
            found.returns.append(rep)
        else:
            rep.error = UnreadableFileError(
                "not inside RAW/<YYYY-MM-DD>/ or RAW/registry/: the period of the return is unknown",
                message_zh="文件不在 RAW/<YYYY-MM-DD>/ 或 RAW/registry/ 目录下,无法确定统计期",
                file=rel,
            )
            stray.append(rep)
    found.returns.sort(key=lambda r: (r.period, r.rel))
    found.returns += stray
    return found
