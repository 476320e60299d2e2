"""What a file is, from its bytes: the extension is a hint, the content decides.

Web systems export an HTML table named ``.xls``; a clerk renames ``.xlsx`` to ``.xls``; Excel's
"Unicode text" is UTF-16 with tabs. A few magic bytes and the ZIP directory tell the format;
text is then decoded by :mod:`pipelines.ingest.text` (charset-normalizer where UTF-8 and
GB18030 do not fit). :func:`detect` names the format and whether the extension agreed.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

# the format each extension promises (a family: .txt may hold UTF-16 text, that is no lie)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    ".xlsx": ("xlsx",), ".xlsm": ("xlsx",), ".xltx": ("xlsx",), ".xlsb": ("xlsb",),
    ".xls": ("xls",), ".xlt": ("xls",), ".et": ("xls",), ".ods": ("ods",),
    ".csv": ("text", "utf16"), ".txt": ("text", "utf16"), ".tsv": ("text", "utf16"),
    ".htm": ("html",), ".html": ("html",),
}
READABLE = ("xlsx", "xlsb", "xls", "ods", "html", "utf16", "text")
SPREADSHEET = ("xlsx", "xlsb", "xls", "ods", "html", "utf16")  # worth reading whatever the extension
KINDS = ("xlsx", "xlsb", "xls", "ods", "html", "utf16", "text", "docx", "word", "encrypted", "pdf", "image", "zip",
         "ole", "binary")


def describe(kind: str, lang: str) -> str:
    """A format in words (zh/en); the words live with the warning that names it (domain/warnings.yaml)."""
    from pipelines.ingest.warning_codes import catalogue

    return catalogue()["extension_mismatch"]["choices"]["detected"][kind][lang]


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Detected:
    """The format found in the bytes, and the extension's promise."""

    kind: str  # one of KINDS
    extension: str  # lower case, with the dot ('' when none)

    @property
    def lied(self) -> bool:
        """The extension promises a spreadsheet format the content is not."""
        promised = EXTENSIONS.get(self.extension)
        return promised is not None and self.kind not in promised

    @property
    def known_extension(self) -> bool:
        return self.extension in EXTENSIONS

    def describe(self, lang: str) -> str:
        return describe(self.kind, lang)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if "mimetype" in names and b"spreadsheet" in zf.read("mimetype"):
                return "ods"
            if "word/document.xml" in names:
                return "docx"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return "xlsx"  # a broken ZIP: the spreadsheet reader says why
    return "zip"


def _utf16(head: bytes) -> bool:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    sample = head[:4096]
    if len(sample) < 8:
        return False
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    return max(odd, even) > len(sample) // 4 and min(odd, even) < len(sample) // 40


def _html(head: bytes) -> bool:
    text = head[:65536].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")):
        return True
    return text.startswith(b"<") and b"<table" in text and (b"<tr" in text or b"<html" in text)


def detect(path: Path, head: bytes) -> Detected:
    """The format of ``path`` from its first bytes ``head`` (and its ZIP directory)."""
    ext = path.suffix.lower()
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        kind = _zip_kind(path)
    elif head.startswith(_OLE[:4]):
        kind = "xls"  # or a Word file / an encrypted workbook: the reader tells them apart on failure
    elif head.startswith(b"%PDF"):
        kind = "pdf"
    elif head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        kind = "image"
    elif _utf16(head):
        kind = "utf16"
    elif _html(head):
        kind = "html"
    elif b"\x00" in head[:65536]:
        kind = "binary"
    else:
        kind = "text"
    return Detected(kind, ext)


def ole_kind(data: bytes) -> str:
    """What an OLE file is when it is not a workbook calamine can read."""
    if "EncryptedPackage".encode("utf-16-le") in data:
        return "encrypted"
    if "WordDocument".encode("utf-16-le") in data:
        return "word"
    return "ole"
