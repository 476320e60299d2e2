"""Text returns (CSV, tab-separated, Excel's "Unicode text") decoded, even when partly bad.

UTF-8 (with or without BOM) and GB18030 (a superset of GBK) are tried strictly first; UTF-16
when it carries a BOM; else charset-normalizer picks the encoding. A file with a few undecodable
bytes is still read: each bad byte becomes U+FFFD and the line and byte offset of every affected
line are reported, so the rows can be flagged. A file is unreadable only when most of its lines
are bad, or it is binary.
"""

from __future__ import annotations

import codecs
import csv
import io
import threading
from dataclasses import dataclass, field
from typing import Any

from charset_normalizer import from_bytes

from pipelines.ingest.errors import UnreadableFileError

MOSTLY_BAD = 0.5  # share of lines with bad bytes above which the file is unreadable


@dataclass
class Decoded:
    text: str
    encoding: str
    bad_lines: list[tuple[int, int, int]] = field(default_factory=list)  # (line, byte offset, bad bytes)


_found = threading.local()


def _record(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):  # registered for decoding only
        raise exc
    _found.offsets.append(exc.start)
    return "\ufffd", exc.end


codecs.register_error("rwb-record", _record)


def _record_errors(data: bytes, encoding: str) -> tuple[str, list[int]]:
    """Decode with each bad byte sequence replaced by U+FFFD; the byte offsets of the bad ones."""
    _found.offsets = []
    text = data.decode(encoding, errors="rwb-record")
    return text, _found.offsets


def _lines_of(data: bytes, offsets: list[int]) -> list[tuple[int, int, int]]:
    """(line, first bad byte offset, bad sequences) per affected line (line numbers from 1)."""
    out: dict[int, list[int]] = {}
    line, pos = 1, 0
    for off in sorted(offsets):
        line += data.count(b"\n", pos, off)
        pos = off
        out.setdefault(line, []).append(off)
    return [(ln, offs[0], len(offs)) for ln, offs in out.items()]


def decode_text(data: bytes, display: str, utf16: bool = False) -> Decoded:
    """Bytes → text, with the lines that held undecodable bytes; raises when it is not text."""
    if utf16 or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        enc = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else (
            "utf-16-le" if data[1:4096:2].count(0) > data[0:4096:2].count(0) else "utf-16-be")
        text, offsets = _record_errors(data, enc)
        return _checked(Decoded(text.lstrip("\ufeff"), enc, _lines_of(data, offsets)), data, display)
    if b"\x00" in data[:65536]:
        raise UnreadableFileError("binary content (NUL bytes), not a text CSV",
                                  message_zh="文件为二进制内容(含 NUL 字节),不是文本 CSV", file=display)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return _checked(Decoded(data.decode(enc), enc), data, display)
        except UnicodeDecodeError:
            continue
    # some bytes are bad: take the encoding that fits the most, bad bytes replaced and located
    best: tuple[str, str, list[int]] | None = None
    for enc in ("utf-8-sig", "gb18030"):
        text, offsets = _record_errors(data, enc)
        if best is None or len(offsets) < len(best[2]):
            best = (enc, text, offsets)
    guess = from_bytes(data[:200_000]).best()
    if guess is not None and guess.encoding not in ("utf_8", "gb18030", "ascii"):
        try:
            return _checked(Decoded(data.decode(guess.encoding), guess.encoding), data, display)
        except (UnicodeDecodeError, LookupError):
            pass
    assert best is not None  # the loop above ran twice
    enc, text, offsets = best
    return _checked(Decoded(text.removeprefix("\ufeff"), enc, _lines_of(data, offsets)), data, display)


def _checked(d: Decoded, data: bytes, display: str) -> Decoded:
    lines = max(1, d.text.count("\n") + (0 if d.text.endswith("\n") else 1))
    if d.bad_lines and len(d.bad_lines) > MOSTLY_BAD * lines:
        raise UnreadableFileError(
            f"text is mostly undecodable ({len(d.bad_lines)} of {lines} lines hold bytes that are not {d.encoding})",
            message_zh=f"文本大部分无法解码({lines} 行中有 {len(d.bad_lines)} 行含非 {d.encoding} 字节)", file=display)
    sample = d.text[:4096]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if sample and control / len(sample) > 0.05:
        raise UnreadableFileError("binary content (control characters), not a text CSV",
                                  message_zh="文件为二进制内容(含控制字符),不是文本 CSV", file=display)
    return d


def csv_grid(text: str, display: str) -> tuple[list[list[Any]], list[int]]:
    """Text → rectangular grid, and the line where each record starts."""
    first = text[:4096]
    delimiter = max([",", "\t", ";"], key=first.count) if any(d in first for d in ",\t;") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid: list[list[Any]] = []
    lines: list[int] = []
    previous = 0
    try:
        for record in reader:
            grid.append(record)
            lines.append(previous + 1)
            previous = reader.line_num
    except csv.Error as exc:
        raise UnreadableFileError(
            f"malformed CSV near line {reader.line_num}: {exc}",
            message_zh=f"CSV 格式错误(约第 {reader.line_num} 行):{exc}", file=display, row=reader.line_num,
        ) from exc
    width = max((len(r) for r in grid), default=0)
    grid = [r if len(r) == width else r + [""] * (width - len(r)) for r in grid]
    return grid, lines
