"""`python -m pipelines <command>`: a thin dispatcher over each stage's own API function.

Each command lives in its stage's module, which exposes ``configure(parser)`` and
``run(args) -> int``; modules are imported only when their command runs, so a quick command
(``nightly`` deciding to skip) does not pay for pandas or Jupyter imports it never uses.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "sample": ("pipelines.sample.cli", "write the seeded sample returns and registry into a raw folder"),
    "clean": ("pipelines.ingest.cli", "clean raw returns into validated Parquet tables"),
    "metrics": ("pipelines.metrics.cli", "compute coverage, balance, weak links and data quality"),
    "report": ("pipelines.report.cli", "execute the report notebook and render offline HTML/PDF"),
    "nightly": ("pipelines.nightly.cli", "run the whole chain into a dated run folder"),
    "template": ("pipelines.documents.cli", "write the return form a county fills in (.xlsx)"),
    "feedback": ("pipelines.documents.feedback_cli", "write a feedback workbook per county (.xlsx)"),
    "docx": ("pipelines.documents.docx_cli", "write the 汇报 as a Word document (.docx)"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description="Returns Workbench (学习培训报表分析工作台)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            importlib.import_module(module).configure(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in COMMANDS:
        command = None
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.run(args) or 0)
