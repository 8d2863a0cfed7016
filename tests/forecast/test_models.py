"""One contract over every registered forecaster (in the manner of Darts' model tests)."""

from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from panels import seasonal_panel

from workbench.config import compose, section
from workbench.forecast import MODELS, per_series_scores, quantile_column, run_backtest
from workbench.forecast.deep import FOUNDATION

HORIZON = 14
# deep models small enough to train in seconds on a CPU, long enough to learn a weekly pattern
TINY_DEEP = [
    "forecast.deep.max_epochs=25", "forecast.deep.patience=25", "forecast.deep.batch_size=32",
    "forecast.deep.learning_rate=0.01", "forecast.deep.input_chunk_length=14", "forecast.deep.accelerator=cpu",
    "forecast.deep.tft.hidden_size=8", "forecast.deep.tft.num_attention_heads=1", "forecast.deep.tft.hidden_continuous_size=4",
    "forecast.deep.tide.hidden_size=16", "forecast.deep.tide.temporal_decoder_hidden=8",
    "forecast.deep.nhits.layer_widths=64", "forecast.deep.lstm.hidden_dim=16",
]
# flat forecasts by design: they beat a wrong forecast, not a weekly pattern
FLAT = {"croston", "tsb", "moving_average", "drift"}
# the foundation models need weights on disk; test_deep.py checks that they say so
CONTRACT = sorted(set(MODELS) - set(FOUNDATION))


@pytest.fixture(scope="module")
def fcfg():
    return section(compose([
        "experiment=quick", f"forecast.horizon={HORIZON}", "forecast.n_backtest_windows=1",
        "forecast.lightgbm.n_estimators=150", "forecast.lightgbm.lags=14", "forecast.n_jobs=1",
        "forecast.linear.lags=14", "forecast.conformal.moving_average_window=7", *TINY_DEEP,
    ]), "forecast")


@pytest.fixture(scope="module")
def panel():
    return seasonal_panel()


@pytest.mark.parametrize("name", CONTRACT)
def test_forecaster_contract(name, fcfg, panel):
    fcfg.models = [name]
    result = run_backtest(panel, fcfg, progress=False)
    f = result.forecasts
    qcols = [quantile_column(q) for q in fcfg.quantiles]
    assert {"item_id", "date", "model", "cutoff", "window", "mean", *qcols} <= set(f.columns)
    for (cutoff,), part in f.group_by("cutoff"):
        dates = sorted(part["date"].unique())
        assert dates == [cutoff + timedelta(days=k) for k in range(1, HORIZON + 1)]
        assert part.height == 3 * HORIZON
    q = f.select(qcols).to_numpy()
    assert (np.diff(q, axis=1) >= 0).all() and (q >= 0).all()
    # accurate enough: well ahead of a trivially wrong forecast (zero) on easy series
    scores = per_series_scores(f, panel, 7, fcfg.quantiles)
    zero_mae = panel.demand.filter(pl.col("date") > result.origins.backtest[0])["demand"].abs().mean()
    assert scores["mae"].mean() < 0.5 * zero_mae
    if name not in FLAT:
        assert scores["mae"].mean() < 0.25 * zero_mae
        assert scores["mase"].mean() < 1.5


def test_unknown_model_is_named(fcfg, panel):
    fcfg.models = ["prophet_xl"]
    with pytest.raises(KeyError, match="unknown model 'prophet_xl'"):
        run_backtest(panel, fcfg, progress=False)
