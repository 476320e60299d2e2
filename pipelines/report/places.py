"""Place names as a reader of each language reads them: counties, townships, branches.

Chinese names are shown as written. In English, counties take their names from counties.yaml
(大埔县 → Dabu); townships and branches are spelled in pinyin by pypinyin, with the readings,
whole names and endings of pipelines/domain/pinyin.yaml (光德镇 → Guangde Town, 长布镇 →
Changbu Town, 北径村党支部 → Beijing Village branch, 嘉应学院 → Jiaying University). Every
document names places through here, so a name reads the same in the text, the tables and charts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml
from pypinyin import lazy_pinyin, load_phrases_dict

from pipelines import config
from pipelines import numbers as fmt
from pipelines.domain import load


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    with open(config.PINYIN_FILE, encoding="utf-8") as fh:
        rules = yaml.safe_load(fh)
    load_phrases_dict({k: [[s] for s in v] for k, v in (rules.get("readings") or {}).items()})
    return rules


def _spell(stem: str) -> str:
    """A Chinese stem in pinyin, one capitalised word for a place name (光德 → Guangde); a long
    stem (an office's name) in capitalised syllables, which reads better than one long word."""
    syllables = [s for s in lazy_pinyin(stem) if s.strip()]
    if not syllables:
        return stem
    if len(syllables) <= 4:
        word = "".join(syllables)
        return word[:1].upper() + word[1:]
    return " ".join(s[:1].upper() + s[1:] for s in syllables)


def _stem(stem: str) -> str:
    """What comes before a translated ending: a known name, a township, an office of the county
    (县…, 区…, 市…), or plain pinyin."""
    rules = _rules()
    if stem in rules.get("names", {}):
        return rules["names"][stem]
    towns = rules.get("township_endings", {})
    if any(stem.endswith(e) and len(stem) > len(e) for e in towns):
        return _english(stem, towns)
    for prefix, word in (rules.get("office_prefixes") or {}).items():
        if stem.startswith(prefix) and len(stem) > len(prefix) + 1:
            return f"{word} {_spell(stem[len(prefix):])}"
    return _spell(stem)


def _english(name: str, endings: dict[str, str]) -> str:
    rules = _rules()
    if name in rules.get("names", {}):
        return rules["names"][name]
    for ending in sorted(endings, key=len, reverse=True):
        if name.endswith(ending) and len(name) > len(ending):
            return f"{_stem(name[: -len(ending)])} {endings[ending]}"
    return _spell(name)


def county(name: Any, lang: str, prose: bool = False) -> str:
    """A county (or the city total, 全市) as a person reads it in ``lang``. ``prose``: as a sentence
    names it (the city-level units, lower case, where a table heads a row "City-level units")."""
    if fmt.is_missing(name):
        return ""
    name = str(name)
    if lang == "zh":
        return name
    if name == load.city_total_label():
        return "the city" if prose else load.counties()["city"].get("total_label_en", name)
    for c in load.counties()["counties"]:
        if c["name"] == name:
            english = c.get("name_en", name)
            return f"the {english[:1].lower()}{english[1:]}" if prose and is_city_units(name) else english
    return _spell(name)


def plural(name: Any) -> bool:
    """Whether a county's English name takes a plural verb (the city-level units are …)."""
    return is_city_units(name)


def township(name: Any, lang: str) -> str:
    """A township (乡镇、街道 or department) in ``lang``: 光德镇 → Guangde Town."""
    if fmt.is_missing(name):
        return ""
    name = str(name)
    return name if lang == "zh" else _english(name, _rules().get("township_endings", {}))


def branch(name: Any, lang: str) -> str:
    """A party branch in ``lang``: 北径村党支部 → Beijing Village branch."""
    if fmt.is_missing(name):
        return ""
    name = str(name)
    return name if lang == "zh" else _english(name, _rules().get("branch_endings", {}))


def is_city_units(name: Any) -> bool:
    """Whether ``name`` is the city-level units (市直单位: the city's own code, no territory)."""
    city_code = str(load.counties()["city"].get("code"))
    return any(c["name"] == str(name) and str(c.get("code")) == city_code for c in load.counties()["counties"])


def in_county(county_name: Any, township_name: Any, lang: str) -> str:
    """A township with its county: 大埔县光德镇 / Guangde Town (Dabu)."""
    if lang == "zh":
        return f"{county(county_name, lang)}{township(township_name, lang)}"
    return f"{township(township_name, lang)} ({county(county_name, lang)})"


def place(row: Any, lang: str) -> str:
    """County, township and branch of a finding's place, down to its level: 大埔县光德镇 /
    Guangde Town, Dabu."""
    level = row["level"]
    if level == "city":
        return county(load.city_total_label(), lang)
    parts = [county(row["county"], lang)]
    if level in ("township", "branch") and not fmt.is_missing(row.get("township")):
        parts.append(township(row["township"], lang))
    if level == "branch" and not fmt.is_missing(row.get("branch")):
        parts.append(branch(row["branch"], lang))
    parts = [p for p in parts if p]
    if lang == "zh":
        return "".join(parts)
    if level == "branch" and len(parts) == 3:
        return f"{parts[2]} ({parts[1]}, {parts[0]})"
    return ", ".join(reversed(parts))
