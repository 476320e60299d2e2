"""Cell values → typed columns, vectorised: each distinct raw value is parsed once, then mapped.

Counties type numbers as text, add units (35人), use full-width digits (２８), Chinese numerals
(三十三), '、' for a decimal point (99、5), dashes or 无 for zero, and 是/否/√/× for yes/no.
A value that cannot be read is reported (``bad`` mask → rule ``unparseable_value``), never
silently turned into a null; a blank stays <NA>, distinct from 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingest.identity import normalize_name as _identity_name

_STR_DTYPE = pd.StringDtype(na_value=np.nan)  # pandas' default "str"
_BLANK = object()  # parser result for a blank cell
_BAD = object()  # parser result for an unreadable cell
_PERCENT = object()  # a count given as a percentage (typed "35%", or a cell formatted as one)
_ERROR = object()  # a cached Excel error (#DIV/0!, #REF!)
_FORMULA = object()  # a formula saved without its result
# why a cell could not be read, per cell: 0 read (or blank), then one code per reason
REASONS = {_BAD: 1, _PERCENT: 2, _ERROR: 3, _FORMULA: 4}
REASON_RULES = {1: "unparseable_value", 2: "percent_count", 3: "excel_error", 4: "uncached_formula"}
EXCEL_ERRORS = frozenset({"#DIV/0!", "#REF!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"})

ZERO_TOKENS = frozenset({"-", "--", "---", "—", "——", "–", "−", "一一", "无", "没有", "〇", "零"})
BLANK_TOKENS = frozenset({"", "/", "\\", "／"})
_UNIT_RE = re.compile(r"(人次|个支部|支部|人|个|次|名|场|分|期|户|位|份|张|项|篇)$")
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_MARK_RE = re.compile(r"(?<=\d)[、。](?=\d)")
_SPACE_RE = re.compile(r"\s+")

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3,
              "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
              "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}

YES_TOKENS = frozenset({"是", "√", "✓", "✔", "☑", "有", "y", "yes", "true", "1", "已制定", "已", "对"})
NO_TOKENS = frozenset({"否", "×", "✗", "✘", "☒", "x", "无", "没有", "n", "no", "false", "0", "未制定", "未", "-", "—"})


def normalize_text(value: Any) -> str:
    """NFKC (full-width → half-width), trimmed; the form every comparison uses."""
    if isinstance(value, str) and unicodedata.is_normalized("NFKC", value) and value.strip() == value:
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def chinese_to_number(text: str) -> float | None:
    """三十三 → 33, 一百零五 → 105, 二〇〇五 → 2005, 九十九点五 → 99.5; None if not a numeral."""
    if not text:
        return None
    sign = 1
    if text[0] in "负-":
        sign, text = -1, text[1:]
    whole, _, frac = text.partition("点")
    if not whole and not frac:
        return None
    if frac and not all(ch in _CN_DIGITS for ch in frac):
        return None
    whole_value = _chinese_int(whole) if whole else 0
    if whole_value is None:
        return None
    if frac:
        return sign * float(f"{whole_value}." + "".join(str(_CN_DIGITS[ch]) for ch in frac))
    return sign * whole_value


def _chinese_int(text: str) -> int | None:
    if all(ch in _CN_DIGITS for ch in text):  # positional: 二〇〇五 (text is never empty here)
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = section = num = 0
    for ch in text:
        if ch in _CN_DIGITS:
            num = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (num or 1) * _CN_UNITS[ch]
            num = 0
        elif ch in "万萬":
            total += (section + num) * 10_000
            section = num = 0
        else:
            return None
    return total + section + num


def parse_number(value: Any) -> tuple[Any, bool]:
    """One raw cell → (number | _BLANK | _BAD, is_percent)."""
    if value is None or value is _BLANK:
        return _BLANK, False
    if isinstance(value, bool):
        return _BAD, False
    if isinstance(value, (int, np.integer)):
        return float(value), False
    if isinstance(value, (float, np.floating)):
        return (_BLANK if math.isnan(value) else float(value)), False
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return _BAD, False
    text = _SPACE_RE.sub("", unicodedata.normalize("NFKC", str(value)))
    if text in BLANK_TOKENS:
        return _BLANK, False
    if text.upper() in EXCEL_ERRORS:
        return _ERROR, False
    if text.startswith("="):
        return _FORMULA, False
    if text in ZERO_TOKENS:
        return 0.0, False
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    text = _UNIT_RE.sub("", text)
    text = _DECIMAL_MARK_RE.sub(".", text)
    if _THOUSANDS_RE.match(text):
        text = text.replace(",", "")
    if _NUM_RE.match(text):
        return float(text), percent
    cn = chinese_to_number(text)
    if cn is not None:
        return float(cn), percent
    return _BAD, False


def parse_count(value: Any) -> Any:
    """A count: a whole number (negative kept so the rule can reject it); % is not a count."""
    number, percent = parse_number(value)
    if number in REASONS or number is _BLANK:
        return number
    if percent:
        return _PERCENT
    if not float(number).is_integer():
        return _BAD
    return int(number)


def parse_score(value: Any) -> Any:
    """A score out of 100 (99.5, 99、5, 99.5分, 99.5%)."""
    number, _ = parse_number(value)
    return number


def parse_yes_no(value: Any) -> Any:
    """是/否/√/×/有/无 (and 1/0, yes/no) → True/False."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return _BLANK
        return True if value == 1 else False if value == 0 else _BAD
    text = _SPACE_RE.sub("", unicodedata.normalize("NFKC", str(value))).lower() if value is not None else ""
    if text in {"", "/"}:
        return _BLANK
    if text.upper() in EXCEL_ERRORS:
        return _ERROR
    if text.startswith("="):
        return _FORMULA
    if text in YES_TOKENS:
        return True
    if text in NO_TOKENS:
        return False
    return _BAD


