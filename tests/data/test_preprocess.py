"""Contract of the data.preprocess registry: every step runs on a tiny panel and leaves a
valid panel with the same series, rows and columns, and says what it did in the log."""

from dataclasses import replace

import polars as pl
import pytest

from workbench.config import compose, section
from workbench.data import validate_panel
from workbench.data.quality import STEPS, preprocess


def test_the_registry_holds_the_documented_steps():
    assert list(STEPS) == ["clip_outliers", "impute_censored", "smooth"]
    assert STEPS.setting == "data.preprocess"


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_returns_a_valid_panel_with_the_same_series(name, tiny_panel):
    cfg = section(compose(["experiment=quick", f"data.preprocess=[{name}]"]), "data")
    out = preprocess(tiny_panel, cfg)
    keys = [*tiny_panel.keys, "date"]
    assert out.demand.select(keys).equals(tiny_panel.demand.select(keys))
    assert out.demand.columns == tiny_panel.demand.columns
    assert out.series_ids().equals(tiny_panel.series_ids())
    assert out.demand["demand"].is_finite().all()  # the shop's ledger is net of returns: it can be negative
    checked = validate_panel(replace(out, log=()), cfg.validation)
    assert checked.demand.equals(out.demand)
    entry = out.log[-1]
    assert entry["step"] == f"preprocess:{name}" and entry["rows"] >= 0
    assert entry["demand_after"] == pytest.approx(float(out.demand["demand"].sum()))


def test_steps_change_nothing_on_a_flat_panel(tiny_panel):
    flat = replace(tiny_panel, demand=tiny_panel.demand.with_columns(pl.lit(5.0).alias("demand")))
    cfg = section(compose(["experiment=quick", f"data.preprocess=[{','.join(STEPS)}]"]), "data")
    out = preprocess(flat, cfg)
    assert out.demand["demand"].equals(flat.demand["demand"])
    assert all(e["rows"] == 0 for e in out.log if e["step"].startswith("preprocess:"))
