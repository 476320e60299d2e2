"""The rows: every notebook parameter and nightly setting, what it allows, and its check.

A check takes (name, value, context) and returns the value to use or raises
:class:`ParameterError`, whose text is one line naming the parameter, the value and what is
allowed. Standard library only: the nightly's "nothing changed" path goes through here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from pipelines import config

NARRATIVE_TEMPLATE = re.compile(r"^phrases\.([a-z]{2,3})\.j2$")
#: A period is written as an ISO date; ``date.fromisoformat`` alone would also take 20050225.
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_VALUE_CHARS = 80


class ParameterError(ValueError):
    """A parameter value that is not allowed; ``str(err)`` is the one line to show."""

    def __init__(self, name: str, value: Any, problem: str, allowed: str) -> None:
        self.name, self.value, self.problem, self.allowed = name, value, problem, allowed
        super().__init__(f"parameter {name}={show_value(value)}: {problem} (allowed: {allowed})")


def show_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


@dataclasses.dataclass(frozen=True)
class Context:
    """What a check may need besides the value: the periods in the data and the thresholds file."""

    periods: Collection[str] | None = None  # ISO dates; None when they cannot be known yet
    periods_from: str = ""  # where they were found, for the message
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # the other parameters


@dataclasses.dataclass(frozen=True)
class Spec:
    """One parameter: the allowed values in words (messages and docs) and the check."""

    allowed: str
    check: Callable[[str, Any, Context], Any]  # returns the value to use, or raises ParameterError


# --- checks -------------------------------------------------------------------------------------

def _folder(must_exist: bool) -> Callable[[str, Any, Context], Any]:
    def check(name: str, value: Any, ctx: Context) -> Any:
        if value is None:
            return None
        if not isinstance(value, str | Path) or not str(value).strip():
            raise ParameterError(name, value, "not a folder path", NOTEBOOK_PARAMETERS[name].allowed)
        path = Path(value).expanduser()
        if must_exist and not path.is_dir():
            raise ParameterError(name, value, "no such folder", NOTEBOOK_PARAMETERS[name].allowed)
        if not must_exist and path.exists() and not path.is_dir():
            raise ParameterError(name, value, "exists and is not a folder", NOTEBOOK_PARAMETERS[name].allowed)
        return str(value)

    return check


def _existing_file(name: str, value: Any, ctx: Context) -> Any:
    if value is None:
        return None
    allowed = NOTEBOOK_PARAMETERS[name].allowed
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ParameterError(name, value, "not a file path", allowed)
    if not Path(value).expanduser().is_file():
        raise ParameterError(name, value, "no such file", allowed)
    return str(value)


def _overrides(name: str, value: Any, ctx: Context) -> dict[str, Any]:
    """A mapping, or the same as a JSON string (what ``papermill -p overrides '{…}'`` passes)."""
    allowed = NOTEBOOK_PARAMETERS[name].allowed
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ParameterError(name, value, "not valid JSON", allowed) from None
    if not isinstance(value, Mapping):
        raise ParameterError(name, value, "not a mapping", allowed)
    bad = [k for k in value if not isinstance(k, str) or not k.strip()]
    if bad:
        raise ParameterError(name, value, f"key {bad[0]!r} is not a dotted name", allowed)
    return dict(value)


def parse_period(name: str, value: Any) -> dt.date:
    """Strict ISO ``YYYY-MM-DD`` → date; anything else (20050225, 2005-02-30) is a ParameterError."""
    allowed = NOTEBOOK_PARAMETERS["period"].allowed
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not ISO_DATE.match(value.strip()):
        raise ParameterError(name, value, "not an ISO date YYYY-MM-DD", allowed)
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ParameterError(name, value, f"not a real date ({exc})", allowed) from None


def _period(name: str, value: Any, ctx: Context) -> str | None:
    if value is None:
        return None
    day = parse_period(name, value).isoformat()
    if ctx.periods is not None and day not in ctx.periods:
        where = f" in {ctx.periods_from}" if ctx.periods_from else ""
        raise ParameterError(name, value, f"no such period{where}", f"null or one of {short_list(sorted(ctx.periods))}")
    return day


def _language(name: str, value: Any, ctx: Context) -> str:
    known = languages()
    if value not in known:
        raise ParameterError(name, value, "no phrase templates in that language", " or ".join(known))
    return value


def _text(name: str, value: Any, ctx: Context) -> str | None:
    if value is not None and not (isinstance(value, str) and value.strip()):
        raise ParameterError(name, value, "not a non-empty text", NOTEBOOK_PARAMETERS[name].allowed)
    return value if value is None else value.strip()


def _date(name: str, value: Any, ctx: Context) -> str | None:
    return None if value is None else parse_period(name, value).isoformat()


def _file_list(name: str, value: Any, ctx: Context) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ParameterError(name, value, "not a list of file paths", NOTEBOOK_PARAMETERS[name].allowed)
    return list(value)


def _boolean(name: str, value: Any, ctx: Context) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(name, value, "not a boolean", "true or false")
    return value


def _whole(minimum: int, *, none_ok: bool = False) -> Callable[[str, Any, Context], Any]:
    def check(name: str, value: Any, ctx: Context) -> Any:
        if value is None and none_ok:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ParameterError(name, value, "not a whole number", SETTINGS[name].allowed)
        return value

    return check


def _name(name: str, value: Any, ctx: Context) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[\w.\-]+", value):
        raise ParameterError(name, value, "not a kernel name", SETTINGS[name].allowed)
    return value


def _engine(name: str, value: Any, ctx: Context) -> str | None:
    from pipelines.aggregate.engine import ENGINES  # a tuple of names: no engine is imported

    if value is not None and value not in ENGINES:
        raise ParameterError(name, value, "not an engine of the aggregate layer", " or ".join(ENGINES))
    return value


def _memory(name: str, value: Any, ctx: Context) -> str | None:
    if value is not None and not (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value.strip())):
        raise ParameterError(name, value, "not a memory size", NOTEBOOK_PARAMETERS[name].allowed)
    return value


def _spark_url(name: str, value: Any, ctx: Context) -> str | None:
    if value is not None and not (isinstance(value, str) and re.fullmatch(r"(local(\[[\d*]+\])?|[a-z]+://\S+)", value)):
        raise ParameterError(name, value, "not a Spark master or Spark Connect address", NOTEBOOK_PARAMETERS[name].allowed)
    return value


def short_list(items: list[str], most: int = 6) -> str:
    if not items:
        return "(none found)"
    if len(items) <= most:
        return ", ".join(items)
    return f"{', '.join(items[:2])}, …, {', '.join(items[-2:])} ({len(items)} in all)"


# --- the tables ---------------------------------------------------------------------------------

#: Notebook parameters by name (a name means the same in every notebook that declares it).
NOTEBOOK_PARAMETERS: dict[str, Spec] = {
    "raw_dir": Spec("null (config.RAW_DIR) or an existing folder", _folder(must_exist=True)),
    "processed_dir": Spec("null (config.PROCESSED_DIR) or a folder path", _folder(must_exist=False)),
    "cache_dir": Spec("null (<processed_dir>/.cache) or a folder path: where the stages keep what they made "
                      "between runs (<cache_dir>/clean: each file's cleaned rows; <cache_dir>/metrics: each period's "
                      "sums and verdicts); the nightly sets <reports>/cache", _folder(must_exist=False)),
    "full": Spec("true or false: true discards the stage's cache, every file read and every period computed "
                 "again (the nightly's --full)", _boolean),
    "thresholds_file": Spec("null or an existing YAML file layered over pipelines/params/thresholds.yaml",
                            _existing_file),
    "overrides": Spec('a mapping of dotted threshold keys to values, or the same as a JSON string, e.g. '
                      '{"weak_links.below_city.share": 3}', _overrides),
    "period": Spec("null (the latest period) or an ISO date YYYY-MM-DD of a period in the data", _period),
    "language": Spec("a language with phrase templates: pipelines/templates/phrases.<lang>.j2", _language),
    "issuer": Spec("null (pipelines/params/report.yaml) or the issuing office's name for the 落款", _text),
    "issue_date": Spec("null (the period's date) or an ISO date YYYY-MM-DD for the 落款", _date),
    "addressee": Spec("null (pipelines/params/report.yaml) or the 主送机关 line above the text", _text),
    "modified_code": Spec("a list of file paths (the nightly sets it with --allow-dirty; [] elsewhere)",
                          _file_list),
    "engine": Spec("null (config.ENGINE: duckdb unless RWB_ENGINE says otherwise), duckdb or spark", _engine),
    "memory_limit": Spec("null or a memory size such as 2GB (DuckDB's limit; Spark's driver memory)", _memory),
    "spark_master": Spec("null (local[*]), local[N], a spark:// master URL or a Spark Connect sc:// address",
                         _spark_url),
}

#: Nightly runner settings (pipelines/params/nightly.yaml, top level).
SETTINGS: dict[str, Spec] = {
    "kernel": Spec("the name of an installed Jupyter kernel (make venv registers returns-workbench)", _name),
    "execution_timeout": Spec("a whole number of seconds ≥ 1, or null for no limit", _whole(1, none_ok=True)),
    "start_timeout": Spec("a whole number of seconds ≥ 1", _whole(1)),
    "keep_runs": Spec("a whole number ≥ 0 (0 keeps every run)", _whole(0)),
    "pdf": Spec("true or false", _boolean),
    "docx": Spec("true or false", _boolean),
    "promote_incomplete": Spec("true or false", _boolean),
}


def languages() -> list[str]:
    """Languages that have a narrative template, found by listing the templates folder."""
    return sorted(m.group(1) for p in config.TEMPLATES_DIR.iterdir() if (m := NARRATIVE_TEMPLATE.match(p.name)))


def raw_periods(raw: Path) -> list[str]:
    """ISO dates of the period folders in a raw folder (``2005-02-25/``; ``registry/`` is not one)."""
    out = []
    for path in Path(raw).iterdir() if Path(raw).is_dir() else ():
        if path.is_dir() and ISO_DATE.match(path.name):
            try:
                out.append(dt.date.fromisoformat(path.name).isoformat())
            except ValueError:
                continue
    return sorted(out)


def check_setting(name: str, value: Any) -> Any:
    spec = SETTINGS.get(name)
    if spec is None:
        raise ParameterError(name, value, "unknown setting", ", ".join(SETTINGS))
    return spec.check(name, value, Context())


def check_values(values: Mapping[str, Any], ctx: Context | None = None, prefix: str = "") -> dict[str, Any]:
    """Check each notebook parameter by its row; returns the values to use (JSON overrides parsed).

    ``prefix`` (e.g. ``03_report.``) goes in front of the name in messages.
    """
    ctx = ctx or Context(values=values)
    out = {}
    for name, value in values.items():
        spec = NOTEBOOK_PARAMETERS.get(name)
        if spec is None:
            raise ParameterError(prefix + name, value, "no check is defined for this parameter",
                                 "add a row to pipelines/params/rules.py NOTEBOOK_PARAMETERS")
        try:
            out[name] = spec.check(name, value, ctx)
        except ParameterError as err:
            if not prefix:
                raise
            raise ParameterError(prefix + name, value, err.problem, err.allowed) from None
    return out
