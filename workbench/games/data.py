"""The collaboration study's inputs from the demand panel: one category's economics, its demand per
period and per season, and the demand of the retailers (channels or stores) that may pool their stock.

Every game of the study is played on these, so the numbers come from the data, not from a textbook
example: the retail price and unit cost are the category's unit-weighted averages (from
:func:`workbench.inventory.economics.series_economics`' sources: the panel's price and unit cost where it
has them, the same defaults where it has not), and a season's demand is the category's total over
``period_days`` consecutive periods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.data.panel import DATE, DEMAND, ITEM, DemandPanel
from workbench.inventory.economics import DEFAULTS

# distinct season totals needed: the contracts read a smoothed empirical distribution of them, which
# is faithful only when ties are few
MIN_DISTINCT_SEASONS = 10


@dataclass(frozen=True)
class CategoryData:
    """One category's demand and economics, as every part of the study reads them."""

    category: str
    price: float  # unit-weighted retail price
    unit_cost: float  # unit-weighted unit cost
    daily: pl.DataFrame  # date, demand: the category's total per period
    seasons: np.ndarray  # totals over every window of period_days consecutive periods (overlapping)
    period_days: int
    defaulted: tuple[str, ...]  # economics that came from defaults: "price", "unit_cost" (or "... (some items)")


def _valued(panel: DemandPanel) -> tuple[pl.DataFrame, list[str]]:
    """The demand rows with the category, a unit price and a unit cost; the attributes defaulted."""
    skeys = panel.static_keys
    static = panel.static
    defaulted = []
    if "category" not in static.columns:
        static = static.with_columns(pl.lit("all").alias("category"))
    wanted = [c for c in ("category", "price", "unit_cost") if c in static.columns]
    df = panel.demand.join(static.select([*skeys, *wanted]), on=skeys, how="left", suffix="_list")
    # each row's price and cost: the panel's own where it has them; a row without one (an item missing
    # from the static table, a null) gets the category's mean price and the default cost share of
    # its price, and the page says so, rather than dropping out of a sum that still counts its units
    if "price" in panel.demand.columns:
        price = pl.col("price").cast(pl.Float64)
    elif "price" in df.columns:
        price = pl.col("price").cast(pl.Float64)
    else:  # demand in money (Walmart's sales): a unit is one unit of money at retail
        price = pl.lit(1.0)
        defaulted.append("price")
    df = df.with_columns(price.alias("_price"), pl.col("category").cast(pl.String).fill_null("unknown"))
    if df["_price"].null_count() or df["_price"].is_nan().any():
        if "price" not in defaulted:
            defaulted.append("price (some items)")
        df = df.with_columns(pl.col("_price").fill_nan(None).fill_null(pl.col("_price").mean().over("category"))
                             .fill_null(1.0))
    share = DEFAULTS["unit_cost_share"]
    if "unit_cost" in df.columns:
        if df["unit_cost"].null_count():
            defaulted.append("unit_cost (some items)")
        cost = pl.col("unit_cost").cast(pl.Float64).fill_null(share * pl.col("_price"))
    else:
        cost = share * pl.col("_price")
        defaulted.append("unit_cost")
    return df.with_columns(cost.alias("_cost")), defaulted


def category_data(panel: DemandPanel, category: str | None, period_days: int) -> CategoryData:
    """The category's economics, its total demand per period and its season totals.

    ``category=None`` takes the category with most revenue. A season is ``period_days`` periods of
    the panel (days or weeks); the seasons are every window of that length (overlapping), so their
    spread is the data's season-to-season variation.
    """
    if period_days < 1:
        raise ValueError(f"games.period_days={period_days}; expected 1 or more")
    df, defaulted = _valued(panel)
    by_cat = df.group_by("category").agg(
        (pl.col(DEMAND) * pl.col("_price")).sum().alias("revenue"),
        pl.col(DEMAND).sum().alias("units"),
        (pl.col(DEMAND) * pl.col("_cost")).sum().alias("cost"),
    )
    if category is None:
        category = by_cat.sort(["revenue", "category"], descending=[True, False])["category"][0]
    row = by_cat.filter(pl.col("category") == category)
    if row.height == 0:
        raise ValueError(f"games.category={category!r} is not in the data; categories: {sorted(by_cat['category'])}")
    units = row["units"][0]
    if not units > 0:
        raise ValueError(f"games.category={category!r} has no demand in the data")
    daily = df.filter(pl.col("category") == category).group_by(DATE).agg(pl.col(DEMAND).sum()).sort(DATE)
    if daily.height < period_days:
        raise ValueError(f"games.period_days={period_days} is longer than the data ({daily.height} periods)")
    seasons = daily[DEMAND].rolling_sum(period_days).drop_nulls().to_numpy()
    if np.unique(seasons).size < MIN_DISTINCT_SEASONS:
        raise ValueError(f"games.category={category!r} with games.period_days={period_days}: the data gives"
                         f" {seasons.size} season totals with {np.unique(seasons).size} distinct values; expected at"
                         f" least {MIN_DISTINCT_SEASONS} to estimate season demand (choose a larger category or"
                         " shorter seasons)")
    price, cost = float(row["revenue"][0] / units), float(row["cost"][0] / units)
    if not cost < price:
        priced = " (no price in the data: a unit is one unit of money, price 1)" if "price" in defaulted else ""
        raise ValueError(f"games: category {category!r} has unit cost {cost:.4g} >= retail price {price:.4g}{priced};"
                         " expected a positive margin (check the data's unit_cost and price columns)")
    return CategoryData(str(category), price, cost, daily, seasons, period_days, tuple(defaulted))


def player_key(panel: DemandPanel, by: str | None) -> str | None:
    """The column whose members are the retailers of the pooling and competition games: ``by`` where
    given (a key of the panel or a column of its static table), else the first of ``location``,
    ``channel``, ``store`` the panel has, else None (the data has one retailer: nothing to pool)."""
    columns = [*panel.keys, *panel.static.columns]
    if by is not None:
        if by == ITEM or by not in columns:
            raise ValueError(f"games.pooling.by={by!r}; expected a key or static column other than {ITEM!r}:"
                             f" one of {sorted(set(columns) - {ITEM})}")
        return by
    return next((name for name in ("location", "channel", "store") if name in columns), None)


def player_demand(panel: DemandPanel, category: str, by: str, period_days: int,
                  max_players: int) -> tuple[list[str], np.ndarray]:
    """Season demand of the category at each retailer (member of ``by``), jointly: the names of the
    ``max_players`` largest by demand and a (seasons, players) array of their totals over the same
    windows of ``period_days`` periods, so their correlation is the data's. Fewer than two names where
    the category sells through one member only: there is then nothing to pool or compete for."""
    df, _ = _valued(panel)
    if by not in df.columns:
        df = df.join(panel.static.select([*panel.static_keys, by]), on=panel.static_keys, how="left")
    df = df.filter(pl.col("category") == category).with_columns(pl.col(by).cast(pl.String).fill_null("unknown"))
    wide = (df.group_by(DATE, by).agg(pl.col(DEMAND).sum())
            .pivot(on=by, index=DATE, values=DEMAND).sort(DATE).fill_null(0.0))
    totals = wide.drop(DATE).sum().transpose(include_header=True, header_name="player", column_names=["units"])
    names = totals.sort(["units", "player"], descending=[True, False])["player"].head(max_players).to_list()
    seasons = wide.select(pl.col(n).rolling_sum(period_days) for n in names).drop_nulls().to_numpy()
    return names, seasons.astype(float)
