"""Rolling-horizon re-planning (model-predictive control): the replenishment plans of
:mod:`workbench.inventory.lp` as closed-loop policies of :func:`workbench.inventory.simulate.simulate`.

At the end of every review period t (every ``order_every`` periods from 0) the planner reads the
simulated state (stock on hand, the arrivals already due as the pipeline, the backlog) and the
forecast issued that day, re-solves the plan over the next periods t + 1 ... t + T with a terminal
condition, and places the plan's orders of "now" (an order with lead time L is sellable from
period t + L); between reviews it orders nothing. One compiled problem is kept per horizon length
(:class:`~workbench.inventory.lp.CompiledPlan`), so later reviews, windows and sweeps only re-solve.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.inventory.cube import Cube, demand_scenarios
from workbench.inventory.lp import CompiledPlan, Limits, PlanError, PlanItems, PlanResult, Transfers
from workbench.inventory.policies import quantile_at
from workbench.inventory.simulate import Policy, State, TransferArcs

KINDS = ("lp", "scenario_lp", "mip")
TERMINALS = ("target", "value", "none")


@dataclass(frozen=True)
class Review:
    """One re-plan: the period it was made at the end of, the periods planned, the solve's
    seconds (compilation included on the first solve of a horizon length) and whether it was that first."""

    t: int
    horizon: int
    seconds: float
    first: bool


def terminal_level(cube: Cube, quantile: float, cover: np.ndarray, horizon: int) -> np.ndarray:
    """The order-up-to level of the cover after the horizon: the forecast ``quantile`` summed over
    days ``horizon ... horizon + cover - 1`` of ``cube`` (day 0 is the plan's first period; days past
    the forecast count as its average day), per series.

    Examples
    --------
    >>> c = Cube(mean=np.full((1, 4), 2.0), values=np.array([[[1.0, 3.0]] * 4]), levels=np.array([0.1, 0.9]))
    >>> terminal_level(c, 0.5, np.array([3]), 2).tolist()
    [6.0]
    """
    if horizon < 1:
        raise ValueError(f"terminal_level: horizon={horizon}; expected at least one period planned")
    path = quantile_at(cube.levels, cube.values, quantile)
    return Cube.path(path, cover, horizon)[:, horizon - 1]


class RollingPlanner(Policy):
    """A plan re-solved at every review from the simulated state: a :class:`Policy` for ``simulate()``.

    Parameters
    ----------
    items : the series' costs, lead times (one per series), limits' groups, case packs; its demand,
        stock and pipeline are replaced at every review.
    forecast_at : ``t -> Cube`` whose day 0 is period t + 1, covering at least the plan's horizon.
    window : periods of the simulation (a null ``horizon`` plans to its end).
    kind : ``lp`` (the forecast ``quantile``), ``scenario_lp`` (``scenarios`` paths drawn from the
        day's cube with ``correlation``, seeded per review; expected cost + ``cvar_weight`` CVaR) or
        ``mip`` (case packs, MOQ, fixed cost per order).
    horizon : periods planned at each review (null: to the window's end).
    terminal : ``target`` (a unit of position short of the order-up-to level of lead time + review
        after the horizon costs the shortage cost), ``value`` (a unit left, up to that level, is
        worth ``terminal_value`` x unit cost) or ``none``.
    transfers : arcs between the rows, in the order of the simulation's :class:`TransferArcs`.
    """

    def __init__(self, items: PlanItems, forecast_at: Callable[[int], Cube], window: int, *, kind: str = "lp",
                 limits: Limits | None = None, transfers: Transfers | None = None, quantile: float = 0.9,
                 scenarios: int = 20, correlation: float = 1.0, seed: int = 0, horizon: int | None = None,
                 order_every: int = 7, terminal: str = "target", terminal_value: float = 1.0,
                 objective: str = "cost", shortage: str = "lost_sales", cvar_alpha: float | None = None,
                 cvar_weight: float = 0.0, solver: str = "HIGHS", mip_gap: float = 0.01,
                 time_limit: float | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"inventory.mpc.plans: '{kind}' is no plan; expected some of {list(KINDS)}")
        if terminal not in TERMINALS:
            raise ValueError(f"inventory.mpc.terminal='{terminal}'; expected one of {list(TERMINALS)}")
        if horizon is not None and horizon < 1:
            raise ValueError(f"inventory.mpc.horizon={horizon}; expected a number of periods >= 1, or null")
        if order_every < 1:
            raise ValueError(f"inventory.lp.order_every={order_every}; expected >= 1")
        if not 0.0 < quantile < 1.0:
            raise ValueError(f"inventory.mpc.quantiles: {quantile} is no forecast quantile; expected in (0, 1)")
        if kind == "scenario_lp" and scenarios < 1:
            raise ValueError(f"inventory.lp.scenarios={scenarios}; the re-planned scenario LP needs at least one")
        self.lead = np.asarray(items.lead_time)
        if self.lead.ndim != 1:
            raise ValueError(f"RollingPlanner: lead_time has shape {self.lead.shape}; expected one per series (n,)")
        self.n = self.lead.size
        self.items, self.forecast_at, self.window, self.kind = items, forecast_at, int(window), kind
        self.quantile, self.scenarios, self.correlation, self.seed = quantile, scenarios, correlation, seed
        self.horizon, self.order_every, self.terminal = horizon, int(order_every), terminal
        self.transfers = None if kind == "scenario_lp" else transfers  # arcs x scenarios: many times larger
        self.cover = self.lead + self.order_every
        self.weight = None if terminal == "none" else np.broadcast_to(
            np.asarray(items.shortage_cost if terminal == "target" else terminal_value * np.asarray(items.unit_cost),
                       dtype=float), (self.n,)).copy()
        self.options = dict(limits=limits, objective=objective, shortage=shortage, order_every=self.order_every,
                            integer=kind == "mip", cvar_alpha=cvar_alpha if kind == "scenario_lp" else None,
                            cvar_weight=cvar_weight if kind == "scenario_lp" else 0.0, transfers=self.transfers,
                            solver=solver, mip_gap=mip_gap, time_limit=time_limit)
        self.compiled: dict[int, CompiledPlan] = {}  # one compiled problem per horizon length
        self.reviews: list[Review] = []
        self._last: tuple[int, PlanResult] | None = None  # the latest review's period and plan

    def length(self, t: int) -> int:
        """Periods planned at the end of period ``t``."""
        left = self.window - (t + 1)
        return left if self.horizon is None else self.horizon

    def _demand(self, cube: Cube, t: int, T: int) -> np.ndarray:
        if cube.mean.shape != (self.n, cube.mean.shape[1]) or cube.mean.shape[1] < T:
            raise ValueError(f"forecast_at({t}) covers {cube.mean.shape}; expected ({self.n} series, at least {T} days)")
        if self.kind == "scenario_lp":
            return demand_scenarios(cube, self.scenarios, self.correlation, self.seed + t)[:, :, :T]
        return quantile_at(cube.levels, cube.values[:, :T], self.quantile)

    def _compiled(self, T: int) -> CompiledPlan:
        if T not in self.compiled:
            shape = (self.scenarios, self.n, T) if self.kind == "scenario_lp" else (self.n, T)
            items = PlanItems(**{**self.items.__dict__, "demand": np.zeros(shape), "start_stock": np.zeros(self.n),
                                 "pipeline": None})
            self.compiled[T] = CompiledPlan(items, **self.options, terminal_weight=self.weight, now=True)
        return self.compiled[T]

    def plan(self, state: State) -> PlanResult:
        """The plan re-solved at the end of period ``state.t`` (its period 0 is ``state.t + 1``)."""
        t, T = state.t, self.length(state.t)
        cube = self.forecast_at(t)
        first = T not in self.compiled
        compiled = self._compiled(T)
        level = None if self.weight is None else terminal_level(cube, self.quantile, self.cover, T)
        t0 = time.perf_counter()
        try:
            result = compiled.solve(self._demand(cube, t, T), state.stock, state.arrivals, state.backlog, level)
        except PlanError as err:
            raise type(err)(f"the re-planned {self.kind} at the review of period {t}: {err}") from err
        self.reviews.append(Review(t, T, time.perf_counter() - t0, first))
        self._last = (t, result)
        return result

    def decide(self, state: State) -> np.ndarray:
        if state.t % self.order_every or self.length(state.t) < 1:
            return np.zeros(self.n)
        if self._last is None or self._last[0] != state.t:
            self.plan(state)
        return self._last[1].orders[:, 0]

    def transfer(self, state: State, arcs: TransferArcs) -> np.ndarray | None:
        """The latest plan's transfers of this period along ``arcs`` (the plan's own, in their order),
        scaled down where a source no longer holds what the plan sends."""
        if self.transfers is None:
            return None
        src = np.asarray(arcs.source)
        if src.shape != np.shape(self.transfers.source) or np.any(src != self.transfers.source) \
                or np.any(np.asarray(arcs.target) != self.transfers.target):
            raise ValueError("RollingPlanner.transfer: the simulation's arcs differ from the plan's transfers;"
                             " expected the same arcs in the same order")
        if state.t % self.order_every == 0 and self.length(state.t) >= 1 and (self._last is None or self._last[0] != state.t):
            self.plan(state)
        if self._last is None or state.t - self._last[0] >= self._last[1].transfers.shape[1]:
            return None
        moves = self._last[1].transfers[:, state.t - self._last[0]]
        sent = np.bincount(src, weights=moves, minlength=self.n)
        scale = np.where(sent > state.stock, state.stock / np.maximum(sent, 1e-12), 1.0)
        return moves * scale[src]

    @property
    def solve_seconds(self) -> np.ndarray:
        """Seconds of each review's solve, in order."""
        return np.array([r.seconds for r in self.reviews])
