"""Data without stock or costs: a cost table per item or category, and the warm-up start."""

import numpy as np
import polars as pl
import pytest
from panels import write_walmart

from workbench.config import compose, section
from workbench.data import load_data
from workbench.inventory import LevelInputs, forecast_cube, make_policies, series_economics
from workbench.inventory.cost_table import read_cost_table
from workbench.inventory.start import history, start_state
from workbench.inventory.window import hold_out


@pytest.fixture(scope="module")
def walmart(tmp_path_factory):
    folder = write_walmart(tmp_path_factory.mktemp("walmart"))
    return load_data(section(compose(["data=walmart", f"data.path={folder}"]), "data"))


def _inventory(*overrides: str):
    return section(compose(["experiment=walmart", *overrides]), "inventory")


def test_a_cost_table_per_department_wins_over_the_defaults(walmart, tmp_path):
    table = tmp_path / "costs.csv"
    table.write_text("category,lead,unit_cost\ndept 1,3,5.5\ndept 2,2,7\ndept 99,1,1\n")
    inv = _inventory(f"inventory.costs.path={table}", "inventory.costs.by=category",
                     "+inventory.costs.columns.lead_time=lead")
    econ, defaulted, notes = series_economics(walmart, walmart.dates[-10], inv)
    by_dept = {r["category"]: r for r in econ.iter_rows(named=True)}
    assert by_dept["dept 1"]["lead_time"] == 3 and by_dept["dept 1"]["unit_cost"] == pytest.approx(5.5)
    assert by_dept["dept 2"]["lead_time"] == 2 and by_dept["dept 2"]["unit_cost"] == pytest.approx(7.0)
    assert by_dept["dept 3"]["lead_time"] == 1  # no row: the default of one week
    # the holding cost follows the given unit cost where it was given
    assert by_dept["dept 1"]["holding_cost"] == pytest.approx(5.5 * 0.25 * 7 / 365)
    assert "lead_time" in defaulted and "unit_cost" in defaulted  # dept 3 still takes the defaults
    assert any("costs.csv" in n and "per category" in n for n in notes)
    assert any("1 row(s)" in n for n in notes)  # dept 99 matches nothing


@pytest.mark.parametrize(("text", "words"), [
    ("Dept,unit_cost\n1,abc\n", ["unit_cost", "row 2", "'abc'"]),
    ("Dept,lead_time\n1,0\n", ["lead_time", "row 2", ">= 1"]),
    ("Dept,lead_time\n1,2.5\n", ["lead_time", "row 2", "whole number"]),
    ("Dept,unit_cost\n1,2\n1,3\n", ["more than one row"]),
    ("Dept,colour\n1,red\n", ["none of the columns"]),
    ("Store,unit_cost\n1,2\n", ["no column", "Dept"]),
])
def test_a_bad_cost_table_is_named_before_anything_runs(tmp_path, text, words):
    table = tmp_path / "costs.csv"
    table.write_text(text)
    inv = _inventory(f"inventory.costs.path={table}", "inventory.costs.by=Dept")
    with pytest.raises(ValueError) as err:
        read_cost_table(inv.costs)
    assert "costs.csv" in str(err.value) or "inventory.costs" in str(err.value)
    for w in words:
        assert w in str(err.value)


def test_a_missing_cost_table_file_is_named(tmp_path):
    inv = _inventory(f"inventory.costs.path={tmp_path / 'nope.csv'}", "inventory.costs.by=dept")
    with pytest.raises(ValueError, match="nope.csv: no such file"):
        read_cost_table(inv.costs)


def _window(panel, inv, horizon=8):
    cutoff = panel.dates[-horizon - 1]
    actual = panel.demand.filter(pl.col("date") > cutoff)
    qs = [0.05, 0.5, 0.9, 0.95]
    forecasts = actual.select(*panel.keys, "date").with_columns(
        pl.lit("flat").alias("model"), pl.lit(cutoff).alias("cutoff"), pl.lit(1000.0).alias("mean"),
        *[pl.lit(1000.0 * (0.8 + 0.4 * q)).alias(f"q{round(q * 100):02d}") for q in qs])
    w = hold_out(panel, forecasts, inv)
    cube = forecast_cube(forecasts, list(panel.keys), qs, "flat")
    x = LevelInputs.from_economics(cube, w.econ, int(inv.review_days), inv.error_correlation)
    return w, x


def test_without_stock_every_policy_starts_from_the_reference_policys_warm_up(walmart):
    inv = _inventory("inventory.start.reference=RS_quantile", "inventory.start.warmup_periods=20")
    w, x = _window(walmart, inv)
    assert w.start is None  # Walmart records sales only
    notes = []
    started = start_state(walmart, w, x, inv, notes)
    S = make_policies(["RS_quantile"])[0].levels(x)["S"][:, 0]
    position = started.start + started.pipeline.sum(axis=1)
    demand = history(walmart, w.econ, w.origin, 20)
    # an (R,S) rule with weekly reviews every period: the position after the last order is S less
    # the last period's demand (rounded up), never above S
    assert np.all(position <= np.ceil(S) + 1e-9)
    assert np.all(position >= np.ceil(S) - demand[:, -1] - 1e-6)
    assert np.all(started.start >= 0)
    assert any("records no stock" in n and "20 periods" in n for n in notes)


def test_start_from_data_needs_stock_in_the_data(walmart):
    inv = _inventory("inventory.start.stock=data")
    w, x = _window(walmart, inv)
    with pytest.raises(ValueError, match="inventory.start.stock=data"):
        start_state(walmart, w, x, inv, [])


def test_history_fills_the_dates_before_a_series_starts_with_zero(walmart):
    inv = _inventory()
    w, _ = _window(walmart, inv)
    demand = history(walmart, w.econ, w.origin, 50)
    assert demand.shape == (w.econ.height, 50)
    late = w.econ.with_row_index().filter(pl.col("item_id") == "1-3")["index"][0]
    assert np.all(demand[late, :5] == 0) and demand[late, -1] > 0
