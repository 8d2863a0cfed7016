"""The bullwhip effect measured against its theory, and the value of sharing demand information.

Closed forms (Chen, Drezner, Ryan & Simchi-Levi 2000, Management Science 46(3)) for a moving average
over p periods, lead time L, AR(1) demand with correlation rho, and z = 0:

    single stage     Var(q)/Var(D) = 1 + (2L/p + 2L^2/p^2)(1 - rho^p)           (equality)
    decentralised    Var(q^k)/Var(D) >= prod_{i<=k} (1 + 2L_i/p + 2L_i^2/p^2)    (i.i.d. demand)
    centralised      Var(q^k)/Var(D) >= 1 + 2 S_k/p + 2 S_k^2/p^2,  S_k = L_1 + ... + L_k

and for exponential smoothing with ``alpha`` (Chen, Ryan & Simchi-Levi 2000, Naval Research Logistics
47(4)), i.i.d. demand: ``1 + 2 L alpha + 2 L^2 alpha^2 / (2 - alpha)``. With z = 0 and negative orders
allowed every tier is a linear filter of the demand, so :func:`linear_ratios` gives the exact ratios of
the whole chain for either forecast and any rho, by integrating the filters' gains against the AR(1)
spectrum. The simulation (``workbench.games.bullwhip``) is tested against all of these.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.signal import find_peaks

from workbench.games.bullwhip import (
    ChainResult,
    check_settings,
    simulate_chain,
    simulate_config,
    tier_costs,
    tier_names,
)


def chen_bound(lead_time: float, window: int, rho: float = 0.0) -> float:
    """Chen et al.'s (2000) single-stage ratio ``1 + (2L/p + 2L^2/p^2)(1 - rho^p)`` (moving average, z = 0).

    >>> chen_bound(2, 8)
    1.625
    >>> round(chen_bound(2, 4, rho=0.5), 6)
    2.40625
    """
    a = lead_time / window
    return 1.0 + (2 * a + 2 * a * a) * (1.0 - rho**window)


def exp_smoothing_bound(lead_time: float, alpha: float, rho: float = 0.0) -> float:
    """Single-stage ratio for an exponentially smoothed forecast (z = 0): the order is
    ``(1 + L alpha) D_t - L alpha mu_hat_{t-1}``, whence, with ``c = 1 - alpha``,
    ``(1 + La)^2 + (La)^2 a/(2 - a) (1 + c rho)/(1 - c rho) - 2 (1 + La) La a rho/(1 - c rho)``;
    for i.i.d. demand ``1 + 2 L alpha + 2 L^2 alpha^2 / (2 - alpha)``.

    >>> round(exp_smoothing_bound(2, 0.25), 6)
    2.285714
    """
    la, c = lead_time * alpha, 1.0 - alpha
    var_level = alpha / (2 - alpha) * (1 + c * rho) / (1 - c * rho)  # Var(mu_hat) / Var(D)
    cov = alpha * rho / (1 - c * rho)  # Cov(D_t, mu_hat_{t-1}) / Var(D)
    return (1 + la) ** 2 + la**2 * var_level - 2 * (1 + la) * la * cov


def stage_factor(lead_time: float, window: int, rho: float = 0.0, forecast: str = "moving_average",
                 alpha: float = 0.25) -> float:
    """The single-stage ratio of the forecast in use: :func:`chen_bound` or :func:`exp_smoothing_bound`."""
    if forecast == "moving_average":
        return chen_bound(lead_time, window, rho)
    return exp_smoothing_bound(lead_time, alpha, rho)


def decentralised_bound(lead_times, window: int, rho: float = 0.0, *, forecast: str = "moving_average",
                        alpha: float = 0.25) -> np.ndarray:
    """Chen et al.'s lower bound at each tier without shared information: the product of the single-stage
    factors of the tiers up to it. They prove it for i.i.d. demand; with ``rho`` the product of the AR(1)
    factors is given as a reference (the exact ratios, :func:`linear_ratios`, exceed it in the cases tested,
    but it is not a proven bound).

    >>> decentralised_bound([2, 2], 8).tolist()
    [1.625, 2.640625]
    """
    return np.cumprod([stage_factor(lead, window, rho, forecast, alpha) for lead in lead_times])


def centralised_bound(lead_times, window: int, rho: float = 0.0, *, forecast: str = "moving_average",
                      alpha: float = 0.25) -> np.ndarray:
    """Chen et al.'s lower bound at each tier when all forecast from the customers' demand: the single-stage
    factor of the lead times summed up to the tier (exact for z = 0, any ``rho``).

    >>> centralised_bound([2, 2, 2, 2], 8).tolist()
    [1.625, 2.5, 3.625, 5.0]
    """
    return np.array([stage_factor(s, window, rho, forecast, alpha) for s in np.cumsum(lead_times)])


def linear_ratios(
    lead_times, forecast: str = "moving_average", window: int = 8, alpha: float = 0.25, rho: float = 0.0,
    share_information: bool = False, grid: int = 8192,
) -> np.ndarray:
    """Exact ``Var(q^k)/Var(D)`` per tier for z = 0 and negative orders allowed, with AR(1) demand.

    Tier k's order is ``H_k(B) x`` with x the demand it forecasts from and B the backshift: moving average
    ``H = 1 + (L/p)(1 - B^p)``, exponential smoothing ``H = 1 + L alpha (1 - B)/(1 - (1 - alpha) B)``.
    Without sharing the filters of the tiers multiply; with sharing tier k is one filter with the summed
    lead time. The variance is the mean over frequencies of ``|H|^2`` times the AR(1) spectral density
    ``(1 - rho^2)/|1 - rho e^{-i w}|^2`` (the periodic trapezoid rule, exact to rounding for ``grid`` well
    above p and 1/alpha).

    >>> bool(np.allclose(linear_ratios([2], window=8), chen_bound(2, 8)))
    True
    >>> bool(np.allclose(linear_ratios([3], "exp_smoothing", alpha=0.3, rho=0.6), exp_smoothing_bound(3, 0.3, 0.6)))
    True
    """
    lead = check_settings(lead_times, forecast=forecast, window=window, alpha=alpha)
    z = np.exp(-2j * np.pi * np.arange(grid) / grid)
    density = (1 - rho**2) / np.abs(1 - rho * z) ** 2

    def gain(cover: float) -> np.ndarray:
        if forecast == "moving_average":
            h = 1 + cover / window * (1 - z**window)
        else:
            h = 1 + cover * alpha * (1 - z) / (1 - (1 - alpha) * z)
        return np.abs(h) ** 2

    if share_information:
        gains = [gain(s) for s in np.cumsum(lead)]
    else:
        gains = list(np.cumprod([gain(x) for x in lead], axis=0))
    return np.array([float(np.mean(g * density)) for g in gains])


def bullwhip_ratios(result: ChainResult, warmup: int = 0) -> np.ndarray:
    """``Var(orders of tier k)/Var(end-customer demand)`` per tier, after ``warmup`` periods.

    Both variances are pooled over paths and periods (about the grand mean, ddof = 1). The paths are
    independent replicas of one stationary process with a common mean, so the pooled variance estimates
    the marginal variance ``Var(q_t)`` of the formulas with a bias of order 1/(paths x periods). The
    average of per-path variances would not: each path's own mean absorbs the slow part of the variance
    (about the long-run variance over the periods), and because the orders' sums telescope to the
    demand's, numerator and denominator lose the same amount, which biases the ratio upwards: by 1% at the
    retailer to 3% at the fourth tier for AR(1) demand with rho = 0.7 over 156 periods, where the pooled
    estimate is within 0.2% of :func:`linear_ratios` at 4,000 paths.
    """
    orders = result.orders[:, :, warmup:]
    demand_var = result.demand[:, warmup:].var(ddof=1)
    return orders.reshape(orders.shape[0], -1).var(axis=1, ddof=1) / demand_var


def value_of_information(without: ChainResult, with_sharing: ChainResult, holding_costs, backorder_costs,
                         warmup: int = 0) -> float:
    """Total chain cost per period without shared information minus with it (the same demand paths)."""
    if without.demand is not with_sharing.demand and not np.array_equal(without.demand, with_sharing.demand):
        raise ValueError("value_of_information: expected both simulations on the same demand paths")
    before = tier_costs(without, holding_costs, backorder_costs, warmup).sum()
    return float(before - tier_costs(with_sharing, holding_costs, backorder_costs, warmup).sum())


def sharing_table(without: ChainResult, with_sharing: ChainResult, holding_costs, backorder_costs,
                  window: int, warmup: int = 0, rho: float = 0.0, forecast: str = "moving_average",
                  alpha: float = 0.25) -> pl.DataFrame:
    """One row per tier: the simulated ratios without and with shared information; Chen et al.'s
    decentralised and centralised bounds; the exact ratios of the linear chain (z = 0, negative orders
    allowed: :func:`linear_ratios`) with and without sharing; and each tier's cost per period without and
    with sharing. ``rho`` is the demand's lag-1 autocorrelation (0 for i.i.d. demand). Both simulations
    must share their demand paths (common random numbers), so that the difference in costs is the value of
    information rather than noise."""
    lead = without.lead_times
    theory = dict(window=window, rho=rho, forecast=forecast, alpha=alpha)
    return pl.DataFrame({
        "tier": tier_names(len(lead)),
        "lead_time": list(lead),
        "ratio_no_sharing": bullwhip_ratios(without, warmup),
        "ratio_sharing": bullwhip_ratios(with_sharing, warmup),
        "decentralised_bound": decentralised_bound(lead, **theory),
        "centralised_bound": centralised_bound(lead, **theory),
        "linear_no_sharing": linear_ratios(lead, **theory),
        "linear_sharing": linear_ratios(lead, share_information=True, **theory),
        "cost_no_sharing": tier_costs(without, holding_costs, backorder_costs, warmup),
        "cost_sharing": tier_costs(with_sharing, holding_costs, backorder_costs, warmup),
    })


def step_response(lead_times, supply_line_weight: float, *, base: float = 100.0, step: float = 1.0,
                  step_at: int = 10, periods: int = 100, **settings) -> ChainResult:
    """Sterman's chain, on one path, after the customers' demand steps from ``base`` to ``base (1 + step)``
    in period ``step_at`` (the beer game's step from 4 to 8 cases is ``step=1``). Plot its
    ``effective_inventory`` per tier to see the oscillation."""
    demand = np.full((1, periods), base)
    demand[:, step_at:] *= 1 + step
    return simulate_chain(demand, lead_times, policy="sterman", supply_line_weight=supply_line_weight,
                          initial_mean=base, **settings)


def oscillation(series: np.ndarray, prominence: float) -> tuple[float, float]:
    """Peak-to-trough amplitude of a path and its period: the mean distance between successive peaks
    (``nan`` with fewer than two peaks of at least ``prominence``)."""
    peaks, _ = find_peaks(series, prominence=prominence)
    period = float(np.diff(peaks).mean()) if peaks.size >= 2 else float("nan")
    return float(np.ptp(series)), period


def sterman_oscillation(demand: np.ndarray, lead_times, betas=(0.34, 1.0), *, stock_adjustment: float = 0.25,
                        alpha: float = 0.25, warmup: int = 0, step: float = 1.0, step_at: int = 10,
                        periods: int = 100, **settings) -> pl.DataFrame:
    """For each supply-line weight beta in ``betas`` and each tier: the bullwhip ratio of Sterman's
    anchoring-and-adjustment rule on ``demand``, and the amplitude (peak to trough, in units) and period
    (periods between peaks) of the tier's effective inventory after a step in demand from its mean to
    ``(1 + step)`` times it (:func:`step_response`). Underweighting the supply line (beta < 1) makes the
    tiers order again what is already on its way, so stock overshoots and oscillates."""
    base = float(np.asarray(demand).mean())
    rows = []
    for beta in betas:
        kw = dict(stock_adjustment=stock_adjustment, alpha=alpha, **settings)
        ratios = bullwhip_ratios(simulate_chain(demand, lead_times, policy="sterman", supply_line_weight=beta,
                                                **kw), warmup)
        steps = step_response(lead_times, beta, base=base, step=step, step_at=step_at, periods=periods, **kw)
        stock = steps.effective_inventory[:, 0, step_at:]  # from the step on
        for k, name in enumerate(steps.tiers):
            amplitude, period = oscillation(stock[k], prominence=0.01 * base)
            rows.append((beta, name, float(ratios[k]), amplitude, period))
    return pl.DataFrame(rows, schema=["supply_line_weight", "tier", "ratio", "amplitude", "period"], orient="row")


def sharing_study(cfg, demand: np.ndarray, holding_costs, backorder_costs, rho: float = 0.0,
                  **overrides) -> tuple[pl.DataFrame, float]:
    """The chain of a ``BullwhipConfig`` on ``demand`` without and with shared information (the same paths):
    :func:`sharing_table` and :func:`value_of_information` at the given costs per unit and period (one per
    tier, retailer first), both after ``cfg.warmup`` periods."""
    without = simulate_config(cfg, demand, share_information=False, **overrides)
    shared = simulate_config(cfg, demand, share_information=True, **overrides)
    table = sharing_table(without, shared, holding_costs, backorder_costs, cfg.window, cfg.warmup,
                          rho=rho, forecast=cfg.forecast, alpha=cfg.alpha)
    return table, value_of_information(without, shared, holding_costs, backorder_costs, cfg.warmup)
