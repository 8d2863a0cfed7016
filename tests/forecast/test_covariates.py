"""How the global models read the data's categories, the series' identity, closed days and a
target transform."""

import numpy as np
import polars as pl
import pytest
from panels import seasonal_panel

from workbench.data.panel import DemandPanel, PanelError, encode_categories, validate_panel
from workbench.forecast import make_forecaster, per_series_scores, run_backtest
from workbench.forecast.series import to_series_set


def _event_panel(n_series: int = 3, n_days: int = 200, seed: int = 0) -> DemandPanel:
    """A weekly pattern plus a known-future text column: demand jumps on 'sale' days, drops on
    'strike' days and is plain on the rest."""
    base = seasonal_panel(n_series=n_series, n_days=n_days, seed=seed)
    rng = np.random.default_rng(seed)
    dates = base.dates
    kind = rng.choice(["none", "sale", "strike"], size=dates.len(), p=[0.8, 0.1, 0.1])
    events = pl.DataFrame({"date": dates, "event": kind})
    demand = base.demand.join(events, on="date", how="left").with_columns(
        pl.when(pl.col("event") == "sale").then(pl.col("demand") * 3)
        .when(pl.col("event") == "strike").then(pl.col("demand") * 0.2)
        .otherwise(pl.col("demand")).alias("demand"))
    return DemandPanel(demand=demand, static=base.static, keys=base.keys, frequency=base.frequency,
                       known_future=("event",), name="events")


def test_text_known_future_column_is_encoded_once_and_logged():
    panel = validate_panel(_event_panel())
    assert panel.categorical == ("event",)
    assert panel.demand.schema["event"] == pl.Float64
    assert set(panel.demand["event"].unique().to_list()) == {1.0, 2.0, 3.0}  # none, sale, strike in sorted order
    entry = next(e for e in panel.log if e["step"] == "categorical_covariate")
    assert entry["column"] == "event" and entry["categories"] == 3 and entry["codes"]["sale"] == 2
    data = to_series_set(panel)
    assert "event" in data.categorical and "cal_weekday" in data.categorical
    assert (data.codes == np.arange(panel.n_series)).all()


def test_text_that_reads_as_numbers_stays_numbers_and_missing_text_is_code_zero():
    df = pl.DataFrame({"a": ["1", "2.5", None], "b": ["x", None, "y"]})
    out, encoded, _ = encode_categories(df, ("a", "b"))
    assert encoded == ["b"]
    assert out["b"].to_list() == [1.0, 0.0, 2.0]
    assert out["a"].to_list() == ["1", "2.5", None]  # validation reads it as numbers


def test_a_text_past_covariate_is_still_refused_by_name():
    panel = _event_panel()
    panel = DemandPanel(demand=panel.demand, static=panel.static, keys=panel.keys, past_covariates=("event",))
    with pytest.raises(PanelError, match="'event'.*expected numbers"):
        validate_panel(panel)


def test_lightgbm_learns_a_categorical_known_future_covariate(quick):
    panel = validate_panel(_event_panel(n_series=4, n_days=260))
    settings = ["forecast.horizon=14", "forecast.n_backtest_windows=1", "forecast.models=[lightgbm]", "forecast.n_jobs=1",
                "forecast.lightgbm.lags=14", "forecast.lightgbm.n_estimators=80", "forecast.lightgbm.max_samples_per_ts=null"]
    with_events = run_backtest(panel, quick.section("forecast", *settings), progress=False)
    model = with_events.models["lightgbm"].model
    assert "event" in model.categorical_future_covariates
    assert "s_series" in model.categorical_static_covariates
    without = DemandPanel(demand=panel.demand.drop("event"), static=panel.static, keys=panel.keys)
    blind = run_backtest(without, quick.section("forecast", *settings), progress=False)
    mase = {name: per_series_scores(r.forecasts, p, 7, [0.05, 0.5, 0.95])["mase"].mean()
            for name, r, p in (("events", with_events, panel), ("blind", blind, without))}
    # a sale triples demand on one day in ten: a model that knows the day halves its error
    assert mase["events"] < 0.7 * mase["blind"], mase


