"""The stage contracts of the data layer: period, sales value, one series, series classes."""

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.data import DemandPanel
from workbench.data.classes import abc_classes, intermittency_classes, series_classes, xyz_classes
from workbench.data.contracts import is_series, period, sales_value, series_label


def _panel(**static) -> DemandPanel:
    demand = pl.DataFrame({
        "item_id": ["A"] * 3 + ["B"] * 3,
        "date": [date(2024, 1, d) for d in (1, 2, 3)] * 2,
        "demand": [1.0, 0.0, 3.0, 2.0, 2.0, 2.0],
    })
    return DemandPanel(demand=demand, static=pl.DataFrame({"item_id": ["A", "B"], **static}))


@pytest.mark.parametrize(("frequency", "days"), [("1d", 1), ("1w", 7), ("7d", 7), ("2w", 14)])
def test_period_is_one_step_of_the_frequency(frequency, days):
    assert period(replace(_panel(), frequency=frequency)) == timedelta(days=days)


def test_sales_value_prefers_the_row_price_then_the_static_price_then_demand():
    p = _panel(price=[10.0, None])
    with_row_price = replace(p, demand=p.demand.with_columns(pl.lit(3.0).alias("price")))
    frame, value = sales_value(with_row_price)
    assert frame.select(value).to_series().to_list() == [3.0, 0.0, 9.0, 6.0, 6.0, 6.0]
    frame, value = sales_value(p)  # B has no static price: a unit is worth 1
    assert frame.select(value).to_series().to_list() == [10.0, 0.0, 30.0, 2.0, 2.0, 2.0]
    frame, value = sales_value(_panel())
    assert frame.select(value).to_series().to_list() == p.demand["demand"].to_list()


def test_one_series_filter_and_label():
    p = _panel()
    keys = list(p.keys)
    row = {"item_id": "B", "other": 1}
    assert p.demand.filter(is_series(row, keys))["demand"].to_list() == [2.0, 2.0, 2.0]
    assert series_label({"item_id": "B", "channel": "online"}, ["item_id", "channel"]) == "B / online"


def test_series_classes_join_sbc_abc_and_xyz(tiny_panel):
    keys = list(tiny_panel.keys)
    classes = series_classes(tiny_panel, (0.8, 0.95), (0.5, 1.0))
    assert classes.height == tiny_panel.n_series
    assert classes.select(keys).equals(tiny_panel.series_ids())
    frame, value = sales_value(tiny_panel)
    revenue = frame.group_by(keys).agg(value.sum().alias("revenue"))
    expected = (
        intermittency_classes(tiny_panel.demand, keys)
        .join(abc_classes(revenue, keys).select([*keys, "revenue", "abc"]), on=keys)
        .join(xyz_classes(tiny_panel.demand, keys), on=keys)
        .sort(keys)
    )
    # the same classes; revenues equal up to the order polars adds them in
    assert_frame_equal(classes, expected, check_exact=False, rel_tol=1e-12)


def test_series_classes_until_reads_only_the_history():
    p = _panel()
    early = series_classes(p, until=date(2024, 1, 2))
    assert early.filter(pl.col("item_id") == "A")["periods"].item() == 2
