"""The lagged-feature models' strategies over the horizon: direct, one model per step, and
recursive one-step forecasts whose quantiles come from sampled paths."""

import numpy as np
import polars as pl
import pytest
from panels import seasonal_panel

from workbench.forecast import make_forecaster, per_series_scores, run_backtest
from workbench.forecast.regression import target_lags


def test_seasonal_lags_extend_the_recent_ones():
    assert target_lags(3) == 3
    assert target_lags(3, [7, 14, 2]) == [-14, -7, -3, -2, -1]  # a seasonal lag inside 1..3 adds nothing


@pytest.mark.parametrize("strategy", ["direct", "per_step", "recursive"])
def test_every_strategy_learns_a_weekly_pattern(quick, strategy):
    cfg = quick.section("forecast", "forecast.horizon=14", "forecast.n_backtest_windows=1", "forecast.models=[lightgbm]",
                        "forecast.n_jobs=1", "forecast.lightgbm.lags=7", "forecast.lightgbm.seasonal_lags=[14,21]",
                        "forecast.lightgbm.n_estimators=60", f"forecast.lightgbm.strategy={strategy}",
                        "forecast.lightgbm.sample_paths=100")
    panel = seasonal_panel(n_series=3, n_days=240)
    result = run_backtest(panel, cfg, progress=False)
    f = result.forecasts
    q = f.select("q05", "q25", "q50", "q75", "q95").to_numpy()
    assert (np.diff(q, axis=1) >= -1e-9).all()  # quantiles in order
    scores = per_series_scores(f, panel, 7, cfg.quantiles)
    # the weekly swing is 3x the level and the noise small: a forecast without it scores a MASE near 10
    assert scores["mase"].mean() < 1.6, strategy
    fitted = result.models["lightgbm"].model
    assert fitted.output_chunk_length == (1 if strategy == "recursive" else 14)


def test_recursive_forecasts_use_no_past_covariates_and_are_reproducible(quick):
    cfg = quick.section("forecast", "forecast.horizon=7", "forecast.n_backtest_windows=1", "forecast.models=[lightgbm]",
                        "forecast.n_jobs=1", "forecast.lightgbm.lags=7", "forecast.lightgbm.n_estimators=30",
                        "forecast.lightgbm.strategy=recursive", "forecast.lightgbm.lags_past_covariates=7",
                        "forecast.lightgbm.sample_paths=50")
    panel = seasonal_panel(n_series=2, n_days=120)
    a = run_backtest(panel, cfg, progress=False)
    assert a.models["lightgbm"].model.lags.get("past") is None  # past covariates end at the origin
    b = run_backtest(panel, cfg, progress=False)
    assert a.forecasts.sort("model", "cutoff", "item_id", "date").equals(b.forecasts.sort("model", "cutoff", "item_id", "date"))
    assert make_forecaster("lightgbm", cfg).min_history == 7 + 7 + 1
    assert pl.Series(a.forecasts["mean"]).is_finite().all()
