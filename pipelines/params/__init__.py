"""Parameters of the chain: their defaults (thresholds.yaml, nightly.yaml), and the checks every
notebook parameter and nightly setting gets before anything runs.

One table (:data:`NOTEBOOK_PARAMETERS`, :data:`SETTINGS` in rules.py) serves three callers: the
nightly checks ``-p`` values and nightly.yaml before it takes the lock; each notebook calls
:func:`check_notebook` right after its ``parameters`` cell, so papermill and JupyterLab get the
same check; and docs/nightly.md lists the same rows. A bad value raises :class:`ParameterError`:
one line naming the parameter, the value and what is allowed. A parameter without a row is
refused, so a new parameter cannot go unchecked.

Importing this package is cheap (standard library, PyYAML and the rows); the threshold check
imports the indicators when it is called, and the notebook check reads Parquet only for a period.
"""

from pipelines.params.notebook import assigned_names, check_notebook, data_periods, declared_names, injected_values
from pipelines.params.rules import (
    NOTEBOOK_PARAMETERS,
    SETTINGS,
    Context,
    ParameterError,
    Spec,
    check_setting,
    check_values,
    languages,
    parse_period,
    raw_periods,
)
from pipelines.params.thresholds import check_thresholds

__all__ = [
    "NOTEBOOK_PARAMETERS", "SETTINGS", "Context", "ParameterError", "Spec", "assigned_names", "check_notebook",
    "check_setting", "check_thresholds", "check_values", "data_periods", "declared_names", "injected_values",
    "languages", "parse_period", "raw_periods",
]
