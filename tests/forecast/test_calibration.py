"""Conformal calibration: only earlier origins calibrate, coverage comes to nominal, quantiles stay valid."""

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hydra.errors import ConfigCompositionException
from panels import seasonal_panel
from scipy.stats import norm

from workbench.config import compose
from workbench.forecast import run_backtest
from workbench.forecast.calibrate import calibrate

QUANTILES = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
COLUMNS = ["q05", "q10", "q25", "q50", "q75", "q90", "q95"]
KEYS = ["item_id"]


def normal_backtest(n_series: int = 300, n_origins: int = 4, horizon: int = 7, width: float = 0.3,
                    seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Forecasts, actuals and scales of series ``N(10 s, s^2)`` with ``s`` from 1 to 50, the
    forecast quantiles those of ``N(10 s, (width x s)^2)`` (too narrow below 1, too wide above)."""
    rng = np.random.default_rng(seed)
    sd = rng.uniform(1.0, 50.0, n_series)
    first = date(2024, 1, 1)
    cutoffs = [first + timedelta(days=horizon * k) for k in range(n_origins)]
    frames, actuals = [], []
    for cutoff in cutoffs:
        dates = [cutoff + timedelta(days=h + 1) for h in range(horizon)]
        item = np.repeat([f"I{i}" for i in range(n_series)], horizon)
        mu, s = np.repeat(10 * sd, horizon), np.repeat(sd, horizon)
        frame = pl.DataFrame({"item_id": item, "date": dates * n_series, "model": "m", "cutoff": cutoff,
                              "window": "backtest", "mean": mu})
        frames.append(frame.with_columns(*[pl.Series(c, mu + width * s * norm.ppf(q))
                                           for q, c in zip(QUANTILES, COLUMNS, strict=True)]))
        actuals.append(pl.DataFrame({"item_id": item, "date": dates * n_series,
                                     "actual": np.clip(rng.normal(mu, s), 0.0, None)}))
    scales = pl.DataFrame({"item_id": np.tile([f"I{i}" for i in range(n_series)], n_origins),
                           "cutoff": [c for c in cutoffs for _ in range(n_series)], "scale": np.tile(sd, n_origins)})
    return pl.concat(frames), pl.concat(actuals), scales


def coverage_and_pinball(forecasts: pl.DataFrame, actuals: pl.DataFrame) -> tuple[float, float]:
    f = forecasts.join(actuals, on=["item_id", "date"])
    y = f["actual"].to_numpy()[:, None]
    q = f.select(COLUMNS).to_numpy()
    levels = np.array(QUANTILES)[None, :]
    pinball = np.maximum(levels * (y - q), (levels - 1) * (y - q)).mean()
    return float(((y[:, 0] >= q[:, 0]) & (y[:, 0] <= q[:, -1])).mean()), float(pinball)


@pytest.mark.parametrize("scope", ["per_quantile", "symmetric"])
@pytest.mark.parametrize("width", [0.3, 3.0])  # intervals a third and three times as wide as they should be
def test_coverage_of_a_miscalibrated_model_comes_to_nominal(scope, width):
    forecasts, actuals, scales = normal_backtest(width=width)
    first = forecasts["cutoff"].min()
    later = forecasts.filter(pl.col("cutoff") > first)
    before, pinball_before = coverage_and_pinball(later, actuals)
    after_frame = calibrate(forecasts, actuals, scales, KEYS, QUANTILES, scope)
    after, pinball_after = coverage_and_pinball(after_frame, actuals)
    assert after_frame.height == later.height and after_frame["cutoff"].min() > first  # the first only calibrates
    assert abs(before - 0.9) > 0.09  # 0.38 and 1.0 before
    assert 0.86 <= after <= 0.94, (before, after)
    assert pinball_after < 0.9 * pinball_before


def test_blocks_of_steps_share_a_shift_and_a_small_panel_pools_them():
    forecasts, actuals, scales = normal_backtest(n_series=50, n_origins=2, horizon=8, width=0.5)
    # the errors of steps 5-8 twice those of steps 1-4
    spread = forecasts.select("item_id", "date", "mean", (pl.col("date").rank("dense").over("cutoff") > 4).alias("far"))
    actuals = actuals.join(spread, on=["item_id", "date"]).select(
        "item_id", "date", pl.when("far").then(pl.col("mean") + 2 * (pl.col("actual") - pl.col("mean")))
        .otherwise("actual").alias("actual"))
    later = forecasts.filter(pl.col("cutoff") > forecasts["cutoff"].min()).sort("item_id", "date")
    step = later["date"].rank("dense").to_numpy() - 1

    def q95_shift(block: int, min_errors: int) -> np.ndarray:
        """The shift of q95 as a share of each series' level (one number for all rows where shared)."""
        out = calibrate(forecasts, actuals, scales, KEYS, QUANTILES, block=block, min_errors=min_errors)
        return ((out.sort("item_id", "date")["q95"] - later["q95"]) / later["mean"]).to_numpy()

    pooled, halves, each = q95_shift(4, 201), q95_shift(4, 200), q95_shift(1, 50)  # 50 errors a step
    assert np.ptp(pooled) < 1e-9  # too few errors a block: one shift for every step
    assert np.ptp(halves[step < 4]) < 1e-9 and np.ptp(halves[step >= 4]) < 1e-9  # steps 1-4 and 5-8
    assert halves[step >= 4][0] > halves[step < 4][0] + 0.05  # the far steps' q95 rises more
    assert len(np.unique(each.round(9))) == 8  # a shift a step


def test_a_calibrated_model_stays_about_as_it_was():
    forecasts, actuals, scales = normal_backtest(width=1.0)
    later = forecasts.filter(pl.col("cutoff") > forecasts["cutoff"].min())
    before, pinball_before = coverage_and_pinball(later, actuals)
    after, pinball_after = coverage_and_pinball(calibrate(forecasts, actuals, scales, KEYS, QUANTILES), actuals)
    assert abs(after - before) < 0.03 and pinball_after < 1.03 * pinball_before


@pytest.mark.parametrize("block", [1, 14])  # each step on its own errors; all steps pooled
@pytest.mark.parametrize("scope", ["per_quantile", "symmetric"])
def test_the_scored_window_never_calibrates_itself(scope, block):
    """An origin's quantiles depend on the actuals of the origins before it and on nothing later:
    changing a window's own actuals would move its quantiles if it calibrated itself."""
    forecasts, actuals, scales = normal_backtest(n_series=60, n_origins=3, width=0.5)
    cutoffs = sorted(forecasts["cutoff"].unique().to_list())

    def calibrated(tampered_cutoff) -> dict:
        window = forecasts.filter(pl.col("cutoff") == tampered_cutoff).select("item_id", "date")
        changed = actuals.join(window.with_columns(pl.lit(True).alias("hit")), on=["item_id", "date"], how="left")
        changed = changed.with_columns(pl.when(pl.col("hit")).then(pl.col("actual") * 20 + 500)
                                       .otherwise(pl.col("actual")).alias("actual")).drop("hit")
        out = calibrate(forecasts, changed, scales, KEYS, QUANTILES, scope, block, min_errors=1)
        out = out.sort("cutoff", "item_id", "date")
        return {c: out.filter(pl.col("cutoff") == c).select(COLUMNS).to_numpy() for c in cutoffs[1:]}

    base = calibrate(forecasts, actuals, scales, KEYS, QUANTILES, scope, block, min_errors=1)
    base = base.sort("cutoff", "item_id", "date")
    base = {c: base.filter(pl.col("cutoff") == c).select(COLUMNS).to_numpy() for c in cutoffs[1:]}
    own, later, first = calibrated(cutoffs[1]), calibrated(cutoffs[2]), calibrated(cutoffs[0])
    assert np.array_equal(own[cutoffs[1]], base[cutoffs[1]])  # its own actuals: no change
    assert np.array_equal(later[cutoffs[1]], base[cutoffs[1]]) and np.array_equal(later[cutoffs[2]], base[cutoffs[2]])
    assert not np.allclose(own[cutoffs[2]], base[cutoffs[2]])  # the next origin does use it
    assert not np.allclose(first[cutoffs[1]], base[cutoffs[1]])  # and the first calibrates the second


@pytest.mark.parametrize("scope", ["per_quantile", "symmetric"])
def test_quantiles_stay_sorted_and_non_negative(scope):
    """Errors at the first origin that would push q05 above q95 and below zero at the next."""
    forecasts, actuals, scales = normal_backtest(n_series=40, n_origins=2, width=1.0)
    first = forecasts["cutoff"].min()
    # at the first origin the actuals sit just above q50 everywhere: the low quantiles rise
    # past it, the upper ones fall below it; near-zero sales push the low ones under zero
    sits = (forecasts.filter(pl.col("cutoff") == first)
            .select("item_id", "date", (pl.col("q50") + 0.01 * (pl.col("q95") - pl.col("q50"))).alias("actual")))
    actuals = pl.concat([sits, actuals.join(sits.select("item_id", "date"), on=["item_id", "date"], how="anti")])
    forecasts = forecasts.with_columns(pl.when(pl.col("item_id") == "I0").then(pl.col(c) * 0.01)
                                       .otherwise(pl.col(c)).alias(c) for c in COLUMNS)
    out = calibrate(forecasts, actuals, scales, KEYS, QUANTILES, scope).select(COLUMNS).to_numpy()
    assert (out >= 0).all() and (np.diff(out, axis=1) >= 0).all()
    assert (out[:, 0] > 0).any() and (out == 0).any()


def test_the_backtest_calibrates_on_an_extra_origin_and_keeps_what_the_models_made(quick):
    cfg = quick.section("forecast", "forecast.horizon=7", "forecast.n_backtest_windows=2", "forecast.n_jobs=1",
                        "forecast.models=[seasonal_naive,croston]", "forecast.calibration.method=conformal")
    p = seasonal_panel(n_series=4, n_days=120)
    result = run_backtest(p, cfg, progress=False)
    o = result.origins
    assert len(o.calibration) == 1 and o.calibration[0] == o.backtest[0] - timedelta(days=7)
    assert set(result.forecasts["window"].unique()) == {"backtest", "holdout"}
    assert o.calibration[0] not in result.forecasts["cutoff"].to_list()
    made = result.uncalibrated
    assert made is not None and o.calibration[0] in made["cutoff"].to_list()
    q = result.forecasts.select(COLUMNS).to_numpy()
    assert (q >= 0).all() and (np.diff(q, axis=1) >= 0).all()
    moved = made.filter(pl.col("window") != "calibration").sort("model", "cutoff", "item_id", "date")
    assert moved.select("mean").equals(result.forecasts.select("mean"))  # the point forecasts as made
    assert not np.allclose(moved.select(COLUMNS).to_numpy(), q)  # the quantiles calibrated

    plain = run_backtest(p, quick.section("forecast", "forecast.horizon=7", "forecast.n_backtest_windows=2",
                                          "forecast.n_jobs=1", "forecast.models=[seasonal_naive,croston]",
                                          "forecast.calibration.method=none"), progress=False)
    assert plain.uncalibrated is None and plain.origins.calibration == []
    assert plain.forecasts.equals(moved.select(plain.forecasts.columns))  # the same models at the same origins


@pytest.mark.parametrize("override", ["forecast.calibration.method=isotonic", "forecast.calibration.scope=both"])
def test_an_unknown_calibration_is_refused_at_compose_time(override):
    with pytest.raises(ConfigCompositionException) as err:
        compose([override])
    assert "expected one of" in str(err.value.__cause__)


@pytest.mark.parametrize("setting", ["origins", "block", "min_errors"])
def test_conformal_calibration_needs_an_origin_a_step_and_an_error(quick, setting):
    from workbench.checks import SettingError, check_settings

    with pytest.raises(SettingError, match=rf"forecast.calibration.{setting}=0; expected 1 or more"):
        check_settings(quick.plain(f"forecast.calibration.{setting}=0"))
    check_settings(quick.plain(f"forecast.calibration.{setting}=0", "forecast.calibration.method=none"))


def test_the_page_says_whether_and_on_which_origins_the_quantiles_are_calibrated(quick):
    from workbench.forecast import Origins
    from workbench.forecast.calibrate import calibration_note

    o = Origins(backtest=[date(2024, 2, 1), date(2024, 3, 1)], holdout=date(2024, 4, 1), calibration=[date(2024, 1, 1)])
    on = calibration_note(quick.section("forecast", "forecast.calibration.method=conformal"), o)
    assert "method=conformal" in on and "2024-01-01 is forecast only to calibrate and never scored" in on
    assert "2024-03-01 on 2024-01-01, 2024-02-01" in on and "2024-04-01 on 2024-01-01, 2024-02-01, 2024-03-01" in on
    off = calibration_note(quick.section("forecast", "forecast.calibration.method=none"), Origins(o.backtest, o.holdout))
    assert "no calibration" in off and "2024" not in off
