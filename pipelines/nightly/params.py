"""Nightly parameters: pipelines/params/nightly.yaml, overridden by ``-p key=value`` on the command line.

Two kinds of names live here. Runner *settings* (timeouts, retention, PDF) steer this package;
notebook *parameters* go to every notebook whose ``parameters`` cell declares the name
(``-p 03_report.language=en`` targets one notebook). The runner's own parameters (``raw_dir``
from --raw, ``processed_dir`` = the run's own tables folder, ``cache_dir`` = the clean stage's
caches beside the runs, ``full`` from --full, ``modified_code`` from the code state) cannot be
set with -p, so that a run and its record agree. A name that is neither a setting nor declared
by a notebook is refused before anything runs (papermill itself only warns): see
:func:`check_against_notebooks`; what each value may be is checked by pipelines/params/rules.py.

Only PyYAML is imported here: the "nothing changed" path goes through this module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from pipelines import config
from pipelines.nightly.errors import ParameterError

#: Runner settings and their defaults (nightly.yaml may override any; pipelines/params/rules.py checks them).
DEFAULT_SETTINGS: dict[str, Any] = {
    "kernel": config.KERNEL_NAME,
    "execution_timeout": 600,  # seconds per cell (papermill execution_timeout)
    "start_timeout": 60,  # seconds for the kernel to start
    "keep_runs": 30,  # run folders kept; the one `latest` points to is never deleted
    "pdf": True,  # print report.pdf through Chromium; a run that cannot is incomplete
    "docx": True,  # write the 汇报 as report.docx; a run that cannot is incomplete
    "promote_incomplete": True,  # an incomplete run (report marked so) still becomes `latest`
}

#: Parameters the runner fills itself (what sets them); overriding them with -p is refused.
RUNNER_PARAMETERS: dict[str, str] = {
    "raw_dir": "--raw",
    "processed_dir": "the runner (each run keeps its own tables in its folder)",
    "modified_code": "the runner (--allow-dirty)",
    "cache_dir": "the runner (<reports>/cache: the stages' caches, kept between runs)",
    "full": "--full (the stages' caches discarded: every file read, every period computed again)",
}

@dataclasses.dataclass(frozen=True)
class NightlyParams:
    """Settings plus notebook parameters, global and per-notebook.

    ``configured`` holds the settings as nightly.yaml (and the defaults) gave them, before ``-p``:
    a run that turns the PDF off by hand is then not promoted over the configured kind of report.
    """

    settings: dict[str, Any]
    parameters: dict[str, Any]
    per_notebook: dict[str, dict[str, Any]]
    configured: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        """JSON-able form, written to run.json and hashed into the fingerprint."""
        return {
            "settings": dict(sorted(self.settings.items())),
            "parameters": dict(sorted(self.parameters.items())),
            "per_notebook": {k: dict(sorted(v.items())) for k, v in sorted(self.per_notebook.items())},
        }

    def for_notebook(self, step: str, declared: Iterable[str], folders: Mapping[str, str]) -> dict[str, Any]:
        """The parameters to inject into ``step``: only the names its parameters cell declares."""
        declared = set(declared)
        out = {k: v for k, v in self.parameters.items() if k in declared}
        out.update(self.per_notebook.get(step, {}))
        out.update({k: v for k, v in folders.items() if k in declared})
        return out


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key=value`` → (key, value); the value is read as a YAML scalar (``10`` is an int, ``null`` None)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ParameterError(f"nightly: parameter {text!r} is not key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except (yaml.YAMLError, ValueError):  # 2005-02-30 looks like a YAML date and fails as one
        value = raw.strip()
    return key, _plain(value)


def _plain(value: Any) -> Any:
    """YAML reads 2005-02-25 as a date; notebooks get literals, so dates stay ISO strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_params(
    params_file: Path | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> NightlyParams:
    """Read nightly.yaml and apply the overrides (a mapping or ``key=value`` strings)."""
    path = Path(params_file) if params_file else config.NIGHTLY_PARAMS_FILE
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ParameterError(f"nightly: {path} is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ParameterError(f"nightly: {path} must hold a mapping")
    elif params_file:
        raise ParameterError(f"nightly: parameters file {path} does not exist")

    settings = dict(DEFAULT_SETTINGS)
    parameters: dict[str, Any] = {}
    per_notebook: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if key == "parameters":
            if not isinstance(value, dict):
                raise ParameterError(f"nightly: `parameters` in {path} must be a mapping")
            for name, val in value.items():
                _assign(str(name), _plain(val), settings, parameters, per_notebook)
        elif key in settings:
            settings[key] = value
        else:
            raise ParameterError(
                f"nightly: unknown setting {key!r} in {path} (settings: {', '.join(sorted(settings))};"
                " notebook parameters go under `parameters:`)"
            )

    configured = dict(settings)
    items = overrides.items() if isinstance(overrides, Mapping) else (parse_assignment(o) for o in overrides or ())
    for key, value in items:
        _assign(key, value, settings, parameters, per_notebook)
    return NightlyParams(settings=settings, parameters=parameters, per_notebook=per_notebook, configured=configured)


def _assign(key: str, value: Any, settings: dict, parameters: dict, per_notebook: dict) -> None:
    if key in RUNNER_PARAMETERS or key.rpartition(".")[2] in RUNNER_PARAMETERS:
        name = key.rpartition(".")[2]
        raise ParameterError(f"nightly: parameter {name!r} is set by {RUNNER_PARAMETERS[name]}, not by -p")
    if key in settings:
        settings[key] = value
    elif "." in key:
        step, _, name = key.partition(".")
        per_notebook.setdefault(step, {})[name] = value
    else:
        parameters[key] = value


def check_against_notebooks(params: NightlyParams, declared: Mapping[str, Iterable[str]]) -> None:
    """Refuse any parameter no notebook declares (``declared``: step → names in its parameters cell)."""
    declared = {step: set(names) for step, names in declared.items()}
    everywhere = set().union(*declared.values()) if declared else set()
    problems = []
    for name in params.parameters:
        if name not in everywhere:
            problems.append(f"{name!r} (declared by no notebook)")
    for step, values in params.per_notebook.items():
        if step not in declared:
            problems.append(f"{step}.* (no step {step!r}; steps: {', '.join(declared)})")
            continue
        for name in values:
            if name not in declared[step]:
                problems.append(f"{step}.{name} (not in {step}'s parameters cell)")
    if problems:
        known = ", ".join(sorted(everywhere - set(RUNNER_PARAMETERS)))
        raise ParameterError(
            f"nightly: unknown parameter {'; '.join(problems)}. Known: {known};"
            f" settings: {', '.join(sorted(params.settings))}"
        )
