"""``python -m workbench.run [overrides]``: run an experiment (see :mod:`workbench.runner`).

With ``-m`` it runs a sweep, its points in parallel (:mod:`workbench.multirun`); the command exits
with the worst exit code of the points (their records say which failed and why)."""

import sys

from workbench.runner import EXIT_CODES, main

if __name__ == "__main__":
    main()
    # a -m sweep runs every point; the command fails when any of them did
    sys.exit(max(EXIT_CODES, default=0))
