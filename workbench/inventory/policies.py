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


def quantile_at(quantile_levels, quantile_values, level):
    """Read the quantile at ``level`` off a forecast's quantiles, interpolating linearly
    between the given levels (clipped to the outermost ones); vectorised over rows.

    ``quantile_values`` has the levels on its last axis; ``level`` broadcasts against the
    other axes.

    Examples
    --------
    >>> quantile_at([0.1, 0.5, 0.9], [[80.0, 100.0, 120.0], [0.0, 2.0, 6.0]], [0.7, 0.95]).tolist()
    [110.0, 6.0]
    """
    levels = np.asarray(quantile_levels, dtype=float)
    values = np.asarray(quantile_values, dtype=float)
    if np.any(np.diff(levels) <= 0):
        raise ValueError(f"quantile levels {levels.tolist()} must increase")
    if levels.size == 1:
        return np.broadcast_to(values[..., 0], np.broadcast_shapes(values.shape[:-1], np.shape(level))).copy()
    f = np.clip(np.broadcast_to(np.asarray(level, dtype=float), values.shape[:-1]), levels[0], levels[-1])
    hi = np.clip(np.searchsorted(levels, f, side="left"), 1, levels.size - 1)
    w = (f - levels[hi - 1]) / (levels[hi] - levels[hi - 1])
    take = lambda k: np.take_along_axis(values, k[..., None], axis=-1)[..., 0]  # noqa: E731
    return take(hi - 1) + w * (take(hi) - take(hi - 1))


def critical_fractile(holding_cost, stockout_cost):
    """Newsvendor critical fractile ``p / (p + h)``.

    Examples
    --------
    >>> round(float(critical_fractile(0.18, 0.70)), 4)
    0.7955
    """
    h, p = np.asarray(holding_cost, dtype=float), np.asarray(stockout_cost, dtype=float)
    return p / (p + h)


def newsvendor_quantile(quantile_levels, quantile_values, holding_cost, stockout_cost):
    """Newsvendor order-up-to level read straight off forecast quantiles: the quantile
    at the critical fractile ``p / (p + h)``, interpolated linearly between the levels.

    ``quantile_values`` has the levels on its last axis.

    Examples
    --------
    >>> float(newsvendor_quantile([0.1, 0.5, 0.9], [80.0, 100.0, 120.0], holding_cost=1, stockout_cost=1))
    100.0
    """
    return quantile_at(quantile_levels, quantile_values, critical_fractile(holding_cost, stockout_cost))


def cost_service_level(holding_cost, shortage_cost, review=1):
    """Cost-optimal cycle service level of a periodic-review (R, S) policy when a unit short
    costs ``p`` and a unit held ``h`` per period: ``1 - h R / p`` (Silver, Pyke & Thomas,
    the B2 shortage cost), at least 0.

    Examples
    --------
    >>> round(float(cost_service_level(holding_cost=0.01, shortage_cost=2.0, review=7)), 3)
    0.965
    """
    h, p = np.asarray(holding_cost, dtype=float), np.asarray(shortage_cost, dtype=float)
    return np.clip(1.0 - h * review / np.maximum(p, 1e-12), 0.0, 1.0)


def order_up_to_level(demand_mean, demand_sd, review, lead_time, service_level):
    """(R, S) periodic review: ``S = mu (R + L) + z sigma sqrt(R + L)``, the stock that
    covers demand over the review period plus the lead time.

    Examples
    --------
    >>> round(float(order_up_to_level(demand_mean=10, demand_sd=3, review=7, lead_time=2, service_level=0.95)), 2)
    104.8
    """
    cover = np.asarray(review, dtype=float) + np.asarray(lead_time, dtype=float)
    return np.asarray(demand_mean, dtype=float) * cover + safety_stock(service_level, demand_sd, cover)


def reorder_quantity(demand_mean, demand_sd, lead_time, service_level, order_cost, holding_cost):
    """(r, Q) continuous review: reorder point ``r = mu L + z sigma sqrt(L)`` and the EOQ
    batch ``Q`` (demand and holding cost in the same period).

    Examples
    --------
    >>> r, Q = reorder_quantity(10, 3, 4, 0.95, order_cost=50, holding_cost=0.1)
    >>> round(float(r), 2), round(float(Q), 1)
    (49.87, 100.0)
    """
    r = reorder_point(demand_mean, lead_time, safety_stock(service_level, demand_sd, lead_time))
    q, _ = eoq(order_cost, holding_cost, demand_mean)
    return r, q


def reorder_order_up_to(demand_mean, demand_sd, lead_time, service_level, order_cost, holding_cost):
    """(s, S) continuous review: ``s`` the reorder point, ``S = s + EOQ``.

    Examples
    --------
    >>> s, S = reorder_order_up_to(10, 3, 4, 0.95, order_cost=50, holding_cost=0.1)
    >>> round(float(s), 2), round(float(S), 2)
    (49.87, 149.87)
    """
    r, q = reorder_quantity(demand_mean, demand_sd, lead_time, service_level, order_cost, holding_cost)
    return r, r + q


