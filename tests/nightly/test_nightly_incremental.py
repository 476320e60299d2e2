"""The nightly and the clean stage's cache (issue 19): a night reads only what arrived, --full
reads everything again (and runs although nothing changed), --force keeps the cache, run.json
says which files were read and which reused; a dead run's tables stay readable."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from pipelines import datasets, table_sets
from pipelines.cli import main
from pipelines.nightly import ExitStatus, ParameterError
from pipelines.nightly.abandoned import remove_temporary


def _record(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))


def test_a_night_reads_what_arrived_full_reads_everything_force_keeps_the_cache(run, tree):
    first = run()
    assert first.status == "ok", first.message
    clean = _record(first.run_dir)["clean"]
    assert clean["read"] == ["2005-02-25/meixian.csv", "2005-02-25/pingyuan.csv"] and clean["reused"] == 0
    assert clean["full"] is False and clean["cache"] == str(tree["reports"] / "cache" / "clean")

    (tree["raw"] / "2005-02-25" / "jiaoling.csv").write_text("branch,members\nc,7\n", encoding="utf-8")
    second = run()
    clean = _record(second.run_dir)["clean"]
    assert clean["read"] == ["2005-02-25/jiaoling.csv"] and clean["reused"] == 2
    manifest = datasets.read(second.run_dir / "tables", "manifest").set_index("path")
    assert manifest["reused"].to_dict() == {"2005-02-25/jiaoling.csv": False, "2005-02-25/meixian.csv": True,
                                            "2005-02-25/pingyuan.csv": True}

    assert run().skipped  # nothing changed
    full = run(full=True)  # nothing changed either, but --full runs and reads every file
    assert not full.skipped and full.status == "ok"
    rec = _record(full.run_dir)
    assert rec["clean"]["full"] is True and rec["clean"]["reused"] == 0 and len(rec["clean"]["read"]) == 3
    assert rec["steps"][0]["parameters"]["full"] is True
    assert rec["fingerprint"]["digest"] == _record(second.run_dir)["fingerprint"]["digest"]  # same inputs
    assert run().skipped  # --full is not an input: the next night is unchanged

    forced = run(force=True)  # runs anyway, and the cache (rebuilt by --full) still serves
    clean = _record(forced.run_dir)["clean"]
    assert not forced.skipped and clean["read"] == [] and clean["reused"] == 3 and clean["full"] is False


def test_full_and_the_cache_folder_are_the_runners_not_parameters(run):
    with pytest.raises(ParameterError, match="'full' is set by --full"):
        run(["full=true"])
    with pytest.raises(ParameterError, match="'cache_dir' is set by the runner"):
        run(["01_clean.cache_dir=/tmp/elsewhere"])


def test_the_command_line_takes_full(cli_argv, tree):
    assert main(cli_argv) == ExitStatus.OK
    assert main(cli_argv) == ExitStatus.OK and len(list((tree["reports"] / "runs").iterdir())) == 1  # skipped
    assert main([*cli_argv, "--full"]) == ExitStatus.OK
    latest = tree["reports"] / "latest"
    assert len(list((tree["reports"] / "runs").iterdir())) == 2
    assert _record(latest.resolve())["clean"]["full"] is True
    rows = datasets.read(latest / "tables", "returns")
    assert len(rows) == 2 and set(rows["period"]) == {pd.Timestamp("2005-02-25")}


def test_a_dead_runs_tables_are_not_swept_as_temporary_files(tmp_path):
    """The sweep of an abandoned run removes hidden temporary files, not the table versions and
    pointers readers go through; a version no pointer names (its write died) goes whole."""
    import numpy as np

    run_dir = tmp_path / "run"
    tables = run_dir / "tables"
    frame = pd.DataFrame({"period": pd.to_datetime(["2005-02-25"]).astype("datetime64[ns]"), "n": np.arange(1)})
    with table_sets.table_set(tables, "clean") as t:
        t.write("returns", frame)
    dead = tables / table_sets.VERSIONS / "clean-19990101T000000-1-abcdef"
    (dead / "returns" / "period=2005-02-25").mkdir(parents=True)
    (dead / "returns" / "period=2005-02-25" / "part-0.parquet").write_bytes(b"half")
    (run_dir / ".report.pdf.123.tmp").write_bytes(b"half a pdf")
    removed = remove_temporary(run_dir)
    assert ".report.pdf.123.tmp" in removed and any(r.startswith("tables/.versions/clean-1999") for r in removed)
    assert not dead.exists() and os.readlink(tables / ".clean").startswith(table_sets.VERSIONS)
    assert datasets.read(tables, "returns")["n"].tolist() == [0]
