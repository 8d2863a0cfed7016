"""The normal-form games of the collaboration study, built from the data's demand samples.

* :func:`supplier_retailer_game`: the supplier picks a wholesale price w, the retailer an order
  quantity Q, simultaneously (Cachon 2003, "Supply chain coordination with contracts").
* :func:`channel_competition_game`: two channels (or stores) each stock for their own demand
  plus a share of the other's unmet demand (Lippman & McCardle 1997, "The competitive
  newsvendor", Operations Research 45(1)).
* :func:`tier_markup_game`: every tier of a serial chain picks its margin at once; with more than
  two players it is solved by Gambit (:mod:`workbench.games.gambit`).

Newsvendor notation: retail price p, unit cost c (or wholesale price w), salvage value v; the
expected revenue of Q units is ``p E[min(Q, D)] + v E[(Q - D)^+] = (p - v) E[min(Q, D)] + v Q``,
averaged over the demand samples (the empirical distribution).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workbench.games.newsvendor import Economics


def critical_fractile_quantity(samples: np.ndarray, price: float, cost: np.ndarray | float, salvage: float) -> np.ndarray:
    """The newsvendor quantity of the empirical demand distribution at unit cost ``cost``: the
    smallest sample q with F(q) >= (p - c)/(p - v) (numpy's "inverted_cdf" quantile), which
    maximises the sample-average profit exactly; 0 where the fractile is 0 (c = p).

    >>> critical_fractile_quantity(np.array([0.0, 10.0, 20.0, 30.0]), 10.0, np.array([4.0, 10.0]), 0.0).tolist()
    [20.0, 0.0]
    """
    fractile = np.clip((price - np.asarray(cost, dtype=float)) / (price - salvage), 0.0, 1.0)
    q = np.quantile(np.asarray(samples, dtype=float), fractile, method="inverted_cdf")
    return np.where(fractile > 0, q, 0.0)


def expected_sales(quantities: np.ndarray, demand_samples: np.ndarray) -> np.ndarray:
    """E[min(Q, D)] for every Q over the demand samples (vectorised, shape of ``quantities``)."""
    q = np.asarray(quantities, dtype=float)
    return np.minimum(q[..., None], np.asarray(demand_samples, dtype=float)).mean(axis=-1)


def _level_grid(samples: np.ndarray, n: int, extra: np.ndarray) -> np.ndarray:
    """n levels from 0 to the 99% quantile of ``samples`` (whole units when demand is counted in
    units), with the ``extra`` quantities added."""
    grid = np.linspace(0.0, np.quantile(samples, 0.99), n)
    if np.allclose(samples, np.round(samples)):
        grid = np.round(grid)
    return np.unique(np.concatenate([grid, extra]))


@dataclass
class SupplierRetailerGame:
    """The wholesale-price game: rows are the supplier's prices w, columns the retailer's Q."""

    prices: np.ndarray  # wholesale prices w, from c to p
    quantities: np.ndarray  # order quantities Q, from 0, with the retailer's best responses
    best_responses: np.ndarray  # the retailer's newsvendor quantity at each grid price
    supplier_payoff: np.ndarray  # (w - c) Q, shape (prices, quantities)
    retailer_payoff: np.ndarray  # (p - v) E[min(Q, D)] + v Q - w Q
    chain_payoff: np.ndarray  # (quantities,) the integrated chain at cost c
    retail_price: float
    unit_cost: float
    salvage: float

    @property
    def payoffs(self) -> list[np.ndarray]:
        return [self.supplier_payoff, self.retailer_payoff]


def supplier_retailer_game(
    demand_samples: np.ndarray,
    price: float,
    cost: float,
    salvage: float,
    n_prices: int = 12,
    n_quantities: int = 15,
) -> SupplierRetailerGame:
    """The supplier-retailer game on a grid (``games.grid.n_prices`` x ``games.grid.n_quantities``).

    Wholesale prices are ``n_prices`` points from c to p. Quantities are ``n_quantities`` points
    from 0 (the retailer may always stay out) to demand's 99% quantile, plus the retailer's best
    response to each grid price, the critical fractile F(Q) = (p - w)/(p - v) of the empirical
    distribution, so the grid holds the retailer's exact best responses (up to
    ``n_quantities + n_prices`` columns).
    """
    Economics(price, cost, salvage)  # validates 0 <= v < c < p
    samples = np.asarray(demand_samples, dtype=float)
    if samples.size == 0 or samples.max() <= 0:
        raise ValueError("supplier-retailer game: the demand samples are empty or all zero")
    if n_prices < 2 or n_quantities < 2:
        raise ValueError(f"games.grid.n_prices={n_prices}, n_quantities={n_quantities}; expected 2 or more each")
    prices = np.linspace(cost, price, n_prices)
    best = critical_fractile_quantity(samples, price, prices, salvage)
    quantities = _level_grid(samples, n_quantities, best)
    revenue = (price - salvage) * expected_sales(quantities, samples) + salvage * quantities
    retailer = revenue[None, :] - prices[:, None] * quantities[None, :]
    supplier = (prices[:, None] - cost) * quantities[None, :]
    return SupplierRetailerGame(prices, quantities, best, supplier, retailer, revenue - cost * quantities,
                                float(price), float(cost), float(salvage))


@dataclass
class ChannelGame:
    """Two channels choosing stocking levels; payoffs of shape (levels_1, levels_2)."""

    levels_1: np.ndarray
    levels_2: np.ndarray
    payoff_1: np.ndarray
    payoff_2: np.ndarray
    newsvendor_1: float  # each channel's newsvendor quantity for its own demand alone
    newsvendor_2: float
    spill: float

    @property
    def payoffs(self) -> list[np.ndarray]:
        return [self.payoff_1, self.payoff_2]


def channel_competition_game(
    samples_1: np.ndarray,
    samples_2: np.ndarray,
    price: float,
    cost: float,
    salvage: float,
    spill: float,
    n_levels: int = 9,
) -> ChannelGame:
    """The competitive newsvendor (Lippman & McCardle 1997) on a grid of stocking levels.

    Channel i stocks q_i and faces its own demand D_i plus ``spill`` (``games.grid.spill``) times
    the other's unmet demand: R_i = D_i + s (D_j - q_j)^+. Its profit is
    ``(p - v) E[min(q_i, R_i)] - (c - v) q_i``, averaged over the paired samples (D_1, D_2)
    (the joint empirical distribution), for every pair of levels at once.

    Each channel's levels: ``n_levels`` (``games.grid.n_stock_levels``) points from 0 to the 99%
    quantile of D_i + s D_j, plus its newsvendor quantities for D_i (the other serving everyone)
    and for D_i + s D_j (the other stocking nothing), the ends of its best-response range.
    """
    Economics(price, cost, salvage)  # validates 0 <= v < c < p
    d1, d2 = np.asarray(samples_1, dtype=float), np.asarray(samples_2, dtype=float)
    if d1.ndim != 1 or d1.shape != d2.shape:
        raise ValueError(f"channel game: paired samples expected, got shapes {d1.shape} and {d2.shape}")
    if not 0 <= spill <= 1:
        raise ValueError(f"games.grid.spill={spill}; expected a share in [0, 1]")
    if n_levels < 2:
        raise ValueError(f"games.grid.n_stock_levels={n_levels}; expected 2 or more")

    def levels(own: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, float]:
        alone = critical_fractile_quantity(own, price, cost, salvage)
        most = critical_fractile_quantity(own + spill * other, price, cost, salvage)
        return _level_grid(own + spill * other, n_levels, np.array([alone, most])), float(alone)

    (q1, nv1), (q2, nv2) = levels(d1, d2), levels(d2, d1)
    unmet_1 = np.maximum(d1[None, :] - q1[:, None], 0.0)  # (levels_1, samples)
    unmet_2 = np.maximum(d2[None, :] - q2[:, None], 0.0)
    # effective demands over (levels_1, levels_2, samples)
    r1 = d1[None, None, :] + spill * unmet_2[None, :, :]
    r2 = d2[None, None, :] + spill * unmet_1[:, None, :]
    sold_1 = np.minimum(q1[:, None, None], r1).mean(axis=2)
    sold_2 = np.minimum(q2[None, :, None], r2).mean(axis=2)
    payoff_1 = (price - salvage) * sold_1 - (cost - salvage) * q1[:, None]
    payoff_2 = (price - salvage) * sold_2 - (cost - salvage) * q2[None, :]
    return ChannelGame(q1, q2, payoff_1, payoff_2, nv1, nv2, float(spill))


@dataclass
class TierGame:
    """The serial chain's margin game: ``payoffs[i]`` has one axis per tier."""

    names: list[str]
    markups: np.ndarray  # (tiers, levels): each tier's margins
    payoffs: list[np.ndarray]