def lead_time_demand_sd(cover_sd, demand_mean=0.0, lead_time_sd=0.0):
    """Standard deviation of demand over a random lead time:
    ``sigma_LTD = sqrt(sigma_cover^2 + mu_d^2 sigma_L^2)``, where ``sigma_cover`` is that of demand over
    the mean lead time (``sqrt(mu_L) sigma_d`` for independent days, which gives the textbook
    ``sqrt(mu_L sigma_d^2 + mu_d^2 sigma_L^2)``), ``mu_d`` the mean demand per period and ``sigma_L``
    the lead time's standard deviation in periods.

    Examples
    --------
    Demand N(100, 20) per day, lead time N(10, 2) days: ``sqrt(10 * 400 + 100^2 * 4)``.

    >>> round(float(lead_time_demand_sd(cover_sd=20 * 10 ** 0.5, demand_mean=100, lead_time_sd=2)), 2)
    209.76
    """
    return np.sqrt(np.asarray(cover_sd, dtype=float) ** 2
                   + (np.asarray(demand_mean, dtype=float) * np.asarray(lead_time_sd, dtype=float)) ** 2)


def safety_stock(service_level, demand_sd, lead_time, demand_mean=0.0, lead_time_sd=0.0):
    """Safety stock for a cycle service level with variable demand and lead time:
    ``SS = z sqrt(L sigma_d^2 + mu_d^2 sigma_L^2)``, ``z = Phi^-1(service_level)``
    (:func:`lead_time_demand_sd` with independent days).

    ``demand_sd`` and ``demand_mean`` are per period, ``lead_time`` in periods.

    Examples
    --------
    >>> round(float(safety_stock(0.95, demand_sd=10, lead_time=4)), 2)
    32.9
    >>> round(float(safety_stock(0.95, demand_sd=20, lead_time=10, demand_mean=100, lead_time_sd=2)), 1)
    345.0
    """
    z = norm.ppf(np.asarray(service_level, dtype=float))
    cover_sd = np.sqrt(np.asarray(lead_time, dtype=float)) * np.asarray(demand_sd, dtype=float)
    return z * lead_time_demand_sd(cover_sd, demand_mean, lead_time_sd)


def reorder_point(demand_mean, lead_time, safety):
    """Reorder point ``r = mu_d L + SS``.

    Examples
    --------
    >>> float(reorder_point(demand_mean=20, lead_time=4, safety=32.9))
    112.9
    """
    return np.asarray(demand_mean, dtype=float) * np.asarray(lead_time, dtype=float) + np.asarray(safety)


def normal_level(demand_mean, demand_sd, service_level):
    """The level that normal demand stays at or below with probability ``service_level``:
    ``mu + z sigma``, ``z = Phi^-1(service_level)`` (a reorder point when mu and sigma are
    those of lead-time demand, an order-up-to level over the review period plus lead time).

    Examples
    --------
    >>> round(float(normal_level(demand_mean=40, demand_sd=20, service_level=0.95)), 2)
    72.9
    """
    z = norm.ppf(np.asarray(service_level, dtype=float))
    return np.asarray(demand_mean, dtype=float) + z * np.asarray(demand_sd, dtype=float)


def correlated_sum_sd(sum_sd, sum_variance, correlation):
    """Standard deviation of a sum of days' demands whose errors share one pairwise
    correlation rho: ``sqrt((1 - rho) sum sigma_t^2 + rho (sum sigma_t)^2)``, from the sums of
    the days' standard deviations and variances. rho = 0 gives independent days
    (``sigma sqrt(L)`` for L equal days), rho = 1 fully correlated ones (``L sigma``).

    Examples
    --------
    >>> float(correlated_sum_sd(sum_sd=40.0, sum_variance=400.0, correlation=0.0))
    20.0
    >>> float(correlated_sum_sd(sum_sd=40.0, sum_variance=400.0, correlation=1.0))
    40.0
    """
    rho = float(correlation)
    return np.sqrt((1 - rho) * np.asarray(sum_variance, dtype=float) + rho * np.asarray(sum_sd, dtype=float) ** 2)


def normal_sd_from_quantiles(q_low, q_high, level_low: float, level_high: float):
    """Standard deviation of a normal with the given quantiles:
    ``sigma = (q_high - q_low) / (z_high - z_low)``.

    Examples
    --------
    >>> round(float(normal_sd_from_quantiles(83.55, 116.45, 0.05, 0.95)), 2)
    10.0
    """
    return (np.asarray(q_high) - np.asarray(q_low)) / (norm.ppf(level_high) - norm.ppf(level_low))
