"""One contract over every registered forecaster (in the manner of Darts' model tests)."""

from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from panels import seasonal_panel

from workbench.config import compose, section
from workbench.forecast import MODELS, per_series_scores, quantile_column, run_backtest

HORIZON = 14


@pytest.fixture(scope="module")
def fcfg():
    return section(compose([
        "experiment=quick", f"forecast.horizon={HORIZON}", "forecast.n_backtest_windows=1",
        "forecast.lightgbm.n_estimators=150", "forecast.lightgbm.lags=14", "forecast.n_jobs=1",
    ]), "forecast")


@pytest.fixture(scope="module")
def panel():
    return seasonal_panel()


@pytest.mark.parametrize("name", sorted(MODELS))
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
    assert scores["mae"].mean() < 0.25 * zero_mae
    assert scores["mase"].mean() < 1.5


def test_unknown_model_is_named(fcfg, panel):
    fcfg.models = ["prophet_xl"]
    with pytest.raises(KeyError, match="unknown model 'prophet_xl'"):
        run_backtest(panel, fcfg, progress=False)
