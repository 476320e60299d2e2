"""`python -m pipelines nightly`: the thin command line over :func:`run_nightly`.

Nothing heavy is imported here or in the skip path; see docs/nightly.md for the exit statuses.
"""

from __future__ import annotations

import argparse
import sys

from pipelines import config


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "exit status: 0 ok (or nothing changed), 1 failed, 2 a parameter, option or modified code refused, "
        "3 incomplete (an input file not usable or no PDF; report produced), 4 another run holds the lock, "
        "130 interrupted; see docs/nightly.md"
    )
    parser.add_argument("--raw", default=None, help=f"raw returns folder (default {config.RAW_DIR})")
    parser.add_argument("--reports", default=None,
                        help=f"reports folder: runs/ (each with its tables/), store/ and latest "
                        f"(default {config.REPORTS_DIR})")
    parser.add_argument("--processed", default=None, help=argparse.SUPPRESS)  # refused with a reason in run()
    parser.add_argument(
        "-p", "--param", action="append", default=[], metavar="KEY=VALUE",
        help="override nightly.yaml: a notebook parameter (language=en, 03_report.period=2005-02-25) or a setting "
        "(execution_timeout=300, keep_runs=10); an unknown name is an error",
    )
    parser.add_argument("--params-file", default=None, help=f"parameters file (default {config.NIGHTLY_PARAMS_FILE})")
    parser.add_argument("--force", action="store_true",
                        help="run even when nothing changed since the last good run (the clean stage still reuses "
                        "its cache: only new or changed files are read)")
    parser.add_argument("--full", action="store_true",
                        help="discard the stages' caches (<reports>/cache/clean and /metrics): every file read and every "
                        "period computed again; runs even when nothing changed")
    parser.add_argument(
        "--allow-dirty", action="store_true",
        help="run although tracked files under notebooks/ or pipelines/ differ from HEAD; the report then says "
        "on its first page that it was made from modified code",
    )
    parser.add_argument("--notebooks", default=None, help=argparse.SUPPRESS)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--quiet", action="store_true", help="no progress lines even on a terminal")
    out.add_argument("--progress", action="store_true", help="progress lines even when not on a terminal")
    parser.add_argument(
        "--print-deploy", choices=("cron", "service", "timer"), default=None,
        help="print the cron line or systemd unit for this checkout (absolute paths filled in) and exit",
    )


def run(args: argparse.Namespace) -> int:
    from pipelines.nightly.errors import ExitStatus, NightlyError, clamp
    from pipelines.nightly.signals import Interrupted

    def fail(line: str) -> None:
        print(clamp(line), file=sys.stderr, flush=True)

    if args.processed is not None:
        fail(f"nightly: --processed is no longer taken: each run keeps its own tables in "
             f"<reports>/runs/<run>/tables (reports/latest/tables); {config.PROCESSED_DIR} is the analysts'")
        return int(ExitStatus.USAGE)
    if args.print_deploy:
        from pipelines.nightly.deploy import render_deploy

        sys.stdout.write(render_deploy(args.print_deploy))
        return ExitStatus.OK

    from pipelines.nightly.runner import run_nightly

    show = args.progress or (not args.quiet and sys.stdout.isatty())

    def progress(line: str) -> None:
        print(f"nightly {line}", flush=True)

    try:
        result = run_nightly(
            args.raw, args.reports, args.param, force=args.force, full=args.full, params_file=args.params_file,
            notebooks_dir=args.notebooks, progress=progress if show else None, allow_dirty=args.allow_dirty,
        )
    except NightlyError as err:
        fail(str(err))
        return int(err.status)
    except (Interrupted, KeyboardInterrupt) as exc:
        fail(f"nightly: INTERRUPTED by {exc or 'SIGINT'} before a run folder was made; nothing done")
        return int(ExitStatus.INTERRUPTED)
    if result.exit_status != ExitStatus.OK:
        fail(result.message)
    if result.note:
        fail(result.note)
    if show and result.exit_status in (ExitStatus.OK, ExitStatus.INCOMPLETE):
        # a person at a terminal (make report): say what happened, end with the report's path
        if result.skipped:
            print(result.message, flush=True)
        if result.report is not None:
            latest = result.report.parent.parent.parent / "latest" / result.report.name
            shown = latest if (result.latest_moved or result.skipped) and latest.exists() else result.report
            print(shown, flush=True)
    return int(result.exit_status)
