"""Raw transaction logs (one row per order line) as a daily demand panel.

The shape of a shop's own export, such as the UCI Online Retail or Olist order-items
files: an order (invoice) id, an item, a quantity, a timestamp and a unit price,
optionally a customer and a channel (or country). Lines are aggregated to demand
per item (and channel) and day, with the day's median unit price, number of orders
and distinct customers as covariates. Cancellations (order ids with a configured
prefix) and negative quantities (returns) are dropped or netted against the day's
demand, as ``data.returns`` says; either way they are counted in the panel log.

Exports as shops write them are read as they are: the orders in a second file joined on
the order id (``data.orders_path``, ``data.orders_key``), one unit per line where there is
no quantity column (``data.units_per_line``), cancelled orders marked by a status column
(``data.status_column``, ``data.cancelled_statuses``) and a last line cut off in the middle
(``data.validation.truncated_last_line``); each is counted in the panel log.
"""

from __future__ import annotations

import polars as pl

from workbench.data.dates import parse_dates_logged
from workbench.data.io import require_columns, require_numbers, require_values
from workbench.data.loaders import read_table
from workbench.data.panel import DemandPanel, PanelError
from workbench.data.schema import check_mapping
from workbench.data.validation import follow_policy, period_grid

# the canonical names data.columns may map, with what each holds
TRANSACTION_COLUMNS = {
    "order_id": "the order (invoice) id; joins data.orders_path where that is set",
    "item_id": "the item (product, SKU) id",
    "quantity": "units on the line (leave unmapped with data.units_per_line where each line is one unit)",
    "timestamp": "when the order was placed",
    "unit_price": "the price of one unit",
    "description": "optional: the item's text (UCI: Description); its most frequent value per item becomes the"
                   " static column 'description', for data.text.column=description",
}
OPTIONAL = {"description"}


def load_transactions(cfg) -> DemandPanel:
    """An order-line export (``data.path``, with its orders in ``data.orders_path`` where they
    are a second file) as a panel of units sold per item (and channel) and period: cancelled
    orders (``data.status_column``) dropped, returns per ``data.returns``, lines without a
    positive price dropped, each counted."""
    raw, log = _read_joined(cfg)
    lines = _read_lines(raw, cfg, log)
    lines = _returns(lines, cfg, log)
    return _panel(lines, cfg, log)


def _read_joined(cfg) -> tuple[pl.DataFrame, list[dict]]:
    """The order lines as read, joined with ``data.orders_path`` where set (its columns
    that the lines also have take the suffix ``_order``); lines whose order is missing there
    follow ``data.validation.missing_orders``. Returns the frame and the log so far."""
    mapping = dict(cfg.columns)
    check_mapping(mapping, TRANSACTION_COLUMNS)
    policy = cfg.validation
    order_col = mapping.get("order_id")
    if order_col is None:
        raise PanelError("data.columns has no entry for 'order_id'; expected order_id: <column name>")
    raw, repairs = read_table(cfg.path, encoding=cfg.encoding, truncated_last_line=str(policy.truncated_last_line),
                              schema_overrides={order_col: pl.String, mapping.get("item_id", order_col): pl.String})
    log: list[dict] = [{"step": "read", "lines": raw.height, **repairs}]
    if not cfg.orders_path:
        return raw, log
    key = cfg.orders_key or order_col
    require_columns(raw, [order_col], cfg.path, "data.columns.order_id")
    orders, order_repairs = read_table(cfg.orders_path, "data.orders_path", encoding=cfg.encoding,
                                       truncated_last_line=str(policy.truncated_last_line),
                                       schema_overrides={key: pl.String})
    require_columns(orders, [key], cfg.orders_path, "data.orders_key")
    orders = orders.with_columns(pl.col(key).cast(pl.String).str.strip_chars())
    twice = orders.filter(pl.col(key).is_duplicated())
    if twice.height:
        raise PanelError(f"{cfg.orders_path}: order {twice[key][0]!r} (data.orders_key={key!r}) is in"
                         f" {twice.filter(pl.col(key) == twice[key][0]).height} rows; expected one row per order")
    orders = orders.rename({key: order_col}).with_columns(pl.lit(True).alias("__order"))
    joined = raw.with_columns(pl.col(order_col).cast(pl.String).str.strip_chars()).join(
        orders, on=order_col, how="left", suffix="_order", maintain_order="left")
    log.append({"step": "read", "orders": orders.height, **order_repairs})
    orphans = joined.with_row_index("__row").filter(pl.col("__order").is_null())
    if orphans.height:
        fix = follow_policy("missing_orders", str(policy.missing_orders), {
            "drop": lambda d: d.filter(pl.col("__order").is_not_null()),
        }, lambda: (
            f"{cfg.path}: {orphans.height} order lines have no order in {cfg.orders_path} (first: order"
            f" {orphans[order_col][0]!r} in data row {orphans['__row'][0] + 1}); set"
            " data.validation.missing_orders=drop to leave them out (counted)"
        ))
        joined = fix(joined)
        log.append({"step": "missing_orders", "action": str(policy.missing_orders), "rows": orphans.height,
                    "orders": orphans[order_col].n_unique()})
    return joined.drop("__order"), log


