"""The economics of every series: prices, costs, lead times, volumes, ABC/XYZ classes and
service targets, from the data's static table where it has them and from defaults where not.

Every stage that prices stock reads this one table (the inventory study, the plans, and
the collaboration study's margins), so a cost is defined once.
"""

from __future__ import annotations

import polars as pl

from workbench.data.classes import abc_classes, xyz_classes
from workbench.data.contracts import period, sales_value
from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.inventory.cost_table import apply_cost_table, read_cost_table

# used where the static table has no such column (the report lists what was defaulted):
# a lead time of 7 days (in periods of the panel), an order cost of 50, a unit cost of 70%
# of the price, a holding cost of 25% of the unit cost a year, one volume unit per unit
DEFAULTS = {
    "lead_time_days": 7.0,
    "order_cost": 50.0,
    "unit_cost_share": 0.7,
    "holding_rate_per_year": 0.25,
    "volume": 1.0,
}


def service_table(levels: dict[str, float]) -> pl.DataFrame:
    """``inventory.service_levels`` as a table over the nine ABC x XYZ classes; a two-letter
    key ("AX") wins over its one-letter ABC class ("A")."""
    rows = []
    for a in "ABC":
        for x in "XYZ":
            level = levels.get(a + x, levels.get(a))
            if level is None:
                raise ValueError(
                    f"inventory.service_levels has no level for class {a}{x}: give '{a}{x}' or '{a}' "
                    f"(keys given: {sorted(levels)})"
                )
            if not 0.0 < float(level) < 1.0:
                raise ValueError(f"inventory.service_levels.{a + x if a + x in levels else a}={level}; expected in (0, 1)")
            rows.append({"abc": a, "xyz": x, "service_level": float(level)})
    unknown = set(levels) - {r["abc"] for r in rows} - {r["abc"] + r["xyz"] for r in rows}
    if unknown:
        raise ValueError(f"inventory.service_levels has unknown classes {sorted(unknown)}; expected A-C or AX-CZ")
    return pl.DataFrame(rows)


def series_economics(panel: DemandPanel, before, cfg) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Per-series costs, lead time, volume, revenue, ABC/XYZ class and service target
    (from history up to ``before``). Returns the table, the attributes that came from defaults
    (for some series or all) and notes on the cost table (``inventory.costs``) where one is given.
    """
    keys = list(panel.keys)
    days = period(panel).days or 1  # periods are days or weeks
    hist = panel.demand.filter(pl.col(DATE) <= before)
    has_price_cov = "price" in panel.demand.columns
    valued, value = sales_value(panel, hist)
    stats = valued.group_by(keys).agg(
        pl.col(DEMAND).mean().alias("mean_demand"),
        value.sum().alias("revenue"),
        (pl.col("price").mean() if has_price_cov else pl.lit(None, dtype=pl.Float64)).alias("mean_price"),
    )
    defaulted: list[str] = []
    econ = stats.join(panel.static, on=panel.static_keys, how="left")
    # a cost table (inventory.costs) wins over the data and the defaults where it has a row
    econ, notes = apply_cost_table(econ, read_cost_table(cfg.costs))

    def default(col: str, value: pl.Expr) -> None:
        """``col`` from ``value`` where the data (and the cost table) give none."""
        nonlocal econ
        if col not in econ.columns:
            econ = econ.with_columns(value.alias(col))
        elif econ[col].null_count():
            econ = econ.with_columns(pl.col(col).fill_null(value))
        else:
            return
        defaulted.append(col)

    if "price" not in econ.columns:
        econ = econ.with_columns(pl.lit(None, dtype=pl.Float64).alias("price"))
    if econ["price"].null_count() == econ.height:
        defaulted.append("price")
    econ = econ.with_columns(pl.col("price").fill_null(pl.col("mean_price")).fill_null(1.0))
    default("unit_cost", DEFAULTS["unit_cost_share"] * pl.col("price"))
    # per unit and period
    default("holding_cost", pl.col("unit_cost") * DEFAULTS["holding_rate_per_year"] * days / 365.0)
    default("lead_time", pl.lit(max(1.0, round(DEFAULTS["lead_time_days"] / days))))  # in periods
    for col in ("order_cost", "volume"):
        default(col, pl.lit(DEFAULTS[col]))
    for col in ("case_pack", "moq"):
        if col not in econ.columns:
            econ = econ.with_columns(pl.lit(float(getattr(cfg.lp, col))).alias(col))
        econ = econ.with_columns(pl.col(col).fill_null(float(getattr(cfg.lp, col))))
    classes = abc_classes(econ.select([*keys, "revenue"]), keys, cutoffs=tuple(cfg.abc_shares))
    xyz = xyz_classes(hist, keys, cutoffs=tuple(cfg.xyz_cutoffs)).with_columns(pl.col("xyz").fill_null("Z"))
    per_unit_short = (pl.col("price") - pl.col("unit_cost")).clip(lower_bound=0.0) * (1 + cfg.shortage_penalty)
    econ = (
        econ.join(classes.select([*keys, "abc"]), on=keys)
        .join(xyz.select([*keys, "xyz"]), on=keys, how="left")
        .with_columns(pl.col("xyz").fill_null("Z"))
        .join(service_table(dict(cfg.service_levels)), on=["abc", "xyz"], how="left")
        .with_columns(
            pl.col("lead_time").cast(pl.Int64).clip(lower_bound=1),
            # lost sales: the margin and goodwill; backorders: that much per backorder_days of waiting
            (per_unit_short if cfg.shortage == "lost_sales" else per_unit_short / cfg.backorder_days * days)
            .alias("shortage_cost"),
        )
    )
    return econ.sort(keys), defaulted, notes
