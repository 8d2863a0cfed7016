"""What each decision is worth: several evaluation windows, the hindsight bound, regret, the value of
the forecast at equal service, and the forecast each review of a re-planned plan sees."""

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from workbench.forecast.series import quantile_column
from workbench.inventory import evaluation as windows
from workbench.inventory.window import Window

QS = [0.05, 0.25, 0.5, 0.75, 0.9, 0.95]
HORIZON = 28


def _backtest(panel, origins: int = 2, spread: float = 0.2) -> pl.DataFrame:
    """Forecasts at ``origins`` origins, HORIZON apart, as the forecast stage's backtest table holds them:
    an oracle that knows the true demand (with a narrow quantile spread) and a forecaster that knows its
    mean only roughly (a wide spread: more safety stock for the same service)."""
    frames = []
    truth = panel.truth.select(*panel.keys, "date", pl.col("true_demand").cast(pl.Float64).alias("d"))
    for k in range(origins):
        cutoff = panel.dates[-(origins - k) * HORIZON - 1]
        end = panel.dates[-(origins - k - 1) * HORIZON - 1] if k < origins - 1 else panel.dates[-1]
        rows = truth.filter((pl.col("date") > cutoff) & (pl.col("date") <= end))
        for model, width in (("oracle", spread), ("timid", 3 * spread)):
            frames.append(rows.select(*panel.keys, "date").with_columns(
                pl.lit(model).alias("model"), pl.lit(cutoff).alias("cutoff"),
                pl.lit("holdout" if k == origins - 1 else "backtest").alias("window"),
                rows["d"].alias("mean"),
                *[(rows["d"] * (1 + width * norm.ppf(q))).clip(lower_bound=0).alias(quantile_column(q))
                  for q in QS]))
    return pl.concat(frames)


@pytest.fixture(scope="module")
def inv(quick):
    return quick.section("inventory", "inventory.lead_time.variability=fixed", "inventory.evaluation.time_limit=20",
                         "inventory.mpc.quantiles=[0.75,0.95]", "inventory.tradeoff_levels=[0.8,0.9,0.95,0.99]")


@pytest.fixture(scope="module")
def evaluated(tiny_panel, inv):
    backtest = _backtest(tiny_panel)
    return backtest, windows.evaluate(tiny_panel, backtest, ["timid", "oracle"], QS, inv)


def test_every_policy_is_priced_on_every_window_and_none_beats_the_hindsight_bound(evaluated, inv):
    backtest, ev = evaluated
    origins = windows.evaluation_origins(backtest, None)
    assert len(origins) == 2 and set(ev.runs["origin"]) == set(origins)
    expected = {*inv.policies, windows.MPC_LP}
    for (origin, forecaster), part in ev.runs.group_by("origin", "forecaster"):
        assert set(part["policy"]) == expected, (origin, forecaster)
    assert ev.hindsight.height == 2
    runs = ev.runs.join(ev.hindsight.select("origin", "bound"), on="origin")
    # the hindsight plan knew the demand: no policy, re-planned plan included, costs less than its bound
    scale = runs["total_cost"].abs().max()
    assert (runs["total_cost"] >= runs["bound"] - 1e-6 * scale).all()
    assert (ev.hindsight["bound"] <= ev.hindsight["cost"] + 1e-6 * scale).all()
    assert (ev.runs["regret"] >= ev.runs["total_cost"] - ev.runs["hindsight_cost"] - 1e-9).all()


def test_the_regret_table_summarises_the_windows(evaluated):
    _, ev = evaluated
    table = windows.regret_table(ev)
    row = table.filter((pl.col("policy") == "sS_normal") & (pl.col("forecaster") == "oracle")).row(0, named=True)
    costs = ev.runs.filter((pl.col("policy") == "sS_normal") & (pl.col("forecaster") == "oracle"))["total_cost"]
    assert row["windows"] == 2
    assert row["mean_cost"] == pytest.approx(costs.mean()) and row["sd_cost"] == pytest.approx(costs.std())
    assert table["mean_cost"].is_sorted()


