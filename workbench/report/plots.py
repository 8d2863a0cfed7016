"""Presentation helpers shared by the notebooks: one style, tables and figures a reviewer can read in HTML.

The helpers live by job and this module gathers them, so that a notebook imports everything it
shows from one place:

* :mod:`~workbench.report.tables`: :func:`show` (a polars frame as a self-contained HTML table),
  :func:`show_pairs`, :func:`show_callout` and the formatting rules on their own
  (:func:`format_frame`, :func:`format_value`, ...);
* :mod:`~workbench.report.styles`: :func:`setup` (figure defaults), :func:`model_styles` (a colour,
  line style and marker per model, the same in every figure of a page), :func:`bar_style`,
  :func:`fan_chart`;
* :mod:`~workbench.report.axes`: :func:`date_axis`, :func:`plain_log_axis`, :func:`period_name` and
  :func:`feature_label` (Darts' lagged feature names in words).
"""

from __future__ import annotations

from workbench.report.axes import date_axis, feature_label, period_name, plain_log_axis
from workbench.report.styles import (
    HATCHES,
    LINESTYLES,
    MARKERS,
    MODEL_COLOURS,
    PALETTE,
    bar_style,
    fan_chart,
    model_styles,
    setup,
)
from workbench.report.tables import (
    MAX_DECIMALS,
    MISSING,
    callout_html,
    column_decimals,
    format_column,
    format_frame,
    format_value,
    header,
    show,
    show_callout,
    show_pairs,
    table_html,
)

__all__ = [
    "HATCHES",
    "LINESTYLES",
    "MARKERS",
    "MAX_DECIMALS",
    "MISSING",
    "MODEL_COLOURS",
    "PALETTE",
    "bar_style",
    "callout_html",
    "column_decimals",
    "date_axis",
    "fan_chart",
    "feature_label",
    "format_column",
    "format_frame",
    "format_value",
    "header",
    "model_styles",
    "period_name",
    "plain_log_axis",
    "setup",
    "show",
    "show_callout",
    "show_pairs",
    "table_html",
]
