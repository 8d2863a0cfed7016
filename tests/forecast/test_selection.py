"""Model selection that a forecast of zero cannot win, forecasts saved as they come, zero on
closed days, history rules that count every lag."""

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from panels import seasonal_panel

from workbench.checks import SettingError, check_settings
from workbench.data import DemandPanel, validate_panel
from workbench.forecast import leaderboard, make_forecaster, per_series_scores, run_backtest
from workbench.forecast.series import quantile_column

QS = [0.05, 0.5, 0.95]


def _sparse_panel(n_series=20, n_days=120, seed=1) -> DemandPanel:
    """Intermittent demand: a sale on about one day in six, of 1 to 4 units."""
    rng = np.random.default_rng(seed)
    days = pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 1, 1) + pl.duration(days=n_days - 1), eager=True)
    sale = rng.random((n_series, n_days)) < 1 / 6
    demand = np.where(sale, rng.integers(1, 5, (n_series, n_days)), 0).astype(float)
    frame = pl.DataFrame({"item_id": np.repeat([f"I{i}" for i in range(n_series)], n_days),
                          "date": np.tile(days.to_numpy(), n_series), "demand": demand.ravel()})
    return validate_panel(DemandPanel(demand=frame, static=frame.select("item_id").unique().sort("item_id")))


def _forecasts(panel, cutoff, horizon, model, mean, quantiles):
    rows = panel.demand.filter((pl.col("date") > cutoff) & (pl.col("date") <= cutoff + pl.duration(days=horizon)))
    return rows.select("item_id", "date").with_columns(
        pl.lit(model).alias("model"), pl.lit(cutoff).alias("cutoff"), pl.lit("backtest").alias("window"),
        pl.lit(mean).alias("mean"), *[pl.lit(v).alias(quantile_column(q)) for q, v in zip(QS, quantiles, strict=True)])


def test_a_forecast_of_zero_wins_mase_but_not_the_selection_scores():
    panel = _sparse_panel()
    cutoff = panel.dates[89]
    rate = float(panel.demand["demand"].mean())
    f = pl.concat([_forecasts(panel, cutoff, 28, "zero", 0.0, [0.0, 0.0, 0.0]),
                   _forecasts(panel, cutoff, 28, "rate", rate, [0.0, 0.0, 3.0])])
    scores = per_series_scores(f, panel, season=7, quantiles=QS)
    timings = pl.DataFrame({"model": ["zero", "rate"], "window": ["backtest"] * 2, "seconds": [0.0, 0.0],
                            "fallbacks": [0, 0]})
    assert leaderboard(scores, timings, by="mase")["model"][0] == "zero"  # the median of sparse demand is 0
    for by in ("pinball", "rmsse"):
        assert leaderboard(scores, timings, by=by)["model"][0] == "rate", by


def test_backtest_windows_are_needed_to_rank_the_models(quick):
    with pytest.raises(SettingError, match=r"forecast.n_backtest_windows=0; expected 1 or more"):
        check_settings(quick.plain("forecast.n_backtest_windows=0"))


def test_each_model_is_saved_as_soon_as_it_is_done(quick, tmp_path, monkeypatch):
    cfg = quick.section("forecast", "forecast.horizon=7", "forecast.n_backtest_windows=1",
                        "forecast.models=[seasonal_naive,drift]", "forecast.n_jobs=1")
    panel = seasonal_panel(n_series=2, n_days=120)
    done = run_backtest(panel, cfg, progress=False, save_dir=tmp_path / "all")
    saved = pl.read_parquet(tmp_path / "all" / "seasonal_naive.parquet")
    assert saved.sort(saved.columns).equals(
        done.forecasts.filter(pl.col("model") == "seasonal_naive").sort(saved.columns))
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["drift.parquet", "seasonal_naive.parquet"]

    from workbench.forecast.baselines import Drift

    def broken(self, data, horizon):
        raise RuntimeError("drift broke")

    monkeypatch.setattr(Drift, "forecast", broken)
    with pytest.raises(RuntimeError, match="drift broke"):
        run_backtest(panel, cfg, progress=False, save_dir=tmp_path / "failed")
    assert [p.name for p in (tmp_path / "failed").iterdir()] == ["seasonal_naive.parquet"]  # kept


def test_forecasts_are_zero_on_closed_days(quick):
    cfg = quick.section("forecast", "forecast.horizon=7", "forecast.n_backtest_windows=1",
                        "forecast.models=[seasonal_naive]", "forecast.n_jobs=1")
    p = seasonal_panel(n_series=2, n_days=120)
    sundays = pl.col("date").dt.weekday() == 7
    demand = p.demand.with_columns(pl.when(sundays).then(1).otherwise(0).alias("closed"),
                                   pl.when(sundays).then(0.0).otherwise(pl.col("demand")).alias("demand"))
    closed = validate_panel(replace(p, demand=demand, known_future=(*p.known_future, "closed")))
    f = run_backtest(closed, cfg, progress=False).forecasts
    on_sunday = f.filter(pl.col("date").dt.weekday() == 7)
    assert on_sunday.height > 0 and (on_sunday.select("mean", "q05", "q50", "q95").to_numpy() == 0).all()
    assert (f.filter(pl.col("date").dt.weekday() != 7)["mean"] > 0).all()


def test_lightgbm_needs_the_history_of_its_longest_lag(quick):
    short = make_forecaster("lightgbm", quick.section("forecast", "forecast.lightgbm.lags=7",
                                                      "forecast.lightgbm.lags_past_covariates=0"))
    long = make_forecaster("lightgbm", quick.section("forecast", "forecast.lightgbm.lags=7",
                                                     "forecast.lightgbm.lags_past_covariates=60"))
    assert long.min_history - short.min_history == 60 - 7
