"""Benchmark of the nightly runner: the unchanged run must stay a skip of well under a second.

1. writes the seeded sample into benchmarks/out/nightly/raw (once; --rebuild to redo);
2. runs ``python -m pipelines nightly --force`` over it (a full run) and prints where its time
   went, from run.json (steps, HTML, PDF): for information, there is no target on it;
3. times, each in a fresh process and ``--repeat`` times, the baseline ``python -m pipelines
   nightly --help`` (interpreter start and the CLI's own imports) and the unchanged run, which
   must be skipped;
4. prints the ratios: unchanged run / baseline (what the skip adds to starting the command at
   all), unchanged run / full run, and unchanged run / the 1 s target.

Runs with --allow-dirty: a developer measures uncommitted code too. Other people share the
machine: the median of --repeat runs is reported, with the load average.

``--year WEEKS`` measures the year-sized case instead (issue 19): WEEKS weeks of a province-sized
set, generated; the history's first run, then one new week added and the nightly run again, against
a single week's nightly with an empty cache (ratio new week / single week, target ≤ 2, and each
run's peak memory). That case is benchmarks/incremental.py (it builds its own data); the options
after --year go to it: ``--counties``, ``--branches``, ``--scale``, ``--repeat``, ``--no-pdf``,
``--rebuild``, ``--check`` (``python benchmarks/incremental.py --help``).

Usage: python benchmarks/nightly.py [--repeat 5] [--rebuild] [--no-pdf] [--check]
       python benchmarks/nightly.py --year 52 [--scale 0.25] [--counties 120] [--repeat 1] [--no-pdf] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "nightly"
PY = sys.executable
UNCHANGED_TARGET_S = 1.0


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - t0, done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--year", type=int, metavar="WEEKS",
                    help="the year-sized case: WEEKS weeks of a province-sized set (benchmarks/incremental.py)")
    ap.add_argument("--repeat", type=int, help="timings of the baseline and of the unchanged run (5; --year: 1)")
    ap.add_argument("--rebuild", action="store_true", help="rewrite the sample")
    ap.add_argument("--no-pdf", action="store_true", help="skip the Chromium PDF")
    ap.add_argument("--check", action="store_true", help="exit 1 when the unchanged run is over 1 s or not skipped")
    args, rest = ap.parse_known_args(argv)
    if args.year is not None:
        return _year(args, rest)
    if rest:
        ap.error(f"unrecognised arguments: {' '.join(rest)} (only with --year)")
    args.repeat = args.repeat or 5

    raw, reports = OUT / "raw", OUT / "reports"
    if args.rebuild and OUT.exists():
        shutil.rmtree(OUT)
    if not raw.exists():
        _, done = timed([PY, "-m", "pipelines", "sample", "--out", str(raw)])
        if done.returncode:
            print(done.stdout, done.stderr)
            return 1
    base = [PY, "-m", "pipelines", "nightly", "--raw", str(raw), "--reports", str(reports), "--quiet",
            "--allow-dirty"]
    if args.no_pdf:
        base += ["-p", "pdf=false"]

    full, done = timed([*base, "--force"])
    if done.returncode not in (0, 3):
        print(done.stdout, done.stderr)
        return 1
    record = json.loads((reports / "latest" / "run.json").read_text(encoding="utf-8"))
    print(f"full run on the sample: {full:.2f} s, status {record['status']} (for information)")
    for step in record["steps"]:
        print(f"  {step['name']:<30}{step['duration_s']:7.2f} s")
    render = record["render"]
    print(f"  {'render html':<30}{render.get('html_s', 0):7.2f} s")
    if render.get("pdf_s") is not None:
        why = f"  ({render['pdf_error']})" if render.get("pdf_error") else ""
        print(f"  {'render pdf':<30}{render['pdf_s']:7.2f} s{why}")

    baseline, unchanged, skipped = [], [], True
    for _ in range(max(1, args.repeat)):
        t, _ = timed([PY, "-m", "pipelines", "nightly", "--help"])
        baseline.append(t)
        t, done = timed(base)
        unchanged.append(t)
        skipped &= done.returncode in (0, 3) and not done.stderr.strip().startswith("nightly: FAILED")
        skipped &= (reports / "latest").resolve().name == record["run_id"]
    b, u = statistics.median(baseline), statistics.median(unchanged)
    print(f"\nmedian of {len(unchanged)} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  baseline: python -m pipelines nightly --help  {b:6.3f} s")
    print(f"  unchanged run (skipped: {'yes' if skipped else 'NO'})            {u:6.3f} s")
    print(f"ratio unchanged / baseline   {u / b:6.2f}")
    print(f"ratio unchanged / full run   {u / full:6.3f}")
    verdict = "ok" if u <= UNCHANGED_TARGET_S else "OVER"
    print(f"ratio unchanged / 1 s target {u / UNCHANGED_TARGET_S:6.2f}  ({verdict})")
    return 1 if args.check and not (skipped and u <= UNCHANGED_TARGET_S) else 0


def _year(args: argparse.Namespace, rest: list[str]) -> int:
    """The year-sized case, run by benchmarks/incremental.py with this command line's options."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import incremental

    forwarded = ["--weeks", str(args.year), *rest]
    forwarded += ["--repeat", str(args.repeat)] if args.repeat else []
    forwarded += [flag for flag, on in (("--no-pdf", args.no_pdf), ("--rebuild", args.rebuild),
                                        ("--check", args.check)) if on]
    return incremental.main(forwarded)


if __name__ == "__main__":
    sys.exit(main())
