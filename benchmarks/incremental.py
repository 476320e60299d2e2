"""Benchmark of the incremental nightly (issue 19): a year of weekly returns, one new week a night.

Builds once (cached in benchmarks/out/incremental/, git-ignored; --rebuild to redo) a province-like
set: a registry of ``--branches`` branches in ``--counties`` counties (each county's branches
drawn from the seeded sample's last period, as benchmarks/ingest.py does), and ``--weeks`` weekly
folders holding one return per county, the figures growing week by week. The newest week is
written as messy .xlsx files by the sample writer (the ingest benchmark's styles: title rows,
merged headers and townships, subtotals); the earlier weeks as plain CSV under the contract's
Chinese headers, which are quick to write and are read once, by the first run of the history, and
never again. ``--scale`` shrinks the branches (and so every file) while keeping the counties and
the weeks.

Then, each nightly a fresh ``python -m pipelines nightly --force --allow-dirty`` process, every
step, the PDF included (``--no-pdf`` leaves it out):

1. baseline: the newest week alone, with an empty cache and an empty reports folder;
2. the history: every week but the newest, its first run (for information: reading the year once);
3. the new week: the newest week added to the history, the nightly run again.

Prints each run's wall time, the peak memory of its largest process (the nightly, a kernel or
Chromium: the children's maximum resident set size), the step times from run.json and how many
files the clean stage read and reused; then the ratio new week / baseline (target ≤ 2).
``--repeat N`` runs N alternated pairs (between two new-week runs the new week is taken out and
the history run again, untimed) and prints the median ratio. Other people share the machine: the
load average is printed with the figures.

The same case is ``python benchmarks/nightly.py --year WEEKS`` (the nightly's benchmarks in one
place); it lives in this script because it builds its own province-sized weeks and measures three
nightlies of its own, where benchmarks/nightly.py times the skip of an unchanged run on the sample.

Usage: python benchmarks/incremental.py [--weeks 52] [--counties 120] [--branches 252000]
       [--scale 0.25] [--repeat 1] [--no-pdf] [--rebuild] [--check]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pipelines import schema  # noqa: E402  (after the path above: the benchmark runs as a script)
from pipelines.domain import load  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "incremental"
FIRST_WEEK = dt.date(2005, 1, 7)
TARGET = 2.0
XLSX_STYLES = ("xlsx_report", "xlsx_blankrows", "xlsx_plain")  # as benchmarks/ingest.py
# a returns row as the registry-plus-values a county sends; the figures that only grow week by week
HISTORY_COLUMNS = ("county", "township", "branch", *schema.VALUE_COLUMNS)
CUMULATIVE = tuple(load.cumulative_columns())
# One nightly in its own process; prints the peak resident set of its largest process (KiB) last.
MEASURED = ("import resource, subprocess, sys\n"
            "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "sys.stdout.write(done.stdout[-2000:]); sys.stderr.write(done.stderr[-2000:])\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.exit(done.returncode)\n")


def week_day(week: int) -> dt.date:
    return FIRST_WEEK + dt.timedelta(days=7 * week)


def county_frames(counties: int, branches: int, seed: int = 2005) -> list:
    """Each county's branches (the returns layout, the sample's last period), as the ingest benchmark."""
    import numpy as np
    from ingest import county_name

    from pipelines.sample import build_sample

    truth = build_sample(seed).returns
    base = truth[truth["period"] == truth["period"].max()].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    per = np.full(counties, branches // counties)
    per[: branches % counties] += 1
    frames = []
    for k, n in enumerate(per):
        idx = np.sort(rng.integers(0, len(base), n))  # townships together, as a county lays them out
        frame = base.iloc[idx].reset_index(drop=True)
        frame["county"] = county_name(k)
        frame["county_code"] = f"9{k:05d}"
        frame["branch"] = [f"{b[:-3]}{i:05d}党支部" for i, b in enumerate(frame["branch"])]
        frames.append(frame)
    return frames


def at_week(frame, week: int, weeks: int):  # noqa: ANN001, ANN201
    """The county's figures at ``week``: the cumulative counts grow towards the last week's."""
    import numpy as np
    import pandas as pd

    out = frame.copy()
    progress = (week + 1) / weeks
    for col in CUMULATIVE:
        values = out[col].astype("Float64")
        out[col] = pd.array(np.floor(values.to_numpy(dtype=float, na_value=np.nan) * progress), dtype="Float64"
                            ).astype("Int64")
    out.loc[out["test_takers"].fillna(0) == 0, "avg_score"] = pd.NA  # no score without takers
    return out


def build(root: Path, weeks: int, counties: int, branches: int) -> None:
    """The registry, ``weeks - 1`` weeks of CSV history and the newest week as .xlsx."""
    import numpy as np
    import pandas as pd
    from ingest import write_registry

    from pipelines.domain import load
    from pipelines.sample import STYLES
    from pipelines.sample.writer import write_frame

    labels = [load.label(c, "zh") for c in HISTORY_COLUMNS]

    if root.exists():
        shutil.rmtree(root)
    frames = county_frames(counties, branches)
    (root / "registry").mkdir(parents=True)
    write_registry(pd.concat(frames, ignore_index=True)[["county", "county_code", "township", "branch", "members"]],
                   root / "registry" / "党组织名册.xlsx")
    by_name = {s.name: s for s in STYLES}
    for week in range(weeks):
        day = week_day(week)
        folder = root / ("new" if week == weeks - 1 else "history") / day.isoformat()
        folder.mkdir(parents=True)
        for k, frame in enumerate(frames):
            rows = at_week(frame, week, weeks)
            county = str(frame["county"].iloc[0])
            period = pd.Timestamp(day)
            rng = np.random.default_rng([week, k])
            if week == weeks - 1:
                style = by_name[XLSX_STYLES[k % len(XLSX_STYLES)]]
                write_frame(rows, folder / f"{county}学习培训情况统计表.xlsx", style, county=county, period=period, rng=rng)
            else:
                plain = rows[list(HISTORY_COLUMNS)].copy()
                plain["has_work_plan"] = plain["has_work_plan"].map({True: load.label("yes"), False: load.label("no")})
                plain.columns = labels
                plain.to_csv(folder / f"{county}学习培训情况{day:%m%d}.csv", index=False, encoding="utf-8")
        print(f"  built week {week + 1}/{weeks}", end="\r", file=sys.stderr)
    print(file=sys.stderr)


def link_tree(source: Path, target: Path) -> None:
    """``target`` holds ``source``'s files as hard links (a raw folder made of the built weeks)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        elif not dest.exists():
            os.link(path, dest)


