"""Benchmark of the metrics stage against DuckDB, on a synthetic returns.parquet.

Builds about 5 million rows (26 periods × 200,000 branches at --scale 1) in benchmarks/out/ (or
--dir), then
1. runs ``compute_metrics`` (every output, written) in a child process started as the CLI and
   the nightly's kernels are, with glibc keeping freed memory for reuse (pipelines/memory.py;
   ``--default-malloc`` for glibc's defaults), and reads its peak memory: the child's peak RSS
   (VmHWM) after the run minus its peak just before (imports done, nothing read), compared with
   the in-memory size of the returns frame (``DataFrame.memory_usage(deep=True)`` of the columns
   the stage reads);
2. runs the equivalent DuckDB SQL (county × period: reported branches joined to the registry,
   sums and the five activity coverages, work plan, special members) over the same files;
3. repeats 1–2 ``--repeat`` times, interleaved, and prints each pair, the median ratio of the wall
   times (target ≤ 2×) and the memory ratio (target ≤ 3×).

Usage: python benchmarks/metrics.py [--scale 0.05] [--periods 26] [--branches 200000] [--repeat 3] [--keep]
       [--default-malloc]
Other people share the machine (2 cores): use --scale for a quick run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines import config, memory  # noqa: E402
from pipelines.domain import load  # noqa: E402

ACTIVITIES = ("discussion_meetings", "deeds_reports", "situation_reports", "exchange_meetings", "party_lectures")
SPECIAL = ("special_sick", "special_travel", "special_laid_off", "special_retired_away", "special_floating")


def build(folder: Path, branches: int, periods: int, seed: int = 1) -> int:
    """Write registry.parquet and returns.parquet (contract columns and dtypes); return the row count."""
    rng = np.random.default_rng(seed)
    counties = load.county_order()
    codes = {c["name"]: c["code"] for c in load.counties()["counties"]}
    county_idx = np.sort(rng.integers(0, len(counties), branches))
    town_idx = rng.integers(0, 20, branches)
    county = np.array(counties, dtype=object)[county_idx]
    township = np.char.add("镇", town_idx.astype(str)).astype(object)
    branch = np.char.add("党支部", np.arange(branches).astype(str)).astype(object)
    members = rng.integers(3, 60, branches)
    reg = pd.DataFrame({
        "county": pd.array(county, dtype="str"),
        "county_code": pd.array([codes[c] for c in counties], dtype="str")[county_idx],
        "township": pd.array(township, dtype="str"), "branch": pd.array(branch, dtype="str"),
        "members": pd.array(members, dtype="Int64"),
    })
    reg.to_parquet(folder / config.REGISTRY_FILE, index=False)

    dates = pd.date_range("2005-01-07", periods=periods, freq="7D")
    late = rng.random(branches)
    writer = None
    rows = 0
    base_act = rng.random((branches, len(ACTIVITIES)))
    special = rng.poisson(0.3, (branches, len(SPECIAL)))
    for p, day in enumerate(dates):
        progress = (p + 1) / periods
        rep = late < 0.75 + 0.25 * progress
        n = int(rep.sum())
        m = members[rep]
        studied = np.minimum(m, np.floor(m * min(1.0, 0.4 + 0.7 * progress)).astype(np.int64))
        takers = np.where(progress > 0.3, m - rng.binomial(m, 0.03), 0)
        cols = {
            "period": pa.array(np.full(n, day.to_datetime64()).astype("datetime64[ns]")),
            "county": pa.array(county[rep], pa.string()),
            "county_code": pa.array(np.array([codes[c] for c in counties], dtype=object)[county_idx[rep]], pa.string()),
            "township": pa.array(township[rep], pa.string()),
            "branch": pa.array(branch[rep], pa.string()),
            "members": pa.array(m, pa.int64()),
            "studied": pa.array(studied, pa.int64()),
        }
        for k, a in enumerate(ACTIVITIES):
            cols[a] = pa.array((base_act[rep, k] < progress).astype(np.int64) * (1 + p // 5), pa.int64())
        cols["test_takers"] = pa.array(takers, pa.int64())
        cols["sheets_returned"] = pa.array(takers - rng.binomial(takers, 0.01), pa.int64())
        score = np.round(rng.uniform(90, 100, n), 1)
        cols["avg_score"] = pa.array(np.where(takers > 0, score, np.nan), pa.float64(), from_pandas=True)
        for k, s in enumerate(SPECIAL):
            cols[s] = pa.array(special[rep, k], pa.int64())
        reached = np.floor(special[rep].sum(axis=1) * progress).astype(np.int64)
        cols["delivered_study"] = pa.array(reached // 2, pa.int64())
        cols["makeup_study"] = pa.array(reached - reached // 2, pa.int64())
        cols["has_work_plan"] = pa.array(late[rep] < 0.5 + progress, pa.bool_())
        cols["source_file"] = pa.array(np.full(n, f"{day.date()}/returns.xlsx", dtype=object), pa.string())
        cols["source_sheet"] = pa.array(np.full(n, "Sheet1", dtype=object), pa.string())
        cols["source_row"] = pa.array(np.arange(n) + 2, pa.int64())
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(folder / config.RETURNS_FILE, table.schema, compression="zstd")
        writer.write_table(table)
        rows += n
    if writer is not None:
        writer.close()
    return rows


DUCKDB_SQL = """
WITH reg AS (
  SELECT county, count(*) AS branches_expected, sum(members) AS members_expected
  FROM read_parquet('{registry}') GROUP BY county),
