"""The M5 competition layout as a demand panel (item x store, daily).

``sales_train_*.csv`` is wide (``id, item_id, dept_id, cat_id, store_id, state_id,
d_1 .. d_N``); ``calendar.csv`` maps ``d_k`` to dates, weeks (``wm_yr_wk``), events
and SNAP days per state; ``sell_prices.csv`` gives the price per store, item and
week. The wide matrix is melted with polars (lazily, day index as an integer) so
that the full 30,490 x 1,941 file loads in well under a minute. Price, events and
the SNAP flag of the store's state are known-future covariates; the M5 hierarchy
(dept, cat, state) is static per item and store.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.data.io import parse_dates, read_csv_text, require_columns, resolve
from workbench.data.loaders import register_loader
from workbench.data.panel import DemandPanel, PanelError

ID_COLUMNS = ["id", "item_id", "dept_id", "cat_id", "store_id", "state_id"]
CALENDAR_COLUMNS = ["date", "wm_yr_wk", "d", "event_name_1", "event_name_2", "snap_CA", "snap_TX", "snap_WI"]


@register_loader("m5")
def load_m5(cfg) -> DemandPanel:
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
    bad = [c for c in day_cols if not sales.schema[c].is_integer() and not sales.schema[c].is_float()]
    if bad:
        raise PanelError(f"{files['sales']}: day column {bad[0]!r} is {sales.schema[bad[0]]}; expected unit sales")
    log = [{"step": "read", **rep} for rep in (rep_sales, rep_cal, rep_prices)]
    if cfg.max_series is not None and cfg.max_series < sales.height:
        log.append({"step": "max_series", "action": "first rows", "series": cfg.max_series,
                    "rows": sales.height - cfg.max_series})
        sales = sales.head(cfg.max_series)

    calendar = parse_dates(calendar, "date", "%Y-%m-%d", files["calendar"]).select(
        pl.col("d").str.strip_prefix("d_").cast(pl.Int32).alias("day"),
        "date",
        "wm_yr_wk",
        (pl.col("event_name_1").is_not_null() | pl.col("event_name_2").is_not_null()).cast(pl.Int8).alias("event"),
        pl.col("snap_CA").cast(pl.Int8), pl.col("snap_TX").cast(pl.Int8), pl.col("snap_WI").cast(pl.Int8),
    )
    long = (
        sales.lazy()
        .select(["item_id", "store_id", "state_id", *day_cols])
        .unpivot(index=["item_id", "store_id", "state_id"], on=day_cols, variable_name="d", value_name="demand")
        .with_columns(pl.col("d").str.strip_prefix("d_").cast(pl.Int32).alias("day"), pl.col("demand").cast(pl.Float64))
        .drop("d")
        .join(calendar.lazy(), on="day", how="left")
        .join(prices.lazy().select("store_id", "item_id", "wm_yr_wk", pl.col("sell_price").cast(pl.Float64)),
              on=["store_id", "item_id", "wm_yr_wk"], how="left")
        .select(
            "item_id",
            pl.col("store_id").alias("store"),
            "date",
            "demand",
            pl.col("sell_price").alias("price"),
            "event",
            pl.when(pl.col("state_id") == "CA").then(pl.col("snap_CA"))
            .when(pl.col("state_id") == "TX").then(pl.col("snap_TX"))
            .when(pl.col("state_id") == "WI").then(pl.col("snap_WI"))
            .otherwise(0).cast(pl.Int8).alias("snap"),
        )
        .collect()
    )
    missing_dates = long["date"].null_count()
    if missing_dates:
        raise PanelError(f"{files['calendar']}: {missing_dates} sales days have no row in the calendar (column 'd')")
    if cfg.trim_before_launch:
        launched = pl.col("price").is_not_null().cum_max().over(["item_id", "store"], order_by="date")
        before = long.height
        long = long.filter(launched)
        log.append({"step": "before_launch", "action": "trimmed", "rows": before - long.height})
    static = sales.select(
        "item_id",
        pl.col("store_id").alias("store"),
        pl.col("dept_id").alias("dept"),
        pl.col("cat_id").alias("category"),
        pl.col("state_id").alias("state"),
    )
    panel = DemandPanel(
        demand=long,
        static=static,
        keys=("item_id", "store"),
        frequency="1d",
        known_future=("price", "event", "snap"),
        name=cfg.name,
    )
    for entry in log:
        panel = panel.with_log(**entry)
    return panel
