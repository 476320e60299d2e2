"""The pip locks and conda's environment.yml must pin the same packages at the same versions.

requirements.lock (what `make report` installs) is the runtime part of requirements-dev.lock
(what `make test` installs: the test tools and the Spark engine on top), at the same versions.
"""

from __future__ import annotations

import re
import sys
import tomllib

import yaml

from pipelines import config

ROOT = config.PROJECT_ROOT
sys.path.insert(0, str(ROOT / "scripts"))
import sync_environment  # noqa: E402 - scripts/ is put on the path just above


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(name: str) -> dict[str, str]:
    return {_norm(n): v for n, v in sync_environment.pinned(ROOT / name)}


def test_environment_yml_pins_exactly_the_dev_lock() -> None:
    lock = _pins("requirements-dev.lock")
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    conda = {}
    for spec in pip_section:
        name, version = spec.split("==")
        conda[_norm(name)] = version
    assert conda == lock
    assert "python=3.11" in env["dependencies"]


def test_runtime_lock_is_the_dev_lock_without_the_extras() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert set(runtime) <= set(dev), set(runtime) - set(dev)
    assert {n: dev[n] for n in runtime} == runtime
    assert "pyspark" not in runtime and "pytest" not in runtime  # `make report` downloads neither


def _names(specs: list[str]) -> set[str]:
    return {_norm(re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0]) for d in specs}


def test_every_declared_dependency_is_locked() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [d for ds in project["optional-dependencies"].values() for d in ds]
    assert _names(project["dependencies"]) <= set(_pins("requirements.lock"))
    assert _names(extras) <= set(_pins("requirements-dev.lock"))


def test_installed_versions_match_the_lock() -> None:
    from importlib.metadata import PackageNotFoundError, version

    wanted = {"pandas", "pyarrow", "plotly", "papermill", "nbconvert", "pandera", "python-calamine", "jupyterlab"}
    lock = {_norm(n): v for n, v in sync_environment.pinned(ROOT / "requirements.lock")}
    for name in wanted:
        try:
            assert version(name) == lock[name], name
        except PackageNotFoundError as exc:  # pragma: no cover - the venv is built from the lock
            raise AssertionError(f"{name} is locked but not installed") from exc
