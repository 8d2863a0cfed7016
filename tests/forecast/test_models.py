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
# deep models that learn the weekly pattern of the test series reliably in seconds on a CPU: checked
# over seeds 0-3 and 1 or 2 torch threads, their MASE stays within 0.83-1.26 (seasonal naive: about
# 1.0), clear of the 1.5 bar. A small learning rate, small batches, many passes and no dropout make
# training converge the same way every time; TFT's default width converges more reliably than a
# narrower one, and takes fewer epochs (it costs most per epoch).
TINY_DEEP = [
    "forecast.deep.max_epochs=60", "forecast.deep.patience=60", "forecast.deep.batch_size=16",
    "forecast.deep.learning_rate=0.003", "forecast.deep.input_chunk_length=14", "forecast.deep.accelerator=cpu",
    "forecast.deep.tft.dropout=0.0",
]
EPOCHS = {"tft": 25}
# flat forecasts by design: they beat a wrong forecast, not a weekly pattern
FLAT = {"croston", "tsb", "moving_average", "drift"}
# the foundation models need weights on disk: test_foundation.py runs them from tiny checkpoints
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
    fcfg.deep.max_epochs = fcfg.deep.patience = EPOCHS.get(name, 60)
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


def test_models_module_gathers_every_forecaster():
    from workbench.forecast import base, baselines, local, models, regression

    for name in models.__all__:
        assert any(getattr(m, name, None) is getattr(models, name) for m in (base, baselines, local, regression)), name
    assert models.MODELS is base.MODELS
    local_names = {"seasonal_naive", "auto_ets", "auto_arima", "theta", "croston", "tsb"}
    global_names = {"moving_average", "drift", "lightgbm", "linear"}
    assert local_names | global_names <= set(MODELS)
