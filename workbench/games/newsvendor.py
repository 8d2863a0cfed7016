"""The season's demand ``D`` of the newsvendor and the integrated chain's optimum.

Notation of Cachon (2003), "Supply chain coordination with contracts", Handbooks in OR & MS 11,
section 2: ``F`` is the distribution of the season's demand, ``S(q) = E[min(q, D)] = int_0^q
(1 - F(x)) dx`` the expected sales of an order of ``q``, ``I(q) = q - S(q)`` the expected
leftover inventory and ``mu - S(q) = E[(D - q)^+]`` the expected lost sales. With retail price
``p``, unit cost ``c`` and salvage value ``v`` the integrated chain earns

    Pi(q) = p S(q) + v I(q) - c q = (p - v) S(q) - (c - v) q,

maximised at the newsvendor quantity ``F(q0) = (p - c) / (p - v)``.

Demand is either the data's season totals (:meth:`SeasonDemand.from_samples`, a continuous
piecewise-linear distribution with exact ``S``) or any scipy.stats frozen continuous distribution
(:meth:`SeasonDemand.from_scipy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate, stats

MAX_NEGATIVE_MASS = 0.01  # a scipy demand may put at most this probability below zero


@dataclass(frozen=True)
class Economics:
    """Retail price ``p``, the supplier's unit production cost ``c`` and salvage value ``v``.

    The retailer's own marginal cost is zero and unmet demand costs no goodwill (Cachon's basic
    model); validated ``0 <= v < c < p``.

    >>> Economics(price=10.0, cost=4.0, salvage=1.0).critical_ratio
    0.6666666666666666
    """

    price: float
    cost: float
    salvage: float

    def __post_init__(self) -> None:
        p, c, v = self.price, self.cost, self.salvage
        if not (np.isfinite([p, c, v]).all() and 0 <= v < c < p):
            raise ValueError(
                f"newsvendor economics: expected 0 <= salvage v ({v:.4g}) < unit cost c ({c:.4g})"
                f" < retail price p ({p:.4g})"
            )

    @property
    def critical_ratio(self) -> float:
        """The integrated chain's critical fractile ``(p - c) / (p - v)``."""
        return (self.price - self.cost) / (self.price - self.salvage)


class SeasonDemand:
    """The distribution of one season's demand ``D >= 0``; every method is vectorised over ``q``.

    Build it with :meth:`from_samples` or :meth:`from_scipy`.
    """

    mean: float
    sd: float

    @staticmethod
    def from_samples(samples: np.ndarray) -> EmpiricalDemand:
        return EmpiricalDemand(samples)

    @staticmethod
    def from_scipy(frozen) -> ScipyDemand:
        return ScipyDemand(frozen)

    def cdf(self, q):
        raise NotImplementedError

    def ppf(self, u):
        raise NotImplementedError

    def expected_sales(self, q):
        """``S(q) = E[min(q, D)] = int_0^q (1 - F(x)) dx``."""
        raise NotImplementedError

    def expected_leftover(self, q):
        """``I(q) = E[(q - D)^+] = q - S(q)``."""
        return np.asarray(q, dtype=float) - self.expected_sales(q)

    def expected_lost(self, q):
        """``E[(D - q)^+] = mu - S(q)``."""
        return self.mean - self.expected_sales(q)

    def expected_sales_above(self, q, t):
        """``E[(min(q, D) - t)^+] = (S(q) - S(t))^+``: the expected sales beyond a threshold ``t``
        (the sales rebate's base, Taylor 2002)."""
        return np.maximum(self.expected_sales(q) - self.expected_sales(t), 0.0)

    @property
    def upper(self) -> float:
        """The largest order worth considering: the top of the support, or ``F^-1(1 - 1e-6)`` when
        the support is unbounded."""
        top = float(self.ppf(1.0))
        return top if np.isfinite(top) else float(self.ppf(1.0 - 1e-6))


