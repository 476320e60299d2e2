"""Every notebook parameter and nightly setting, what it allows, and the check it gets before anything runs.

One table (:data:`NOTEBOOK_PARAMETERS`, :data:`SETTINGS`) serves three callers: the nightly checks
``-p`` values and nightly.yaml before it takes the lock; each notebook calls :func:`check_notebook`
right after its ``parameters`` cell, so papermill and JupyterLab get the same check; and
docs/nightly.md lists the same rows. A bad value raises :class:`ParameterError`: one line naming
the parameter, the value and what is allowed. A parameter without a row here is refused, so a new
parameter cannot go unchecked.

Standard library and PyYAML only at import time: the nightly's "nothing changed" path goes
through here. The threshold check (:func:`check_thresholds`) imports the metrics stage when called.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import difflib
import json
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from pipelines import config

#: The file name pattern of the narrative templates; a language is allowed when its template exists.
NARRATIVE_TEMPLATE = re.compile(r"^narrative\.([a-z]{2,3})\.html\.j2$")
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
        raise ParameterError(name, value, f"no such period{where}", f"null or one of {_list(sorted(ctx.periods))}")
    return day


def _language(name: str, value: Any, ctx: Context) -> str:
    known = languages()
    if value not in known:
        raise ParameterError(name, value, "no narrative template in that language", " or ".join(known))
    return value


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


def _list(items: list[str], most: int = 6) -> str:
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
    "thresholds_file": Spec("null or an existing YAML file layered over pipelines/params/thresholds.yaml",
                            _existing_file),
    "overrides": Spec('a mapping of dotted threshold keys to values, or the same as a JSON string, e.g. '
                      '{"weak_links.below_city.share": 3}', _overrides),
    "period": Spec("null (the latest period) or an ISO date YYYY-MM-DD of a period in the data", _period),
    "language": Spec("a language with a narrative template: pipelines/templates/narrative.<lang>.html.j2",
                     _language),
    "modified_code": Spec("a list of file paths (the nightly sets it with --allow-dirty; [] elsewhere)",
                          _file_list),
}

#: Nightly runner settings (pipelines/params/nightly.yaml, top level).
SETTINGS: dict[str, Spec] = {
    "kernel": Spec("the name of an installed Jupyter kernel (make venv registers returns-workbench)", _name),
    "execution_timeout": Spec("a whole number of seconds ≥ 1, or null for no limit", _whole(1, none_ok=True)),
    "start_timeout": Spec("a whole number of seconds ≥ 1", _whole(1)),
    "keep_runs": Spec("a whole number ≥ 0 (0 keeps every run)", _whole(0)),
    "pdf": Spec("true or false", _boolean),
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
                                 "add a row to pipelines/parameters.py NOTEBOOK_PARAMETERS")
        try:
            out[name] = spec.check(name, value, ctx)
        except ParameterError as err:
            if not prefix:
                raise
            raise ParameterError(prefix + name, value, err.problem, err.allowed) from None
    return out


# --- thresholds: the metrics stage decides what a key means -----------------------------------

def check_thresholds(thresholds_file: str | Path | None, overrides: Mapping[str, Any] | None,
                     name: str = "overrides") -> None:
    """Refuse override keys or values the metrics stage would not take, before anything runs.

    Calls ``load_thresholds(path, overrides)`` and ``load_indicators(thresholds)`` of the metrics
    stage, which raise ValueError naming the key; a file that is not a YAML mapping is named the same way.
    """
    from pipelines.metrics.indicators import load_indicators, load_thresholds

    path = Path(thresholds_file).expanduser() if thresholds_file else None
    overrides = dict(overrides or {})
    attempts = [("thresholds_file", thresholds_file, None)] if path is not None else []
    attempts.append((name, overrides, overrides))
    for culprit, value, given in attempts:
        try:
            if given:
                _known_override_keys(path, given)
            load_indicators(load_thresholds(path, given or None))
        except ParameterError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise ParameterError(culprit, value, detail[:120], NOTEBOOK_PARAMETERS[culprit].allowed) from None


def _known_override_keys(path: Path | None, overrides: Mapping[str, Any]) -> None:
    """Minimal key and value check until load_thresholds refuses unknown keys itself.

    A dotted key must name a setting that thresholds.yaml (or the thresholds file) has, or an
    indicator's ``target``/``warning``; its value must be a number where the default is one.
    """
    import yaml

    from pipelines.domain import load

    defaults = yaml.safe_load(config.THRESHOLDS_FILE.read_text(encoding="utf-8")) or {}
    if path is not None:
        extra = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(extra, dict):
            raise ValueError(f"{path} does not hold a mapping of threshold sections")
        for section, body in extra.items():
            if isinstance(body, dict) and isinstance(defaults.get(section), dict):
                defaults[section] = {**defaults[section], **body}
    units = {i["id"]: i.get("unit") for i in load.indicators(config.INDICATORS_FILE)}
    ids = list(units)
    allowed = NOTEBOOK_PARAMETERS["overrides"].allowed
    for key, value in overrides.items():
        parts = key.strip().split(".")
        if parts[0] == "indicators":
            if len(parts) != 3 or parts[1] not in ids or parts[2] not in ("target", "warning"):
                near = difflib.get_close_matches(".".join(parts[1:2]), ids, n=1)
                hint = f"; indicators: {', '.join(ids)}" if not near else f"; did you mean indicators.{near[0]}?"
                raise ParameterError(f"overrides[{key!r}]", value,
                                     f"not indicators.<id>.target or .warning{hint}"[:200], allowed)
            default: Any = 0.0
            top = 1.0 if units[parts[1]] == "share" else 100.0
            number = yaml.safe_load(value) if isinstance(value, str) and value.strip() else value
            if isinstance(number, int | float) and not isinstance(number, bool) and not 0 <= number <= top:
                raise ParameterError(f"overrides[{key!r}]", value, f"out of range for a {units[parts[1]]}",
                                     f"0 to {top:g}")
        else:
            node: Any = defaults
            for i, part in enumerate(parts):
                if not isinstance(node, dict) or part not in node:
                    here = sorted(node) if isinstance(node, dict) else []
                    near = difflib.get_close_matches(part, here, n=1)
                    where = ".".join(parts[:i]) or "thresholds"
                    hint = f"did you mean {'.'.join([*parts[:i], near[0]])}?" if near else f"{where} has {_list(here)}"
                    raise ParameterError(f"overrides[{key!r}]", value, f"no such threshold; {hint}", allowed)
                node = node[part]
            default = node
        numeric_default = isinstance(default, int | float) and not isinstance(default, bool)
        if numeric_default or default is None:
            number = yaml.safe_load(value) if isinstance(value, str) and value.strip() else value
            is_number = isinstance(number, int | float) and not isinstance(number, bool)
            if not is_number and not (number is None and default is None):
                raise ParameterError(f"overrides[{key!r}]", value, "not a number", allowed)


# --- the notebooks' own check ------------------------------------------------------------------

def declared_names(notebook: Path) -> list[str]:
    """Names assigned in a notebook's cell tagged ``parameters`` (read as text, no Jupyter import)."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return assigned_names("".join(cell.get("source", "")))
    return []


