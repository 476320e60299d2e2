"""`python -m pipelines sample`: write the seeded sample returns and registry into a raw folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import config


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, help=f"raw folder to write into (default {config.RAW_DIR})")
    parser.add_argument("--seed", type=int, default=2005, help="random seed; the same seed gives the same files")
    parser.add_argument("--force", action="store_true", help="overwrite the sample files even if period folders exist")
    parser.add_argument("--if-empty", action="store_true",
                        help="write only when the folder holds no period folders (any date spelling); exit 0 either way")


def run(args: argparse.Namespace) -> int:
    from pipelines.sample.writer import SampleExistsError, write_sample

    out = Path(args.out) if args.out else config.RAW_DIR
    if args.if_empty and not args.force:
        from pipelines.sample.writer import existing_periods

        if existing_periods(out):
            print(f"{out} already holds returns; sample not written")
            return 0
    try:
        paths = write_sample(out, seed=args.seed, force=args.force)
    except SampleExistsError as exc:
        print(f"sample: {exc}", file=sys.stderr)
        return 2
    periods = sorted({p.parent.name for p in paths if p.parent.name != "registry"})
    print(f"sample: wrote {len(paths)} files into {out} (periods {', '.join(periods)}; registry/)")
    return 0
