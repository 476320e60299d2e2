"""What the nightly checks before it does anything: names, values, committed code, then thresholds and kernel.

:func:`check_parameters` runs first, before the lock and the skip decision, and is cheap (the
notebooks' parameters cells read as text, the raw folder listed): every ``-p`` name must be
declared by a notebook, every value allowed by its row in pipelines/params/rules.py.
:func:`check_code` refuses modified code unless ``--allow-dirty``. :func:`check_thresholds_and_kernel`
runs after the skip decision (an unchanged run was checked the night it ran) because it imports
the metrics stage: override keys and values, the thresholds file's content, the kernel. Each
refusal is a :class:`ParameterError` (exit 2) and no run folder is made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines import params as pm
from pipelines.nightly import fingerprint as fp
from pipelines.nightly.errors import ModifiedCodeError, ParameterError
from pipelines.nightly.gitstate import CodeState, code_state
from pipelines.nightly.params import NightlyParams, check_against_notebooks
from pipelines.nightly.steps import STEPS, declared_parameters


def check_parameters(params: NightlyParams, notebooks_dir: Path, raw: Path) -> tuple[NightlyParams, dict]:
    """Refuse unknown names and values not allowed; returns the parameters as they will be used
    (a JSON string of overrides parsed, a period as ISO text) and step → declared names."""
    declared = declared_parameters(notebooks_dir)
    check_against_notebooks(params, declared)
    try:
        for name, value in params.settings.items():
            pm.check_setting(name, value)
        ctx = pm.Context(periods=pm.raw_periods(raw), periods_from=str(raw))
        everywhere = pm.check_values(params.parameters, ctx)
        per_notebook = {step: pm.check_values(values, ctx, prefix=f"{step}.")
                        for step, values in params.per_notebook.items()}
    except pm.ParameterError as err:
        raise ParameterError(f"nightly: {err}") from None
    return dataclasses.replace(params, parameters=everywhere, per_notebook=per_notebook), declared


def code_dirs(notebooks_dir: Path) -> list[Path]:
    """The folders whose tracked files must be as committed: pipelines/ and the notebooks."""
    return [root for root in fp.code_roots(notebooks_dir) if root.is_dir()]


def check_code(notebooks_dir: Path, allow_dirty: bool) -> CodeState:
    state = code_state(code_dirs(notebooks_dir))
    if state.modified and not allow_dirty:
        raise ModifiedCodeError(state.modified, state.commit)
    return state


def check_thresholds_and_kernel(params: NightlyParams, declared: Mapping[str, list[str]]) -> None:
    for step in STEPS:
        values: dict[str, Any] = params.for_notebook(step.name, declared.get(step.name, ()), {})
        if values.get("overrides") or values.get("thresholds_file"):
            try:
                pm.check_thresholds(values.get("thresholds_file"), values.get("overrides"))
            except pm.ParameterError as err:
                raise ParameterError(f"nightly: {step.name}: {err}") from None
    _check_kernel(params.settings["kernel"])


def _check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        err = pm.ParameterError("kernel", name, "no Jupyter kernel of that name is installed",
                                pm.SETTINGS["kernel"].allowed)
        raise ParameterError(f"nightly: {err}") from None
