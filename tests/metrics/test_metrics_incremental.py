"""The metrics stage a period at a time (issue 19): a new week, an edited current week, an edited old
week, a threshold changed, nothing changed — each run's outputs equal those of the stage recomputing
every period (``cache=False``), partition for partition; and the engine is asked only about the
weeks that changed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipelines import config, datasets
from pipelines.ingest import clean
from pipelines.metrics import compute_metrics

ROOT = Path(__file__).resolve().parents[2]
WEEKS = [pd.Timestamp(p) for p in ("2005-02-04", "2005-02-11", "2005-02-18", "2005-02-25")]
SINGLE = ("county_metrics", "township_metrics", "balance", "trends", "ranking", "actions", "data_quality")
PARTITIONED = ("status", "findings", "reporting")


def assert_same(inc: Path, full: Path) -> None:
    for name in SINGLE:
        pd.testing.assert_frame_equal(datasets.read(inc, name), datasets.read(full, name), rtol=1e-9, obj=name)
    for name in PARTITIONED:
        a, b = datasets.partition_periods(inc / name), datasets.partition_periods(full / name)
        assert list(a) == list(b), name
        for key in a:
            periods = None if key == datasets.NULL_PARTITION else [key]
            left, right = datasets.read(inc, name, periods=periods), datasets.read(full, name, periods=periods)
            if name == "reporting":  # streamed by the engine in no particular order
                left, right = (f.sort_values(list(f.columns), ignore_index=True) for f in (left, right))
            pd.testing.assert_frame_equal(left, right, rtol=1e-9, obj=f"{name} {key}")


def _edit(raw: Path, week: pd.Timestamp, more: int) -> Path:
    """One county's CSV of ``week``: its first branch's members raised by ``more``."""
    f = next(p for p in sorted((raw / str(week.date())).glob("*.csv")) if "统计_" in p.name)
    lines = f.read_text(encoding="utf-8-sig").splitlines()
    at = next(j for j, h in enumerate(lines[0].split(",")) if "党员" in h)
    cells = lines[3].split(",")
    cells[at] = str(int(cells[at]) + more)
    lines[3] = ",".join(cells)
    f.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return f


@pytest.mark.slow
def test_each_run_asks_the_engine_about_the_weeks_that_changed_and_equals_a_full_run(tmp_path):
    raw, held = tmp_path / "raw", tmp_path / "held"
    subprocess.run([sys.executable, "-m", "pipelines", "sample", "--out", str(raw)], check=True, cwd=ROOT,
                   capture_output=True, timeout=300)
    held.mkdir()
    shutil.move(str(raw / "2005-02-25"), str(held / "2005-02-25"))
    processed = tmp_path / "processed"

    def run(label: str, **kw) -> object:
        clean(raw, processed)
        result = compute_metrics(processed, **kw)
        full = tmp_path / f"full-{label}"
        compute_metrics(processed, out=full, cache=False, **kw)
        assert_same(processed, full)
        return result

    first = run("three")
    assert first.computed == first.judged == WEEKS[:3]

    shutil.move(str(held / "2005-02-25"), str(raw / "2005-02-25"))  # a new week arrives
    new = run("new")
    assert new.computed == [WEEKS[3]] and new.judged == WEEKS[2:]  # the week before: its runs of missed weeks

    _edit(raw, WEEKS[3], 2)  # more of the current week arrives
    current = run("current")
    assert current.computed == [WEEKS[3]] and current.judged == WEEKS[2:]

    _edit(raw, WEEKS[1], 3)  # an old week corrected: the year is read again, judged from the week before
    old = run("old")
    assert old.computed == WEEKS and old.judged == WEEKS

    same = run("same")  # nothing changed: nothing asked, nothing judged, the same tables
    assert same.computed == [] and same.judged == []

    stricter = run("stricter", overrides={"indicators.avg_score.target": 99})  # another threshold: all again
    assert stricter.computed == WEEKS and stricter.judged == WEEKS
    status = datasets.read(processed, config.STATUS_TABLE)
    assert (status.loc[status["indicator"] == "avg_score", "target"] == 99).all()


def test_full_and_no_cache_recompute_every_period(tmp_path):
    import metrics_frames as mf

    folder = mf.write(tmp_path / "p", mf.returns(mf.returns_rows(mf.P1) + mf.returns_rows(mf.P2)))
    first = compute_metrics(folder)
    assert first.computed == [mf.P1, mf.P2]
    assert compute_metrics(folder).computed == []
    assert compute_metrics(folder, full=True).computed == [mf.P1, mf.P2]
    assert compute_metrics(folder, cache=False).computed is None  # every period, nothing kept
    cache = folder / config.METRICS_CACHE_DIR
    assert {p.name for p in cache.iterdir() if p.is_dir()} >= {"products", "fell", "judged", "snapshots"}
