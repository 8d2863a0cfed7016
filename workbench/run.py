"""``python -m workbench.run [overrides]``: run an experiment (see :mod:`workbench.runner`)."""

from workbench.runner import main

if __name__ == "__main__":
    main()
