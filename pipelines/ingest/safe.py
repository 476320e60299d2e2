"""Text from a file made safe to print: control and format characters escaped, long values cut.

A cell can hold ESC or BEL (a terminal would obey them), a right-to-left override (U+202E, which
makes a name display reversed: a spoofed branch), or ten thousand characters. Every message the
ingest stage writes — console, manifest, rejects, warnings — shows such values through
:func:`safe`, so that what is printed is what the file holds, visibly.
"""

from __future__ import annotations

import unicodedata
from typing import Any

MAX_CHARS = 60
ELLIPSIS = "…"


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _needs_escape(ch: str) -> bool:
    # Cc: C0/C1 controls and DEL; Cf: format characters (bidi overrides, zero-width, BOM);
    # Zl/Zp: line and paragraph separators; line breaks and tabs too (one message, one line)
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs")


def safe(value: Any, limit: int = MAX_CHARS) -> str:
    """``value`` as one printable line: controls/format characters as \\x1b, \\u202e; cut with … ."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[:limit] + ELLIPSIS
    if text.isprintable() and not any(_needs_escape(ch) for ch in text):
        return text
    return "".join(_escape(ch) if _needs_escape(ch) or not ch.isprintable() and ch != " " else ch for ch in text)
