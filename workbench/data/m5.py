"""The M5 competition layout as a demand panel (item x store, daily).

``sales_train_*.csv`` is wide (``id, item_id, dept_id, cat_id, store_id, state_id,
d_1 .. d_N``); ``calendar.csv`` maps ``d_k`` to dates, weeks (``wm_yr_wk``), events
and SNAP days per state; ``sell_prices.csv`` gives the price per store, item and
week. Price, events and the SNAP flag of the store's state are known-future
covariates; the M5 hierarchy (dept, cat, state) is static per item and store.

At full size (30,490 series x 1,941 days: 59 M rows) memory decides, so the panel is
compact: the keys are Enums (a 1- or 2-byte code per row instead of a string), demand and
price are Float32, the flags Int8 and dates ``pl.Date``. The files are read with
explicit types (no inference over 1,941 day columns), and the wide matrix is melted
series-major in blocks of series with numpy index arithmetic, each covariate a lookup
(calendar by day, price by series and week, SNAP by state and day), so that the long
table comes out sorted by series and date without a join, and the wide matrix is
dropped as soon as it is melted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from workbench.data.dates import parse_dates
from workbench.data.io import csv_header, read_csv_text, require_columns, require_numbers, resolve
from workbench.data.panel import DemandPanel, PanelError

ID_COLUMNS = ["id", "item_id", "dept_id", "cat_id", "store_id", "state_id"]
CALENDAR_COLUMNS = ["date", "wm_yr_wk", "d", "event_name_1", "event_name_2", "snap_CA", "snap_TX", "snap_WI"]
PRICE_COLUMNS = ["store_id", "item_id", "wm_yr_wk", "sell_price"]
STATES = ["CA", "TX", "WI"]
# daily unit sales of one item in one store (M5's largest is 763); a file with larger numbers
# or decimals is read again with a wider type (workbench.data.io.read_csv_text)
DAY_TYPE = pl.Int16
BLOCK = 2_048  # series melted at a time: bounds the index arrays to a few MB


def load_m5(cfg) -> DemandPanel:
    """The three M5 files of ``data.path`` as an item x store daily panel (see the module docstring)."""
    sales, calendar, prices, files, log = _read(cfg)
    if cfg.max_series is not None and cfg.max_series < sales.height:
        log.append({"step": "max_series", "action": "first rows", "series": cfg.max_series,
                    "rows": sales.height - cfg.max_series})
        sales = sales.head(cfg.max_series)
    calendar = _calendar(calendar, files["calendar"])
    sales = sales.sort(["item_id", "store_id"])
    day_cols, cal_row = _day_columns(sales, calendar, files["calendar"])
    series = sales.select(
        pl.col("item_id").cast(_enum(sales["item_id"])),
        pl.col("store_id").cast(_enum(sales["store_id"])).alias("store"),
        pl.col("dept_id").alias("dept"),
        pl.col("cat_id").alias("category"),
        pl.col("state_id").alias("state"),
    )
    weeks = np.unique(calendar["wm_yr_wk"].to_numpy())
    week_of_day = np.searchsorted(weeks, calendar["wm_yr_wk"].to_numpy()[cal_row])  # per day column
    price = _price_matrix(prices, series, weeks)[:, week_of_day]  # (series, day column)
    del prices
    n_series, n_days = price.shape
    launch = np.zeros(n_series, dtype=np.int64)
    if cfg.trim_before_launch:
        # a series starts at its first priced day (M5 records zero sales before a launch)
        has_price = ~np.isnan(price)
        priced = has_price.any(axis=1)
        launch = np.where(priced, has_price.argmax(axis=1), n_days)
        log.append({"step": "before_launch", "action": "trimmed", "rows": int(launch.sum()),
                    "series_never_priced": int((~priced).sum())})
        if not priced.any():
            raise PanelError(f"{files['prices']}: no (store_id, item_id) of the sales file has a price row")
    wide = _wide_matrix(sales, day_cols)
    del sales  # the wide frame: its numbers live on in ``wide`` until they are melted
    days = {
        "date": calendar["date"].to_physical().to_numpy()[cal_row],
        "event": calendar["event"].to_numpy()[cal_row],
    }
    snap = np.vstack([calendar[f"snap_{st}"].to_numpy()[cal_row] for st in STATES]
                     + [np.zeros(n_days, dtype=np.int8)])  # (state, day column); the last row: a state M5 does not know
    state = series["state"].replace_strict({st: k for k, st in enumerate(STATES)}, default=len(STATES),
                                           return_dtype=pl.Int64).to_numpy()
    long = pl.concat([
        _melt_block(wide, price, snap, state, series, days, launch, start, min(start + BLOCK, n_series))
        for start in range(0, n_series, BLOCK)
    ], rechunk=False)
    return DemandPanel(
        demand=long,
        static=series,
        keys=("item_id", "store"),
        frequency="1d",
        known_future=("price", "event", "snap"),
        name=cfg.name,
        log=tuple(log),
    )


def _enum(ids: pl.Series) -> pl.Enum:
    """The distinct ``ids`` in sorted order as an Enum: one code per row (UInt16 for M5's 3,049
    items, UInt8 for its 10 stores), and codes that sort and compare as the text does."""
    return pl.Enum(ids.drop_nulls().unique().sort().to_list())


def _read(cfg) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, Path], list[dict]]:
    """The sales, calendar and prices files with their columns checked, their paths, and a log
    entry per file of what reading repaired. The sales and prices files are read with their
    types given (text ids, Int16 day columns; categorical ids, Int32 weeks, Float32 prices)."""
    folder = resolve(cfg.path, "data.path")
    files = {k: Path(folder) / getattr(cfg, f"{k}_file") for k in ("sales", "calendar", "prices")}
    header = csv_header(files["sales"], "data.sales_file")
    types = {c: pl.String if c in ID_COLUMNS or not c.startswith("d_") else DAY_TYPE for c in header}
    sales, rep_sales = read_csv_text(files["sales"], "data.sales_file", schema_overrides=types, infer_schema_length=0)
    calendar, rep_cal = read_csv_text(files["calendar"], "data.calendar_file", schema_overrides={"d": pl.String})
    price_types = {"store_id": pl.Categorical, "item_id": pl.Categorical, "wm_yr_wk": pl.Int32, "sell_price": pl.Float32}
    prices, rep_prices = read_csv_text(files["prices"], "data.prices_file", schema_overrides=price_types,
                                       infer_schema_length=0)
    require_columns(sales, ID_COLUMNS, files["sales"], "data.sales_file")
    require_columns(calendar, CALENDAR_COLUMNS, files["calendar"], "data.calendar_file")
    require_columns(prices, PRICE_COLUMNS, files["prices"], "data.prices_file")
    require_numbers(prices, ["wm_yr_wk", "sell_price"], files["prices"])
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
        *[pl.col(f"snap_{st}").cast(pl.Int8) for st in STATES],
    )


def _day_columns(sales: pl.DataFrame, calendar: pl.DataFrame, path: Path) -> tuple[list[str], np.ndarray]:
    """The sales file's day columns in date order and the calendar row of each; a day the
    calendar does not know raises naming the first."""
    day_cols = [c for c in sales.columns if c.startswith("d_")]
    days = np.array([int(c[2:]) for c in day_cols], dtype=np.int64)
    cal_days = calendar["day"].to_numpy()
    position = np.full(max(int(days.max()), int(cal_days.max())) + 1, -1, dtype=np.int64)
    position[cal_days] = np.arange(cal_days.size)
    cal_row = position[days]
    if (cal_row < 0).any():
        first = days[cal_row < 0][0]
        raise PanelError(f"{path}: {(cal_row < 0).sum()} sales days have no row in the calendar (first: d_{first})")
    order = np.argsort(cal_row, kind="stable")  # series-major rows in date order: already sorted for validation
    return [day_cols[i] for i in order], cal_row[order]


def _price_matrix(prices: pl.DataFrame, series: pl.DataFrame, weeks: np.ndarray) -> np.ndarray:
    """(series, week) Float32 sell prices of the ``series`` (item, store) over ``weeks``; NaN
    where the item was not sold that week."""
    index = series.select(pl.col("item_id").cast(pl.Categorical),  # the prices file's type, to join on
                          pl.col("store").cast(pl.Categorical).alias("store_id")).with_row_index("_s")
    priced = prices.select("store_id", "item_id", "wm_yr_wk", "sell_price").join(
        index, on=["item_id", "store_id"], how="inner")
    price_mat = np.full((series.height, weeks.size), np.nan, dtype=np.float32)
    # the column of each price row's week: a lookup over the calendar's span of week numbers
    column = np.full(int(weeks[-1] - weeks[0]) + 2, -1, dtype=np.int64)  # the last slot: off the calendar
    column[weeks - weeks[0]] = np.arange(weeks.size)
    week = priced["wm_yr_wk"].to_numpy().astype(np.int64) - weeks[0]
    w = column[np.where((week >= 0) & (week < column.size - 1), week, column.size - 1)]
    ok = w >= 0
    price_mat[priced["_s"].to_numpy()[ok], w[ok]] = priced["sell_price"].to_numpy()[ok]
    return price_mat


def _wide_matrix(sales: pl.DataFrame, day_cols: list[str]) -> np.ndarray:
    """The (series, day column) unit sales as numbers: the file's integers as they are, Float32
    with NaN where a cell is empty or a number has decimals (missing demand is then counted
    and handled by validation, ``data.validation.missing_demand``)."""
    block = sales.select(day_cols)
    exact = all(dtype.is_integer() for dtype in block.schema.values()) and not any(block.null_count().row(0))
    if not exact:
        block = block.select(pl.all().cast(pl.Float32))
    return block.to_numpy(order="c")  # row-major: each series' days lie together, as they are melted


def _melt_block(wide: np.ndarray, price: np.ndarray, snap: np.ndarray, state: np.ndarray, series: pl.DataFrame,
                days: dict[str, np.ndarray], launch: np.ndarray, start: int, stop: int) -> pl.DataFrame:
    """The long rows of series ``start .. stop - 1`` from their launch on: series-major, in date
    order (a boolean mask over the block's (series, day) cells reads them in that order)."""
    keep = np.arange(wide.shape[1])[None, :] >= launch[start:stop, None]
    index = pl.Series(np.repeat(np.arange(start, stop, dtype=np.uint32), keep.sum(axis=1)))
    shape = keep.shape
    return pl.DataFrame({
        "item_id": series["item_id"].gather(index),
        "store": series["store"].gather(index),
        "date": pl.Series(np.broadcast_to(days["date"], shape)[keep], dtype=pl.Int32).cast(pl.Date),
        "demand": wide[start:stop][keep].astype(np.float32, copy=False),
        "price": pl.Series(price[start:stop][keep], nan_to_null=True),  # no price that week: missing
        "event": np.broadcast_to(days["event"], shape)[keep],
        "snap": snap[state[start:stop]][keep],
    })
