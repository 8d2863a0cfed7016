"""The stage's polars metrics agree with Darts' own definitions (``darts.metrics``)."""

import numpy as np
import pandas as pd
import polars as pl
import pytest
from darts import TimeSeries
from darts import metrics as dm
from panels import seasonal_panel

from workbench.forecast import per_series_scores, summarise

SEASON = 7


@pytest.fixture(scope="module")
def scored():
    panel = seasonal_panel(n_series=3, n_days=90)
    cutoff = panel.dates[-15]
    rng = np.random.default_rng(3)
    actual = panel.demand.filter(pl.col("date") > cutoff).sort("item_id", "date")
    noise = rng.normal(0, 3, (actual.height, 3)).cumsum(axis=1)
    point = actual["demand"].to_numpy() + rng.normal(0, 4, actual.height)
    f = actual.select("item_id", "date").with_columns(
        pl.lit("m").alias("model"), pl.lit(cutoff).alias("cutoff"),
        pl.Series("mean", point),
        pl.Series("q10", point - 5 + noise[:, 0]), pl.Series("q50", point + noise[:, 1] * 0.1),
        pl.Series("q90", point + 5 + noise[:, 2]),
    )
    return panel, cutoff, f, per_series_scores(f, panel, SEASON, [0.1, 0.5, 0.9])


def _series(frame: pl.DataFrame, col: str) -> TimeSeries:
    return TimeSeries.from_times_and_values(pd.DatetimeIndex(frame["date"].to_list()), frame[col].to_numpy())


@pytest.mark.parametrize("item", ["S0", "S1", "S2"])
def test_point_metrics_match_darts(scored, item):
    panel, cutoff, f, scores = scored
    mine = scores.filter(pl.col("item_id") == item).row(0, named=True)
    part = f.filter(pl.col("item_id") == item).join(
        panel.demand.select("item_id", "date", pl.col("demand").alias("actual")), on=["item_id", "date"])
    history = panel.demand.filter((pl.col("item_id") == item) & (pl.col("date") <= cutoff))
    actual, pred, insample = _series(part, "actual"), _series(part, "mean"), _series(history, "demand")
    assert mine["mae"] == pytest.approx(dm.mae(actual, pred))
    assert np.sqrt(mine["mse"]) == pytest.approx(dm.rmse(actual, pred))
    assert mine["mase"] == pytest.approx(dm.mase(actual, pred, insample, m=SEASON))
    assert mine["rmsse"] == pytest.approx(dm.rmsse(actual, pred, insample, m=SEASON))
    assert mine["smape"] * 100 == pytest.approx(dm.smape(actual, pred))
    # Darts' quantile loss is twice the pinball loss of one quantile
    quantiles = TimeSeries.from_times_and_values(
        actual.time_index, part.select("q10", "q50", "q90").to_numpy(), columns=["0_q0.100", "0_q0.500", "0_q0.900"])
    pinball = np.mean([dm.mql(actual, quantiles, q=q) / 2 for q in (0.1, 0.5, 0.9)])
    assert mine["pinball"] == pytest.approx(pinball)


def test_revenue_weighted_rmsse(scored):
    panel, cutoff, f, scores = scored
    board = summarise(scores, ["model"]).row(0, named=True)
    w = scores["revenue"].to_numpy()
    assert (w > 0).all()
    assert board["WRMSSE"] == pytest.approx((scores["rmsse"].to_numpy() * w).sum() / w.sum())
    # the weight is the sales value of the last horizon (14) periods before the cutoff
    hist = panel.demand.filter((pl.col("item_id") == "S1") & (pl.col("date") <= cutoff)).tail(14)
    expected = (hist["demand"] * hist["price"]).sum() if "price" in hist.columns else hist["demand"].sum()
    assert scores.filter(pl.col("item_id") == "S1")["revenue"][0] == pytest.approx(expected)
