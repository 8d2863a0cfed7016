"""A supplier-retailer game built from the data's economics, solved with nashpy.

The retailer sells one category for a season of ``period_days`` at retail price
``p``; demand ``D`` over the season is the empirical distribution of the
category's rolling season totals in the data. The supplier makes each unit at cost
``c`` and sells it to the retailer at wholesale price ``w``; leftovers are salvaged
at ``v``. Payoffs (Cachon 2003, "Supply chain coordination with contracts"):

    retailer  pi_R(w, Q) = p E[min(Q, D)] + v E[(Q - D)^+] - w Q
    supplier  pi_S(w, Q) = (w - c) Q

*Simultaneous* play (supplier picks w, retailer picks Q, neither sees the other)
is a bimatrix game whose equilibria nashpy enumerates (after removing strictly
dominated strategies). *Sequential* play (the
supplier announces w, the retailer best-responds: a Stackelberg game) is solved
by backward induction. Both are compared with the *centralised* chain, which
orders the newsvendor quantity at cost c: the ratio of chain profits is the
chain's efficiency, and its shortfall is double marginalisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import nashpy as nash
import numpy as np


@dataclass
class SupplyGame:
    prices: np.ndarray  # supplier strategies: wholesale prices w
    quantities: np.ndarray  # retailer strategies: order quantities Q
    supplier_payoff: np.ndarray  # (prices, quantities)
    retailer_payoff: np.ndarray
    chain_payoff: np.ndarray  # (quantities,) centralised profit at each Q
    retail_price: float
    unit_cost: float
    salvage: float

    @property
    def game(self) -> nash.Game:
        return nash.Game(self.supplier_payoff, self.retailer_payoff)


def expected_sales(quantities: np.ndarray, demand_samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[min(Q, D)] and E[(Q - D)^+] for every Q, over the demand samples (vectorised)."""
    q = np.asarray(quantities, dtype=float)[:, None]
    d = np.asarray(demand_samples, dtype=float)[None, :]
    sold = np.minimum(q, d).mean(axis=1)
    return sold, q[:, 0] - sold


def build_game(
    demand_samples: np.ndarray,
    retail_price: float,
    unit_cost: float,
    salvage: float,
    n_prices: int = 12,
    n_quantities: int = 15,
) -> SupplyGame:
    """Strategy grids: wholesale prices from c to p, quantities over demand's 1-99% quantiles
    (at least one unit)."""
    if not 0 <= salvage < unit_cost < retail_price:
        raise ValueError(
            f"supply game: expected 0 <= salvage ({salvage:.2f}) < unit cost ({unit_cost:.2f})"
            f" < retail price ({retail_price:.2f})"
        )
    if np.ptp(demand_samples) == 0 and demand_samples[0] == 0:
        raise ValueError("supply game: the category has no demand in the data")
    prices = np.linspace(unit_cost, retail_price, n_prices)
    quantities = np.unique(np.maximum(np.round(np.quantile(demand_samples, np.linspace(0.01, 0.99, n_quantities))), 1.0))
    sold, left = expected_sales(quantities, demand_samples)
    revenue = retail_price * sold + salvage * left
    retailer = revenue[None, :] - prices[:, None] * quantities[None, :]
    supplier = (prices[:, None] - unit_cost) * quantities[None, :]
    chain = revenue - unit_cost * quantities
    return SupplyGame(prices, quantities, supplier, retailer, chain, retail_price, unit_cost, salvage)


