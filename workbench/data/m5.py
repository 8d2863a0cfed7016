"""The M5 competition layout as a demand panel (item x store, daily).

``sales_train_*.csv`` is wide (``id, item_id, dept_id, cat_id, store_id, state_id,
d_1 .. d_N``); ``calendar.csv`` maps ``d_k`` to dates, weeks (``wm_yr_wk``), events
and SNAP days per state; ``sell_prices.csv`` gives the price per store, item and
week. The wide matrix is melted with polars (series-major, with numpy) so
that the full 30,490 x 1,941 file loads in well under a minute. Price, events and
the SNAP flag of the store's state are known-future covariates; the M5 hierarchy
(dept, cat, state) is static per item and store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from workbench.data.dates import parse_dates
from workbench.data.io import read_csv_text, require_columns, resolve
from workbench.data.panel import DemandPanel, PanelError

ID_COLUMNS = ["id", "item_id", "dept_id", "cat_id", "store_id", "state_id"]
CALENDAR_COLUMNS = ["date", "wm_yr_wk", "d", "event_name_1", "event_name_2", "snap_CA", "snap_TX", "snap_WI"]


def load_m5(cfg) -> DemandPanel:
    """The three M5 files of ``data.path`` as an item x store daily panel (see the module docstring)."""
    sales, calendar, prices, files, log = _read(cfg)
    day_cols = [c for c in sales.columns if c.startswith("d_")]
    if cfg.max_series is not None and cfg.max_series < sales.height:
        log.append({"step": "max_series", "action": "first rows", "series": cfg.max_series,
                    "rows": sales.height - cfg.max_series})
        sales = sales.head(cfg.max_series)
    calendar = _calendar(calendar, files["calendar"])
    # melt the wide matrix series-major with numpy index arithmetic: every covariate is a
    # lookup (calendar by day, price by series and week, SNAP by state and day), so the
    # long table is built once, already sorted by series and date, without a join
    sales = sales.sort(["item_id", "store_id"])
    days = np.array([int(c[2:]) for c in day_cols], dtype=np.int64)
    cal_days = calendar["day"].to_numpy()
    position = np.full(max(int(days.max()), int(cal_days.max())) + 1, -1, dtype=np.int64)
    position[cal_days] = np.arange(cal_days.size)
    col_pos = position[days]  # calendar row of each day column
    if (col_pos < 0).any():
        first = days[col_pos < 0][0]
        raise PanelError(f"{files['calendar']}: {(col_pos < 0).sum()} sales days have no row in the calendar (first: d_{first})")
    ids = sales.select("item_id", "store_id", "state_id")
    n_series, n_days = sales.height, days.size
    weeks = np.unique(calendar["wm_yr_wk"].to_numpy())
    week_of_row = np.searchsorted(weeks, calendar["wm_yr_wk"].to_numpy())
    price_mat = _price_matrix(prices, ids, weeks)
    series = np.repeat(np.arange(n_series, dtype=np.int32), n_days)
    column = np.tile(np.arange(n_days, dtype=np.int32), n_series)
    if cfg.trim_before_launch:
        # a series starts at its first priced day (M5 records zero sales before a launch)
        has_price = ~np.isnan(price_mat[:, week_of_row[col_pos]])  # (series, day columns)
        launch = np.where(has_price.any(axis=1), has_price.argmax(axis=1), n_days)
        keep = column >= launch[series]
        never = int((~has_price.any(axis=1)).sum())
        log.append({"step": "before_launch", "action": "trimmed", "rows": int((~keep).sum()),
                    "series_never_priced": never})
        if never == n_series:
            raise PanelError(f"{files['prices']}: no (store_id, item_id) of the sales file has a price row")
        series, column = series[keep], column[keep]
    row = col_pos[column]
    long = pl.DataFrame({
        "item_id": ids["item_id"].gather(series),
        "store": ids["store_id"].gather(series),
        "date": calendar["date"].gather(row),
        "demand": sales.select(day_cols).to_numpy()[series, column].astype(np.float64),
        "price": price_mat[series, week_of_row[row]],
        "event": calendar["event"].to_numpy()[row],
        "snap": _snap(calendar, ids["state_id"], series, row),
    }).with_columns(pl.col("price").fill_nan(None))
    static = sales.select(
        "item_id",
        pl.col("store_id").alias("store"),
        pl.col("dept_id").alias("dept"),
        pl.col("cat_id").alias("category"),
        pl.col("state_id").alias("state"),
    )
    return DemandPanel(
        demand=long,
        static=static,
        keys=("item_id", "store"),
        frequency="1d",
        known_future=("price", "event", "snap"),
        name=cfg.name,
        log=tuple(log),
    )


def _read(cfg) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, Path], list[dict]]:
    """The sales, calendar and prices files with their columns checked, their paths, and a log
    entry per file of what reading repaired."""
    folder = resolve(cfg.path, "data.path")
    files = {k: Path(folder) / getattr(cfg, f"{k}_file") for k in ("sales", "calendar", "prices")}
    overrides = {c: pl.String for c in ID_COLUMNS}
    sales, rep_sales = read_csv_text(files["sales"], "data.sales_file", schema_overrides=overrides)
    calendar, rep_cal = read_csv_text(files["calendar"], "data.calendar_file", schema_overrides={"d": pl.String})
    prices, rep_prices = read_csv_text(files["prices"], "data.prices_file",
                                       schema_overrides={"store_id": pl.String, "item_id": pl.String})
    require_columns(sales, ID_COLUMNS, files["sales"], "data.sales_file")
    require_columns(calendar, CALENDAR_COLUMNS, files["calendar"], "data.calendar_file")
    require_columns(prices, ["store_id", "item_id", "wm_yr_wk", "sell_price"], files["prices"], "data.prices_file")
    day_cols = [c for c in sales.columns if c.startswith("d_")]
    if not day_cols:
        raise PanelError(f"{files['sales']}: no day columns d_1 .. d_N; columns start {sales.columns[:8]}")
    schema = sales.schema
    bad = [c for c in day_cols if not schema[c].is_numeric()]
    if bad:
        raise PanelError(f"{files['sales']}: day column {bad[0]!r} is {schema[bad[0]]}; expected unit sales")
    return sales, calendar, prices, files, [{"step": "read", **rep} for rep in (rep_sales, rep_cal, rep_prices)]


def _calendar(calendar: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Day number, date, week, an event flag (either event name) and the SNAP flag per state."""
    return parse_dates(calendar, "date", "%Y-%m-%d", path).select(
        pl.col("d").str.strip_prefix("d_").cast(pl.Int32).alias("day"),
        "date",
        "wm_yr_wk",
        (pl.col("event_name_1").is_not_null() | pl.col("event_name_2").is_not_null()).cast(pl.Int8).alias("event"),
        pl.col("snap_CA").cast(pl.Int8), pl.col("snap_TX").cast(pl.Int8), pl.col("snap_WI").cast(pl.Int8),
    )