def markup_levels(a: float, costs: Sequence[float], n_levels: int) -> np.ndarray:
    """Margins from half the symmetric equilibrium margin (a - C)/(n + 1) to (a - C)/n (C = sum
    of the costs, n tiers), with the equilibrium margin added, so the grid holds the game's pure
    equilibrium (``games.grid.n_tier_markups`` points). The top, (a - C)/n, keeps the quantity
    positive unless every tier takes it: a grid whose margins could sum past a - C would price the
    chain out on many profiles, every payoff there 0, a degenerate game on which Gambit's global
    Newton method may not return.

    >>> markup_levels(10.0, [1.0, 1.0, 1.0], 3).tolist()
    [0.875, 1.6041666666666667, 1.75, 2.3333333333333335]
    """
    n, slack = len(costs), a - float(np.sum(costs))
    if slack <= 0:
        raise ValueError(f"tier game: demand intercept a={a} does not exceed the chain's unit cost {np.sum(costs)}")
    return np.unique(np.append(np.linspace(slack / (2 * (n + 1)), slack / n, n_levels), slack / (n + 1)))


def tier_markup_game(
    a: float,
    b: float,
    costs: Sequence[float],
    markups: np.ndarray,
    names: Sequence[str] | None = None,
) -> TierGame:
    """Each tier of a serial chain picks its margin m_i at once; the retail price is
    ``P = sum(costs) + sum(m)``, the quantity ``q = max(0, (a - P)/b)`` (linear demand
    P = a - b q) and tier i earns ``m_i q`` (Spengler's double marginalisation with n firms).

    ``markups`` is one grid shared by every tier (1-D) or one row per tier (2-D). Returns one
    payoff array per tier, of shape ``(levels,) * tiers``, built by broadcasting.
    """
    n = len(costs)
    grid = np.asarray(markups, dtype=float)
    grid = np.broadcast_to(grid, (n, grid.shape[-1])) if grid.ndim == 1 else grid
    if grid.shape[0] != n:
        raise ValueError(f"tier game: {grid.shape[0]} rows of markups for {n} tiers")
    if b <= 0:
        raise ValueError(f"tier game: demand slope b={b}; expected b > 0")
    names = list(names) if names is not None else [f"tier {i + 1}" for i in range(n)]
    margins = np.meshgrid(*grid, indexing="ij")
    quantity = np.maximum(0.0, (a - np.sum(costs) - sum(margins)) / b)
    return TierGame(names, np.array(grid), [m * quantity for m in margins])
