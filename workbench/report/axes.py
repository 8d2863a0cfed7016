"""Axes and labels for the report figures: date and log axes, period names, Darts' feature names in words."""

from __future__ import annotations

import math
import re

import matplotlib.dates as mdates
import matplotlib.ticker as mticker


def date_axis(ax, max_ticks: int = 8) -> None:
    """Dates on the x axis with matplotlib's concise formatter: ``Jan``, ``Feb``, ... and the year
    once, so the labels never overlap."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=max_ticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def plain_log_axis(ax, axis: str = "x") -> None:
    """Plain numbers (0.5, 1, 2, 5, 10) on a log axis instead of 2×10⁰."""
    def label(value, _pos, minor=False):
        if value <= 0:
            return ""
        mantissa = round(value / 10 ** math.floor(math.log10(value)), 6)
        return "" if minor and mantissa not in (2.0, 5.0) else f"{value:g}"

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(mticker.FuncFormatter(label))
    target.set_minor_formatter(mticker.FuncFormatter(lambda v, p: label(v, p, minor=True)))


def period_name(frequency: str) -> str:
    """The word for one period of a panel frequency: ``"1d"`` -> ``"day"``, ``"1w"`` -> ``"week"``."""
    return {"1d": "day", "7d": "week", "1w": "week", "1mo": "month", "1q": "quarter", "1y": "year",
            "1h": "hour"}.get(frequency, "period")


# Darts' names of the lagged features of its regression models (``SKLearnModel`` family):
# ``{component}_{target|pastcov|futcov}_lag{k}`` and ``{component}_statcov_target_{target}``;
# the TFT explainer's variables are ``{component}_{target|pastcov|futcov|statcov}``.
_LAGGED = re.compile(r"^(?P<name>.+)_(?P<kind>target|pastcov|futcov)_lag(?P<lag>[+-]?\d+)$")
_STATIC = re.compile(r"^(?P<name>.+)_statcov_target_.+$")
_VARIABLE = re.compile(r"^(?P<name>.+)_(?P<kind>target|pastcov|futcov|statcov)$")
_KIND = {"target": "", "pastcov": " (past only)", "futcov": " (known future)", "statcov": " (static attribute)"}


def _periods(n: int) -> str:
    return f"{n} period" + ("" if n == 1 else "s")


def _component(name: str, kind: str) -> str:
    if kind == "statcov" and name.startswith("s_"):  # the workbench's prefix of static codes
        name = name[2:]
    return name.replace("_", " ")


def feature_label(name: str, horizon: int | None = None, multi_models: bool = False) -> str:
    """A Darts feature name in words.

    Darts counts lag ``k`` from the first period of the forecast window (``-1`` is the last
    period before it). A model trained for all steps at once (``multi_models=False``) predicts
    the period ``horizon - 1`` after that first period with features shifted back to match, so
    with ``horizon`` given the lag becomes an offset from the period being forecast:

    >>> feature_label("price_futcov_lag27", horizon=28)
    'price, same period (known future)'
    >>> feature_label("demand_target_lag-7", horizon=28)
    'demand, 34 periods back'
    >>> feature_label("views_pastcov_lag-1")
    'views, 1 period before the forecast window (past only)'
    >>> feature_label("s_category_statcov_target_demand")
    'category (static attribute)'

    A name that does not follow Darts' scheme comes back unchanged.
    """
    match = _LAGGED.match(name)
    if match:
        kind, lag = match["kind"], int(match["lag"])
        what = _component(match["name"], kind)
        if horizon is not None and not multi_models:
            offset = lag - (horizon - 1)
            when = ("same period" if offset == 0 else
                    f"{_periods(-offset)} back" if offset < 0 else f"{_periods(offset)} ahead")
        else:
            when = (f"{_periods(-lag)} before the forecast window" if lag < 0
                    else f"period {lag + 1} of the forecast window")
        return f"{what}, {when}{_KIND[kind]}"
    match = _STATIC.match(name)
    if match:
        return _component(match["name"], "statcov") + _KIND["statcov"]
    match = _VARIABLE.match(name)
    if match:
        kind = match["kind"]
        return _component(match["name"], kind) + (_KIND[kind] or " (target)")
    return name
