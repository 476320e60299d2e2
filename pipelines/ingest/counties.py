"""County names and codes: one alias table from counties.yaml, extended by the registry.

The counties are data, not code: a registry that names counties beyond counties.yaml adds
them (with the code from its code column when it has one), so the same workbench serves
another city or a province. A county is found in a column, a title row, the sheet name or the
file name, always through this table (兴宁 → 兴宁市; 梅县 as the 2005 returns wrote it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines import config
from pipelines.domain import load

_SPACE_RE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", str(text)))


@dataclass(frozen=True)
class CountyTable:
    """Canonical names in order, their codes, and every alias → canonical name."""

    names: tuple[str, ...]
    codes: dict[str, str | None]
    aliases: dict[str, str]

    @classmethod
    def from_yaml(cls, path: Path = config.COUNTIES_FILE) -> CountyTable:
        data = load.counties(Path(path))
        names, codes, aliases = [], {}, {}
        for c in data["counties"]:
            names.append(c["name"])
            codes[c["name"]] = None if c.get("code") is None else str(c["code"])
            for a in [c["name"], *c.get("aliases", [])]:
                aliases.setdefault(_norm(a), c["name"])
        return cls(tuple(names), codes, aliases)

    def resolve(self, value: object) -> str | None:
        """A cell → canonical county name, or None when it is not a known county."""
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return None
        return self.aliases.get(_norm(value))

    def find_in(self, text: str) -> str | None:
        """The county named inside free text (a title, a file name): earliest, then longest alias."""
        text = _norm(text)
        best: tuple[int, int, str] | None = None
        for alias, name in self.aliases.items():
            pos = text.find(alias)
            if pos >= 0 and (best is None or (pos, -len(alias)) < (best[0], best[1])):
                best = (pos, -len(alias), name)
        return best[2] if best else None

    def extended(self, counties: Iterable[str], codes: Iterable[object] | None = None) -> CountyTable:
        """This table plus any county the registry names that it does not know."""
        names, code_map, aliases = list(self.names), dict(self.codes), dict(self.aliases)
        codes = list(codes) if codes is not None else None
        for i, county in enumerate(counties):
            if county is None or (isinstance(county, float) and pd.isna(county)):
                continue
            key = _norm(county)
            if not key:
                continue
            code = codes[i] if codes is not None else None
            code = None if code is None or (isinstance(code, float) and pd.isna(code)) or str(code).strip() == "" else str(code).strip()
            if isinstance(code, str) and code.endswith(".0"):
                code = code[:-2]
            canonical = aliases.get(key)
            if canonical is None:
                canonical = unicodedata.normalize("NFKC", str(county)).strip()
                names.append(canonical)
                aliases[key] = canonical
                code_map[canonical] = code
            elif code_map.get(canonical) is None and code:
                code_map[canonical] = code
        return CountyTable(tuple(names), code_map, aliases)