def test_the_better_forecast_saves_at_equal_service(evaluated):
    _, ev = evaluated
    worth = windows.value_of_forecast(ev, ("sS_normal", "timid"))
    by = {(r["policy"], r["forecaster"]): r for r in worth.iter_rows(named=True)}
    assert by[("sS_normal", "timid")]["mean_saving"] == pytest.approx(0.0, abs=1e-12)
    # a sharper forecast is worth money at the same fill rate (on average over the windows)
    oracle = by[("sS_normal", "oracle")]
    assert oracle["windows"] == 2 and oracle["mean_saving"] > 0.01 and oracle["max_saving"] > 0.02


def test_re_planned_lp_per_review_solves_are_recorded(evaluated, inv):
    _, ev = evaluated
    times = ev.solve_times
    assert set(times["plan_quantile"]) == {0.75, 0.9, 0.95}  # and inventory.lp.plan_quantile
    reviews = sorted(times.filter((pl.col("forecaster") == "oracle") & (pl.col("plan_quantile") == 0.95))
                     ["review"].unique().to_list())
    assert reviews == list(range(0, HORIZON - 1, inv.lp.order_every))
    assert (times["seconds"] > 0).all()


def test_each_review_sees_the_forecast_issued_that_day(tiny_panel, inv):
    backtest = _backtest(tiny_panel, origins=1)
    win = Window.of(tiny_panel, backtest, ["oracle"], QS, inv)
    cube = win.cubes["oracle"]
    at = windows.issued(win, "oracle", None, QS)
    # at the end of period t the plan starts at period t + 1
    assert np.allclose(at(0).mean, cube.mean[:, 1:]) and np.allclose(at(5).values, cube.values[:, 6:])
    # a rolling forecast issued at origin + 7 (its first day is period 7, already served) is used from period 8
    origin = win.w.origin
    dates = sorted(backtest["date"].unique().to_list())
    later = backtest.filter(pl.col("date") > dates[6]).with_columns(
        pl.lit(origin).alias("origin"), pl.lit(dates[6]).alias("cutoff"), pl.col("mean") * 2,
        *[pl.col(quantile_column(q)) * 2 for q in QS])
    rolled = windows.issued(win, "oracle", later, QS)
    assert np.allclose(rolled(7).mean, 2 * cube.mean[:, 8:])
    assert np.allclose(rolled(0).mean, cube.mean[:, 1:])  # at the origin: the origin's own forecast
    # a plan longer than what is left of the window sees the average day past its end
    long = windows.issued(win, "oracle", None, QS, horizon=20)(10)
    assert long.mean.shape[1] == 20 and np.allclose(long.mean[:, -1], cube.mean[:, 11:].mean(axis=1))
    with pytest.raises(ValueError, match="no rolling forecast of 'oracle' was issued"):
        rolled(3)


def test_evaluation_windows_are_the_last_origins_of_the_backtest(tiny_panel):
    backtest = _backtest(tiny_panel, origins=3)
    everyone = windows.evaluation_origins(backtest, None)
    assert len(everyone) == 3 and windows.evaluation_origins(backtest, 2) == everyone[1:]
    with pytest.raises(ValueError, match="inventory.evaluation.windows=0"):
        windows.evaluation_origins(backtest, 0)


def test_a_fixed_plan_horizon_reviews_every_period_but_the_last(tiny_panel, quick):
    inv = quick.section("inventory", "inventory.lead_time.variability=fixed", "inventory.lp.order_every=1",
                        "inventory.mpc.horizon=5", "inventory.mpc.plans=[lp]")
    win = Window.of(tiny_panel, _backtest(tiny_panel, origins=1), ["oracle"], QS, inv)
    planner = win.planners("oracle", windows.issued(win, "oracle", None, QS, inv.mpc.horizon))["lp"]
    result = win.run(planner)
    # nothing ordered in the window's last period could be sold in it: no review there
    assert [r.t for r in planner.reviews] == list(range(HORIZON - 1))
    assert {r.horizon for r in planner.reviews} == {5} and np.isfinite(result.total_cost).all()