def test_least_squares_point_forecast_is_the_mean_column(quick):
    panel = seasonal_panel(n_series=3, n_days=200)
    settings = ["forecast.horizon=7", "forecast.n_backtest_windows=1", "forecast.models=[lightgbm]", "forecast.n_jobs=1",
                "forecast.lightgbm.lags=7", "forecast.lightgbm.n_estimators=40",
                "forecast.calibration.method=none"]  # the models' own quantiles (calibration moves the median)
    l2 = run_backtest(panel, quick.section("forecast", *settings, "forecast.lightgbm.point=l2"), progress=False).forecasts
    med = run_backtest(panel, quick.section("forecast", *settings, "forecast.lightgbm.point=median"),
                       progress=False).forecasts
    assert med["mean"].to_list() == med["q50"].to_list()  # the median stands for the point forecast
    assert not np.allclose(l2["mean"].to_numpy(), l2["q50"].to_numpy())  # a model of its own
    assert l2["q50"].to_list() == med["q50"].to_list()  # the quantiles are the same models'


@pytest.mark.parametrize("model", ["lightgbm", "linear"])
def test_log_transform_is_inverted_on_every_quantile(quick, model):
    panel = seasonal_panel(n_series=3, n_days=200)
    settings = ["forecast.horizon=7", "forecast.n_backtest_windows=1", f"forecast.models=[{model}]", "forecast.n_jobs=1",
                "forecast.lightgbm.lags=7", "forecast.lightgbm.n_estimators=40", "forecast.linear.lags=7"]
    cfg = quick.section("forecast", *settings, "forecast.target_transform=log1p")
    forecaster = make_forecaster(model, cfg)
    data = to_series_set(panel).until(panel.dates[-8], 7)
    values = forecaster.forecast(data, 7)
    # the fitted model lives on log(1 + y / mean): its own predictions, mapped back, are the forecast
    level = np.array([float(s.values().mean()) for s in data.target])
    logged = forecaster.static(data, [(s / c).map(np.log1p) for s, c in zip(data.target, level, strict=True)])
    raw = np.stack([p.values() for p in forecaster.model.predict(
        7, series=logged, future_covariates=data.future, past_covariates=data.past,
        predict_likelihood_parameters=model == "lightgbm", show_warnings=False)])
    if model == "lightgbm":
        np.testing.assert_allclose(values, np.expm1(raw) * level[:, None, None], rtol=1e-4)
    assert (values > -level[:, None, None]).all()  # expm1 of any number: above -1 before the scale
    # on the demand's own scale, not the log's: the median is near each series' level
    ratio = values[:, :, forecaster.quantiles.index(0.5)].mean(axis=1) / level
    assert ((ratio > 0.5) & (ratio < 2.0)).all(), ratio


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_known_future_values_before_the_step_are_read(quick, strategy):
    """Demand the day after a random flag is three times the rest: only a model that reads the
    flag of the day before the step (``lags_future_covariates`` >= 1) can know it."""
    from datetime import date, timedelta

    rng = np.random.default_rng(3)
    n = 200
    flag = rng.integers(0, 2, n).astype(float)
    rows = [{"item_id": f"S{s}", "date": date(2024, 1, 1) + timedelta(days=t), "flag": flag[t],
             "demand": 5.0 + 10.0 * (flag[t - 1] if t else 0.0)} for s in range(3) for t in range(n)]
    panel = validate_panel(DemandPanel(demand=pl.DataFrame(rows), static=pl.DataFrame({"item_id": ["S0", "S1", "S2"]}),
                                       known_future=("flag",), name="flag"))
    settings = ["forecast.horizon=7", "forecast.n_backtest_windows=1", "forecast.models=[lightgbm]", "forecast.n_jobs=1",
                "forecast.lightgbm.lags=7", "forecast.lightgbm.n_estimators=60", "forecast.lightgbm.series_id=false",
                f"forecast.lightgbm.strategy={strategy}", "forecast.lightgbm.sample_paths=50",
                # least squares reaches a jump of 10 in 60 trees; the median model moves by at most
                # the learning rate per tree
                "forecast.lightgbm.point=l2",
                "forecast.lightgbm.max_samples_per_ts=null"]
    err = {}
    for window in (0, 2):
        f = run_backtest(panel, quick.section("forecast", *settings, f"forecast.lightgbm.lags_future_covariates={window}"),
                         progress=False).forecasts
        f = f.join(panel.demand.select("item_id", "date", pl.col("demand").alias("actual")), on=["item_id", "date"])
        err[window] = float((f["mean"] - f["actual"]).abs().mean())
    assert err[2] < 1.0 < err[0], err  # blind to yesterday's flag, a model errs by about 5 a day
