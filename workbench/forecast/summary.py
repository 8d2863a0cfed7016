"""The forecasting stage's tables and headline, as the ``02_forecast`` notebook shows and logs them.

Each function turns the backtest's results (forecasts, per-series scores, the leaderboard,
timings) into one polars frame a page shows or plots: the calibration of the quantiles, mean
MASE by series class, the largest series, the importance of the inputs, the training of the
deep models. :func:`headline` fills the stage's :data:`HEADLINE` from the leaderboard.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.forecast.metrics import summarise
from workbench.forecast.series import quantile_column
from workbench.headline import Headline, Logged, Metric
from workbench.report.axes import feature_label

# forecast.selection -> how a page names it
SELECTION_WORDS = {"pinball": "scaled pinball loss", "rmsse": "RMSSE", "wrmsse": "WRMSSE", "mase": "MASE",
                   "wape": "WAPE"}

HEADLINE = Headline("02_forecast", (
    Metric("best_model", "best model", "{}",
           "Best model: the lowest backtest score by forecast.selection (the scaled pinball loss unless set)."),
    Metric("best_mase", "MASE", "{:.3f}",
           "MASE: mean absolute scaled error (forecast error over the in-sample seasonal-naive error; below 1 beats it)."),
    Metric("best_wape", "WAPE", "{:.1%}",
           "WAPE: weighted absolute percentage error (absolute errors over total demand)."),
))

LEADERBOARD_COLUMNS = ("model", "MASE", "RMSSE", "WRMSSE", "WAPE", "sMAPE", "MAE", "RMSE", "pinball", "coverage",
                       "seconds", "fallbacks", "holdout_MASE", "holdout_WAPE", "holdout_pinball", "holdout_coverage")
LOGGED_SCORES = ("MASE", "WRMSSE", "WAPE", "pinball", "coverage", "seconds", "holdout_MASE", "holdout_WAPE",
                 "holdout_pinball")  # per model in metrics.json
CLASS_COLUMNS = ("abc", "xyz", "sbc_class")  # revenue, variability and intermittency classes


def leaderboard_table(board: pl.DataFrame) -> pl.DataFrame:
    """The leaderboard's columns a page shows, in reading order (backtest scores, cost, hold-out scores)."""
    return board.select(LEADERBOARD_COLUMNS)


def leading_models(board: pl.DataFrame, baseline: str, n: int) -> list[str]:
    """The ``n`` best models of the leaderboard and the baseline (``forecast.baseline``), each once."""
    return list(dict.fromkeys([*board["model"].head(n).to_list(), baseline]))


def calibration(forecasts: pl.DataFrame, panel: DemandPanel, quantiles: list[float],
                window: str = "backtest") -> pl.DataFrame:
    """The share of actuals below each forecast quantile, per model and quantile level.

    Demand is a count, so an actual equal to the quantile (often both zero) is neither above
    nor below it: ``below`` counts the actuals strictly below, ``at_or_below`` those at or
    below, and a calibrated model's ``level`` lies between the two. One row per ``model``
    and ``level``, over the forecasts of ``window``.
    """
    keys = list(panel.keys)
    with_actual = forecasts.filter(pl.col("window") == window).join(
        panel.demand.select([*keys, DATE, pl.col(DEMAND).alias("actual")]), on=[*keys, DATE])
    shares = [
        pl.struct(pl.lit(float(q)).alias("level"),
                  (pl.col("actual") < pl.col(quantile_column(q))).mean().alias("below"),
                  (pl.col("actual") <= pl.col(quantile_column(q))).mean().alias("at_or_below"))
        for q in sorted(quantiles)
    ]
    return (with_actual.group_by("model").agg(pl.concat_list(shares).alias("levels"))
            .explode("levels").unnest("levels").sort("model", "level"))


def backtest_by_class(scores: pl.DataFrame, classes: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The backtest's per-series scores with each series' ABC, XYZ and SBC class."""
    return scores.filter(pl.col("window") == "backtest").join(classes.select([*keys, *CLASS_COLUMNS]), on=keys)


def class_counts(classes: pl.DataFrame, cls: str) -> pl.DataFrame:
    """Series per class of column ``cls`` (``len``), in class order."""
    return classes.group_by(cls).len().sort(cls)


def class_mase(scores: pl.DataFrame, cls: str, rows: Literal["model", "class"] = "model") -> pl.DataFrame:
    """Mean MASE per model and class of column ``cls`` of :func:`backtest_by_class`'s frame:
    one row per model and a column per class (``rows="model"``), or the other way round."""
    by = summarise(scores, [cls, "model"])
    if rows == "model":
        return by.pivot(on=cls, index="model", values="MASE").sort("model")
    if rows == "class":
        return by.pivot(on="model", index=cls, values="MASE").sort(cls)
    raise ValueError(f"class_mase: rows must be 'model' or 'class', got {rows!r}")


def largest_series(classes: pl.DataFrame, n: int) -> pl.DataFrame:
    """The ``n`` series with the most revenue, largest first."""
    return classes.sort("revenue", descending=True).head(n)


def importance_table(frame: pl.DataFrame, horizon: int, multi_models: bool, n: int) -> pl.DataFrame:
    """The ``n`` most important inputs of one part of a model's ``explain()``: the input in words
    (see :func:`~workbench.report.axes.feature_label`), Darts' own name, and its ``share`` of
    the importance (or its selection ``weight``), largest first."""
    value = "share" if "share" in frame.columns else "weight"
    label = "feature" if "feature" in frame.columns else "variable"
    return frame.head(n).select(
        pl.col(label).map_elements(lambda f: feature_label(f, horizon, multi_models), return_dtype=pl.String)
        .alias("input"),
        pl.col(label).alias("Darts name"),
        pl.col(value),
    )


def training_table(timings: pl.DataFrame) -> pl.DataFrame:
    """Epochs and seconds per epoch of the torch models, per origin (no rows when none ran)."""
    return (timings.filter(pl.col("epochs") > 0)
            .select("model", "window", "cutoff", "epochs", "seconds_per_epoch", "seconds", "series")
            .sort("model", "cutoff"))


def headline(board: pl.DataFrame, baseline: str, timings: pl.DataFrame, selection: str = "pinball") -> Logged:
    """The stage's headline: the leaderboard's best model with its backtest MASE and WAPE; in the
    details its pinball loss, coverage and hold-out MASE, the baseline's MASE (``None`` when
    the baseline did not run), each model's scores and the torch models' mean seconds per epoch."""
    best = board.row(0, named=True)
    base = board.filter(pl.col("model") == baseline)
    deep = timings.filter(pl.col("epochs") > 0).group_by("model").agg(pl.col("seconds_per_epoch").mean())
    return HEADLINE.of(
        best_model=best["model"],
        selected_by=str(selection),
        best_mase=best["MASE"],
        best_wape=best["WAPE"],
        best_pinball=best["pinball"],
        best_coverage=best["coverage"],
        baseline_mase=base["MASE"][0] if base.height else None,
        holdout_mase=best["holdout_MASE"],
        models={r["model"]: {k: r[k] for k in LOGGED_SCORES} for r in board.iter_rows(named=True)},
        seconds_per_epoch={r["model"]: r["seconds_per_epoch"] for r in deep.iter_rows(named=True)},
    )