def nightly(raw: Path, reports: Path, pdf: bool) -> dict:
    """One nightly in a fresh process: wall seconds, peak memory and its run.json."""
    args = [sys.executable, "-m", "pipelines", "nightly", "--raw", str(raw), "--reports", str(reports), "--force",
            "--allow-dirty", "--quiet"]
    if not pdf:
        args += ["-p", "pdf=false"]
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, *args], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode not in (0, 3):
        raise RuntimeError(f"nightly failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    runs = sorted((reports / "runs").iterdir())
    record = json.loads((runs[-1] / "run.json").read_text(encoding="utf-8"))
    return {"seconds": seconds, "peak_mib": peak_kib / 1024, "record": record}


def describe(name: str, run: dict) -> str:
    rec = run["record"]
    steps = {s["name"]: s["duration_s"] for s in rec["steps"]}
    render = rec.get("render") or {}
    clean = rec.get("clean") or {}
    parts = [f"{k} {v:.1f}" for k, v in steps.items()]
    parts += [f"html {render.get('html_s') or 0:.1f}", f"pdf {render.get('pdf_s') or 0:.1f}",
              f"feedback {(rec.get('feedback') or {}).get('duration_s') or 0:.1f}"]
    rows = rec.get("rows", {}).get("returns")
    return (f"{name:<34}{run['seconds']:8.1f} s  peak {run['peak_mib']:7.0f} MiB  status {rec['status']}\n"
            f"{'':<34}steps (s): {', '.join(parts)}\n"
            f"{'':<34}clean read {len(clean.get('read', []))} files, reused {clean.get('reused', 0)}; "
            f"returns rows {rows}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks/incremental.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weeks", type=int, default=52, help="weeks of returns, the newest included")
    ap.add_argument("--counties", type=int, default=120, help="counties (one return each a week)")
    ap.add_argument("--branches", type=int, default=252_000, help="branches of the province at --scale 1")
    ap.add_argument("--scale", type=float, default=0.25, help="share of --branches built (every file shrinks)")
    ap.add_argument("--repeat", type=int, default=1, help="alternated pairs of baseline and new-week runs")
    ap.add_argument("--no-pdf", action="store_true", help="leave the Chromium PDF out of every run")
    ap.add_argument("--rebuild", action="store_true", help="write the returns again")
    ap.add_argument("--check", action="store_true", help=f"exit 1 when the median ratio is above {TARGET}")
    args = ap.parse_args(argv)

    branches = max(args.counties, int(args.branches * args.scale))
    built = OUT / "built"
    stamp = built / ".built.json"
    wanted = {"weeks": args.weeks, "counties": args.counties, "branches": branches, "version": 2}
    if args.rebuild or not stamp.exists() or json.loads(stamp.read_text()) != wanted:
        print(f"building {args.weeks} weeks × {args.counties} counties, {branches:,} branches a week …", file=sys.stderr)
        t0 = time.perf_counter()
        build(built, args.weeks, args.counties, branches)
        stamp.write_text(json.dumps(wanted))
        print(f"built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    newest = next((built / "new").iterdir())
    pdf = not args.no_pdf

    single_raw, year_raw = OUT / "raw-single", OUT / "raw-year"
    for folder in (single_raw, year_raw, OUT / "reports-single", OUT / "reports-year"):
        shutil.rmtree(folder, ignore_errors=True)
    link_tree(built / "registry", single_raw / "registry")
    link_tree(newest, single_raw / newest.name)
    link_tree(built / "registry", year_raw / "registry")
    link_tree(built / "history", year_raw)

    print(f"scale: {args.weeks} weeks × {args.counties} counties, {branches:,} branches a week "
          f"({branches * args.weeks:,} branch rows in the year); PDF {'on' if pdf else 'off'}")
    history = nightly(year_raw, OUT / "reports-year", pdf)
    print(describe(f"history, first run ({args.weeks - 1} weeks)", history))

    ratios, singles, news = [], [], []
    for i in range(max(1, args.repeat)):
        shutil.rmtree(OUT / "reports-single", ignore_errors=True)
        single = nightly(single_raw, OUT / "reports-single", pdf)
        link_tree(newest, year_raw / newest.name)
        new = nightly(year_raw, OUT / "reports-year", pdf)
        singles.append(single)
        news.append(new)
        ratios.append(new["seconds"] / single["seconds"])
        print(describe(f"baseline: one week, empty cache #{i + 1}", single))
        print(describe(f"new week on {args.weeks - 1} weeks #{i + 1}", new))
        if i + 1 < args.repeat:  # the new week out again, the history run again (untimed)
            shutil.rmtree(year_raw / newest.name)
            nightly(year_raw, OUT / "reports-year", pdf)
    ratio = statistics.median(ratios)
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"ratio new week on a year / one week with an empty cache: {ratio:.2f} "
          f"(pairs {', '.join(f'{r:.2f}' for r in ratios)}; target ≤ {TARGET:g}: {'ok' if ratio <= TARGET else 'OVER'})")
    print(f"peak memory new week / one week: {statistics.median(n['peak_mib'] for n in news):.0f} / "
          f"{statistics.median(s['peak_mib'] for s in singles):.0f} MiB")
    return 1 if args.check and ratio > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
