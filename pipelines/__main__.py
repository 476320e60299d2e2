"""``python -m pipelines …`` and the ``returns-workbench`` script: the CLI in a process that keeps
freed memory for reuse (pipelines/memory.py), set before anything else runs."""

import sys


def run() -> int:
    from pipelines import memory

    memory.keep_freed_memory()  # before numpy, Arrow or a worker starts a thread
    from pipelines.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