@dataclass(frozen=True)
class Encoded:
    """A raw column as (codes, distinct values): code -1 is a missing cell.

    Each sheet is factorized as soon as it is read, while its cells are still in cache, and the
    grid is dropped; sheets are then merged by their (few) distinct values, and every column of
    the stack shares that one table. Parsers run once per distinct value a column uses
    (:meth:`compact`) and results are gathered by code.
    """

    codes: np.ndarray  # int64, -1 for missing
    uniques: np.ndarray  # object

    def __len__(self) -> int:
        return len(self.codes)

    def value(self, i: int) -> Any:
        code = self.codes[i]
        return None if code < 0 else self.uniques[code]

    def all_missing(self) -> bool:
        return bool((self.codes < 0).all())

    def in_use(self) -> np.ndarray:
        """Indices of the distinct values the cells use (the table may be shared with other columns)."""
        used = np.zeros(len(self.uniques) + 1, dtype=bool)
        used[self.codes] = True  # code -1 marks the last slot
        return np.flatnonzero(used[:-1])

    def compact(self) -> Encoded:
        """The same column with only the distinct values it uses (the table may be shared)."""
        keep = self.in_use()
        if len(keep) == len(self.uniques):
            return self
        new = np.full(len(self.uniques) + 1, -1, dtype=np.int64)
        new[keep] = np.arange(len(keep), dtype=np.int64)
        return Encoded(new[self.codes], self.uniques[keep])


def factorize_cells(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int64 codes, object distinct values) of raw cells; -1 for a missing cell (None, NaN).

    Python hashes True like 1 and 1.0, so a yes/no cell would share a distinct value with a
    count elsewhere in the sheet: booleans (rare in returns) are factorized apart.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    if bool not in set(map(type, uniques)):
        return codes.astype(np.int64, copy=False), uniques
    is_bool = np.fromiter((type(v) is bool for v in values), dtype=bool, count=len(values))
    rest_codes, rest = pd.factorize(values[~is_bool], use_na_sentinel=True)
    bool_codes, bools = pd.factorize(values[is_bool], use_na_sentinel=True)
    out = np.empty(len(values), dtype=np.int64)
    out[~is_bool] = rest_codes
    out[is_bool] = bool_codes + len(rest)
    return out, np.concatenate([np.asarray(rest, dtype=object), np.asarray(bools, dtype=object)])


