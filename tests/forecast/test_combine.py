"""Ensembles and class routes: combinations of forecasts scored like any model."""

import numpy as np
import polars as pl
import pytest
from panels import seasonal_panel

from workbench.config import compose, section
from workbench.data import DemandPanel
from workbench.forecast import run_backtest


def _cfg(*overrides):
    return section(compose(["experiment=quick", "forecast.horizon=7", "forecast.n_backtest_windows=1",
                            "forecast.n_jobs=1", "forecast.lightgbm.n_estimators=20", "forecast.lightgbm.lags=14",
                            *overrides]), "forecast")


@pytest.fixture(scope="module")
def mixed_panel():
    """Two smooth weekly series and one that sells on one day in five (intermittent)."""
    p = seasonal_panel(n_series=3, n_days=120)
    d = p.demand.with_columns(
        pl.when(pl.col("item_id") == "S2")
        .then(pl.when(pl.col("date").dt.ordinal_day() % 5 == 0).then(3.0).otherwise(0.0))
        .otherwise(pl.col("demand")).alias("demand"))
    return DemandPanel(**{**p.__dict__, "demand": d})


def test_ensemble_is_the_mean_of_its_members_quantiles(mixed_panel):
    # the combination as made from its members' forecasts (calibration moves each model on its own errors)
    cfg = _cfg("forecast.models=[seasonal_naive,tsb,lightgbm]", "+forecast.ensembles.avg=[seasonal_naive,lightgbm]",
               "forecast.calibration.method=none")
    r = run_backtest(mixed_panel, cfg, progress=False)
    f = r.forecasts
    keys = ["item_id", "date", "cutoff"]
    a = f.filter(pl.col("model") == "seasonal_naive").sort(keys)
    b = f.filter(pl.col("model") == "lightgbm").sort(keys)
    e = f.filter(pl.col("model") == "avg").sort(keys)
    assert e.height == a.height == b.height
    for col in ("mean", "q05", "q50", "q95"):
        assert np.allclose(e[col], (a[col] + b[col]) / 2)
    secs = r.timings.group_by("model").agg(pl.col("seconds").sum())
    total = dict(secs.iter_rows())
    assert total["avg"] == pytest.approx(total["seasonal_naive"] + total["lightgbm"])


def test_route_takes_each_series_from_the_model_of_its_class(mixed_panel):
    cfg = _cfg("forecast.models=[seasonal_naive,tsb,lightgbm]",
               "+forecast.routes.r={smooth:lightgbm,intermittent:tsb,other:seasonal_naive}",
               "forecast.calibration.method=none")
    r = run_backtest(mixed_panel, cfg, progress=False)
    f = r.forecasts
    routed = f.filter(pl.col("model") == "r")
    for item, source in (("S0", "lightgbm"), ("S2", "tsb")):
        got = routed.filter(pl.col("item_id") == item).sort("date", "cutoff")["q50"]
        want = f.filter((pl.col("model") == source) & (pl.col("item_id") == item)).sort("date", "cutoff")["q50"]
        assert np.allclose(got, want)


def test_combinations_whose_members_do_not_run_are_noted(mixed_panel):
    r = run_backtest(mixed_panel, _cfg("forecast.models=[seasonal_naive]"), progress=False)
    assert set(r.forecasts["model"]) == {"seasonal_naive"}
    assert any("forecast.ensembles.ensemble left out" in n for n in r.notes)


@pytest.mark.parametrize("override, message", [
    ("+forecast.ensembles.e=[seasonal_naive,prophet9]", "unknown model 'prophet9'"),
    ("+forecast.routes.r={smoth:seasonal_naive}", r"forecast.routes.r: unknown classes \['smoth'\]"),
    ("+forecast.ensembles.lightgbm=[seasonal_naive]", "the name is taken by a model"),
    ("+forecast.ensembles.e=[seasonal_naive,seasonal_naive]", "names a model twice"),
])
def test_bad_combinations_are_named(mixed_panel, override, message):
    with pytest.raises((ValueError, KeyError), match=message):
        run_backtest(mixed_panel, _cfg("forecast.models=[seasonal_naive]", override), progress=False)


def test_a_route_without_a_model_for_a_class_says_which_before_anything_runs(mixed_panel):
    cfg = _cfg("forecast.models=[seasonal_naive,lightgbm]", "+forecast.routes.r={smooth:lightgbm,erratic:lightgbm}")
    with pytest.raises(ValueError, match=r"routes no model for the classes \['intermittent', 'lumpy', 'no demand'\]"):
        run_backtest(mixed_panel, cfg, progress=False)


@pytest.mark.parametrize("quantiles", ["[0.1,0.9]", "[0.1,0.5,0.9,0.975]"])
def test_quantiles_need_the_median_and_pairs_around_it(quantiles):
    from workbench.checks import check_forecast

    with pytest.raises(ValueError, match=r"forecast.quantiles=.*expected the median"):
        check_forecast(_cfg("forecast.models=[seasonal_naive]", f"forecast.quantiles={quantiles}"))
