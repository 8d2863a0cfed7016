"""``python -m workbench.run [overrides]``: run an experiment (see :mod:`workbench.runner`)."""

import sys

from workbench.runner import EXIT_CODES, main

if __name__ == "__main__":
    main()
    # a -m sweep runs every point; the command fails when any of them did
    sys.exit(max(EXIT_CODES, default=0))
