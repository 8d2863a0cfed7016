"""Double marginalisation across a serial chain facing linear demand (Spengler 1950).

Tiers ``1..n`` run from the top (the supplier) to the bottom (the retailer); tier ``k`` makes or
handles each unit at its own cost ``c_k`` and sells to tier ``k + 1`` at price ``P_k``; the
retailer sells at ``P_n = a - b q``. Each tier sets its price anticipating the tiers below
(backward induction). The retailer buys at ``P_n-1`` and orders ``q = (a - c_n - P_n-1) / (2b)``,
so the tier above faces the derived inverse demand ``P_n-1 = (a - c_n) - 2b q``: each step up
the intercept falls by the tier's own cost and the slope doubles, and tier ``k`` faces
``P_k = A_k - B_k q`` with ``A_k = a - sum_{j>k} c_j``, ``B_k = 2^(n-k) b``. The top tier's
quantity is the chain's:

    q_n = (a - C) / (2^n b),   C = sum_k c_k,

tier ``k``'s margin is ``B_k q_n`` and the chain earns ``(2^n - 1) b q_n^2`` against the
integrated chain's ``(a - C)^2 / (4b)``: an efficiency of ``4 (2^n - 1) / 4^n`` (3/4 for two
tiers), whatever the split of the costs.

Functions: :func:`serial_chain` (one row per tier), :func:`integrated_chain`,
:func:`efficiency_by_tiers`, :func:`coordinated_chain` (a two-part tariff or revenue sharing
at every link restores the integrated outcome) and :func:`linear_demand_from` (``a, b`` from
the data's price and quantity).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl


class ChainOutcome(NamedTuple):
    price: float  # retail price
    quantity: float
    profit: float  # the whole chain's


def _check(a: float, b: float, costs) -> tuple[np.ndarray, float]:
    costs = np.asarray(costs, dtype=float).ravel()
    if costs.size == 0 or (costs < 0).any() or not np.isfinite(costs).all():
        raise ValueError(f"games.chain.cost_shares: unit costs {costs.tolist()}; expected one finite cost >= 0"
                         " per tier")
    if not b > 0:
        raise ValueError(f"games.chain: demand slope b = {b}; expected b > 0 (p = a - b q falls with q)")
    if not a > costs.sum():
        raise ValueError(f"games.chain: demand intercept a = {a:.4g} is not above the chain's unit cost"
                         f" {costs.sum():.4g}; nothing would be sold")
    return costs, float(costs.sum())


def _names(names, n: int) -> list[str]:
    names = list(names) if names is not None else [f"tier {k}" for k in range(1, n + 1)]
    if len(names) != n:
        raise ValueError(f"games.chain.tiers: {len(names)} names for {n} tier costs; expected one name per cost")
    return names


def integrated_chain(a: float, b: float, total_cost: float) -> ChainOutcome:
    """One firm owns the chain: ``q = (a - C) / (2b)``, ``p = (a + C) / 2``, profit ``(a - C)^2 / (4b)``.

    >>> integrated_chain(10.0, 1.0, 2.0)
    ChainOutcome(price=6.0, quantity=4.0, profit=16.0)
    """
    _, cost = _check(a, b, [total_cost])
    q = (a - cost) / (2 * b)
    return ChainOutcome(a - b * q, q, (a - b * q - cost) * q)


def serial_chain(a: float, b: float, costs, names=None) -> pl.DataFrame:
    """Each tier pricing for itself, top tier first: ``tier, own_cost, input_price`` (what it pays
    the tier above; 0 for the top tier), ``price`` (what it charges; the retail price for the
    last), ``margin = price - input_price - own_cost``, ``quantity, profit``.

    >>> serial_chain(10.0, 1.0, [2.0, 0.0], ["manufacturer", "retailer"]).select("tier", "price", "quantity", "profit")
    shape: (2, 4)
    ┌──────────────┬───────┬──────────┬────────┐
    │ tier         ┆ price ┆ quantity ┆ profit │
    │ ---          ┆ ---   ┆ ---      ┆ ---    │
    │ str          ┆ f64   ┆ f64      ┆ f64    │
    ╞══════════════╪═══════╪══════════╪════════╡
    │ manufacturer ┆ 6.0   ┆ 2.0      ┆ 8.0    │
    │ retailer     ┆ 8.0   ┆ 2.0      ┆ 4.0    │
    └──────────────┴───────┴──────────┴────────┘
    """
    costs, total = _check(a, b, costs)
    n = costs.size
    below = np.concatenate([np.cumsum(costs[::-1])[::-1][1:], [0.0]])  # sum of the costs of the tiers below k
    intercept, slope = a - below, b * 2.0 ** (n - 1 - np.arange(n))  # the derived inverse demand A_k - B_k q
    q = (a - total) / (2 * slope[0])  # the top tier maximises (A_1 - B_1 q - c_1) q
    price = intercept - slope * q
    input_price = np.concatenate([[0.0], price[:-1]])
    margin = price - input_price - costs
    return pl.DataFrame({"tier": _names(names, n), "own_cost": costs, "input_price": input_price, "price": price,
                         "margin": margin, "quantity": np.full(n, q), "profit": margin * q})


def efficiency(n_tiers: int) -> float:
    """The closed form ``4 (2^n - 1) / 4^n`` of a serial chain's efficiency with ``n`` tiers.

    >>> [efficiency(n) for n in (1, 2, 3)]
    [1.0, 0.75, 0.4375]
    """
    return 4 * (2**n_tiers - 1) / 4**n_tiers


def efficiency_by_tiers(a: float, b: float, total_cost: float, max_tiers: int) -> pl.DataFrame:
    """The serial chain solved with ``1..max_tiers`` tiers (the cost all at the top: the split does
    not change the quantity): ``n_tiers, quantity, retail_price, chain_profit, integrated_profit,
    efficiency``; ``quantity`` halves with every tier added and ``efficiency`` is :func:`efficiency`."""
    if max_tiers < 1:
        raise ValueError(f"games.chain.max_tiers={max_tiers}; expected 1 or more")
    best = integrated_chain(a, b, total_cost)
    rows = []
    for n in range(1, max_tiers + 1):
        tiers = serial_chain(a, b, [total_cost, *[0.0] * (n - 1)])
        rows.append({"n_tiers": n, "quantity": tiers["quantity"][0], "retail_price": tiers["price"][-1],
                     "chain_profit": tiers["profit"].sum(), "integrated_profit": best.profit,
                     "efficiency": tiers["profit"].sum() / best.profit})
    return pl.DataFrame(rows)


def coordinated_chain(a: float, b: float, costs, names=None, contract: str = "two_part_tariff",
                      shares=None) -> pl.DataFrame:
    """A contract at every link that restores the integrated outcome; tier ``k`` earns ``shares[k]``
    of the integrated profit ``Pi*`` (by default its share of the uncoordinated chain's profit,
    ``2^(n-k) / (2^n - 1)``, so every tier gains by the same factor 1 / efficiency).

    ``"two_part_tariff"``: tier ``k`` sells at its marginal cost ``w_k = c_1 + ... + c_k`` and
    charges the tier below the fixed fee ``F_k = Pi* (s_1 + ... + s_k)``; the retailer then faces
    the chain's cost and orders the integrated quantity. ``"revenue_sharing"``: tier ``k`` keeps
    ``s_k`` of the retail revenue and the transfer price is ``w_k = sum_{j<=k} (c_j - s_j C)``
    (negative where upstream shares outweigh upstream costs: a subsidy), which makes every tier's
    profit ``s_k (p(q) - C) q``, maximised at the integrated quantity.

    Columns ``tier, own_cost, input_price, price, fee_paid`` (two-part tariff) or ``revenue_share``
    (revenue sharing), ``quantity, profit, efficiency`` (the whole chain's, on every row).
    """
    costs, total = _check(a, b, costs)
    n = costs.size
    names = _names(names, n)
    s = np.asarray(shares, dtype=float) if shares is not None else 2.0 ** (n - 1 - np.arange(n)) / (2.0**n - 1)
    if s.shape != (n,) or (s < 0).any() or not np.isclose(s.sum(), 1.0):
        raise ValueError(f"coordinated chain: shares {s.tolist()}; expected {n} shares >= 0 summing to 1")
    best = integrated_chain(a, b, total)
    q, retail = best.quantity, best.price
    if contract == "two_part_tariff":
        price = np.concatenate([np.cumsum(costs)[:-1], [retail]])
        fee = best.profit * np.cumsum(s)  # F_k is charged by tier k to tier k + 1
        fee_paid = np.concatenate([[0.0], fee[:-1]])
        fee_received = np.concatenate([fee[:-1], [0.0]])
        profit = (price - np.concatenate([[0.0], price[:-1]]) - costs) * q + fee_received - fee_paid
        extra = {"fee_paid": fee_paid}
    elif contract == "revenue_sharing":
        price = np.concatenate([np.cumsum(costs - s * total)[:-1], [retail]])
        input_price = np.concatenate([[0.0], price[:-1]])
        own_price = np.concatenate([price[:-1], [0.0]])  # what tier k receives per unit from below
        profit = s * retail * q + (own_price - input_price - costs) * q
        extra = {"revenue_share": s}
    else:
        raise ValueError(f"coordinated chain: contract={contract!r}; expected 'two_part_tariff' or 'revenue_sharing'")
    return pl.DataFrame({"tier": names, "own_cost": costs, "input_price": np.concatenate([[0.0], price[:-1]]),
                         "price": price, **extra, "quantity": np.full(n, q), "profit": profit,
                         "efficiency": np.full(n, profit.sum() / best.profit)})


def linear_demand_from(price: float, mean_quantity: float, elasticity: float = -2.0,
                       total_cost: float | None = None) -> tuple[float, float]:
    """Intercept ``a`` and slope ``b`` of the line ``p = a - b q`` through the observed point
    ``(price, mean_quantity)`` with point elasticity ``e = -(1/b)(p/q)`` there:
    ``b = -p / (e q)``, ``a = p (1 - 1/e)``.

    A line keeps the chain's closed forms exact. The default ``e = -2`` is a typical price
    elasticity of a brand or category, between the means of the meta-analyses of Tellis (1988,
    -1.76) and Bijmolt, van Heerde and Pieters (2005, -2.62), and on the elastic side (|e| > 1)
    where a firm that sets its own price operates.
    With ``total_cost`` the choke price ``a`` must exceed it, else nothing would be sold.

    >>> linear_demand_from(10.0, 50.0)
    (15.0, 0.1)
    """
    if not (price > 0 and mean_quantity > 0):
        raise ValueError(f"games.chain: price {price:.4g} and mean quantity {mean_quantity:.4g}; expected both > 0")
    if not elasticity < 0:
        raise ValueError(f"games.chain: elasticity {elasticity}; expected a negative price elasticity of demand")
    b = -price / (elasticity * mean_quantity)
    a = price * (1 - 1 / elasticity)
    if total_cost is not None and not a > total_cost:
        # a = p (1 - 1/e) > C needs e > -p / (C - p): possible only for a cost above the price
        raise ValueError(f"games.chain: the line through price {price:.4g} with elasticity {elasticity} has choke"
                         f" price a = {a:.4g}, not above the chain's unit cost {total_cost:.4g}; expected an"
                         f" elasticity closer to zero than {-price / (total_cost - price):.3g}")
    return a, b