class EmpiricalDemand(SeasonDemand):
    """The data's season totals as a continuous, piecewise-linear distribution.

    Construction: the knots are the distinct sample values ``x_1 < ... < x_m``; at each the CDF
    takes the value's mid-rank ``r_k = #{D_i < x_k} + (#{D_i = x_k} + 1) / 2``, rescaled to
    ``F_k = (r_k - r_1) / (r_m - r_1)`` so that ``F(x_1) = 0`` and ``F(x_m) = 1``; ``F`` is linear
    between knots, hence continuous and strictly increasing on ``[x_1, x_m]``. Without ties
    ``F_k = (k - 1) / (n - 1)``: ``ppf`` is then numpy's default (linear, Hyndman-Fan type 7)
    sample quantile. Each gap ``[x_k, x_k+1]`` carries probability ``F_k+1 - F_k``, spread
    uniformly, so ``S`` is exact: a quadratic on every gap.

    >>> d = SeasonDemand.from_samples(np.array([0.0, 10.0, 20.0]))
    >>> float(d.cdf(5.0)), float(d.expected_sales(10.0)), d.mean
    (0.25, 7.5, 10.0)
    """

    def __init__(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, dtype=float).ravel()
        if x.size == 0 or not np.isfinite(x).all():
            raise ValueError("season demand samples: expected finite numbers; got NaN, infinity or nothing")
        if (x < 0).any():
            raise ValueError(f"season demand samples: expected non-negative demand; {int((x < 0).sum())} are negative"
                             f" (smallest {x.min():.4g})")
        if not (x > 0).any():
            raise ValueError("season demand samples: every sample is zero; the category has no demand")
        values, counts = np.unique(x, return_counts=True)
        if values.size < 2:
            raise ValueError(f"season demand samples: all {x.size} samples equal {values[0]:.4g}; expected two or more"
                             " distinct values for a continuous distribution")
        below = np.concatenate([[0], np.cumsum(counts)[:-1]])
        mid_rank = below + (counts + 1) / 2
        self.knots = values
        self.levels = (mid_rank - mid_rank[0]) / (mid_rank[-1] - mid_rank[0])
        width = np.diff(values)
        self._slope = np.diff(self.levels) / width
        # S at each knot: S(x_1) = x_1 (no demand below it), then the trapezoid of 1 - F on each gap
        trapezoids = width * (1 - (self.levels[:-1] + self.levels[1:]) / 2)
        self._s_knots = values[0] + np.concatenate([[0.0], np.cumsum(trapezoids)])
        self.mean = float(self._s_knots[-1])
        mass = np.diff(self.levels)
        second = float(mass @ ((values[:-1] ** 2 + values[:-1] * values[1:] + values[1:] ** 2) / 3))
        self.sd = float(np.sqrt(max(second - self.mean**2, 0.0)))

    def cdf(self, q):
        return np.interp(q, self.knots, self.levels)

    def ppf(self, u):
        return np.interp(u, self.levels, self.knots)

    def expected_sales(self, q):
        q = np.asarray(q, dtype=float)
        k = np.clip(np.searchsorted(self.knots, q, side="right") - 1, 0, self.knots.size - 2)
        t = np.clip(q - self.knots[k], 0.0, self.knots[k + 1] - self.knots[k])
        inside = self._s_knots[k] + t * (1 - self.levels[k]) - self._slope[k] * t**2 / 2
        # below the support every unit sells (S(q) = q); above it S is the mean
        return np.where(q <= self.knots[0], q, inside)


