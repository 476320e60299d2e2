"""The incremental clean (issue 19): a run reads only new or changed files and its outputs equal a
full clean's, file for file, after adds, edits, deletions, corrections, a registry change and a
code-version change; one county's file edited in an old period is read alone and changes its own
rows only; --full discards the cache; a run that dies leaves the previous outputs whole."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import config, datasets, table_sets
from pipelines.cache import DONE
from pipelines.ingest import clean
from pipelines.ingest.cache import code_version

ROOT = Path(__file__).resolve().parents[2]
PERIODS = ("2005-02-04", "2005-02-11", "2005-02-18")
COUNTIES = ("梅县", "平远县", "蕉岭县")
TOWNS = ("甲镇", "乙镇")
HEADER = ["县(市、区)", "乡镇", "党支部", "党员数", "参加学习人数", "参考人数"]
PARTITIONED = ("returns", "rejects", "warnings")


def branches(county: str) -> list[tuple[str, str]]:
    return [(town, f"{county[:2]}{town[0]}{k}村党支部") for town in TOWNS for k in range(3)]


def write_registry(raw: Path, extra: int = 0) -> None:
    rows = [["县(市、区)", "乡镇", "党支部", "党员数"]]
    for county in COUNTIES:
        rows += [[county, town, name, 30] for town, name in branches(county)]
        rows += [[county, TOWNS[0], f"{county[:2]}新{k}支部", 20] for k in range(extra)]
    _csv(raw / "registry" / "名册.csv", rows)


def write_return(raw: Path, period: str, county: str, version: int = 0, name: str | None = None,
                 only: int | None = None) -> Path:
    """A county's return: six branches (or the first ``only``), figures that depend on ``version``;
    version 3 has a value that cannot be read, version 4 a branch the registry lacks."""
    rows = [HEADER]
    for i, (town, branch) in enumerate(branches(county)[:only]):
        members = 30 + version
        studied: object = 25 + (i + version) % 5
        if version == 3 and i == 1:
            studied = "约二十"
        rows.append([county, town, branch, members, studied, 20])
    if version == 4:
        rows.append([county, TOWNS[1], f"{county[:2]}未登记支部", 12, 10, 9])
    return _csv(raw / period / (name or f"{county}学习培训情况.csv"), rows)


def _csv(path: Path, rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(",".join(str(v) for v in row) for row in rows) + "\n", encoding="utf-8")
    return path


def base_tree(raw: Path) -> None:
    write_registry(raw)
    for period in PERIODS[:2]:
        for county in COUNTIES:
            write_return(raw, period, county)


def assert_same_outputs(inc: Path, full: Path) -> None:
    """Every output of the two folders equal: each table's partitions (names and frames), the
    registry, and the manifest but for its ``reused`` column."""
    for name in PARTITIONED:
        a, b = datasets.partition_periods(inc / name), datasets.partition_periods(full / name)
        assert list(a) == list(b), name
        for key in a:
            left = datasets.read(inc, name, periods=None if key == datasets.NULL_PARTITION else [key])
            right = datasets.read(full, name, periods=None if key == datasets.NULL_PARTITION else [key])
            pd.testing.assert_frame_equal(left, right, obj=f"{name} {key}")
    pd.testing.assert_frame_equal(datasets.read(inc, "registry"), datasets.read(full, "registry"))
    pd.testing.assert_frame_equal(datasets.read(inc, "manifest").drop(columns="reused"),
                                  datasets.read(full, "manifest").drop(columns="reused"))


# ------------------------------------------------------------------------------ equal to a full clean

OPS = st.lists(
    st.tuples(st.sampled_from(["add", "edit", "delete", "correction", "duplicate", "registry", "code"]),
              st.sampled_from(PERIODS), st.sampled_from(COUNTIES), st.integers(0, 4)),
    min_size=1, max_size=3,
)


@pytest.mark.slow
@settings(max_examples=5, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_incremental_clean_equals_a_full_clean_after_any_changes(tmp_path_factory, ops):
    """Adds, edits (figures, a bad value, an unregistered branch), deletions, corrections (补报),
    duplicates across files, a registry change and a code-version change (another headers.yaml),
    in any order: each run's outputs equal a full clean's, and only changed files are read."""
    tmp = tmp_path_factory.mktemp("incremental")
    raw, inc, full = tmp / "raw", tmp / "inc", tmp / "full"
    headers = tmp / "headers.yaml"
    shutil.copyfile(config.HEADERS_FILE, headers)
    base_tree(raw)
    clean(raw, inc, headers_file=headers)
    for op, period, county, version in ops:
        before = _contents(raw)
        if op in ("add", "edit"):
            write_return(raw, period, county, version)
        elif op == "delete":
            for f in (raw / period).glob(f"{county}*") if (raw / period).is_dir() else ():
                f.unlink()
        elif op == "correction":  # the county re-sends two branches with other figures
            write_return(raw, period, county, version + 1, name=f"{county}补报.csv", only=2)
        elif op == "duplicate":  # another county's file repeats this county's branches
            other = COUNTIES[(COUNTIES.index(county) + 1) % len(COUNTIES)]
            write_return(raw, period, county, version, name=f"{other}附表.csv", only=3)
        elif op == "registry":
            write_registry(raw, extra=version + 1)
        else:  # the code version: the header aliases clean() is given change
            headers.write_text(headers.read_text(encoding="utf-8") + f"\n# revision {version}\n", encoding="utf-8")
        inc_result = clean(raw, inc, headers_file=headers)
        clean(raw, full, headers_file=headers, cache=False)
        assert_same_outputs(inc, full)
        after = _contents(raw)
        if op == "code":
            assert inc_result.reused == []
        else:  # new or changed bytes only (a registry change keeps every file's own result: its counties stay)
            assert set(inc_result.read) == {p for p, data in after.items() if before.get(p) != data}


def _contents(raw: Path) -> dict[str, bytes]:
    return {p.relative_to(raw).as_posix(): p.read_bytes() for p in sorted(raw.rglob("*")) if p.is_file()}


def test_a_code_version_covers_the_domain_files_clean_is_given(tmp_path):
    headers = tmp_path / "headers.yaml"
    shutil.copyfile(config.HEADERS_FILE, headers)
    before = code_version(config.COUNTIES_FILE, headers)
    assert code_version(config.COUNTIES_FILE, headers) == before
    headers.write_text(headers.read_text(encoding="utf-8") + "\n# another alias\n", encoding="utf-8")
    assert code_version(config.COUNTIES_FILE, headers) != before
    counties = tmp_path / "counties.yaml"
    shutil.copyfile(config.COUNTIES_FILE, counties)
    again = code_version(counties, headers)
    counties.write_text(counties.read_text(encoding="utf-8") + "\n# another spelling\n", encoding="utf-8")
    assert code_version(counties, headers) != again


# ------------------------------------------------------------------- one county's file in an old period

def _sample(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    subprocess.run([sys.executable, "-m", "pipelines", "sample", "--out", str(raw)], check=True, cwd=ROOT,
                   capture_output=True, timeout=300)
    return raw


@pytest.mark.slow
def test_editing_one_countys_file_in_an_old_period_reads_it_alone_and_changes_its_rows_only(tmp_path):
    raw = _sample(tmp_path)
    out = tmp_path / "out"
    first = clean(raw, out)
    assert first.reused == [] and len(first.read) == len(first.manifest)
    before = {name: datasets.read(out, name) for name in PARTITIONED}
    inodes = {p: p.stat().st_ino for p in datasets.part_files(out, "returns")}

    old = PERIODS[0]
    target = next(p for p in sorted((raw / old).glob("*.csv")) if "蕉岭" in p.name)
    rel = target.relative_to(raw).as_posix()
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    mine = before["returns"].loc[before["returns"]["source_file"] == rel]
    row = mine.iloc[2]  # a branch row of the file: its members go up by 7
    cells = lines[int(row["source_row"]) - 1].split(",")
    at = cells.index(row["branch"]) + 1  # members follow the branch's name in this county's form
    assert cells[at] == str(int(row["members"]))
    cells[at] = str(int(row["members"]) + 7)
    lines[int(row["source_row"]) - 1] = ",".join(cells)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")

    second = clean(raw, out)
    assert second.read == [rel]  # that file alone was read again
    assert second.judged == [pd.Timestamp(old)]  # only its period was checked again
    after = datasets.read(out, "returns")
    changed = (before["returns"].drop(columns="members") != after.drop(columns="members")).any(axis=1)
    assert not changed.any()  # same rows in the same order
    moved = before["returns"]["members"] != after["members"]
    assert moved.sum() == 1
    assert after.loc[moved, ["source_file", "source_row", "members"]].values.tolist() == [
        [rel, row["source_row"], row["members"] + 7]]
    for name in ("rejects", "warnings"):
        pd.testing.assert_frame_equal(before[name], datasets.read(out, name))
    # the other periods' partitions are the very files of the first run (hard links into the cache)
    for part in datasets.part_files(out, "returns"):
        if f"period={old}" not in str(part) and "__HIVE" not in str(part):
            assert inodes[next(p for p in inodes if p.parent.name == part.parent.name)] == part.stat().st_ino
    manifest = second.manifest.set_index("path")
    assert not manifest.loc[rel, "reused"] and manifest.drop(index=rel)["reused"].all()

    full = clean(raw, tmp_path / "full", full=True)
    assert full.reused == []
    assert_same_outputs(out, tmp_path / "full")


def test_full_discards_the_cache_and_reads_every_file_again(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    base_tree(raw)
    clean(raw, out)
    again = clean(raw, out)
    assert again.read == [] and len(again.reused) == len(again.manifest)
    cache = out / config.CLEAN_CACHE_DIR
    entries = sorted(p for kind in ("files", "periods", "registry") for p in (cache / kind).glob("*/*"))
    written = {p.name: (p / DONE).stat() for p in entries}
    stale = cache / "files" / "00" / ("0" * 64)  # an entry no run uses any more
    stale.mkdir(parents=True)
    proc = subprocess.run([sys.executable, "-m", "pipelines", "clean", "--raw", str(raw), "--out", str(out), "--full"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(again.manifest)} files ({len(again.manifest)} read, 0 reused from the cache" in proc.stdout
    assert not stale.exists()  # entries no run uses are gone
    renewed = sorted(p for kind in ("files", "periods", "registry") for p in (cache / kind).glob("*/*"))
    assert [p.name for p in renewed] == [p.name for p in entries]  # the same keys, written anew:
    for p in renewed:
        now, then = (p / DONE).stat(), written[p.name]
        assert (now.st_ino, now.st_mtime_ns) != (then.st_ino, then.st_mtime_ns), p
    assert clean(raw, out).read == []


def test_removed_files_drop_out_of_the_outputs_and_the_cache(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    base_tree(raw)
    clean(raw, out)
    gone = raw / PERIODS[1] / f"{COUNTIES[0]}学习培训情况.csv"
    gone.unlink()
    result = clean(raw, out)
    assert result.read == [] and gone.relative_to(raw).as_posix() not in set(result.manifest["path"])
    returns = datasets.read(out, "returns", periods=[PERIODS[1]])
    assert COUNTIES[0] not in set(returns["county"]) and len(returns) == 12
    files = list((out / config.CLEAN_CACHE_DIR / "files").glob("*/*"))
    assert len(files) == 2 * len(COUNTIES) - 1  # the removed file's entry is pruned


# ------------------------------------------------------------------------------ a run that dies

KILL_AT_SWITCH = """
import os, signal, sys
from pipelines import table_sets
real = table_sets._replace_with_link
def die(path, target):
    if path.name == ".clean":  # every table is written; the pointer would move now
        os.kill(os.getpid(), signal.SIGKILL)
    return real(path, target)
