"""Benchmark the cleaning stage on a province-sized set of returns.

Builds (once; cached in benchmarks/out/, git-ignored) about 120 county .xlsx files with
250,000 branch rows in total, written by the sample package's messy xlsx writer (title and
subtitle rows, two-row merged headers, merged township cells, subtotals, notes), plus a
registry naming the 120 counties (they are not in counties.yaml: the registry extends it).
Then, each in a fresh child process so that the peak memory is that step's alone:

- the bare calamine read of the same files (open + ``to_python`` of every sheet);
- the whole ``pipelines.ingest.clean`` (read, parse, check, validate, write Parquet).

Prints rows per second, CPU and wall time (the ratio is taken on CPU time, time.process_time,
because wall time swings with other load on a shared machine; both are printed), the peak memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child process: the maximum resident set size,
in MiB) and the ratio clean / bare read (target: at most 1.5). The bare read and the clean run in
interleaved pairs (``--repeat`` of them); the ratio is the median of the pairs' CPU ratios, so that a drift in the machine's speed
between runs (a shared host) does not land on one side only. Best-of times are printed too.

Then the sample's messy writer (``write_county_xlsx``, which builds the input above): 2,000 rows in
each of its styles against the same rows dumped by bare xlsxwriter (CPU ratio, best of three).

Then three single-file cases, each cleaned alone in a fresh child (time and peak memory):

- one county file of 200,000 branch rows (``--big-rows``), and its bare calamine read;
- the same file with what calamine does not tell — the score column formatted as percentages
  (0.995 shown as 99.5%) and every 1000th row hidden — so that the sheet gets the second look
  (pipelines/ingest/xlsx_look.py): the difference is what the second look costs at its worst,
  every row of a big sheet carrying a percentage cell;
- a small file with one value at the far corner (XFD1048576): the bare calamine read is not run
  (it would ask for a dense grid of 17 billion cells and abort the process); the clean reads it
  sparsely and names the cell.

Usage: python benchmarks/ingest.py [--files 120] [--rows 250000] [--big-rows 200000] [--repeat 5] [--rebuild] [--check]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "out" / "ingest"
PERIOD = "2005-02-25"


def county_name(k: int) -> str:
    return f"第{k + 1:03d}县"


def build(raw: Path, n_files: int, n_rows: int, seed: int = 2005) -> None:
    """Write ``n_files`` county workbooks totalling ``n_rows`` branch rows, and a registry CSV."""
    import numpy as np
    import pandas as pd

    from pipelines.sample import build_sample, write_county_xlsx

    truth = build_sample(seed).returns
    base = truth[truth["period"] == truth["period"].max()].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    per_file = np.full(n_files, n_rows // n_files)
    per_file[: n_rows % n_files] += 1
    if raw.exists():
        shutil.rmtree(raw)
    (raw / PERIOD).mkdir(parents=True)
    (raw / "registry").mkdir(parents=True)
    registry = []
    for k, n in enumerate(per_file):
        idx = rng.integers(0, len(base), n)
        idx.sort()  # keep townships together, as a county lays them out
        frame = base.iloc[idx].reset_index(drop=True)
        county = county_name(k)
        frame["county"] = county
        frame["county_code"] = f"9{k:05d}"
        frame["branch"] = [f"{b[:-3]}{i:05d}党支部" for i, b in enumerate(frame["branch"])]
        style = ("xlsx_report", "xlsx_blankrows", "xlsx_plain")[k % 3]
        write_county_xlsx(frame, raw / PERIOD / f"{county}学习培训情况统计表.xlsx", style,
                          county=county, period=pd.Timestamp(PERIOD), seed=k)
        registry.append(frame[["county", "county_code", "township", "branch", "members"]])
        print(f"  built {k + 1}/{n_files} ({n} rows, {style})", end="\r", file=sys.stderr)
    reg = pd.concat(registry, ignore_index=True)
    write_registry(reg, raw / "registry" / "党组织名册.xlsx")
    (raw / ".built").write_text(json.dumps({"files": n_files, "rows": n_rows, "seed": seed}))
    print(file=sys.stderr)


def write_registry(reg, path: Path) -> None:  # noqa: ANN001
    """The registry as one plain .xlsx sheet (constant-memory xlsxwriter)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("党组织名册")
    ws.write_row(0, 0, ["县(市、区)", "行政区划代码", "乡镇", "党支部", "党员数"])
    for r, row in enumerate(reg.itertuples(index=False), start=1):
        ws.write_row(r, 0, [row.county, row.county_code, row.township, row.branch, int(row.members)])
    wb.close()