def _read_lines(raw: pl.DataFrame, cfg, log: list[dict]) -> pl.DataFrame:
    """The order lines under their canonical names, typed, each with the period it falls in;
    one unit per line (``data.units_per_line``) where the export has no quantity, orders
    whose status is one of ``data.cancelled_statuses`` dropped; logs what it did."""
    mapping = dict(cfg.columns)
    units = cfg.units_per_line
    if units is not None:
        if mapping.get("quantity") in raw.columns:
            raise PanelError(
                f"{cfg.path}: data.units_per_line={units} and data.columns.quantity={mapping['quantity']!r} (a"
                " column of the file) are both set; expected one: drop the mapping with '~data.columns.quantity'"
                " or set data.units_per_line=null")
        mapping.pop("quantity", None)
    needed = [c for c in TRANSACTION_COLUMNS if c not in OPTIONAL and (c != "quantity" or units is None)]
    missing = [c for c in needed if c not in mapping]
    if missing:
        raise PanelError(f"data.columns has no entry for {missing[0]!r}; expected {missing[0]}: <column name>")
    extra = {"customer": cfg.customer_column, "channel": cfg.channel_column, "status": cfg.status_column}
    wanted = {**mapping, **{k: v for k, v in extra.items() if v}}
    for canonical, column in wanted.items():
        setting = f"data.columns.{canonical}" if canonical in mapping else f"data.{canonical}_column"
        where = cfg.path if not cfg.orders_path else f"{cfg.path} or {cfg.orders_path}"
        require_columns(raw, [column], where, setting)
    lines = raw.select([pl.col(src).alias(canon) for canon, src in wanted.items()])
    if units is not None:
        lines = lines.with_columns(pl.lit(float(units)).alias("quantity"))
        log.append({"step": "units_per_line", "action": f"{units:g} unit(s) per line", "rows": lines.height})
    if cfg.status_column:
        lines = _cancelled_by_status(lines, cfg, log)
    numeric = ["quantity", "unit_price"] if units is None else ["unit_price"]
    require_numbers(lines, numeric, cfg.path, {c: f"{wanted[c]!r} (data.columns.{c})" for c in numeric})
    named = ["item_id", "order_id", "timestamp", *(["quantity"] if units is None else [])]
    require_values(lines, named, cfg.path, {c: wanted[c] for c in named})
    lines, dates = parse_dates_logged(lines, "timestamp", cfg.date_format, cfg.path, datetime=True,
                                      name=wanted["timestamp"], setting="data.columns.timestamp")
    log.extend([dates] if dates else [])
    return lines.with_columns(
        pl.col("item_id").cast(pl.String).str.strip_chars(),
        pl.col("order_id").cast(pl.String),
        pl.col("quantity").cast(pl.Float64),
        pl.col("unit_price").cast(pl.Float64),
        # the period a line falls in (a day, or the Monday of its week for data.frequency=1w)
        pl.col("timestamp").dt.truncate(cfg.frequency).dt.date().alias("date"),
    )


def _cancelled_by_status(lines: pl.DataFrame, cfg, log: list[dict]) -> pl.DataFrame:
    """Lines of orders whose ``data.status_column`` is one of ``data.cancelled_statuses``
    (compared without case or surrounding spaces) dropped: such an order was never sold."""
    values = [str(v).strip().lower() for v in cfg.cancelled_statuses]
    cancelled = pl.col("status").cast(pl.String).str.strip_chars().str.to_lowercase().is_in(values).fill_null(False)
    counts = lines.select(cancelled.sum().alias("rows"),
                          pl.col("order_id").filter(cancelled).n_unique().alias("orders")).row(0, named=True)
    log.append({"step": "cancelled_status", "action": "drop", "column": cfg.status_column,
                "values": ", ".join(values), "rows": int(counts["rows"]), "orders": int(counts["orders"])})
    return lines.filter(~cancelled).drop("status")


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
    if "description" in lines.columns:
        static, entry = _descriptions(lines, static)
        log.append(entry)
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


def _descriptions(lines: pl.DataFrame, static: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Each item's most frequent description (the first in order of text among equally frequent
    ones) as the static column ``description``; items with several, and with none, counted."""
    text = pl.col("description").cast(pl.String).str.strip_chars()
    counts = (lines.select("item_id", text.alias("description"))
              .filter(pl.col("description").is_not_null() & (pl.col("description") != ""))
              .group_by("item_id", "description").len())
    first = counts.sort(["item_id", "len", "description"], descending=[False, True, False]).group_by(
        "item_id", maintain_order=True).agg(pl.col("description").first(), pl.len().alias("texts"))
    static = static.join(first.select("item_id", "description"), on="item_id", how="left")
    return static, {"step": "item_descriptions", "action": "most frequent per item", "rows": first.height,
                    "several": int((first["texts"] > 1).sum()), "missing": int(static["description"].null_count())}
