"""Presentation: plot and table helpers, self-contained HTML pages, the index of runs."""

from workbench.report.index import build_index

__all__ = ["build_index"]
