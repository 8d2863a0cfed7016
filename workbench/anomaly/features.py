"""Stock and sales features of every series and period, from the past of each period.

Each feature gives one labelled anomaly type (:mod:`workbench.anomaly.types`) a signal; only
those the panel's columns support are made:

* ``sales_z``: recorded sales against the rolling median, in rolling MADs (spike, duplicate order);
* ``level_change``: the mean of the last few periods against the rolling median before them,
  in the same robust units (level shift; a returns wave lowers it too);
* ``stock_gap``: stock change that sales and receipts do not explain,
  ``stock[t] - (stock[t-1] + receipts[t] - sold[t])``, in units of typical sales: negative for
  shrinkage, positive for stock that came back without a receipt (returns);
* ``stock_drop``: the fall in stock beyond sales, as a share of the stock there was (the day
  before's and the day's receipts; shrinkage);
* ``ledger_gap``: recorded sales against the units the analytics feed saw sold: above it for a
  spike or a duplicated order, below it for sales net of returns;
* ``dry_run``: units the series would usually have sold during the current run of periods
  without a sale while the books show stock (phantom stock);
* ``price_jump``: ``|log(price / rolling median price)|`` (a price typo);
* ``frozen_run``: periods a recorded value has repeated exactly while it should move: stock on
  hand unchanged although sales happened and nothing was received, or the same non-zero sales
  figure again (a frozen feed).

Rolling statistics read the ``window`` periods before each period, closed periods (``closed`` =
1, a known, scheduled non-event) counting as missing values that take no part in any statistic.
Closed periods and the first open period after a closure of two periods or more (the re-opening
rush, as scheduled as the closure) are ``context``: never scored. Runs are capped at ``window`` periods, so the
features of a period depend on at most :func:`history_needed` periods before it: the daily
monitor computes the newest periods from that tail alone and gets the batch's numbers.

The rows also keep the values the incidents' evidence quotes (:data:`QUOTED`; the wording is
:data:`workbench.anomaly.incidents.SIGNALS`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from workbench.anomaly.base import AnomalyData
from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.data.schema import CLOSED

# the reasons an alert quotes, one per feature, formatted with the row's values
FEATURES = ("sales_z", "level_change", "stock_gap", "stock_drop", "ledger_gap", "dry_run", "price_jump", "frozen_run")
QUOTED = ("demand", "median", "recent", "gap", "drop", "purchases", "run", "stock", "price", "usual_price",
          "frozen_value")
CONTEXT = "context"


def short_window(window: int) -> int:
    """Periods of the recent mean that ``level_change`` compares with the usual level."""
    return max(window // 4, 2)


def min_periods(window: int) -> int:
    """Open periods a rolling statistic needs before a period is scored (half the window)."""
    return max(window // 2, 3)


def history_needed(window: int) -> int:
    """Periods before a period that its features read.

    The MAD is a rolling median of deviations from rolling medians (two windows back), the
    level change compares the last :func:`short_window` periods with the statistics before them,
    and a frozen run compares each period with the last open value up to ``window`` periods
    earlier. Features of the last ``k`` periods computed from the last ``history_needed + k``
    periods of each series equal the batch features.

    >>> history_needed(28)
    65
    """
    if window < 2:
        raise ValueError(f"anomaly.window={window}; expected at least 2 periods of rolling statistics")
    return 2 * window + short_window(window) + 2


def _run(flag: pl.Expr, is_open: pl.Expr, window: int) -> pl.Expr:
    """Periods since the last open period where ``flag`` did not hold, capped at ``window``; 0 where
    it does not hold. Closed periods neither break nor end a run."""
    pos = pl.int_range(pl.len())
    flag = flag.fill_null(False)  # a comparison with nothing before it does not hold
    last_break = pl.when(is_open & ~flag).then(pos).forward_fill()
    since = (pos - last_break).fill_null(pos + 1)
    return pl.when(flag & is_open).then(pl.min_horizontal(since, pl.lit(window))).otherwise(0).cast(pl.Float64)


def stock_sales_features(panel: DemandPanel, window: int = 28) -> pl.DataFrame:
    """One row per series and date: the keys, ``date``, the features the panel supports (in the
    order of :data:`FEATURES`), the quoted values and ``context``; features are null on rows
    that are not scored (context rows and the first periods of a series)."""
    history_needed(window)  # checks the window
    keys = list(panel.keys)
    cols = set(panel.demand.columns)
    has_stock, has_purchases, has_price = "stock_on_hand" in cols, "purchases" in cols, "price" in cols
    m, short = min_periods(window), short_window(window)

    def over(expr: pl.Expr) -> pl.Expr:
        return expr.over(keys)

    is_open = (pl.col(CLOSED) != 1).fill_null(True) if CLOSED in cols else pl.lit(True)
    y = pl.col(DEMAND)
    y_open = pl.when(pl.col("_open")).then(y)  # closed periods take no part in any statistic
    past = y_open.shift(1)
    df = panel.demand.sort([*keys, DATE]).with_columns(is_open.alias("_open"))
    df = df.with_columns(
        over(past.rolling_median(window, min_samples=m)).alias("median"),
        over(past.rolling_mean(window, min_samples=m)).alias("typical"),
        over(y_open.rolling_mean(short, min_samples=1)).alias("recent"),
    )
    df = df.with_columns(over((past - pl.col("median")).abs().rolling_median(window, min_samples=m)).alias("_mad"))
    robust_sd = 1.4826 * pl.col("_mad") + 0.5  # + half a unit: a series that never varies is not infinitely sure
    before = short - 1  # the statistics of the period before the recent window
    exprs = {
        "sales_z": (y - pl.col("median")) / robust_sd,
        "level_change": (pl.col("recent") - over(pl.col("median").shift(before))) / over(robust_sd.shift(before)),
    }
    if has_stock:
        stock = pl.col("stock_on_hand")
        sold = pl.col("purchases") if has_purchases else y
        receipts = pl.col("receipts") if "receipts" in cols else pl.lit(0.0)
        prev = over(stock.shift(1))
        df = df.with_columns(
            (stock - (prev + receipts - sold)).alias("gap"),
            (prev + receipts).alias("_prev_stock"),  # the stock there was to lose: yesterday's and today's receipts
            stock.alias("stock"),
            over(_run((y == 0) & (stock > 0), pl.col("_open"), window)).alias("run"),
            over(_run((stock == stock.shift(1)) & (sold > 0) & (receipts == 0), pl.col("_open"), window))
            .alias("_frozen_stock"),
        ).with_columns((100 * (-pl.col("gap")).clip(lower_bound=0.0) / (pl.col("_prev_stock") + 1.0)).alias("drop"))
        exprs |= {
            "stock_gap": pl.col("gap") / (pl.col("typical") + 1.0),
            "stock_drop": pl.col("drop") / 100,
            "dry_run": pl.col("run") * pl.col("typical"),
        }
    if has_purchases:
        exprs["ledger_gap"] = (y - pl.col("purchases")) / (pl.col("purchases").abs() + 1.0)
    if has_price:
        price = pl.col("price")
        past_price = pl.when(pl.col("_open") & (price > 0)).then(price).shift(1)
        df = df.with_columns(over(past_price.rolling_median(window, min_samples=m)).alias("usual_price"))
        exprs["price_jump"] = (pl.when(price > 0).then(price).log() - pl.col("usual_price").log()).abs()
    # the same non-zero sales figure as the last open period (within the window)
    prev_sales = over(y_open.shift(1).forward_fill(limit=window))
    df = df.with_columns(over(_run((y == prev_sales) & (y != 0), pl.col("_open"), window)).alias("_frozen_sales"))
    frozen = [pl.col("_frozen_sales")] + ([pl.col("_frozen_stock")] if has_stock else [])
    df = df.with_columns(pl.max_horizontal(frozen).alias("frozen_run"))
    frozen_value = y
    if has_stock:
        frozen_value = pl.when(pl.col("_frozen_stock") > pl.col("_frozen_sales")).then(pl.col("stock_on_hand")).otherwise(y)
    df = df.with_columns(frozen_value.alias("frozen_value"))
    exprs["frozen_run"] = pl.col("frozen_run")

    feats = [f for f in FEATURES if f in exprs]
    # context: closed, or the first open period after a closure of two periods or more (the re-opening
    # rush after a holiday or a refit is as scheduled as the closure; a store shut every Sunday
    # re-opens to an ordinary Monday); scored: not context, with a full warm-up behind it
    shut = ~pl.col("_open")
    reopening = pl.col("_open") & (shut.shift(1) & shut.shift(2)).over(keys).fill_null(False)
    df = df.with_columns((~pl.col("_open") | reopening).alias(CONTEXT))
    scored = ~pl.col(CONTEXT) & pl.col("median").is_not_null() & pl.col("_mad").is_not_null()
    df = df.with_columns(
        pl.when(scored).then(exprs[f].cast(pl.Float64).fill_nan(None).fill_null(0.0)).alias(f) for f in feats
    ).with_columns(
        # a non-finite feature (a zero price) is no evidence either way
        pl.when(pl.col(f).is_infinite()).then(0.0).otherwise(pl.col(f)).alias(f) for f in feats
    )
    quoted = [c for c in QUOTED if c in df.columns and c not in feats]
    return df.select([*keys, DATE, *feats, *quoted, CONTEXT])


def feature_names(rows: pl.DataFrame) -> list[str]:
    """The feature columns of ``rows``, in the order of :data:`FEATURES`."""
    return [f for f in FEATURES if f in rows.columns]


def anomaly_data(panel: DemandPanel, cfg, start: date | None = None) -> AnomalyData:
    """The rows, features and raw (unscaled) feature matrix of ``panel`` for the detectors.

    ``cfg`` is the :class:`~workbench.config.AnomalyConfig` (``window``); ``start`` the first date
    to score (``None``: all). The matrix is NaN on rows that are not scored; the detector set
    robust-scales it once (:class:`workbench.anomaly.detector_set.DetectorSet`).
    """
    rows = stock_sales_features(panel, cfg.window)
    features = feature_names(rows)
    X = rows.select(features).to_numpy().astype(np.float64)
    return AnomalyData(rows=rows, features=features, X=X, keys=list(panel.keys), panel=panel, start=start)


def scored_rows(data: AnomalyData, from_start: bool = True) -> np.ndarray:
    """Rows a feature detector scores: not context, every feature known, from ``data.start`` on
    (``from_start``; else from the first period)."""
    mask = ~data.rows.get_column(CONTEXT).to_numpy() & np.isfinite(data.X).all(axis=1)
    return mask & after_start(data) if from_start else mask


def after_start(data: AnomalyData) -> np.ndarray:
    """Rows on or after ``data.start`` (every row where it is ``None``)."""
    if data.start is None:
        return np.ones(data.rows.height, dtype=bool)
    return (data.rows.get_column(DATE) >= data.start).to_numpy()
