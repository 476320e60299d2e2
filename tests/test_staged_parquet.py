"""io.staged: several outputs replace the previous ones together, or none does."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from pipelines import io


def _previous(folder):
    for name in ("a.parquet", "b.parquet"):
        pd.DataFrame({"x": [0]}).to_parquet(folder / name)
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_every_file_is_replaced_when_all_writes_succeed(tmp_path):
    _previous(tmp_path)
    with io.staged() as stage:
        assert stage(pd.DataFrame({"x": [1, 2]}), tmp_path / "a.parquet") == tmp_path / "a.parquet"
        stage(pd.DataFrame({"y": ["甲"]}), tmp_path / "b.parquet")
    assert pd.read_parquet(tmp_path / "a.parquet")["x"].tolist() == [1, 2]
    assert pd.read_parquet(tmp_path / "b.parquet")["y"].tolist() == ["甲"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.parquet"]


def test_a_failed_background_write_replaces_nothing(tmp_path):
    before = _previous(tmp_path)
    unwritable = pd.DataFrame({"x": [1, "text", 2.5]}, dtype=object)  # Arrow cannot type this column
    with pytest.raises(pa.ArrowInvalid, match="column x"), io.staged() as stage:
        stage(pd.DataFrame({"x": [1]}), tmp_path / "a.parquet")
        stage(unwritable, tmp_path / "b.parquet")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temp file left either


def test_an_error_in_the_block_after_staging_replaces_nothing(tmp_path):
    before = _previous(tmp_path)
    big = pd.DataFrame({"x": range(2_000_000)})  # still being written when the error comes
    with pytest.raises(RuntimeError, match="later output"), io.staged() as stage:
        stage(big, tmp_path / "a.parquet")
        raise RuntimeError("a later output failed its check")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