def assigned_names(source: str) -> list[str]:
    names: list[str] = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return names
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id not in names:
                names.append(target.id)
    return names


def injected_values() -> dict[str, Any]:
    """name → value papermill injected into this kernel (its cell starts with ``# Parameters``), or {}.

    Read from the kernel's input history (``In``), so it works under papermill's own command line
    too; in JupyterLab there is no such cell and nothing is found.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    history = shell.user_ns.get("In", []) if shell is not None else []
    out: dict[str, Any] = {}
    for source in history:
        if not isinstance(source, str) or source.split("\n", 1)[0].strip() != "# Parameters":
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    out[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    out[node.targets[0].id] = ast.unparse(node.value)
    return out


def data_periods(processed_dir: str | Path | None) -> tuple[list[str] | None, str]:
    """The periods the processed folder holds (its manifest.parquet), else config.RAW_DIR's period folders.

    For a notebook run alone; None when neither holds any (the period is then checked as a date only).
    """
    processed = Path(processed_dir).expanduser() if processed_dir else config.PROCESSED_DIR
    manifest = processed / config.MANIFEST_FILE
    if manifest.is_file():
        import pyarrow.parquet as pq

        column = pq.read_table(manifest, columns=["period"]).column("period").to_pylist()
        found = sorted({p.date().isoformat() if hasattr(p, "date") else str(p)[:10] for p in column if p})
        if found:
            return found, str(manifest)
    found = raw_periods(config.RAW_DIR)
    return (found, str(config.RAW_DIR)) if found else (None, "")  # no periods anywhere: cannot tell


def check_notebook(step: str, **values: Any) -> tuple[Any, ...]:
    """The validation cell under each notebook's parameters cell: check every parameter, return them.

    ``raw_dir, processed_dir = check_notebook("01_clean", raw_dir=raw_dir, processed_dir=processed_dir)``
    returns the values in the order given (a JSON string of overrides comes back as a dict).
    Names papermill injected that the notebook does not declare are refused (papermill only warns).
    """
    injected = injected_values()
    unknown = [n for n in injected if n not in values]
    if unknown:
        near = difflib.get_close_matches(unknown[0], list(values), n=1)
        problem = f"{step} has no such parameter" + (f"; did you mean {near[0]}?" if near else "")
        raise ParameterError(unknown[0], injected[unknown[0]], problem, ", ".join(values))
    periods, where = data_periods(values.get("processed_dir")) if values.get("period") is not None else (None, "")
    checked = check_values(values, Context(periods=periods, periods_from=where, values=values))
    if "overrides" in checked or values.get("thresholds_file"):
        check_thresholds(checked.get("thresholds_file"), checked.get("overrides"))
    return tuple(checked[name] for name in values)
