"""Rolling forecasts: a global model forecasts later cutoffs from its one fit, exactly as Darts'
historical forecasts without retraining; local models fit again; every review covers the rest of
its window."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import polars as pl
import pytest

from workbench.data.panel import DATE, DEMAND
from workbench.forecast.models import make_forecaster
from workbench.forecast.rolling import cube_at, review_cutoffs, rolling_forecasts
from workbench.forecast.series import quantile_column, to_series_set

TINY = ("data.n_items=6", "data.n_days=240", "forecast.n_jobs=1")
DAY = timedelta(days=1)
HORIZON, EVERY = 14, 5  # reviews at 0, 5 and 10 periods: 14, 9 and 4 periods left


@pytest.fixture(scope="module")
def cfg(quick):
    return quick.section("forecast", *TINY)


@pytest.fixture(scope="module")
def origins(tiny_panel):
    dates = tiny_panel.dates
    return [dates[-2 * HORIZON - 1], dates[-HORIZON - 1]]  # the last window ends on the panel's last date


@pytest.fixture(scope="module")
def rolled(tiny_panel, cfg, origins):
    return rolling_forecasts(tiny_panel, cfg, ["seasonal_naive", "ensemble"], origins, EVERY, HORIZON)


@pytest.mark.parametrize("name, fitted_models", [("lightgbm", 2), ("moving_average", 1)])
def test_a_global_model_forecasts_a_later_cutoff_from_its_fit_as_darts_historical_forecasts(tiny_panel, quick, name,
                                                                                             fitted_models):
    # lightgbm with its least-squares point model beside the quantile model; the moving average
    # under Darts' conformal wrapper, which recalibrates on the errors before the later cutoff
    model = make_forecaster(name, quick.section("forecast", *TINY, "forecast.lightgbm.point=l2"))
    fits = []
    fit = model.fit
    model.fit = lambda *args, **kwargs: (fits.append(1), fit(*args, **kwargs))
    data = to_series_set(tiny_panel)
    origin = tiny_panel.dates[-2 * HORIZON - 1]
    cutoff = origin + 7 * DAY
    first = model.forecast(data.until(origin, HORIZON), HORIZON)
    assert len(fits) == fitted_models
    later = model.forecast_later(data.until(cutoff, HORIZON), HORIZON - 7)
    assert len(fits) == fitted_models, "forecast_later must not fit again"
    assert later.shape == (first.shape[0], HORIZON - 7, first.shape[2])
    if name == "lightgbm":
        # the direct strategy forecasts each date from the lags that end a horizon before it, all
        # known at the origin: the week seen since changes nothing
        np.testing.assert_allclose(later, first[:, 7:], rtol=1e-5, atol=1e-6)
    else:  # it saw a week more: not the origin's forecast shifted
        assert np.abs(later - first[:, 7:]).mean() > 0.02 * np.abs(first[:, 7:]).mean()

    # Darts' own route: historical forecasts without retraining on the whole series, from the cutoff
    target, past, future = model.inputs(data, model.fitted.scales)
    kwargs = dict(series=target, past_covariates=past, future_covariates=future, start=pd.Timestamp(cutoff + DAY),
                  forecast_horizon=HORIZON - 7, stride=10_000, retrain=False, last_points_only=False,
                  show_warnings=False, **model.predict_kwargs())
    scales = model.fitted.scales
    quantiles = model.fitted.model.historical_forecasts(**kwargs, predict_likelihood_parameters=True)
    expected = np.stack([h[0].values(copy=False) for h in quantiles]) * scales[:, None, None]
    np.testing.assert_allclose(later, expected, rtol=1e-5, atol=1e-6)
    if model.fitted.point is not None:
        points = model.fitted.point.historical_forecasts(**kwargs)
        expected = np.stack([h[0].values(copy=False)[:, 0] for h in points]) * scales[:, None]
        np.testing.assert_allclose(model.point, expected, rtol=1e-5, atol=1e-6)


def test_a_global_model_forecasts_the_last_window_past_the_known_future_covariates(tiny_panel, cfg):
    model = make_forecaster("lightgbm", cfg)
    data = to_series_set(tiny_panel)
    origin = tiny_panel.dates[-HORIZON - 1]  # the window ends on the panel's last date
    first = model.forecast(data.until(origin, HORIZON), HORIZON)
    later = model.forecast_later(data.until(origin + 7 * DAY, HORIZON), HORIZON - 7)
    assert any("held at their last values for 7 periods" in note for note in model.notes)
    np.testing.assert_allclose(later, first[:, 7:], rtol=1e-5, atol=1e-6)  # which it does not read


def test_forecast_later_refuses_other_series_and_a_model_never_fitted(tiny_panel, cfg):
    model = make_forecaster("moving_average", cfg)
    data = to_series_set(tiny_panel)
    origin = tiny_panel.dates[-HORIZON - 1]
    with pytest.raises(ValueError, match="forecast\\(\\) first"):
        model.forecast_later(data.until(origin, HORIZON), HORIZON)
    model.forecast(data.until(origin, HORIZON), HORIZON)
    with pytest.raises(ValueError, match="not the 12 of the last forecast"):
        model.forecast_later(data.subset([0, 1]).until(origin + DAY, HORIZON), HORIZON - 1)


def test_seasonal_naive_at_a_review_repeats_the_last_season_before_it(tiny_panel, rolled, origins):
    keys = list(tiny_panel.keys)
    cutoff = origins[0] + 2 * EVERY * DAY  # 4 periods left
    season = (tiny_panel.demand.filter((pl.col(DATE) > cutoff - 7 * DAY) & (pl.col(DATE) <= cutoff))
              .sort([*keys, DATE]).group_by(keys, maintain_order=True).agg(pl.col(DEMAND)))
    last = np.array(season.get_column(DEMAND).to_list())  # (series, 7)
    cube = cube_at(rolled.forecasts, keys, [0.5], "seasonal_naive", origins[0], 2 * EVERY)
    np.testing.assert_allclose(cube.values[:, :, 0], last[:, :HORIZON - 2 * EVERY], atol=1e-6)
    np.testing.assert_allclose(cube.mean, last[:, :HORIZON - 2 * EVERY], atol=1e-6)


def test_every_review_covers_the_rest_of_its_window(tiny_panel, rolled, origins, cfg):
    f = rolled.forecasts
    n_series = tiny_panel.series_ids().height
    assert set(f.get_column("model").unique()) == {"seasonal_naive", "ensemble"}
    assert f.columns[-len(cfg.quantiles):] == [quantile_column(q) for q in sorted(cfg.quantiles)]
    for origin in origins:
        assert review_cutoffs(origin, EVERY, HORIZON, DAY) == [origin + k * DAY for k in (0, 5, 10)]
        for model in ("seasonal_naive", "ensemble"):
            spans = (f.filter((pl.col("model") == model) & (pl.col("origin") == origin))
                     .group_by("cutoff").agg(pl.col(DATE).min().alias("first"), pl.col(DATE).max().alias("last"),
                                             pl.len().alias("rows"))
                     .sort("cutoff"))
            assert spans.get_column("cutoff").to_list() == review_cutoffs(origin, EVERY, HORIZON, DAY)
            for cutoff, first, last, rows in spans.iter_rows():
                assert first == cutoff + DAY and last == origin + HORIZON * DAY
                assert rows == n_series * (last - cutoff).days
    cube = cube_at(f, list(tiny_panel.keys), cfg.quantiles, "ensemble", origins[1], EVERY)
    assert cube.mean.shape == (n_series, HORIZON - EVERY)
    assert cube.values.shape == (n_series, HORIZON - EVERY, len(cfg.quantiles))
    with pytest.raises(ValueError, match="expected one of \\[0, 5, 10\\]"):
        cube_at(f, list(tiny_panel.keys), cfg.quantiles, "ensemble", origins[1], 7)


def test_the_ensemble_averages_its_members_at_every_review_and_costs_their_time(rolled, origins):
    t = rolled.timings
    assert set(t.get_column("model").unique()) == {"seasonal_naive", "auto_ets", "lightgbm", "ensemble"}
    lgb = t.filter(pl.col("model") == "lightgbm").sort(["origin", "cutoff"])
    assert lgb.get_column("refit").to_list() == [True, False, False] * len(origins)
    assert t.filter(pl.col("model") == "auto_ets").get_column("refit").all()
    members = t.filter(pl.col("model").is_in(["auto_ets", "lightgbm"])).group_by(["origin", "cutoff"]).agg(
        pl.col("seconds").sum())
    joined = t.filter(pl.col("model") == "ensemble").join(members, on=["origin", "cutoff"])
    np.testing.assert_allclose(joined.get_column("seconds"), joined.get_column("seconds_right"))
    assert any("not calibrated" in note for note in rolled.notes)


def test_bad_origins_and_models_are_named(tiny_panel, cfg):
    last = tiny_panel.dates[-1]
    with pytest.raises(ValueError, match="origins\\[0\\].*after the panel's last date"):
        rolling_forecasts(tiny_panel, cfg, ["seasonal_naive"], [last - 3 * DAY], EVERY, HORIZON)
    with pytest.raises(ValueError, match="not a date of the panel"):
        rolling_forecasts(tiny_panel, cfg, ["seasonal_naive"], [last + DAY], EVERY, HORIZON)
    with pytest.raises(ValueError, match="every=0"):
        rolling_forecasts(tiny_panel, cfg, ["seasonal_naive"], [last - HORIZON * DAY], 0, HORIZON)
    with pytest.raises(ValueError, match="models\\[1\\]='no_such_model'.*forecast.ensembles"):
        rolling_forecasts(tiny_panel, cfg, ["lightgbm", "no_such_model"], [last - HORIZON * DAY], EVERY, HORIZON)


def test_a_direct_regression_named_alone_is_not_forecast_again(tiny_panel, cfg, origins):
    # LightGBM's direct strategy sees nothing after the origin that reaches the window (see the test above)
    alone = rolling_forecasts(tiny_panel, cfg, ["lightgbm"], origins, EVERY, HORIZON)
    assert alone.forecasts.height == 0 and alone.timings.height == 0
    assert "model" in alone.forecasts.columns and "cutoff" in alone.forecasts.columns
    assert any("not forecast again at the reviews: lightgbm" in note for note in alone.notes)
    assert make_forecaster("lightgbm", cfg).news_later is False
    assert make_forecaster("seasonal_naive", cfg).news_later is True