def _factorize(values: pd.Series | Encoded) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of raw cells; code -1 for a missing cell."""
    if isinstance(values, Encoded):
        used = values.compact()
        return used.codes, used.uniques
    return pd.factorize(values.to_numpy(dtype=object, na_value=None), use_na_sentinel=True)


def _index_name(values: pd.Series | Encoded) -> tuple[pd.Index, Any]:
    if isinstance(values, Encoded):
        return pd.RangeIndex(len(values)), None
    return values.index, values.name


_NUMPY_OF = {"Int64": (np.int64, pd.arrays.IntegerArray), "Float64": (np.float64, pd.arrays.FloatingArray),
             "boolean": (np.bool_, pd.arrays.BooleanArray)}


def _in_use(values: pd.Series | Encoded) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes, distinct values, indices of the distinct values the cells use).

    A stacked column shares its table with every other column: only the values it uses are
    parsed, and its codes index the shared table directly (no remapping)."""
    if isinstance(values, Encoded):
        return values.codes, values.uniques, values.in_use()
    codes, uniques = _factorize(values)
    return codes, uniques, np.arange(len(uniques))


def _typed(values: pd.Series | Encoded, parser: Callable[[Any], Any], dtype: str, fill: Any) -> tuple[pd.Series, pd.Series]:
    """Parse each distinct value once, then gather: numpy data + mask, never per-row Python."""
    codes, uniques, todo = _in_use(values)
    n = len(uniques)
    np_type, array_type = _NUMPY_OF[dtype]
    data: np.ndarray = np.zeros(n + 1, dtype=np_type)
    missing = np.ones(n + 1, dtype=bool)  # slot n: code -1 (a missing cell)
    bad = np.zeros(n + 1, dtype=np.int8)
    for i in todo.tolist():
        p = parser(uniques[i])
        if p is _BLANK:
            continue
        if type(p) is object:  # one of the REASONS sentinels
            bad[i] = REASONS[p]
        else:
            data[i] = p
            missing[i] = False
    index, name = _index_name(values)
    result = pd.Series(array_type(data[codes], missing[codes]), index=index, name=name)  # -1 → slot n
    return result, pd.Series(bad[codes], index=index, name=name)


def to_counts(values: pd.Series | Encoded) -> tuple[pd.Series, pd.Series]:
    """Raw cells → (Int64 counts, why each cell could not be read: 0 read, else a REASONS code)."""
    return _typed(values, parse_count, "Int64", None)


def to_scores(values: pd.Series | Encoded) -> tuple[pd.Series, pd.Series]:
    """Raw cells → (Float64 scores, mask of unreadable cells)."""
    return _typed(values, parse_score, "Float64", None)


def to_yes_no(values: pd.Series | Encoded) -> tuple[pd.Series, pd.Series]:
    """Raw cells → (boolean, mask of unreadable cells)."""
    return _typed(values, parse_yes_no, "boolean", None)


# ASCII graphic characters and CJK ideographs only: NFKC leaves these alone and there is no
# space to fold, so normalize_name would return the text unchanged (the common branch name)
_PLAIN_NAME = r"^[\x21-\x7e\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}]+$"
_RE2_SPECIAL = frozenset("\\.^$|?*+()[]{}")


