import numpy as np
import polars as pl
import pytest
from panels import write_walmart

from workbench.config import compose, section
from workbench.data import load_data
from workbench.forecast.series import quantile_column
from workbench.inventory import run_inventory_study, series_economics


def _perfect_forecasts(panel, horizon, quantiles, spread=0.2):
    """Forecasts that know the hold-out demand, with a symmetric quantile spread."""
    from scipy.stats import norm

    cutoff = panel.dates[-horizon - 1]
    actual = panel.demand.filter(pl.col("date") > cutoff)
    return actual.select(*panel.keys, "date").with_columns(
        pl.lit("oracle").alias("model"), pl.lit(cutoff).alias("cutoff"), actual["demand"].alias("mean"),
        *[(actual["demand"] * (1 + spread * norm.ppf(q))).clip(lower_bound=0).alias(quantile_column(q)) for q in quantiles],
    )


def test_weekly_panel_without_costs_gets_defaults_in_periods(tmp_path):
    panel = load_data(section(compose(["data=walmart", f"data.path={write_walmart(tmp_path / 'w')}"]), "data"))
    inv = section(compose(["experiment=walmart"]), "inventory")
    econ, defaulted = series_economics(panel, panel.dates[-10], inv)
    assert set(defaulted) == {"price", "unit_cost", "holding_cost", "lead_time", "order_cost", "volume"}
    assert (econ["lead_time"] == 1).all()  # 7 days is one weekly period
    assert econ["holding_cost"][0] == pytest.approx(0.7 * 0.25 * 7 / 365)
    assert set(econ["abc"]) <= {"A", "B", "C"} and econ["service_level"].null_count() == 0


def test_a_better_forecast_is_worth_money(tiny_panel):
    qs = [0.05, 0.25, 0.5, 0.75, 0.9, 0.95]
    inv = section(compose(["experiment=quick"]), "inventory")
    truth = tiny_panel.truth.select("item_id", "channel", "date", pl.col("true_demand").cast(pl.Float64).alias("demand"))
    from dataclasses import replace

    oracle_panel = replace(tiny_panel, demand=tiny_panel.demand.drop("demand").join(truth, on=["item_id", "channel", "date"]))
    good = _perfect_forecasts(oracle_panel, 60, qs, spread=0.1)
    bad = good.with_columns(pl.lit("biased").alias("model"),
                            *[(pl.col(c) * 0.3) for c in ["mean", *[quantile_column(q) for q in qs]]])
    study = run_inventory_study(tiny_panel, pl.concat([bad, good]), ["biased", "oracle"], qs, inv)
    res = {r["forecaster"]: r for r in study.results.filter(pl.col("policy") == "(s,S)").iter_rows(named=True)}
    assert res["oracle"]["fill_rate"] > res["biased"]["fill_rate"]
    assert res["oracle"]["total_cost"] < res["biased"]["total_cost"]
    assert np.isfinite(study.plan.objective) and study.plan.status == "optimal"
    with pytest.raises(ValueError, match="inventory.plan_quantile=0.9 is not among"):
        run_inventory_study(tiny_panel, good.drop("q90"), ["oracle"], [q for q in qs if q != 0.9], inv)
