"""Take ~2.6 s off every process that imports nbformat (papermill, nbconvert, nbclient).

nbformat imports jsonschema, whose ``_format`` module tries to import ``rfc3987_syntax``; that
package (present here because jupyter-events asks for ``jsonschema[format-nongpl]``) compiles
an Earley grammar with lark at import time, ~2.3 s on this machine. Only the ``iri`` format
checker needs it, and notebook validation never checks that format.

Marking the module absent in ``sys.modules`` makes jsonschema's guarded import fail cleanly
(its ``suppress(ImportError)`` skips the ``iri`` checker): no package added or removed, nothing
patched on disk, and only this process is affected. Setting NBFORMAT_VALIDATOR=fastjsonschema
would not help: nbformat.json_compat imports jsonschema before it looks at the variable.

The same trick is applied to the notebook kernels through :data:`KERNEL_STUB_DIR`, put first on
their PYTHONPATH, holding an ``rfc3987_syntax`` package that raises ImportError.
"""

from __future__ import annotations

import sys
from pathlib import Path

SLOW_MODULES = ("rfc3987_syntax",)
KERNEL_STUB_DIR = Path(__file__).resolve().parent / "kernel_stubs"


def skip_slow_imports() -> None:
    """Call before the first nbformat import; a no-op when the module is already loaded."""
    for name in SLOW_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