def _price_matrix(prices: pl.DataFrame, ids: pl.DataFrame, weeks: np.ndarray) -> np.ndarray:
    """(series, week) sell prices of the series ``ids`` (item, store) over ``weeks``; NaN where
    the item was not sold that week."""
    priced = (
        prices.select("store_id", "item_id", "wm_yr_wk", pl.col("sell_price").cast(pl.Float64))
        .join(ids.with_row_index("_s").select("_s", "item_id", "store_id"), on=["item_id", "store_id"], how="inner")
    )
    price_mat = np.full((ids.height, weeks.size), np.nan)
    w = np.searchsorted(weeks, priced["wm_yr_wk"].to_numpy())
    ok = (w < weeks.size) & (weeks[np.minimum(w, weeks.size - 1)] == priced["wm_yr_wk"].to_numpy())
    price_mat[priced["_s"].to_numpy()[ok], w[ok]] = priced["sell_price"].to_numpy()[ok]
    return price_mat


def _snap(calendar: pl.DataFrame, state_id: pl.Series, series: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The SNAP flag of each long row: of its series' state (``state_id``) on its calendar
    ``row``; 0 for a state M5 does not know."""
    state_names = ["CA", "TX", "WI"]
    snap = np.stack([calendar[f"snap_{st}"].to_numpy() for st in state_names])  # (state, calendar row)
    state = pl.Series(state_id).replace_strict({st: k for k, st in enumerate(state_names)}, default=-1,
                                               return_dtype=pl.Int64).to_numpy()
    series_state = state[series]
    return np.where(series_state >= 0, snap[np.maximum(series_state, 0), row], 0).astype(np.int8)