table_sets._replace_with_link = die
from pipelines.ingest import clean
clean(sys.argv[1], sys.argv[2])
"""


def test_a_run_killed_before_the_switch_leaves_the_previous_outputs_whole(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    base_tree(raw)
    clean(raw, out)
    before = {name: datasets.read(out, name) for name in (*PARTITIONED, "manifest", "registry")}
    pointer = os.readlink(out / ".clean")
    write_return(raw, PERIODS[2], COUNTIES[1], version=3)  # a new week arrives
    write_return(raw, PERIODS[0], COUNTIES[2], version=1)  # and an old one is edited
    proc = subprocess.run([sys.executable, "-c", KILL_AT_SWITCH, str(raw), str(out)], cwd=ROOT, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert os.readlink(out / ".clean") == pointer
    for name, frame in before.items():
        pd.testing.assert_frame_equal(datasets.read(out, name), frame, obj=name)
    assert len(list((out / table_sets.VERSIONS).iterdir())) == 2  # the dead run's version, left behind
    result = clean(raw, out)  # the next run: what the dead run cleaned is in the cache, whole
    assert len(list((out / table_sets.VERSIONS).iterdir())) == 1
    assert result.read == [] and result.judged == []
    clean(raw, tmp_path / "full", cache=False)
    assert_same_outputs(out, tmp_path / "full")


def test_a_failed_write_changes_nothing(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "out"
    base_tree(raw)
    clean(raw, out)
    before = {name: datasets.read(out, name) for name in (*PARTITIONED, "manifest")}
    write_return(raw, PERIODS[2], COUNTIES[0])
    calls = []
    real = table_sets.link_or_copy

    def failing(source, target):  # the new set is half made when the disk fills up
        calls.append(target)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real(source, target)

    monkeypatch.setattr(table_sets, "link_or_copy", failing)
    with pytest.raises(OSError, match="No space left"):
        clean(raw, out)
    assert len(calls) == 4
    for name, frame in before.items():
        pd.testing.assert_frame_equal(datasets.read(out, name), frame, obj=name)
    assert len(list((out / table_sets.VERSIONS).iterdir())) == 1  # the failed version removed
