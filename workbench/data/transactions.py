"""Raw transaction logs (one row per order line) as a daily demand panel.

The shape of a shop's own export, such as the UCI Online Retail or Olist order-items
files: an order (invoice) id, an item, a quantity, a timestamp and a unit price,
optionally a customer and a channel (or country). Lines are aggregated to demand
per item (and channel) and day, with the day's median unit price, number of orders
and distinct customers as covariates. Cancellations (order ids with a configured
prefix) and negative quantities (returns) are dropped or netted against the day's
demand, as ``data.returns`` says; either way they are counted in the panel log.
"""

from __future__ import annotations

import polars as pl

from workbench.data.dates import parse_dates_logged
from workbench.data.io import require_columns, require_numbers, require_values
from workbench.data.loaders import read_table
from workbench.data.panel import DemandPanel, PanelError
from workbench.data.validation import period_grid

REQUIRED = ("order_id", "item_id", "quantity", "timestamp", "unit_price")


def load_transactions(cfg) -> DemandPanel:
    """An order-line export (``data.path``) as a panel of units sold per item (and channel)
    and period: returns per ``data.returns``, lines without a positive price dropped."""
    lines, log = _read_lines(cfg)
    lines = _returns(lines, cfg, log)
    return _panel(lines, cfg, log)


def _read_lines(cfg) -> tuple[pl.DataFrame, list[dict]]:
    """The order lines under their canonical names, typed, each with the period it falls in,
    and the log of what reading repaired and which date format it found."""
    mapping = dict(cfg.columns)
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        raise PanelError(f"data.columns has no entry for {missing[0]!r}; expected {missing[0]}: <column name>")
    raw, repairs = read_table(cfg.path, encoding=cfg.encoding,
                              schema_overrides={mapping["order_id"]: pl.String, mapping["item_id"]: pl.String})
    extra = {"customer": cfg.customer_column, "channel": cfg.channel_column}
    wanted = {**mapping, **{k: v for k, v in extra.items() if v}}
    for canonical, column in wanted.items():
        setting = f"data.columns.{canonical}" if canonical in mapping else f"data.{canonical}_column"
        require_columns(raw, [column], cfg.path, setting)
    lines = raw.select([pl.col(src).alias(canon) for canon, src in wanted.items()])
    require_numbers(lines, ["quantity", "unit_price"], cfg.path,
                    {c: f"{wanted[c]!r} (data.columns.{c})" for c in ("quantity", "unit_price")})
    require_values(lines, ["item_id", "order_id", "timestamp", "quantity"], cfg.path,
                   {c: wanted[c] for c in ("item_id", "order_id", "timestamp", "quantity")})
    lines, dates = parse_dates_logged(lines, "timestamp", cfg.date_format, cfg.path, datetime=True,
                                      name=wanted["timestamp"], setting="data.columns.timestamp")
    lines = lines.with_columns(
        pl.col("item_id").cast(pl.String).str.strip_chars(),
        pl.col("order_id").cast(pl.String),
        pl.col("quantity").cast(pl.Float64),
        pl.col("unit_price").cast(pl.Float64),
        # the period a line falls in (a day, or the Monday of its week for data.frequency=1w)
        pl.col("timestamp").dt.truncate(cfg.frequency).dt.date().alias("date"),
    )
    log = [{"step": "read", "lines": lines.height, **repairs}, *([dates] if dates else [])]
    return lines, log


def _returns(lines: pl.DataFrame, cfg, log: list[dict]) -> pl.DataFrame:
    """Cancellations (``data.cancellation_prefix``) and negative lines dropped or netted
    (``data.returns``), then lines without a positive price dropped; each logged."""
    cancelled = pl.col("order_id").str.starts_with(cfg.cancellation_prefix) if cfg.cancellation_prefix else pl.lit(False)
    negative = pl.col("quantity") < 0
    counts = lines.select(cancelled.sum().alias("cancelled"), negative.sum().alias("negative"),
                          (cancelled | negative).sum().alias("either"),
                          pl.col("quantity").filter(cancelled | negative).sum().alias("units")).row(0, named=True)
    if cfg.returns == "drop":
        lines = lines.filter(~(cancelled | negative))
    else:  # net: a cancellation line carries a negative quantity in such exports; make sure it does
        lines = lines.with_columns(pl.when(cancelled).then(-pl.col("quantity").abs()).otherwise(pl.col("quantity")).alias("quantity"))
    log.append({"step": "returns", "action": str(cfg.returns), "cancelled_lines": counts["cancelled"],
                "negative_lines": counts["negative"], "rows": counts["either"], "units": float(counts["units"] or 0.0)})
    bad_price = lines.filter((pl.col("unit_price") <= 0) | pl.col("unit_price").is_null())
    if bad_price.height:
        lines = lines.filter(pl.col("unit_price") > 0)
        log.append({"step": "non_positive_price", "action": "drop", "rows": bad_price.height})
    return lines


def _panel(lines: pl.DataFrame, cfg, log: list[dict]) -> DemandPanel:
    """Lines summed per item (and channel) and period, every period from an item's first sale
    to the end of the export; the median selling price, orders and customers per period."""
    keys = ["item_id", "channel"] if cfg.channel_column else ["item_id"]
    if cfg.channel_column:
        lines = lines.with_columns(pl.col("channel").cast(pl.String))
    sale = pl.col("quantity") > 0
    daily = lines.group_by([*keys, "date"]).agg(
        pl.col("quantity").sum().alias("demand"),
        pl.col("unit_price").filter(sale).median().alias("price"),
        pl.col("order_id").filter(sale).n_unique().alias("orders"),
        *([pl.col("customer").filter(sale).drop_nulls().n_unique().alias("customers")] if cfg.customer_column else []),
    )
    # every period from an item's first sale to the end of the export: periods without an
    # order line sold nothing
    grid = period_grid(daily, keys, "date", cfg.frequency, end=daily["date"].max())
    panel_df = grid.join(daily, on=[*keys, "date"], how="left")
    n_empty = panel_df["demand"].null_count()
    past = ["orders", *(["customers"] if cfg.customer_column else [])]
    panel_df = panel_df.with_columns(
        pl.col("demand").fill_null(0.0),
        *[pl.col(c).fill_null(0).cast(pl.Float64) for c in past],
    ).sort([*keys, "date"])
    n_price = panel_df["price"].null_count()
    # the price on a day without sales is the last price seen (the first for leading days)
    panel_df = panel_df.with_columns(pl.col("price").forward_fill().backward_fill().over(keys))
    log.append({"step": "days_without_orders", "action": "zero demand", "rows": n_empty, "price_filled": n_price})
    static = panel_df.select(pl.col("item_id")).unique().sort("item_id")
    return DemandPanel(
        demand=panel_df,
        static=static,
        keys=tuple(keys),
        frequency=cfg.frequency,
        known_future=("price",),
        past_covariates=tuple(past),
        name=cfg.name,
        log=tuple(log),
    )
