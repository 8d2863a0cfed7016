"""The forecasting stage's tables and headline, on small frames worked out by hand."""

from datetime import date

import polars as pl
import pytest

from workbench.data.panel import DemandPanel
from workbench.forecast import HEADLINE, headline
from workbench.forecast.summary import (
    LEADERBOARD_COLUMNS,
    backtest_by_class,
    calibration,
    class_counts,
    class_mase,
    importance_table,
    largest_series,
    leaderboard_table,
    leading_models,
    training_table,
)

D1, D2, D3, D4 = (date(2024, 1, d) for d in (1, 2, 3, 4))


def small_panel() -> DemandPanel:
    demand = pl.DataFrame({
        "item_id": ["A"] * 4 + ["B"] * 4,
        "date": [D1, D2, D3, D4] * 2,
        "demand": [0.0, 2.0, 4.0, 6.0, 10.0, 0.0, 10.0, 0.0],
        "price": [1.0] * 4 + [3.0] * 4,
    })
    return DemandPanel(demand=demand, static=pl.DataFrame({"item_id": ["A", "B"]}))


def board() -> pl.DataFrame:
    return pl.DataFrame({
        "model": ["lightgbm", "auto_ets", "seasonal_naive"],
        "MASE": [0.6, 0.8, 1.0], "RMSSE": [0.7, 0.9, 1.1], "WRMSSE": [0.65, 0.85, 1.05],
        "WAPE": [0.3, 0.4, 0.5], "sMAPE": [0.5, 0.6, 0.7], "MAE": [1.0, 2.0, 3.0], "RMSE": [1.5, 2.5, 3.5],
        "pinball": [0.2, 0.25, 0.3], "coverage": [0.85, 0.9, 0.8], "seconds": [2.0, 1.0, 0.5],
        "fallbacks": [0, 1, 0], "n_series": [2, 2, 2], "n_unscaled": [0, 0, 0],
        "holdout_MASE": [0.65, 0.75, 1.1], "holdout_WAPE": [0.31, 0.41, 0.51],
        "holdout_pinball": [0.21, 0.26, 0.31], "holdout_coverage": [0.8, 0.9, 0.7],
    })


def timings() -> pl.DataFrame:
    return pl.DataFrame({
        "model": ["tft", "tft", "lightgbm"], "window": ["holdout", "backtest", "backtest"],
        "cutoff": [D3, D2, D2], "epochs": [4, 2, 0], "seconds_per_epoch": [1.5, 2.5, None],
        "seconds": [6.0, 5.0, 2.0], "series": [2, 2, 2], "fallbacks": [0, 0, 0],
    })


def test_leaderboard_table_keeps_the_shown_columns_in_order():
    assert leaderboard_table(board()).columns == list(LEADERBOARD_COLUMNS)


def test_leading_models_adds_the_baseline_once():
    assert leading_models(board(), "seasonal_naive", 1) == ["lightgbm", "seasonal_naive"]
    assert leading_models(board(), "lightgbm", 1) == ["lightgbm"]
    assert leading_models(board(), "auto_ets", 2) == ["lightgbm", "auto_ets"]


def test_calibration_counts_ties_in_the_at_or_below_share():
    panel = small_panel()
    forecasts = pl.DataFrame({
        "item_id": ["A", "A", "B", "B", "A"], "date": [D3, D4, D3, D4, D3],
        "model": ["m"] * 4 + ["m"], "window": ["backtest"] * 4 + ["holdout"],
        "q10": [4.0, 1.0, 12.0, 0.0, 99.0], "q90": [8.0, 6.0, 10.0, 3.0, 99.0],
    })
    got = calibration(forecasts, panel, [0.9, 0.1])
    # actuals 4, 6, 10, 0; q10 4, 1, 12, 0: below only 10 < 12; at or below also 4 <= 4 and 0 <= 0
    # q90 8, 6, 10, 3: below 4 < 8 and 0 < 3; at or below all four
    assert got.to_dicts() == [
        {"model": "m", "level": 0.1, "below": 0.25, "at_or_below": 0.75},
        {"model": "m", "level": 0.9, "below": 0.5, "at_or_below": 1.0},
    ]


