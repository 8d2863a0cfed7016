"""Reports: the run a notebook belongs to, plot helpers, the HTML index of runs."""

from workbench.report.index import build_index
from workbench.report.run import Run, new_run_dir, open_run

__all__ = ["Run", "build_index", "new_run_dir", "open_run"]