r AS (
  SELECT period, county,
    count(*) AS branches_reported, sum(members) AS members, sum(studied) AS studied,
    sum(test_takers) AS test_takers, sum(sheets_returned) AS sheets_returned,
    sum(avg_score * test_takers) AS score_points, sum(CASE WHEN avg_score IS NOT NULL THEN test_takers END) AS score_takers,
    count(*) FILTER (WHERE discussion_meetings > 0) AS branches_discussion,
    count(*) FILTER (WHERE deeds_reports > 0) AS branches_deeds,
    count(*) FILTER (WHERE situation_reports > 0) AS branches_situation,
    count(*) FILTER (WHERE exchange_meetings > 0) AS branches_exchange,
    count(*) FILTER (WHERE party_lectures > 0) AS branches_lecture,
    count(*) FILTER (WHERE discussion_meetings > 0 AND deeds_reports > 0 AND situation_reports > 0
                     AND exchange_meetings > 0 AND party_lectures > 0) AS branches_all_activities,
    count(*) FILTER (WHERE has_work_plan) AS branches_work_plan,
    sum(special_sick + special_travel + special_laid_off + special_retired_away + special_floating) AS special_members,
    sum(delivered_study + makeup_study) AS special_reached
  FROM (SELECT DISTINCT ON (period, county, township, branch) * FROM read_parquet('{returns}'))
  GROUP BY period, county)
SELECT r.*, reg.branches_expected, r.branches_reported / reg.branches_expected AS report_rate,
  r.members / reg.members_expected AS member_coverage, studied / nullif(r.members, 0) AS studied_rate,
  test_takers / nullif(r.members, 0) AS test_rate, sheets_returned / nullif(test_takers, 0) AS return_rate,
  score_points / nullif(score_takers, 0) AS avg_score,
  branches_discussion / branches_reported AS discussion_coverage, branches_deeds / branches_reported AS deeds_coverage,
  branches_situation / branches_reported AS situation_coverage, branches_exchange / branches_reported AS exchange_coverage,
  branches_lecture / branches_reported AS lecture_coverage, branches_all_activities / branches_reported AS all_activities_rate,
  branches_work_plan / branches_reported AS work_plan_rate, special_reached / nullif(special_members, 0) AS special_reached_rate
FROM r JOIN reg USING (county)
"""


def run_duckdb(folder: Path, threads: int, dedup: bool = True) -> tuple[float, int]:
    """Wall time of the SQL; ``dedup`` keeps one row per (period, branch) as the stage does."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    sql = DUCKDB_SQL.format(returns=folder / config.RETURNS_FILE, registry=folder / config.REGISTRY_FILE)
    if not dedup:
        sql = sql.replace("(SELECT DISTINCT ON (period, county, township, branch) * FROM read_parquet(", "(SELECT * FROM read_parquet(")
        sql = sql.replace("'))\n  GROUP BY period, county)", "'))\n  GROUP BY period, county)")
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    n = len(con.execute(sql).fetchall())
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)  # all DuckDB threads
    return time.perf_counter() - t0, n, cpu


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import pandas as pd
from pipelines import config
from pipelines.metrics import compute_metrics, load_indicators, load_thresholds
from pipelines.metrics import aggregate
from pipelines.metrics.api import RETURNS_READ, periods_of
folder, out = Path(sys.argv[1]), Path(sys.argv[2])


def high_water_kib():
    # VmHWM belongs to this program's own address space; ru_maxrss would also count the parent's
    # pages at fork time (it survives exec), so a big parent would hide the child's growth.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


before = high_water_kib()
t0, c0 = time.perf_counter(), time.process_time()
res = compute_metrics(folder, out=out)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = high_water_kib()
# like for like with the SQL: read, match to the registry, county coverage only
inds = load_indicators(load_thresholds())
t1, c1 = time.perf_counter(), time.process_time()
ret = pd.read_parquet(folder / config.RETURNS_FILE, columns=list(RETURNS_READ))
reg = aggregate.clean_registry(pd.read_parquet(folder / config.REGISTRY_FILE))
vals = aggregate.branch_values(ret, reg)
periods = [pd.Timestamp(p) for p in periods_of(ret, pd.DataFrame())]
cm = aggregate.county_metrics(vals, reg, periods, inds)
county_s, county_cpu = time.perf_counter() - t1, time.process_time() - c1
print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_before_kib": before, "rss_peak_kib": peak,
                  "county_seconds": county_s, "county_cpu": county_cpu,
                  "weak_links": len(res.weak_links), "county_rows": len(res.county_metrics)}))