def _normalised(uniques: np.ndarray, normalise: Callable[[Any], str]) -> pa.Array:
    """Each distinct value normalised (null for a blank) as Arrow text.

    Names that are already plain are recognised in one Arrow pass; Python runs on the rest.
    """
    if normalise is normalize_name and len(uniques):
        try:
            arr = pa.array(uniques, type=pa.large_string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers among the names: every value in Python
            arr = None
        if arr is not None:
            plain = pc.fill_null(pc.match_substring_regex(arr, pattern=_PLAIN_NAME), False)
            rest = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
            if not len(rest):
                return arr
            texts = uniques.copy()
            texts[rest] = [normalise(u) or None for u in uniques[rest]]
            return pa.array(texts, type=pa.large_string())
    return pa.array([normalise(u) or None for u in uniques], type=pa.large_string())


def _re2_literal(text: str) -> str:
    return "".join("\\" + ch if ch in _RE2_SPECIAL else ch for ch in text)


def _marker_hits(texts: pa.Array, how: str, markers: tuple[str, ...]) -> np.ndarray:
    """Which texts contain (or start with) any of ``markers``: one regex pass, not one per marker."""
    if not markers or not len(texts):
        return np.zeros(len(texts), dtype=bool)
    pattern = "|".join(_re2_literal(m) for m in markers)
    pattern = {"startswith": f"^(?:{pattern})", "endswith": f"(?:{pattern})$"}.get(how, pattern)
    return pc.fill_null(pc.match_substring_regex(texts, pattern=pattern), False).to_numpy(zero_copy_only=False)


def _gather_text(
    values: pd.Series | Encoded, normalise: Callable[[Any], str], flags: dict[str, tuple[str, tuple[str, ...]]] | None = None
) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """The normalised texts, and per flag a row mask (computed once per distinct text, in Arrow)."""
    codes, uniques = _factorize(values)
    texts = _normalised(np.asarray(uniques, dtype=object), normalise)
    where = np.where(codes < 0, len(texts), codes)
    flagged = {key: np.append(_marker_hits(texts, how, markers), False)[where]
               for key, (how, markers) in (flags or {}).items()}
    return _as_str(texts, codes, values), flagged


def _as_str(texts: pa.Array, codes: np.ndarray, values: pd.Series | Encoded) -> pd.Series:
    # gather in Arrow (code -1 → null): no Python object per row
    taken = texts.take(pa.array(codes, mask=codes < 0)) if len(texts) else pa.nulls(len(codes), pa.large_string())
    index, name = _index_name(values)
    return pd.Series(_STR_DTYPE.construct_array_type()._from_sequence(taken, dtype=_STR_DTYPE), index=index, name=name)


def to_codes(values: pd.Series | Encoded) -> pd.Series:
    """Raw cells → code text (441402, not 441402.0), <NA> for blanks; done on the distinct values."""
    codes, uniques = _factorize(values)
    texts = pc.replace_substring_regex(_normalised(np.asarray(uniques, dtype=object), normalize_text),
                                       pattern=r"\.0$", replacement="")
    return _as_str(texts, codes, values)


def to_text(values: pd.Series | Encoded) -> pd.Series:
    """Raw cells → normalised text (NFKC, trimmed), <NA> for blanks; one call per distinct value."""
    return _gather_text(values, normalize_text)[0]


def normalize_name(value: Any) -> str:
    """A branch/township/county name: NFKC, every space, control and format character removed."""
    return _identity_name(value)


def to_names(values: pd.Series | Encoded) -> pd.Series:
    """Raw cells → normalised names, <NA> for blanks; one call per distinct value."""
    return _gather_text(values, normalize_name)[0]


def to_names_flagged(
    values: pd.Series | Encoded, flags: dict[str, tuple[str, tuple[str, ...]]]
) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """Normalised names plus, per flag, a row mask: names that contain / start with a marker.

    ``flags``: key → ("contains" | "startswith", markers), e.g. the 小计/合计 rows."""
    return _gather_text(values, normalize_name, flags)


def raw_text(value: Any) -> str:
    """How a raw value is shown in rejects: as the person typed it (35.0 → 35)."""
    if value is None or value is _BLANK:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)
