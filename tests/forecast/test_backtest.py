from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from panels import seasonal_panel

from workbench.data import DemandPanel, validate_panel
from workbench.forecast import origins, per_series_scores, run_backtest, summarise, to_series_set


def test_origins_step_back_from_the_end_and_need_history():
    p = seasonal_panel(n_series=1, n_days=100)
    o = origins(p, horizon=14, n_windows=2, min_train=20)
    last = p.dates[-1]
    assert o.holdout == last - timedelta(days=14)
    assert o.backtest == [last - timedelta(days=42), last - timedelta(days=28)]
    with pytest.raises(ValueError, match=r"the panel has 100 periods.*needs 140"):
        origins(p, horizon=30, n_windows=3, min_train=20)


def test_views_at_a_cutoff_hold_no_future():
    p = seasonal_panel(n_series=2, n_days=60)
    data = to_series_set(p)
    cutoff = date(2024, 1, 31)
    v = data.until(cutoff, horizon=7, train_window=20)
    for target, past, future in zip(v.target, v.past, v.future, strict=True):
        assert target.end_time().date() == cutoff and len(target) == 20
        assert past.end_time().date() == cutoff
        assert future.end_time().date() == cutoff + timedelta(days=7)
    assert v.future[0].components.tolist()[:1] == ["price"]


@pytest.mark.parametrize("model", ["seasonal_naive", "lightgbm"])
def test_no_look_ahead_changing_the_future_changes_nothing(model, quick):
    """Forecasts from an origin must not move when data after that origin changes."""
    cfg = quick.section("forecast", "forecast.horizon=7", "forecast.n_backtest_windows=1",
                           f"forecast.models=[{model}]", "forecast.n_jobs=1",
                           "forecast.lightgbm.n_estimators=20", "forecast.lightgbm.lags=14")
    p = seasonal_panel(n_series=2, n_days=120)
    base = run_backtest(p, cfg, progress=False)
    cutoff = base.origins.backtest[0]
    tampered = p.demand.with_columns(
        pl.when(pl.col("date") > cutoff).then(pl.col("demand") * 50 + 1000).otherwise(pl.col("demand")).alias("demand"),
        pl.when(pl.col("date") > cutoff).then(-1.0).otherwise(pl.col("views")).alias("views"),
    )
    again = run_backtest(DemandPanel(**{**p.__dict__, "demand": tampered}), cfg, progress=False)
    pick = pl.col("cutoff") == cutoff
    a = base.forecasts.filter(pick).drop("window").sort(["item_id", "date"])
    b = again.forecasts.filter(pick).drop("window").sort(["item_id", "date"])
    assert np.allclose(a.select("mean", "q05", "q95").to_numpy(), b.select("mean", "q05", "q95").to_numpy())


def test_metrics_match_hand_computation():
    p = seasonal_panel(n_series=1, n_days=30)
    cutoff = p.dates[20]
    actual = p.demand.filter(pl.col("date") > cutoff).head(3)
    f = actual.select("item_id", "date").with_columns(
        pl.lit("m").alias("model"), pl.lit(cutoff).alias("cutoff"),
        (actual["demand"] + 2.0).alias("mean"),
        (actual["demand"] - 1.0).alias("q05"), (actual["demand"] + 2.0).alias("q50"), (actual["demand"] + 3.0).alias("q95"),
    )
    s = per_series_scores(f, p, 7, [0.05, 0.5, 0.95]).row(0, named=True)
    hist = p.demand.filter(pl.col("date") <= cutoff)["demand"].to_numpy()
    scale = np.abs(hist[7:] - hist[:-7]).mean()
    assert s["mae"] == pytest.approx(2.0)
    assert s["mase"] == pytest.approx(2.0 / scale)
    assert s["coverage"] == 1.0
    # pinball: q05 -> 0.05*1, q50 -> 0.5*2, q95 -> 0.05*3, mean over quantiles
    assert s["pinball"] == pytest.approx((0.05 * 1 + 0.5 * 2 + 0.05 * 3) / 3)
    board = summarise(per_series_scores(f, p, 7, [0.05, 0.5, 0.95]), ["model"])
    assert board["WAPE"][0] == pytest.approx(6.0 / actual["demand"].sum())


def test_series_that_start_late_join_later_origins_and_are_counted(quick):
    p = seasonal_panel(n_series=3, n_days=150)
    late = p.demand.filter(~((pl.col("item_id") == "S2") & (pl.col("date") < date(2024, 4, 12))))
    panel = DemandPanel(**{**p.__dict__, "demand": late})
    cfg = quick.section("forecast", "forecast.horizon=14", "forecast.n_backtest_windows=2",
                           "forecast.models=[seasonal_naive]", "forecast.n_jobs=1")
    result = run_backtest(panel, cfg, progress=False)
    t = result.timings.sort("cutoff")
    assert t["not_yet_started"].to_list()[0] == 1 and t["not_yet_started"].to_list()[-1] == 0
    first = result.forecasts.filter(pl.col("cutoff") == result.origins.backtest[0])
    assert set(first["item_id"]) == {"S0", "S1"}
    assert set(result.forecasts.filter(pl.col("window") == "holdout")["item_id"]) == {"S0", "S1", "S2"}


def test_quantiles_in_any_order_get_the_right_names(quick):
    cfg = quick.section("forecast", "forecast.horizon=7", "forecast.n_backtest_windows=0",
                           "forecast.models=[seasonal_naive]", "forecast.n_jobs=1",
                           "forecast.quantiles=[0.9,0.1,0.5]", "forecast.calibration.method=none")
    f = run_backtest(seasonal_panel(n_series=1, n_days=80), cfg, progress=False).forecasts
    assert (f["q10"] <= f["q50"]).all() and (f["q50"] <= f["q90"]).all()
    assert np.allclose(f["mean"], f["q50"])


@pytest.mark.parametrize("model", ["linear", "lightgbm"])
def test_known_future_covariates_are_read_at_the_forecast_step(model, quick):
    """Demand that is ten times a random promotion flag is forecast from the flag of the
    step itself (Darts counts future lags from the first step of the chunk)."""
    rng = np.random.default_rng(5)
    start, n = date(2024, 1, 1), 150
    rows = [{"item_id": f"S{s}", "date": start + timedelta(days=t), "promo": float(p), "demand": 5.0 + 10.0 * p}
            for s in range(3) for t, p in enumerate(rng.integers(0, 2, n))]
    panel = validate_panel(DemandPanel(demand=pl.DataFrame(rows), static=pl.DataFrame({"item_id": ["S0", "S1", "S2"]}),
                                       known_future=("promo",), name="promo"))
    cfg = quick.section("forecast", "forecast.horizon=7", "forecast.n_backtest_windows=0",
                           f"forecast.models=[{model}]", "forecast.n_jobs=1", "forecast.lightgbm.lags=7",
                           "forecast.linear.lags=7", "forecast.lightgbm.n_estimators=100",
                           # three identical series: their identities tell nothing apart, and on so few
                           # rows the median model's split on them costs it the flag's exact effect
                           "forecast.lightgbm.series_id=false",
                           "forecast.calibration.method=none")  # the model's own median
    f = run_backtest(panel, cfg, progress=False).forecasts.join(
        panel.demand.select("item_id", "date", pl.col("demand").alias("actual")), on=["item_id", "date"])
    assert (f["q50"] - f["actual"]).abs().max() < 1.0
