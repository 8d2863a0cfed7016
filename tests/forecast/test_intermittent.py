"""Croston and TSB on sparse series: sensible rates, calibrated quantiles, fallbacks that are said."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import polars as pl
import pytest
from darts import TimeSeries

from workbench.data import DemandPanel, validate_panel
from workbench.forecast import MODELS, per_series_scores, run_backtest, summarise
from workbench.forecast.series import SeriesSet


def series_set(rows: list[list[float]], end: str = "2024-03-01") -> SeriesSet:
    """Daily series ending on one date (so shorter ones start later)."""
    target = [TimeSeries.from_times_and_values(pd.date_range(end=end, periods=len(r), freq="D"),
                                               np.asarray(r, dtype=np.float32)) for r in rows]
    keys = pl.DataFrame({"item_id": [f"I{i}" for i in range(len(rows))]})
    return SeriesSet(keys, target, None, None, "D")


@pytest.fixture
def fcfg(quick):
    return quick.section("forecast", "forecast.n_jobs=1")


@pytest.mark.parametrize("model", ["croston", "tsb"])
def test_one_sale_of_12_in_21_days_forecasts_well_under_one_a_day(model, fcfg):
    # statsforecast's CrostonSBA counts the first interval from the series' start: a series that
    # starts with its only sale gets an interval of 1 and a forecast of 12 x 0.95 = 11.4 a day
    sold_first, sold_last, sold_middle = [12.0] + [0.0] * 20, [0.0] * 20 + [12.0], [0.0] * 10 + [12.0] + [0.0] * 10
    forecaster = MODELS[model](fcfg)
    q = forecaster.forecast(series_set([sold_first, sold_last, sold_middle]), 7)
    rate = forecaster.point[:, 0]
    assert (rate > 0.2).all(), rate  # not zero: the item did sell
    if model == "croston":
        assert (rate < 0.8).all(), rate  # 12 x 0.95 / 21 = 0.54: the history's rate, debiased
    else:  # TSB's probability starts at 1/21 and moves by alpha_p = 0.1 towards each day's outcome:
        assert rate[[0, 2]].max() < 0.8 and rate[1] < 12 * (1 / 21 + 0.1), rate  # a sale yesterday weighs more
    assert forecaster.point.shape == (3, 7) and q.shape == (3, 7, len(fcfg.quantiles))
    median = fcfg.quantiles.index(0.5)
    assert (q[:, :, : median + 1] == 0).all() and (q <= 12).all()  # a day without a sale is the likely one


def test_croston_follows_a_steady_rate_and_tsb_decays_after_sales_stop(fcfg):
    every_fourth = ([8.0, 0.0, 0.0, 0.0] * 15)
    stopped = [5.0] * 40 + [0.0] * 20
    croston, tsb = MODELS["croston"](fcfg), MODELS["tsb"](fcfg)
    croston.forecast(series_set([every_fourth, stopped]), 3)
    tsb.forecast(series_set([every_fourth, stopped]), 3)
    assert croston.point[0, 0] == pytest.approx(0.95 * 8 / 4, rel=0.05)  # SBA: size / interval, debiased
    assert tsb.point[0, 0] == pytest.approx(2.0, rel=0.2)  # 8 x 1/4, lower three days after a sale
    assert tsb.point[1, 0] < 0.2 * 5.0  # 20 days without a sale: the probability has decayed
    assert croston.point[1, 0] < 5.0 / 10  # the interval is at least the 21 days since the last sale


def test_no_sale_and_returns_are_noted_not_silent(fcfg):
    forecaster = MODELS["croston"](fcfg)
    q = forecaster.forecast(series_set([[0.0] * 30, [3.0, -1.0] * 15]), 5)
    assert (q[0] == 0).all() and forecaster.point[0, 0] == 0
    assert forecaster.notes == ["croston: 1 of 2 series had no sale in their window; forecast zero",
                                "croston: 15 negative values (returns) read as no sale"]


def test_views_must_end_at_one_cutoff(fcfg):
    data = series_set([[1.0] * 10])
    late = series_set([[1.0] * 10], end="2024-03-05")
    mixed = SeriesSet(pl.DataFrame({"item_id": ["a", "b"]}), data.target + late.target, None, None, "D")
    with pytest.raises(ValueError, match="series 1 ends at 2024-03-05.*a view must end at one cutoff"):
        MODELS["tsb"](fcfg).forecast(mixed, 3)


@pytest.mark.parametrize("name", ["alpha_d", "alpha_p"])
def test_smoothing_weights_outside_0_1_are_named(name, fcfg):
    setattr(fcfg.intermittent, name, 1.5)
    with pytest.raises(ValueError, match=rf"forecast.intermittent.{name}=1.5; expected a smoothing weight in \(0, 1\]"):
        MODELS["croston"](fcfg)


def test_a_local_model_that_cannot_fit_says_how_many_fell_back_and_why(fcfg):
    forecaster = MODELS["seasonal_naive"](fcfg)
    forecaster.forecast(series_set([[float(t % 7) for t in range(30)], [1.0] * 8, [2.0] * 9]), 7)
    assert forecaster.fallbacks == 2
    assert len(forecaster.notes) == 2
    assert all(n.startswith("1 of 3 series fell back to their last value: Train series only contains")
               for n in forecaster.notes), forecaster.notes
    # the backtest lets such series wait: a local model asks for what Darts fits on
    assert forecaster.min_history == 10


def intermittent_panel(n_series: int = 120, n_days: int = 150, seed: int = 0) -> DemandPanel:
    """Sparse daily demand: each item sells on a share of days (2 % to 60 %), in sizes drawn
    from a negative binomial around its own mean (1 to 20 units); some items start late."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.6, n_series)[:, None]
    mean_size = rng.uniform(1.0, 20.0, n_series)[:, None]
    sizes = 1 + rng.negative_binomial(2, 2 / (2 + mean_size - 1), (n_series, n_days))
    demand = np.where(rng.random((n_series, n_days)) < p, sizes, 0).astype(float)
    start = np.where(rng.random(n_series) < 0.2, rng.integers(0, 60, n_series), 0)
    first = date(2024, 1, 1)
    frame = pl.DataFrame({
        "item_id": np.repeat([f"I{i:03d}" for i in range(n_series)], n_days),
        "date": pl.date_range(first, first + timedelta(days=n_days - 1), eager=True).to_list() * n_series,
        "demand": demand.ravel(),
        "day": np.tile(np.arange(n_days), n_series),
        "start": np.repeat(start, n_days),
    }).filter(pl.col("day") >= pl.col("start")).drop("day", "start")
    return validate_panel(DemandPanel(demand=frame, static=frame.select("item_id").unique(), name="sparse"))


def test_quantiles_are_calibrated_on_sparse_demand(quick):
    cfg = quick.section("forecast", "forecast.models=[croston,tsb]", "forecast.horizon=14",
                        "forecast.n_backtest_windows=3", "forecast.n_jobs=1")
    panel = intermittent_panel()
    result = run_backtest(panel, cfg, progress=False)
    board = summarise(per_series_scores(result.forecasts, panel, 7, cfg.quantiles), ["model"])
    # [q05, q95] is a 90 % interval; the conformal intervals of two windows covered about 65 %
    assert board["coverage"].is_between(0.84, 0.97).all(), board  # 0.92-0.95 over seeds 0-3
    assert (result.timings["fallbacks"] == 0).all()