BIG_HEADER = ["县(市、区)", "乡镇", "党支部", "党员数", "参加学习人数", "参考人数", "回收答卷数", "平均成绩"]


def build_big(path: Path, n_rows: int, seen: bool) -> None:
    """One county file of ``n_rows`` branches; ``seen``: scores as percentages, every 1000th row hidden."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sheet1")
    pct = wb.add_format({"num_format": "0.0%"})
    ws.write_row(0, 0, BIG_HEADER)
    for r in range(1, n_rows + 1):
        members = 10 + r % 40
        if seen and r % 1000 == 0:
            ws.set_row(r, None, None, {"hidden": True})
        ws.write_row(r, 0, ["兴宁市", f"第{r // 500 + 1:03d}镇", f"第{r:06d}党支部", members, members, members, members])
        if seen:
            ws.write_number(r, 7, 0.995, pct)
        else:
            ws.write_number(r, 7, 99.5)
    wb.close()


def build_far(path: Path) -> None:
    """A return of 1000 branches with one stray value typed at XFD1048576."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, BIG_HEADER[:4])
    for r in range(1, 1001):
        ws.write_row(r, 0, ["兴宁市", "甲镇", f"第{r:04d}党支部", 30])
    ws.write(1048575, 16383, "x")
    wb.close()


WRITER_STYLES = ("xlsx_report", "xlsx_multisheet", "xlsx_plain", "xlsx_blankrows", "csv_gbk")


def writer_ratio(rows: int = 2000, repeat: int = 3) -> None:
    """The messy writer per style against a bare xlsxwriter dump of the same rows (CPU time)."""
    import tempfile

    import pandas as pd
    import xlsxwriter

    from pipelines.sample import build_sample, write_county_xlsx

    truth = build_sample(2005).returns
    frame = truth[truth["period"] == truth["period"].max()].head(rows).reset_index(drop=True)
    frame["county"] = "兴宁市"

    def bare(path: Path) -> None:
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet("Sheet1")
        ws.write_row(0, 0, list(frame.columns))
        for r, row in enumerate(frame.astype(object).where(frame.notna(), None).itertuples(index=False), start=1):
            ws.write_row(r, 0, [v.isoformat() if isinstance(v, pd.Timestamp) else v for v in row])
        wb.close()

    def best(fn) -> float:  # noqa: ANN001
        times = []
        for _ in range(repeat):
            c0 = time.process_time()
            fn()
            times.append(time.process_time() - c0)
        return min(times)

    with tempfile.TemporaryDirectory() as tmp:
        base = best(lambda: bare(Path(tmp) / "bare.xlsx"))
        parts = []
        for style in WRITER_STYLES:
            cpu = best(lambda s=style: write_county_xlsx(frame, Path(tmp) / f"{s}.xlsx", s, seed=1))
            parts.append(f"{style} {cpu:.2f} s ({cpu / base:.1f}x)")
    print(f"sample writer, {rows:,} rows: bare xlsxwriter dump {base:.2f} s CPU; " + ", ".join(parts))


def input_files(raw: Path) -> list[Path]:
    """The files the clean reads: the registry and every county return."""
    return sorted((raw / "registry").glob("*.xlsx")) + sorted((raw / PERIOD).glob("*.xlsx"))


