"""Closed-form inventory models in textbook notation (vectorised over items with numpy).

References: Silver, Pyke & Thomas, *Inventory and Production Management in Supply
Chains* (4th ed.); Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed.).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm


def eoq(order_cost, holding_cost, demand_rate):
    """Economic order quantity ``Q* = sqrt(2 K D / h)`` and its cost ``sqrt(2 K D h)``.

    Parameters
    ----------
    order_cost : K, fixed cost per order.
    holding_cost : h, cost of holding one unit for one time unit.
    demand_rate : D, demand per time unit (the same unit as h).

    Examples
    --------
    >>> Q, cost = eoq(order_cost=8, holding_cost=0.225, demand_rate=1300)
    >>> round(float(Q), 2), round(float(cost), 2)
    (304.05, 68.41)
    """
    K, h, D = (np.asarray(x, dtype=float) for x in (order_cost, holding_cost, demand_rate))
    if np.any(h <= 0):
        raise ValueError("eoq: holding_cost must be positive")
    return np.sqrt(2 * K * D / h), np.sqrt(2 * K * D * h)


def newsvendor_normal(holding_cost, stockout_cost, demand_mean, demand_sd):
    """Newsvendor with normal demand: ``S* = mu + sigma z``, ``z = Phi^-1(p / (p + h))``,
    expected cost ``(h + p) sigma phi(z)``.

    Parameters
    ----------
    holding_cost : h, cost per unit left over.
    stockout_cost : p, cost per unit short.
    demand_mean, demand_sd : mu, sigma of demand.

    Examples
    --------
    >>> S, cost = newsvendor_normal(holding_cost=0.18, stockout_cost=0.70, demand_mean=50, demand_sd=8)
    >>> round(float(S), 2), round(float(cost), 4)
    (56.6, 1.9976)
    """
    h, p, mu, sigma = (np.asarray(x, dtype=float) for x in (holding_cost, stockout_cost, demand_mean, demand_sd))
    z = norm.ppf(p / (p + h))
    return mu + sigma * z, (h + p) * sigma * norm.pdf(z)


def newsvendor_quantile(quantile_levels, quantile_values, holding_cost, stockout_cost):
    """Newsvendor order-up-to level read straight off forecast quantiles: the quantile
    at the critical fractile ``p / (p + h)``, interpolated linearly between the levels.

    ``quantile_values`` has the levels on its last axis.

    Examples
    --------
    >>> float(newsvendor_quantile([0.1, 0.5, 0.9], [80.0, 100.0, 120.0], holding_cost=1, stockout_cost=1))
    100.0
    """
    levels = np.asarray(quantile_levels, dtype=float)
    values = np.asarray(quantile_values, dtype=float)
    fractile = np.asarray(stockout_cost, dtype=float) / (np.asarray(stockout_cost) + np.asarray(holding_cost))
    fractile = np.clip(fractile, levels[0], levels[-1])
    flat_vals = values.reshape(-1, levels.size)
    flat_frac = np.broadcast_to(fractile, values.shape[:-1]).reshape(-1)
    out = np.array([np.interp(f, levels, v) for f, v in zip(flat_frac, flat_vals, strict=True)])
    return out.reshape(values.shape[:-1])


def safety_stock(service_level, demand_sd, lead_time, demand_mean=0.0, lead_time_sd=0.0):
    """Safety stock for a cycle service level with variable demand and lead time:
    ``SS = z sqrt(L sigma_d^2 + mu_d^2 sigma_L^2)``, ``z = Phi^-1(service_level)``.

    ``demand_sd`` and ``demand_mean`` are per period, ``lead_time`` in periods.

    Examples
    --------
    >>> round(float(safety_stock(0.95, demand_sd=10, lead_time=4)), 2)
    32.9
    """
    z = norm.ppf(np.asarray(service_level, dtype=float))
    L = np.asarray(lead_time, dtype=float)
    var = L * np.asarray(demand_sd, dtype=float) ** 2 + (
        np.asarray(demand_mean, dtype=float) ** 2 * np.asarray(lead_time_sd, dtype=float) ** 2
    )
    return z * np.sqrt(var)


def reorder_point(demand_mean, lead_time, safety):
    """Reorder point ``r = mu_d L + SS``.

    Examples
    --------
    >>> float(reorder_point(demand_mean=20, lead_time=4, safety=32.9))
    112.9
    """
    return np.asarray(demand_mean, dtype=float) * np.asarray(lead_time, dtype=float) + np.asarray(safety)


def normal_sd_from_quantiles(q_low, q_high, level_low: float, level_high: float):
    """Standard deviation of a normal with the given quantiles:
    ``sigma = (q_high - q_low) / (z_high - z_low)``.

    Examples
    --------
    >>> round(float(normal_sd_from_quantiles(83.55, 116.45, 0.05, 0.95)), 2)
    10.0
    """
    return (np.asarray(q_high) - np.asarray(q_low)) / (norm.ppf(level_high) - norm.ppf(level_low))
