"""The forecast-residual detectors: one model and one set of forecasts for the three, a fan in
units, closed days unscored, and the newest periods scored from a tail as in the batch."""

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from panels import closed_on_sundays

from workbench.anomaly.features import CONTEXT, anomaly_data
from workbench.anomaly.residual import ResidualForecasts, ResidualNLL, ResidualNorm, ResidualPyOD

KEYS = ["item_id", "channel"]
OVERRIDES = ("anomaly.residual.num_samples=30", "forecast.quantiles=[0.05,0.25,0.5,0.75,0.95]",
             "anomaly.knn.max_rows=2000")


@pytest.fixture(scope="module")
def fitted(quick, tiny_panel):
    cfg, forecast = quick.section("anomaly", *OVERRIDES), quick.section("forecast", *OVERRIDES)
    panel = closed_on_sundays(tiny_panel)
    data = anomaly_data(panel, cfg)
    fit_rows = (data.rows["date"] < panel.dates[130]).to_numpy()
    shared = ResidualForecasts(cfg, forecast)
    detectors = {}
    for cls in (ResidualNorm, ResidualNLL, ResidualPyOD):
        detector = cls(cfg, forecast)
        detector.shared = shared
        detectors[detector.name] = detector.fit(data, fit_rows)
    return panel, data, fit_rows, shared, detectors


def test_the_three_share_one_model_and_one_set_of_forecasts(fitted, monkeypatch):
    panel, data, fit_rows, shared, detectors = fitted
    model, forecasts = shared.model, shared.forecasts(data)
    from darts.ad import ForecastingAnomalyModel

    calls = []
    monkeypatch.setattr(ForecastingAnomalyModel, "fit", lambda *a, **k: calls.append(1))
    for detector in detectors.values():
        detector.fit(data, fit_rows)
        detector.score(data)
    assert calls == [] and shared.model is model and shared.forecasts(data) is forecasts
    # every series, one forecast per period from the first the model's lags allow
    assert len(forecasts.times) == panel.n_series
    assert all(len(t) == panel.dates.len() - shared.need for t in forecasts.times)


def test_scores_and_evidence(fitted):
    panel, data, fit_rows, shared, detectors = fitted
    closed = data.rows[CONTEXT].to_numpy()
    period = data.rows.select(pl.int_range(pl.len()).over(KEYS)).to_series().to_numpy()
    for name, detector in detectors.items():
        scores = detector.score(data)
        assert np.isnan(scores[closed]).all(), name
        assert np.isnan(scores[period < shared.need]).all(), name
        assert np.isfinite(scores[~closed & (period >= shared.need + 7)]).all(), name
    evidence = detectors["residual_norm"].evidence()
    assert evidence.columns == [*KEYS, "date", "fan_low", "expected", "fan_high"]
    shown = evidence.filter(pl.col("expected").is_not_null())
    assert shown.height > 0.7 * evidence.height
    assert (shown["fan_low"] <= shown["expected"]).all() and (shown["expected"] <= shown["fan_high"]).all()
    assert evidence.filter(pl.Series(closed))["expected"].null_count() == closed.sum()
    # in units: the forecast of each open day is near the actual sales (median error well under the mean)
    actual = data.rows.filter(pl.Series(~closed))["demand"].to_numpy()
    expected = evidence.filter(pl.Series(~closed))["expected"].to_numpy()
    ok = np.isfinite(expected)
    assert np.median(np.abs(actual[ok] - expected[ok])) < 0.6 * actual[ok].mean()
    # the fan holds most of the actual sales of the fit window
    inside = (actual >= evidence.filter(pl.Series(~closed))["fan_low"].to_numpy()) & (
        actual <= evidence.filter(pl.Series(~closed))["fan_high"].to_numpy())
    assert inside[ok].mean() > 0.6


def test_a_spike_scores_at_the_top(fitted):
    panel, data, fit_rows, shared, detectors = fitted
    item, channel = panel.series_ids().row(0)
    day = panel.dates[180]
    hit = (pl.col("item_id") == item) & (pl.col("channel") == channel) & (pl.col("date") == day)
    spiked = replace(panel, demand=panel.demand.with_columns(
        pl.when(hit).then(pl.col("demand").mean() * 15).otherwise(pl.col("demand")).alias("demand")))
    spiked_data = anomaly_data(spiked, detectors["residual_norm"].cfg)
    row = int(np.flatnonzero(spiked_data.rows.select(hit).to_series().to_numpy())[0])
    for name, detector in detectors.items():
        scores = detector.score(spiked_data)
        assert scores[row] >= np.nanquantile(scores, 0.99), name


def test_the_newest_periods_from_a_tail_score_as_in_the_batch(fitted):
    panel, data, fit_rows, shared, detectors = fitted
    newest = 6
    tail_len = shared.need + 7 + newest
    tail = replace(panel, demand=panel.demand.filter(pl.int_range(pl.len()).over(KEYS) >= pl.len().over(KEYS) - tail_len))
    start = panel.dates[-newest]
    tail_data = replace(anomaly_data(tail, detectors["residual_norm"].cfg), start=start)
    last = (tail_data.rows["date"] >= start).to_numpy()
    batch_last = (data.rows["date"] >= start).to_numpy()
    for name in ("residual_norm", "residual_pyod"):  # the NLL draws other samples for other rows
        batch = detectors[name].score(data)[batch_last]
        monitor = detectors[name].score(tail_data)
        assert np.isnan(monitor[~last]).all(), name
        np.testing.assert_allclose(monitor[last], batch, rtol=1e-6, err_msg=name)


def test_a_per_series_model_is_refused(quick, fitted):
    panel, data, fit_rows, _, _ = fitted
    cfg = quick.section("anomaly", "anomaly.residual.model=auto_ets")
    detector = ResidualNorm(cfg, quick.section("forecast"))
    with pytest.raises(ValueError, match="anomaly.residual.model=auto_ets"):
        detector.fit(data, fit_rows)
    with pytest.raises(ValueError, match="anomaly.residual.fan"):
        ResidualForecasts(replace(cfg, residual=replace(cfg.residual, fan=[0.5, 0.9])), quick.section("forecast"))