class ScipyDemand(SeasonDemand):
    """A scipy.stats frozen continuous distribution as the season's demand.

    ``S(q)`` is exact for the uniform (a quadratic) and the normal (``mu - sigma L(z)`` with the
    standard normal loss function ``L(z) = phi(z) - z (1 - Phi(z))``, the textbook's convention
    that ignores the normal's small mass below zero); for any other distribution it is
    ``int_0^q (1 - F(x)) dx`` by ``scipy.integrate.quad`` to 1e-10. A distribution with support
    below zero is refused, except a normal with at most 1% of its mass there.

    >>> d = SeasonDemand.from_scipy(stats.uniform(0, 1))
    >>> float(d.expected_sales(0.5)), float(d.expected_lost(0.5))
    (0.375, 0.125)
    """

    def __init__(self, frozen) -> None:
        if not hasattr(frozen, "dist") or not isinstance(frozen.dist, stats.rv_continuous):
            raise ValueError(f"season demand: expected a frozen scipy.stats continuous distribution; got {frozen!r}")
        self.frozen = frozen
        self.name = frozen.dist.name
        low = float(frozen.support()[0])
        negative = float(frozen.cdf(0.0))
        if (self.name != "norm" and low < 0) or negative > MAX_NEGATIVE_MASS:
            raise ValueError(f"season demand: expected non-negative demand; {self.name}{frozen.args} puts"
                             f" probability {negative:.3g} below zero")
        self.mean, self.sd = float(frozen.mean()), float(frozen.std())
        if not self.mean > 0:
            raise ValueError(f"season demand: {self.name}{frozen.args} has mean {self.mean:.4g}; expected demand")

    def cdf(self, q):
        return self.frozen.cdf(q)

    def ppf(self, u):
        return self.frozen.ppf(u)

    def expected_sales(self, q):
        q = np.asarray(q, dtype=float)
        if self.name == "norm":
            z = (q - self.mean) / self.sd
            return self.mean - self.sd * (stats.norm.pdf(z) - z * stats.norm.sf(z))
        if self.name == "uniform":
            low, high = self.frozen.support()
            t = np.clip(q, low, high) - low
            return np.minimum(q, low) + t - t**2 / (2 * (high - low))
        # integrate 1 - F between consecutive sorted orders and accumulate: one short quad each
        flat = np.maximum(q.ravel(), 0.0)
        order = np.argsort(flat)
        edges = np.concatenate([[0.0], flat[order]])
        pieces = [integrate.quad(self.frozen.sf, a, b, epsabs=1e-10, epsrel=1e-10, limit=200)[0] if b > a else 0.0
                  for a, b in zip(edges[:-1], edges[1:], strict=True)]
        out = np.empty_like(flat)
        out[order] = np.cumsum(pieces)
        return np.where(q < 0, q, out.reshape(q.shape))


def newsvendor_quantity(demand: SeasonDemand, underage: float, overage: float):
    """The newsvendor order ``F^-1(c_u / (c_u + c_o))`` for underage cost ``c_u`` (the margin lost
    on a unit short) and overage cost ``c_o`` (the loss on a unit left over); 0 when ``c_u <= 0``.

    >>> round(float(newsvendor_quantity(SeasonDemand.from_scipy(stats.norm(50, 8)), 0.7, 0.18)), 2)
    56.6
    """
    cu, co = np.asarray(underage, dtype=float), np.asarray(overage, dtype=float)
    if (co < 0).any():
        raise ValueError(f"newsvendor: overage cost {co} < 0; expected a cost of leftover stock >= 0")
    fractile = np.where(cu > 0, np.clip(cu, 0, None) / np.where(cu + co > 0, cu + co, 1.0), 0.0)
    return np.where(fractile > 0, demand.ppf(fractile), 0.0)


def chain_profit(q, demand: SeasonDemand, econ: Economics):
    """The integrated chain's expected profit ``Pi(q) = (p - v) S(q) - (c - v) q``."""
    return (econ.price - econ.salvage) * demand.expected_sales(q) - (econ.cost - econ.salvage) * np.asarray(q, float)


def integrated(demand: SeasonDemand, econ: Economics) -> tuple[float, float]:
    """The integrated chain's optimum ``(q0, Pi(q0))`` with ``F(q0) = (p - c) / (p - v)``.

    >>> q0, profit = integrated(SeasonDemand.from_scipy(stats.uniform(0, 1)), Economics(1.0, 0.5, 0.0))
    >>> round(float(q0), 6), round(profit, 6)
    (0.5, 0.125)
    """
    q0 = float(newsvendor_quantity(demand, econ.price - econ.cost, econ.cost - econ.salvage))
    return q0, float(chain_profit(q0, demand, econ))
