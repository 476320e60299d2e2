"""notebooks/01_clean.ipynb: a literal-only parameters cell, no outputs, logic only in pipelines."""

from __future__ import annotations

import ast

import nbformat

from pipelines import config

NB = config.NOTEBOOKS_DIR / "01_clean.ipynb"


def test_parameters_cell_is_tagged_and_literal():
    nb = nbformat.read(NB, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"
    values = {}
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.Assign)
        values[node.targets[0].id] = ast.literal_eval(node.value)
    assert values == {"raw_dir": None, "processed_dir": None, "cache_dir": None, "full": False}
    assert nb.cells.index(tagged[0]) == 1  # right after the title


def test_committed_without_outputs_and_calls_the_api():
    nb = nbformat.read(NB, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    source = "\n".join(c.source for c in code)
    assert "from pipelines.ingest import clean" in source and "clean(raw, processed, cache=cache, full=full)" in source
    assert nb.metadata["kernelspec"]["name"] == config.KERNEL_NAME