def iterated_dominance(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the rows and columns that survive iterated elimination of strictly
    dominated pure strategies (row player A, column player B)."""
    rows, cols = np.arange(A.shape[0]), np.arange(A.shape[1])
    changed = True
    while changed:
        changed = False
        a = A[np.ix_(rows, cols)]
        # row r is dominated if another row is strictly better against every column
        dominated = (a[None, :, :] > a[:, None, :]).all(axis=2).any(axis=1)
        if dominated.any() and rows.size > 1:
            rows, changed = rows[~dominated], True
        b = B[np.ix_(rows, cols)]
        dominated = (b[:, None, :] > b[:, :, None]).all(axis=0).any(axis=1)
        if dominated.any() and cols.size > 1:
            cols, changed = cols[~dominated], True
    return rows, cols


@dataclass
class Equilibrium:
    supplier_strategy: np.ndarray  # mixed strategy over all prices
    retailer_strategy: np.ndarray  # mixed strategy over all quantities
    supplier_profit: float
    retailer_profit: float

    @property
    def chain_profit(self) -> float:
        return self.supplier_profit + self.retailer_profit


def pure_equilibria(A: np.ndarray, B: np.ndarray) -> list[tuple[int, int]]:
    """Every pure-strategy equilibrium: cells that are a best response for both players."""
    best_row = A >= A.max(axis=0, keepdims=True) - 1e-12
    best_col = B >= B.max(axis=1, keepdims=True) - 1e-12
    return [(int(i), int(j)) for i, j in np.argwhere(best_row & best_col)]


def nash_equilibria(g: SupplyGame, max_support_size: int = 6) -> list[Equilibrium]:
    """Nash equilibria of the simultaneous game with nashpy.

    Strictly dominated strategies are removed first (no equilibrium plays them).
    When the reduced game is small, nashpy's support enumeration finds every
    equilibrium, mixed ones included; on a larger reduced game (degenerate
    games make Lemke-Howson cycle) only the pure equilibria are enumerated.
    """
    rows, cols = iterated_dominance(g.supplier_payoff, g.retailer_payoff)
    A = g.supplier_payoff[np.ix_(rows, cols)]
    B = g.retailer_payoff[np.ix_(rows, cols)]
    if max(rows.size, cols.size) <= max_support_size:
        found = list(nash.Game(A, B).support_enumeration())
    else:
        found = []
        for i, j in pure_equilibria(A, B):
            sr, sc = np.zeros(rows.size), np.zeros(cols.size)
            sr[i] = sc[j] = 1.0
            found.append((sr, sc))
    out, seen = [], set()
    for sigma_r, sigma_c in found:
        full_r = np.zeros(g.prices.size)
        full_c = np.zeros(g.quantities.size)
        full_r[rows], full_c[cols] = sigma_r, sigma_c
        key = (tuple(np.round(full_r, 9)), tuple(np.round(full_c, 9)))
        if key in seen or not np.isfinite(full_r).all():
            continue
        seen.add(key)
        s_pay, r_pay = g.game[full_r, full_c]
        out.append(Equilibrium(full_r, full_c, float(s_pay), float(r_pay)))
    return out


@dataclass
class Outcome:
    name: str
    wholesale_price: float | None
    quantity: float
    supplier_profit: float
    retailer_profit: float

    @property
    def chain_profit(self) -> float:
        return self.supplier_profit + self.retailer_profit


def stackelberg(g: SupplyGame) -> Outcome:
    """Supplier leads with w, retailer best-responds with Q (ties: the larger Q)."""
    best_q = g.retailer_payoff.shape[1] - 1 - np.argmax(g.retailer_payoff[:, ::-1], axis=1)
    supplier_at = g.supplier_payoff[np.arange(g.prices.size), best_q]
    i = int(np.argmax(supplier_at))
    j = int(best_q[i])
    return Outcome("Stackelberg (supplier leads)", float(g.prices[i]), float(g.quantities[j]),
                   float(g.supplier_payoff[i, j]), float(g.retailer_payoff[i, j]))


def centralised(g: SupplyGame) -> Outcome:
    """One firm owns the chain: orders the Q that maximises chain profit at cost c."""
    j = int(np.argmax(g.chain_payoff))
    return Outcome("centralised", None, float(g.quantities[j]), 0.0, float(g.chain_payoff[j]))


def season_demand(
    panel, category: str | None, period_days: int, cost_share: float = 0.7
) -> tuple[str, np.ndarray, float, float]:
    """Season totals of one category's demand (overlapping windows of ``period_days``),
    its unit-weighted retail price and unit cost. ``category=None`` takes the category
    with most revenue.

    Where the data has no price (demand recorded in money, as in Walmart's sales), a unit
    is one unit of money at retail (price 1); where it has no unit cost, cost is
    ``cost_share`` of the price.
    """
    import polars as pl

    from workbench.data.panel import DATE, DEMAND

    skeys = panel.static_keys
    static = panel.static
    if "category" not in static.columns:
        static = static.with_columns(pl.lit("all").alias("category"))
    wanted = [c for c in ("category", "price", "unit_cost") if c in static.columns]
    df = panel.demand.join(static.select([*skeys, *wanted]), on=skeys, how="left", suffix="_list")
    if "price" in panel.demand.columns:
        price = pl.col("price")
    elif "price" in df.columns:
        price = pl.col("price").fill_null(1.0)
    else:
        price = pl.lit(1.0)
    df = df.with_columns(price.cast(pl.Float64).alias("_price"))
    cost = pl.col("unit_cost") if "unit_cost" in df.columns else cost_share * pl.col("_price")
    df = df.with_columns(pl.col("category").cast(pl.String).fill_null("unknown"))
    by_cat = df.group_by("category").agg(
        (pl.col(DEMAND) * pl.col("_price")).sum().alias("revenue"),
        pl.col(DEMAND).sum().alias("units"),
        (pl.col(DEMAND) * cost).sum().alias("cost"),
    )
    if category is None:
        category = by_cat.sort("revenue", descending=True)["category"][0]
    row = by_cat.filter(pl.col("category") == category)
    if row.height == 0:
        raise ValueError(f"games.category={category!r} is not in the data; categories: {sorted(by_cat['category'])}")
    units = row["units"][0]
    if not units > 0:
        raise ValueError(f"games.category={category!r} has no demand in the data")
    daily = (
        df.filter(pl.col("category") == category)
        .group_by(DATE)
        .agg(pl.col(DEMAND).sum())
        .sort(DATE)
        .get_column(DEMAND)
    )
    if daily.len() < period_days:
        raise ValueError(f"games.period_days={period_days} is longer than the data ({daily.len()} periods)")
    seasons = daily.rolling_sum(period_days).drop_nulls().to_numpy()
    return category, seasons, float(row["revenue"][0] / units), float(row["cost"][0] / units)