def _bare_read(raw: str, queue: mp.Queue) -> None:
    from python_calamine import CalamineWorkbook

    files = input_files(Path(raw)) if Path(raw).is_dir() else [Path(raw)]
    t0, c0 = time.perf_counter(), time.process_time()
    cells = 0
    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            cells += sum(len(r) for r in grid)
        wb.close()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    queue.put({"seconds": elapsed, "cpu": cpu, "cells": cells,
               "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def _look_only(raw: str, queue: mp.Queue) -> None:
    """The look into every .xlsx alone (extent check and the scans that decide the second look)."""
    from pipelines.ingest.xlsx_look import look_into

    files = input_files(Path(raw))
    c0 = time.process_time()
    needing = sum(1 for f in files for lk in look_into(f).values()
                  if lk.hidden_rows or lk.hidden_cols or lk.percent or lk.errors or lk.formulas or not lk.fits)
    queue.put({"cpu": time.process_time() - c0, "needing": needing})


def _clean(raw: str, out: str, queue: mp.Queue) -> None:
    import pandas  # noqa: F401 - imported before the clock: library import is not cleaning
    import pandera  # noqa: F401 - as above

    from pipelines.ingest import clean  # imported before the clock: library import is not cleaning

    t0, c0 = time.perf_counter(), time.process_time()
    result = clean(Path(raw), Path(out))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    codes = result.warnings["code"].value_counts().to_dict()
    queue.put({
        "warnings": {str(k): int(v) for k, v in codes.items()},
        "seconds": elapsed,
        "cpu": cpu,
        "rows": int(result.manifest.loc[~result.manifest["path"].str.startswith("registry/"), "rows_read"].sum()),
        "kept": len(result.returns),
        "registry": len(result.registry),
        "errors": len(result.errors),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    })


def _run(target, *args) -> dict:  # noqa: ANN001
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _secs(runs: list[dict]) -> str:
    return ", ".join(f"{r['seconds']:.2f}" for r in runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=120)
    ap.add_argument("--rows", type=int, default=250_000)
    ap.add_argument("--big-rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--check", action="store_true", help="exit 1 when the CPU ratio is above 1.5")
    args = ap.parse_args()

    raw, out = OUT / "raw", OUT / "processed"
    stamp = raw / ".built"
    wanted = {"files": args.files, "rows": args.rows, "seed": 2005}
    if args.rebuild or not stamp.exists() or json.loads(stamp.read_text()) != wanted:
        print(f"building {args.files} files, {args.rows} rows into {raw} …", file=sys.stderr)
        t0 = time.perf_counter()
        build(raw, args.files, args.rows)
        print(f"built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    # Interleaved: each clean runs right after its own bare read, so that the machine's speed,
    # which drifts on a shared host, is the same for both halves of each pair.
    bare, full = [], []
    for _ in range(args.repeat):
        bare.append(_run(_bare_read, str(raw)))
        full.append(_run(_clean, str(raw), str(out)))
    b = min(bare, key=lambda r: r["cpu"])
    c = min(full, key=lambda r: r["cpu"])
    pairs = sorted(f["cpu"] / r["cpu"] for r, f in zip(bare, full, strict=True))
    ratio = pairs[len(pairs) // 2] if len(pairs) % 2 else sum(pairs[len(pairs) // 2 - 1:len(pairs) // 2 + 1]) / 2
    best_ratio = c["cpu"] / b["cpu"]
    wall_ratio = min(r["seconds"] for r in full) / min(r["seconds"] for r in bare)
    size = sum(p.stat().st_size for p in input_files(raw)) / 2**20
    print(f"input: {args.files} county .xlsx files + registry .xlsx, {size:.1f} MiB, {c['rows']:,} branch rows read "
          f"({c['kept']:,} kept), registry {c['registry']:,} rows, {c['errors']} file errors")
    print(f"bare calamine read: {b['cpu']:.2f} s CPU, {b['seconds']:.2f} s wall "
          f"({c['rows'] / b['seconds']:,.0f} return rows/s wall), peak RSS {b['maxrss_mib']:.0f} MiB")
    print(f"clean (whole stage): {c['cpu']:.2f} s CPU, {c['seconds']:.2f} s wall "
          f"({c['rows'] / c['seconds']:,.0f} return rows/s wall, {c['rows'] / c['cpu']:,.0f} rows per CPU second), "
          f"peak RSS {c['maxrss_mib']:.0f} MiB")
    print("peak memory: resource.getrusage(RUSAGE_SELF).ru_maxrss of a fresh child process per step")
    print(f"ratio clean / bare read: {ratio:.2f}x on CPU time (median of {args.repeat} interleaved pairs: "
          f"{', '.join(f'{x:.2f}' for x in pairs)}; target <= 1.5); best of each: {best_ratio:.2f}x CPU, "
          f"{wall_ratio:.2f}x wall [clean wall: {_secs(full)} s; bare wall: {_secs(bare)} s]")
    look = _run(_look_only, str(raw))
    print(f"of which the look into each .xlsx (extent, and whether a sheet needs the second look): "
          f"{look['cpu']:.2f} s CPU = {look['cpu'] / b['cpu']:.0%} of the bare read; sheets needing the second "
          f"look: {look['needing']}")
    writer_ratio()
    singles(args.big_rows, args.rebuild)
    return 1 if args.check and ratio > 1.5 else 0


def singles(big_rows: int, rebuild: bool) -> None:
    """The 200,000-row file (plain, and with the second look), and the far-corner file."""
    cases = {"plain": OUT / "big" / "plain" / PERIOD / "兴宁市.xlsx", "seen": OUT / "big" / "seen" / PERIOD / "兴宁市.xlsx",
             "far": OUT / "far" / PERIOD / "兴宁市.xlsx"}
    stamp = OUT / "big" / ".built"
    if rebuild or not stamp.exists() or stamp.read_text() != str(big_rows):
        print(f"building the {big_rows:,}-row files …", file=sys.stderr)
        build_big(cases["plain"], big_rows, seen=False)
        build_big(cases["seen"], big_rows, seen=True)
        stamp.write_text(str(big_rows))
    if not cases["far"].exists():
        build_far(cases["far"])
    bare = _run(_bare_read, str(cases["plain"]))
    bare_seen = _run(_bare_read, str(cases["seen"]))
    runs = {k: _run(_clean, str(p.parents[1]), str(OUT / "single-out" / k)) for k, p in cases.items()}
    mib = {k: p.stat().st_size / 2**20 for k, p in cases.items()}
    p, s_, f = runs["plain"], runs["seen"], runs["far"]
    print(f"{big_rows:,}-row file ({mib['plain']:.1f} MiB): bare calamine read {bare['cpu']:.2f} s CPU, peak RSS "
          f"{bare['maxrss_mib']:.0f} MiB; clean {p['cpu']:.2f} s CPU ({p['seconds']:.2f} s wall), peak RSS "
          f"{p['maxrss_mib']:.0f} MiB, ratio {p['cpu'] / bare['cpu']:.2f}x; {p['kept']:,} rows kept")
    print(f"same file with percent-formatted scores and every 1000th row hidden ({mib['seen']:.1f} MiB): bare read "
          f"{bare_seen['cpu']:.2f} s CPU; clean {s_['cpu']:.2f} s CPU, peak RSS {s_['maxrss_mib']:.0f} MiB, ratio "
          f"{s_['cpu'] / bare_seen['cpu']:.2f}x; the second look costs {s_['cpu'] - p['cpu']:+.2f} s CPU "
          f"({(s_['cpu'] - p['cpu']) / p['cpu']:+.0%} of the plain clean); warnings {s_['warnings']}")
    print(f"far-corner file ({mib['far'] * 1024:.0f} KiB, a value at XFD1048576): bare calamine read not run (a dense "
          f"grid of 17,179,869,184 cells aborts the process); clean {f['cpu']:.2f} s CPU, peak RSS "
          f"{f['maxrss_mib']:.0f} MiB, {f['kept']:,} rows kept; warnings {f['warnings']}")


if __name__ == "__main__":
    sys.exit(main())