"""


def data_size(folder: Path) -> int:
    from pipelines.metrics.api import RETURNS_READ

    df = pd.read_parquet(folder / config.RETURNS_FILE, columns=list(RETURNS_READ))
    return int(df.memory_usage(deep=True).sum())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the 200,000 branches (default 1)")
    ap.add_argument("--branches", type=int, default=200_000)
    ap.add_argument("--periods", type=int, default=26)
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir in benchmarks/out/)")
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads (the machine has 2 cores)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved pandas/DuckDB pairs (median reported)")
    ap.add_argument("--default-malloc", action="store_true",
                    help="run the stage with glibc's default malloc, not the stages' settings (pipelines/memory.py)")
    args = ap.parse_args(argv)

    base = config.BENCHMARKS_DIR / "out"
    base.mkdir(parents=True, exist_ok=True)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="metrics-", dir=base))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        branches = max(100, int(args.branches * args.scale))
        t0 = time.perf_counter()
        rows = build(folder, branches, args.periods)
        print(f"built {rows:,} rows ({args.periods} periods × {branches:,} branches) in {time.perf_counter() - t0:.1f} s")
        size = data_size(folder)
        out = folder / "out"
        # The stage runs as the CLI and the nightly's kernels run it: with glibc keeping freed
        # memory for reuse (pipelines/memory.py), unless --default-malloc.
        kept = memory.wanted() and not args.default_malloc
        child_env = memory.with_tunables(os.environ) if kept else dict(os.environ)
        print(f"malloc: the stages' settings ({memory.tunables()})" if kept else "malloc: glibc defaults")
        # Interleaved pairs: each pandas run is followed by its DuckDB runs, so a drift in the
        # machine's speed (a shared host) lands on both sides; the ratios are medians over pairs.
        runs = []
        for _ in range(args.repeat):
            child = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(out)], cwd=ROOT, env=child_env,
                                   capture_output=True, text=True, check=True)
            st = json.loads(child.stdout.strip().splitlines()[-1])
            duck = run_duckdb(folder, args.threads)
            plain = run_duckdb(folder, args.threads, dedup=False)
            runs.append((st, duck, plain, os.getloadavg()[0]))
        ratios = sorted(st["seconds"] / duck[0] for st, duck, _, _ in runs)
        like = sorted(st["county_seconds"] / duck[0] for st, duck, _, _ in runs)
        plain_ratios = sorted(st["seconds"] / plain[0] for st, _, plain, _ in runs)
        for k, (st, duck, plain, load) in enumerate(runs, 1):
            print(f"pair {k}: pandas {st['seconds']:.2f} s wall ({st['cpu']:.2f} s CPU), county only "
                  f"{st['county_seconds']:.2f} s; duckdb {duck[0]:.2f} s wall ({duck[2]:.2f} s CPU), plain "
                  f"{plain[0]:.2f} s; ratio {st['seconds'] / duck[0]:.2f}x; load {load:.1f}")
        stats, (duck_s, duck_rows, duck_cpu), (plain_s, _, plain_cpu), _ = runs[len(runs) // 2]
        print("child peak memory (MiB, before → after the run): " + ", ".join(
            f"{r[0]['rss_before_kib'] / 1024:.0f} → {r[0]['rss_peak_kib'] / 1024:.0f}" for r in runs))
        peak = (stats["rss_peak_kib"] - stats["rss_before_kib"]) * 1024
        print(f"pandas compute_metrics (all outputs, written): {stats['seconds']:.2f} s wall, {stats['cpu']:.2f} s CPU "
              f"({stats['county_rows']} county rows, {stats['weak_links']:,} weak links)")
        print(f"pandas county coverage only (read, match, county_metrics): {stats['county_seconds']:.2f} s wall, "
              f"{stats['county_cpu']:.2f} s CPU")
        print(f"duckdb county coverage SQL ({args.threads} threads, one row per branch and period): "
              f"{duck_s:.2f} s wall, {duck_cpu:.2f} s CPU ({duck_rows} rows)")
        print(f"duckdb without the duplicate-branch step: {plain_s:.2f} s wall, {plain_cpu:.2f} s CPU")
        med = lambda xs: xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2  # noqa: E731
        print(f"time ratio, all metrics / duckdb: {med(ratios):.2f}x wall, median of {len(runs)} pairs "
              f"({', '.join(f'{r:.2f}' for r in ratios)}) (target <= 2x); against the plain SQL {med(plain_ratios):.2f}x")
        print(f"time ratio, like for like (county coverage) / duckdb: {med(like):.2f}x wall, median of {len(runs)} pairs "
              f"({', '.join(f'{r:.2f}' for r in like)})")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"returns in memory (memory_usage deep): {size / 2**20:,.0f} MiB; peak RSS growth of the run "
              f"(VmHWM delta): {peak / 2**20:,.0f} MiB; ratio {peak / size:.2f}x (target <= 3x)")
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
