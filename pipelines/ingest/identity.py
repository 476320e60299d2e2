"""Names as identities: one normalisation for branch, township and county names, and the registry match.

A name is normalised once (NFKC; every Unicode space, control and format character removed —
a zero-width space or a right-to-left override is invisible on screen and must not make a new
branch). The registry match then tries, in order: the name itself; the name with the declared
equivalences of ``pipelines/domain/matching.yaml`` made equal (大丰村支部 = 大丰村党支部), when that
names exactly one registry branch of the county; and otherwise lists the close registry names
as suggestions (difflib), never guessing.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines import config
from pipelines.domain import load

MATCHING_FILE = config.DOMAIN_DIR / "matching.yaml"
# spaces (Z*), controls (Cc), format characters (Cf: U+200B, U+202E, U+FEFF, soft hyphen …)
_INVISIBLE = re.compile(r"[\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
                        r"\u2060-\u206f\u3000\ufeff\ufff9-\ufffb]")


def normalize_name(value: Any) -> str:
    """NFKC, every space, control and format character removed ('' for a blank)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    visible = _INVISIBLE.sub("", text)
    if any(unicodedata.category(ch) in ("Cf", "Cc", "Zs", "Zl", "Zp") for ch in visible):  # rarer ones
        visible = "".join(ch for ch in visible if unicodedata.category(ch) not in ("Cf", "Cc", "Zs", "Zl", "Zp"))
    if visible != text:  # what stood between a letter and its accent is gone: compose them (a ¨ → ä)
        visible = unicodedata.normalize("NFKC", visible)
    return visible


def had_invisible(value: Any) -> bool:
    """Whether ``value`` held a control or format character (not a mere space): worth a warning."""
    if not isinstance(value, str):
        return False
    return any(unicodedata.category(ch) in ("Cf", "Cc") for ch in value)


@dataclass(frozen=True)
class Matching:
    """The declared equivalences and correction words (pipelines/domain/matching.yaml)."""

    equivalences: tuple[tuple[str, ...], ...]
    correction_words: tuple[str, ...]
    cutoff: float
    max_suggestions: int

    def key(self, name: str) -> str:
        """The name with each equivalence group's words made one (the group's first word)."""
        for group, pattern in zip(self.equivalences, self._patterns(), strict=True):
            name = pattern.sub(group[0], name)
        return name

    def _patterns(self) -> tuple[re.Pattern[str], ...]:
        # one alternation per group, longest word first: the leftmost, longest spelling is replaced
        return _group_patterns(self.equivalences)

    def is_correction(self, file_name: str) -> str | None:
        """The correction word in a file name (补报, 更正 …), or None."""
        text = unicodedata.normalize("NFKC", file_name)
        return next((w for w in self.correction_words if w in text), None)


@lru_cache(maxsize=16)
def _group_patterns(groups: tuple[tuple[str, ...], ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile("|".join(re.escape(w) for w in sorted(g, key=len, reverse=True))) for g in groups)


@lru_cache(maxsize=4)
def matching(path: Path = MATCHING_FILE) -> Matching:
    raw = load._read(Path(path))
    groups = tuple(tuple(normalize_name(w) for w in g) for g in raw.get("branch_equivalences", []))
    near = raw.get("near_miss", {})
    return Matching(groups, tuple(raw.get("correction_words", [])), float(near.get("cutoff", 0.75)),
                    int(near.get("max_suggestions", 3)))


class RegistryIndex:
    """The registry's branches per county: exact names, equivalence keys, and names for suggestions."""

    def __init__(self, counties: list[str], townships: list[str | None], branches: list[str], rules: Matching) -> None:
        self.rules = rules
        self.exact: set[tuple[str, str]] = set()
        self.by_key: dict[tuple[str, str], list[str]] = {}
        self.names: dict[str, list[str]] = {}
        self.town_names: dict[tuple[str, str | None], list[str]] = {}
        for county, town, branch in zip(counties, townships, branches, strict=True):
            self.exact.add((county, branch))
            self.by_key.setdefault((county, rules.key(branch)), []).append(branch)
            self.names.setdefault(county, []).append(branch)
            self.town_names.setdefault((county, town), []).append(branch)

    def equivalent(self, county: str, branch: str) -> str | None:
        """The one registry branch of ``county`` equal to ``branch`` under the equivalences."""
        hits = self.by_key.get((county, self.rules.key(branch)), [])
        return hits[0] if len(set(hits)) == 1 else None

    def suggestions(self, county: str, township: str | None, branch: str) -> list[str]:
        """Registry names of the county close to ``branch`` (its township's first; a row without a
        township is compared with the whole county, not with the registry's branches without one)."""
        county_pool = self.names.get(county, [])
        pool = (self.town_names.get((county, township)) if township is not None else None) or county_pool
        found = difflib.get_close_matches(branch, pool, n=self.rules.max_suggestions, cutoff=self.rules.cutoff)
        if not found and pool is not county_pool:
            found = difflib.get_close_matches(branch, county_pool, n=self.rules.max_suggestions,
                                              cutoff=self.rules.cutoff)
        return found
