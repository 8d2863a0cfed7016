"""Replenishment policies, one small class each, registered by name in :data:`POLICIES`.

A policy turns one forecaster's quantiles and the series' economics (:class:`LevelInputs`)
into its levels per series and decision day, with the closed forms of
:mod:`workbench.inventory.policies`, and names the simulator rule that executes them.
Levels follow the forecast day by day (a weekly pattern moves them): a sum over the days
of a cover replaces the textbook ``mu L``, and with flat forecasts and independent days
the levels are exactly the textbook ones (the tests check each against its closed form).

Covers: an order placed at the end of day t is sold from day t + L, so a continuous-review
rule covers the L days t+1 .. t+L, and a periodic one (review every R days) the R + L - 1
days until the next order arrives.

Lead times that vary (:class:`~workbench.risk.leadtime.LeadTimes`) enter the levels when
``inventory.lead_time.aware``: the normal rule's sigma of lead-time demand adds the lead time's
variance (:func:`lead_time_demand_sd`), and the quantile rules read their level off simulated
lead-time demand: demand paths drawn from the forecast's quantiles summed over drawn lead
times (:meth:`LevelInputs.quantile_over`).

Adding a policy is one class in this module (or any module imported before the study
runs), decorated with :func:`register_policy`, plus its test; ``inventory.policies``
chooses which run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np
import polars as pl

from workbench.inventory.cube import Cube, demand_scenarios
from workbench.inventory.policies import (
    correlated_sum_sd,
    cost_service_level,
    critical_fractile,
    eoq,
    lead_time_demand_sd,
    normal_level,
    normal_sd_from_quantiles,
    quantile_at,
)
from workbench.inventory.simulate import (
    OrderUpToPolicy,
    Policy,
    ReorderPolicy,
    ReorderQuantityPolicy,
)
from workbench.registry import Registry

Levels = dict[str, np.ndarray]


@dataclass(frozen=True)
class LevelInputs:
    """What every policy's levels are computed from: one forecaster's hold-out forecasts
    and, per series, the lead time, the costs and the service target."""

    cube: Cube
    lead: np.ndarray  # (n,) lead time in periods, at least 1
    review: int  # R of the periodic policies, in periods
    holding: np.ndarray  # (n,) h, per unit and period
    order_cost: np.ndarray  # (n,) K, per order
    shortage: np.ndarray  # (n,) p, per unit short
    target: np.ndarray  # (n,) cycle service target
    correlation: float  # between the forecast errors of the days of a cover
    # lead-time variability the levels account for (None: the lead time is taken as fixed)
    lead_samples: np.ndarray | None = None  # (n, K) drawn lead times in periods
    lead_mean: np.ndarray | None = None  # (n,) mean lead time in periods
    lead_sd: np.ndarray | None = None  # (n,) its standard deviation
    seed: int = 0  # of the demand paths of the simulated lead-time demand

    @classmethod
    def from_economics(cls, cube: Cube, econ: pl.DataFrame, review: int, correlation: float,
                       service: float | None = None, lead_times=None, samples: int = 200) -> LevelInputs:
        """From the economics table; ``service`` replaces every series' class target (the
        cost-against-service sweep); ``lead_times`` (a :class:`~workbench.risk.leadtime.LeadTimes`
        that varies) makes the levels account for lead-time variability with ``samples`` draws."""
        lead = econ.get_column("lead_time").to_numpy()
        target = econ.get_column("service_level").to_numpy() if service is None else np.broadcast_to(service, lead.shape)
        variable = {}
        if lead_times is not None and not lead_times.fixed:
            mean, sd = lead_times.moments()
            variable = {"lead_samples": lead_times.samples(samples), "lead_mean": mean, "lead_sd": sd,
                        "seed": lead_times.seed}
        return cls(cube=cube, lead=lead, review=review, holding=econ.get_column("holding_cost").to_numpy(),
                   order_cost=econ.get_column("order_cost").to_numpy(),
                   shortage=econ.get_column("shortage_cost").to_numpy(),
                   target=np.asarray(target, dtype=float), correlation=correlation, **variable)

    @property
    def horizon(self) -> int:
        return self.cube.mean.shape[1]

    @property
    def periodic_cover(self) -> np.ndarray:
        return self.lead + self.review - 1

    @cached_property
    def mean_demand(self) -> np.ndarray:
        """Mean forecast demand per period over the window, per series."""
        return self.cube.mean.mean(axis=1)

    @cached_property
    def eoq(self) -> np.ndarray:
        """The economic order quantity at the mean forecast demand."""
        q, _ = eoq(self.order_cost, np.clip(self.holding, 1e-9, None), np.maximum(self.mean_demand, 1e-9))
        return q

    @property
    def batch(self) -> np.ndarray:
        """The EOQ as whole batches of at least one unit, (n, 1)."""
        return np.maximum(self.eoq, 1.0)[:, None]

    def over(self, daily: np.ndarray, cover: np.ndarray) -> np.ndarray:
        """Sum of ``daily`` (n, H) over the ``cover`` days after each decision day; a cover that
        is not whole (a mean lead time) interpolates linearly between its neighbours."""
        cover = np.asarray(cover)
        if np.issubdtype(cover.dtype, np.integer):
            return self.cube.path(daily, cover, self.horizon)
        lo = np.floor(cover).astype(np.int64)
        w = (cover - lo)[:, None]
        return (1 - w) * self.cube.path(daily, lo, self.horizon) + w * self.cube.path(daily, lo + 1, self.horizon)

    @property
    def varies(self) -> bool:
        """Whether the levels account for lead-time variability."""
        return self.lead_samples is not None

    def quantile_over(self, cover: np.ndarray, level: np.ndarray) -> np.ndarray:
        """The quantile at ``level`` (per series) of demand over the cover: the days' forecast
        quantiles summed over it, or, where lead times vary, the quantile of simulated demand
        over the cover with each draw's own lead time in place of the nominal one."""
        if self.varies:
            return self._simulated_quantile(cover, np.asarray(level, dtype=float))
        daily = quantile_at(self.cube.levels, self.cube.values,
                            np.broadcast_to(np.asarray(level)[:, None], self.cube.mean.shape))
        return self.over(daily, cover)

    def _simulated_quantile(self, cover: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Demand paths drawn from the forecast's quantiles, each summed over ``cover - lead + L_k``
        days with ``L_k`` a drawn lead time; the quantile at ``level`` over the draws, (n, H).

        The days of a path share one quantile level (fully correlated errors), as the fixed-lead
        rules' sums of quantiles assume, so that the two differ by the lead time's variability
        alone."""
        n, H = self.cube.mean.shape
        k = self.lead_samples.shape[1]
        paths = demand_scenarios(self.cube, k, 1.0, self.seed).reshape(k * n, H)
        length = np.maximum(self.lead_samples + (np.asarray(cover) - self.lead)[:, None], 0)  # (n, K)
        sums = np.sort(self.cube.path(paths, length.T.reshape(k * n), self.horizon).reshape(k, n, H), axis=0)
        pos = np.broadcast_to(np.clip(level, 0.0, 1.0), (n,)) * (k - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, k - 1)
        at = lambda i: np.take_along_axis(sums, np.broadcast_to(i[None, :, None], (1, n, H)), axis=0)[0]  # noqa: E731
        return at(lo) + (pos - lo)[:, None] * (at(hi) - at(lo))

    def clip_to_quantiles(self, level: np.ndarray) -> np.ndarray:
        """A service level held inside the forecast's outermost quantile levels."""
        return np.clip(level, self.cube.levels[0], self.cube.levels[-1])


class InventoryPolicy(ABC):
    """One replenishment rule. ``name`` is its identity in settings and tables, ``label``
    what a report shows; ``tradeoff`` puts it on the cost-against-service curves (it must
    then follow ``LevelInputs.target``)."""

    name: ClassVar[str]
    label: ClassVar[str]
    tradeoff: ClassVar[bool] = False

    @abstractmethod
    def levels(self, x: LevelInputs) -> Levels:
        """Its levels, each (n, H) per series and decision day, or (n,) per series."""

    @abstractmethod
    def rule(self, levels: Levels, x: LevelInputs) -> Policy:
        """The simulator rule that places the orders."""

    @abstractmethod
    def parameters(self, levels: Levels) -> dict[str, np.ndarray]:
        """Per-series columns of the parameters table (averages over the window)."""


POLICIES = Registry("inventory policy", setting="inventory.policies")


def register_policy(cls: type[InventoryPolicy]) -> type[InventoryPolicy]:
    """Class decorator: register a policy under its ``name``."""
    POLICIES.register(cls.name)(cls)
    return cls


def make_policies(names: list[str]) -> list[InventoryPolicy]:
    """The policies named in ``inventory.policies``, in that order."""
    return [POLICIES[name]() for name in names]


def label(name: str) -> str:
    """A policy's or plan's display label (a name that is not registered is its own label)."""
    return POLICIES[name].label if name in POLICIES else name


@register_policy
class NormalReorder(InventoryPolicy):
    """(s,S) normal: s = the normal level of lead-time demand at the target, with the days'
    sigma read off the widest forecast quantile pair and combined with the error
    correlation; S = s + EOQ. The textbook rule (:func:`reorder_order_up_to`); where lead times
    vary, over the mean lead time with sigma_LTD = sqrt(sigma_cover^2 + mu_d^2 sigma_L^2)."""

    name, label, tradeoff = "sS_normal", "(s,S) normal", True

    def levels(self, x: LevelInputs) -> Levels:
        c = x.cube
        sd_day = normal_sd_from_quantiles(c.values[..., 0], c.values[..., -1], c.levels[0], c.levels[-1])
        lead = x.lead_mean if x.varies else x.lead  # demand over the mean lead time ...
        mean = x.over(c.mean, lead)
        sd = correlated_sum_sd(x.over(sd_day, lead), x.over(sd_day**2, lead), x.correlation)
        if x.varies:  # ... plus the lead time's own variance
            sd = lead_time_demand_sd(sd, mean / lead[:, None], x.lead_sd[:, None])
        s = normal_level(mean, sd, x.target[:, None])
        return {"s": s, "S": s + x.batch, "sd": sd[:, 0]}

    def rule(self, levels: Levels, x: LevelInputs) -> Policy:
        return ReorderPolicy(levels["s"], levels["S"])

    def parameters(self, levels: Levels) -> dict[str, np.ndarray]:
        return {"sd_lead_time": levels["sd"], "s_normal": levels["s"].mean(axis=1),
                "S_normal": levels["S"].mean(axis=1)}


@register_policy
class QuantileOrderUpTo(InventoryPolicy):
    """(R,S) quantile: every R periods, order up to the forecast's own quantile of demand over
    R + L - 1 periods at the target (:func:`quantile_at`, summed over the days)."""

    name, label, tradeoff = "RS_quantile", "(R,S) quantile", True

    def levels(self, x: LevelInputs) -> Levels:
        return {"S": x.quantile_over(x.periodic_cover, x.target)}

    def rule(self, levels: Levels, x: LevelInputs) -> Policy:
        return OrderUpToPolicy(levels["S"], review=x.review)

    def parameters(self, levels: Levels) -> dict[str, np.ndarray]:
        return {"S_quantile": levels["S"].mean(axis=1)}


@register_policy
class QuantileReorderQuantity(InventoryPolicy):
    """(r,Q) quantile: reorder point = the lead-time demand quantile at the target; Q = EOQ."""

    name, label = "rQ_quantile", "(r,Q) quantile"

    def levels(self, x: LevelInputs) -> Levels:
        r = x.quantile_over(x.lead, x.target)
        return {"r": r, "Q": np.broadcast_to(x.batch, r.shape)}

    def rule(self, levels: Levels, x: LevelInputs) -> Policy:
        return ReorderQuantityPolicy(levels["r"], levels["Q"])

    def parameters(self, levels: Levels) -> dict[str, np.ndarray]:
        return {"r_quantile": levels["r"].mean(axis=1)}


@register_policy
class NewsvendorOrderUpTo(InventoryPolicy):
    """(R,S) newsvendor: as (R,S) quantile, at the cost-optimal service level ``1 - h R / p``
    (:func:`cost_service_level`) instead of a target."""

    name, label = "RS_newsvendor", "(R,S) newsvendor"

    def levels(self, x: LevelInputs) -> Levels:
        service = x.clip_to_quantiles(cost_service_level(x.holding, x.shortage, x.review))
        return {"S": x.quantile_over(x.periodic_cover, service), "service": service}

    def rule(self, levels: Levels, x: LevelInputs) -> Policy:
        return OrderUpToPolicy(levels["S"], review=x.review)

    def parameters(self, levels: Levels) -> dict[str, np.ndarray]:
        return {"newsvendor_service": levels["service"], "S_newsvendor": levels["S"].mean(axis=1)}


@register_policy
class BaseStock(InventoryPolicy):
    """Base stock: every period, order up to the forecast's quantile of lead-time demand at the
    newsvendor critical fractile ``p / (p + h)`` (:func:`critical_fractile`), the optimal
    base-stock level when a unit short costs p and a unit held h per period."""

    name, label = "base_stock", "base stock"

    def levels(self, x: LevelInputs) -> Levels:
        service = x.clip_to_quantiles(critical_fractile(x.holding, x.shortage))
        return {"S": x.quantile_over(x.lead, service), "service": service}

    def rule(self, levels: Levels, x: LevelInputs) -> Policy:
        return OrderUpToPolicy(levels["S"], review=1)

    def parameters(self, levels: Levels) -> dict[str, np.ndarray]:
        return {"base_stock_service": levels["service"], "S_base_stock": levels["S"].mean(axis=1)}
