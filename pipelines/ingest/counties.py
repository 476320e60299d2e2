"""County names and codes: one alias table from counties.yaml, extended by the registry.

The counties are data, not code: a registry that names counties beyond counties.yaml adds
them (with the code from its code column when it has one), so the same workbench serves
another city or a province. A county is found in a column, a title row, the sheet name or the
file name, always through this table (兴宁 → 兴宁市; 梅县 as the 2005 returns wrote it). A cell
resolves by name or alias, by the 2005 code or today's (441421, 441403), by its English
(pinyin) name from counties.yaml (Meixian, meixian), or with the city written before it (梅州市梅县).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines import config
from pipelines.domain import load
from pipelines.ingest.identity import normalize_name

_SUFFIX_RE = re.compile(r"(县|区|市)$")
_CODE_RE = re.compile(r"^(\d{6})(?:\.0+)?$")


def _norm(text: object) -> str:
    return normalize_name(text).lower()


def _spellings(name: str, name_en: str | None = None) -> list[str]:
    """The English/pinyin spellings of a county (Meixian, Meixian County), from counties.yaml's name_en."""
    if not name_en:
        return []
    return [name_en, f"{name_en} county", f"{name_en} district", f"{name_en} city"]


@dataclass(frozen=True)
class CountyTable:
    """Canonical names in order, their codes, and every alias → canonical name."""

    names: tuple[str, ...]
    codes: dict[str, str | None]
    aliases: dict[str, str]  # names, aliases, pinyin/English spellings (lower case) → canonical name
    by_code: dict[str, str] | None = None  # 2005 and today's codes → canonical name
    city_prefixes: tuple[str, ...] = ()

    @classmethod
    def from_yaml(cls, path: Path = config.COUNTIES_FILE) -> CountyTable:
        data = load.counties(Path(path))
        names: list[str] = []
        codes: dict[str, str | None] = {}
        aliases: dict[str, str] = {}
        by_code: dict[str, str] = {}
        for c in data["counties"]:
            names.append(c["name"])
            codes[c["name"]] = None if c.get("code") is None else str(c["code"])
            for a in [c["name"], *c.get("aliases", [])]:
                aliases.setdefault(_norm(a), c["name"])
            for code in (c.get("code"), c.get("code_today")):
                if code is not None:
                    by_code.setdefault(str(code), c["name"])
        for c in data["counties"]:  # spellings last: a name or alias always wins
            for a in _spellings(c["name"], c.get("name_en")):
                aliases.setdefault(_norm(a), c["name"])
        city = data.get("city", {})
        written = [city.get("name"), city.get("name_en")]
        if city.get("name"):
            written.append(_SUFFIX_RE.sub("", city["name"]))
        prefixes = tuple(sorted({_norm(p) for p in written if p}, key=len, reverse=True))
        return cls(tuple(names), codes, aliases, by_code, prefixes)

    def resolve(self, value: object) -> str | None:
        """A cell → canonical county name, or None when it is not a known county."""
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        key = _norm(value)
        hit = self.aliases.get(key)
        if hit is not None:
            return hit
        m = _CODE_RE.match(key)
        if m and self.by_code:
            return self.by_code.get(m.group(1))
        for prefix in self.city_prefixes:  # 梅州市梅县, 梅州梅县
            if key.startswith(prefix) and len(key) > len(prefix):
                hit = self.aliases.get(key[len(prefix):])
                if hit is not None:
                    return hit
        return None

    def find_in(self, text: str) -> str | None:
        """The county named inside free text (a title, a file name): earliest, then longest alias.

        Only names and aliases (not pinyin or codes) are looked for inside text."""
        text = _norm(text)
        best: tuple[int, int, str] | None = None
        for alias, name in self.aliases.items():
            if alias.isascii():
                continue
            pos = text.find(alias)
            if pos >= 0 and (best is None or (pos, -len(alias)) < (best[0], best[1])):
                best = (pos, -len(alias), name)
        return best[2] if best else None

    def extended(self, counties: Iterable[str], codes: Iterable[object] | None = None) -> CountyTable:
        """This table plus any county the registry names that it does not know."""
        names, code_map, aliases = list(self.names), dict(self.codes), dict(self.aliases)
        by_code = dict(self.by_code or {})
        codes = list(codes) if codes is not None else None
        for i, county in enumerate(counties):
            if county is None or (isinstance(county, float) and pd.isna(county)):
                continue
            key = _norm(county)
            if not key:
                continue
            code = codes[i] if codes is not None else None
            blank = code is None or (isinstance(code, float) and pd.isna(code)) or str(code).strip() == ""
            code = None if blank else str(code).strip()
            if isinstance(code, str) and code.endswith(".0"):
                code = code[:-2]
            canonical = aliases.get(key)
            if canonical is None:
                canonical = normalize_name(county)
                names.append(canonical)
                aliases[key] = canonical
                code_map[canonical] = code
            elif code_map.get(canonical) is None and code:
                code_map[canonical] = code
            if code:
                by_code.setdefault(code, canonical)
        return CountyTable(tuple(names), code_map, aliases, by_code, self.city_prefixes)
