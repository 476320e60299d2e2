"""``python -m pipelines …`` and the ``returns-workbench`` script."""

import sys


def run() -> int:
    from pipelines.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