def scores() -> pl.DataFrame:
    """Per-series scores as ``per_series_scores`` gives them, for two models and two series."""
    return pl.DataFrame({
        "item_id": ["A", "B", "A", "B", "A"], "model": ["m1", "m1", "m2", "m2", "m1"],
        "window": ["backtest"] * 4 + ["holdout"],
        "mase": [0.5, 1.5, 1.0, 3.0, 9.0], "rmsse": [1.0] * 5, "revenue": [1.0] * 5, "abs_error": [1.0] * 5,
        "volume": [2.0] * 5, "smape": [0.1] * 5, "scaled_pinball": [0.2] * 5, "coverage": [1.0] * 5,
        "mae": [1.0] * 5, "mse": [1.0] * 5,
    })


def classes() -> pl.DataFrame:
    return pl.DataFrame({"item_id": ["A", "B"], "revenue": [12.0, 60.0], "abc": ["B", "A"],
                         "xyz": ["Y", "Z"], "sbc_class": ["smooth", "lumpy"]})


def test_mase_by_class_either_way_round():
    by_class = backtest_by_class(scores(), classes(), ["item_id"])
    assert by_class.height == 4 and set(by_class["abc"]) == {"A", "B"}
    assert class_mase(by_class, "abc").to_dicts() == [{"model": "m1", "B": 0.5, "A": 1.5},
                                                       {"model": "m2", "B": 1.0, "A": 3.0}]
    assert class_mase(by_class, "sbc_class", rows="class").sort("sbc_class").to_dicts() == [
        {"sbc_class": "lumpy", "m1": 1.5, "m2": 3.0}, {"sbc_class": "smooth", "m1": 0.5, "m2": 1.0}]
    with pytest.raises(ValueError, match="rows must be 'model' or 'class'"):
        class_mase(by_class, "abc", rows="item")


def test_class_counts_and_largest_series():
    assert class_counts(classes(), "abc").to_dicts() == [{"abc": "A", "len": 1}, {"abc": "B", "len": 1}]
    assert largest_series(classes(), 1)["item_id"].to_list() == ["B"]


def test_importance_table_names_inputs_in_words():
    frame = pl.DataFrame({"feature": ["price_futcov_lag27", "demand_target_lag-7", "views_pastcov_lag-1"],
                          "importance": [6.0, 3.0, 1.0], "share": [0.6, 0.3, 0.1]})
    got = importance_table(frame, horizon=28, multi_models=False, n=2)
    assert got.to_dicts() == [
        {"input": "price, same period (known future)", "Darts name": "price_futcov_lag27", "share": 0.6},
        {"input": "demand, 34 periods back", "Darts name": "demand_target_lag-7", "share": 0.3},
    ]
    weights = pl.DataFrame({"variable": ["price_futcov"], "weight": [1.0]})
    assert importance_table(weights, 28, False, 10).columns == ["input", "Darts name", "weight"]


def test_training_table_keeps_the_torch_models_by_origin():
    got = training_table(timings())
    assert got.columns == ["model", "window", "cutoff", "epochs", "seconds_per_epoch", "seconds", "series"]
    assert got["cutoff"].to_list() == [D2, D3] and got["epochs"].to_list() == [2, 4]
    assert training_table(timings().filter(pl.col("epochs") == 0)).height == 0


def test_headline_shows_the_best_model_and_logs_the_details():
    logged = headline(board(), "seasonal_naive", timings())
    assert logged.headline is HEADLINE and logged.stage == "02_forecast"
    assert [m.key for m in HEADLINE.metrics] == ["best_model", "best_mase", "best_wape"]
    v = logged.values
    assert list(v) == ["best_model", "selected_by", "best_mase", "best_wape", "best_pinball", "best_coverage",
                       "baseline_mase", "holdout_mase", "models", "seconds_per_epoch"]
    assert v["selected_by"] == "pinball"
    assert (v["best_model"], v["best_mase"], v["best_wape"]) == ("lightgbm", 0.6, 0.3)
    assert (v["best_pinball"], v["best_coverage"], v["baseline_mase"], v["holdout_mase"]) == (0.2, 0.85, 1.0, 0.65)
    assert v["models"]["auto_ets"] == {"MASE": 0.8, "WRMSSE": 0.85, "WAPE": 0.4, "pinball": 0.25, "coverage": 0.9,
                                       "seconds": 1.0, "holdout_MASE": 0.75, "holdout_WAPE": 0.41,
                                       "holdout_pinball": 0.26}
    assert v["seconds_per_epoch"] == {"tft": 2.0}


def test_headline_without_the_baseline_has_no_baseline_mase():
    logged = headline(board(), "moving_average", timings().filter(pl.col("epochs") == 0))
    assert logged.values["baseline_mase"] is None
    assert logged.values["seconds_per_epoch"] == {}
