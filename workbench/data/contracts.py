"""What every stage reads off a demand panel, defined once.

* :func:`period`: the length of one period of the panel (a day, a week);
* :func:`sales_value`: demand in money, demand x price where the data has a
  price, for ABC classes, revenue and metric weights;
* :func:`is_series` and :func:`series_label`: the rows of one series, and its name
  in titles.

The series classes (SBC, ABC, XYZ) are :func:`workbench.data.classes.series_classes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from workbench.data.panel import DemandPanel
from workbench.data.schema import DEMAND

PRICE = "price"


def period(panel: DemandPanel) -> timedelta:
    """The length of one period of ``panel`` (its ``frequency``, a polars duration such as
    ``1d`` or ``1w``), as the step from a fixed date: daily and weekly steps have one length.

    >>> period(DemandPanel(pl.DataFrame(), pl.DataFrame(), frequency="1w"))
    datetime.timedelta(days=7)
    """
    origin = datetime(2000, 1, 3)
    return pl.Series([origin]).dt.offset_by(panel.frequency).item() - origin


def sales_value(panel: DemandPanel, demand: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.Expr]:
    """Demand in money: ``demand`` (the panel's rows by default), with the static price joined
    where it is the only price, and the expression of its value: demand x price, the price of
    the row where the panel has a ``price`` column, else the item's price in the static table
    (1 where the table has none for it), else demand itself (data recorded in money, such as
    Walmart's sales). An expression, so that callers sum it per series, per window or per
    category as they need, e.g. ``frame.group_by(keys).agg(value.sum().alias("revenue"))``.
    """
    d = panel.demand if demand is None else demand
    if PRICE in d.columns:
        return d, pl.col(DEMAND) * pl.col(PRICE)
    if PRICE in panel.static.columns:
        keys = panel.static_keys
        d = d.join(panel.static.select([*keys, PRICE]), on=keys, how="left")
        return d, pl.col(DEMAND) * pl.col(PRICE).fill_null(1.0)
    return d, pl.col(DEMAND)


def is_series(row: Mapping[str, Any], keys: Sequence[str]) -> pl.Expr:
    """True on the rows of the series whose ``keys`` values ``row`` holds (a row of any
    per-series table), for filtering the panel, forecasts or scores alike."""
    return pl.all_horizontal([pl.col(k) == row[k] for k in keys])


def series_label(row: Mapping[str, Any], keys: Sequence[str]) -> str:
    """The series' key values joined by `` / ``, as titles name a series."""
    return " / ".join(str(row[k]) for k in keys)
