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


def terminal_level(cube: Cube, quantile, cover: np.ndarray, horizon: int) -> np.ndarray:
    """The forecast ``quantile`` summed over days ``horizon ... horizon + cover - 1`` of ``cube`` (day 0
    is the plan's first period; days past the forecast count as its average day), per series: ``(n,)``,
    or ``(n, K)`` for ``K`` quantiles at once.

    Examples
    --------
    >>> c = Cube(mean=np.full((1, 4), 2.0), values=np.array([[[1.0, 3.0]] * 4]), levels=np.array([0.1, 0.9]))
    >>> terminal_level(c, 0.5, np.array([3]), 2).tolist()
    [6.0]
    >>> terminal_level(c, [0.1, 0.9], np.array([3]), 2).tolist()
    [[3.0, 9.0]]
    """
    if horizon < 1:
        raise ValueError(f"terminal_level: horizon={horizon}; expected at least one period planned")
    taus = np.atleast_1d(np.asarray(quantile, dtype=float))
    n, H, _ = cube.values.shape
    paths = quantile_at(cube.levels, np.broadcast_to(cube.values[:, :, None, :], (n, H, taus.size, cube.levels.size)),
                        taus)  # (n, H, K)
    flat = paths.transpose(0, 2, 1).reshape(n * taus.size, H)
    level = Cube.path(flat, np.repeat(np.asarray(cover), taus.size), horizon)[:, horizon - 1].reshape(n, taus.size)
    return level[:, 0] if np.ndim(quantile) == 0 else level


def terminal_weights(taus: np.ndarray, shortage_cost: np.ndarray, worth: np.ndarray | None = None) -> np.ndarray:
    """The weights ``w_ik`` of the terminal cost ``sum_k w_ik (b_ik - y)^+`` whose breakpoints ``b_ik``
    are the quantiles ``taus`` (increasing) of the demand after the horizon that the position ``y`` must
    cover: a unit of position at ``y`` saves its expected shortage cost ``p P(D > y)`` (``P(D > y)`` read
    linearly between the breakpoints, ``1`` at ``y = 0``), capped at ``worth`` (None: no cap), and
    nothing above the last breakpoint. Below ``p`` everywhere (``taus > 0``): a unit the plan can sell
    in the horizon is never kept for the end.

    Examples
    --------
    >>> terminal_weights(np.array([0.5, 0.9]), np.array([10.0])).round(6).tolist()  # marginal 7.5, then 3
    [[4.5, 3.0]]
    >>> terminal_weights(np.array([0.5, 0.9]), np.array([10.0]), np.array([5.0])).round(6).tolist()
    [[2.0, 3.0]]
    """
    taus = np.asarray(taus, dtype=float)
    if taus.ndim != 1 or taus.size < 1 or np.any(np.diff(taus) <= 0) or taus[0] <= 0 or taus[-1] >= 1:
        raise ValueError(f"terminal_weights: quantile levels {taus.tolist()}; expected increasing levels in (0, 1)")
    mid = (np.concatenate([[0.0], taus[:-1]]) + taus) / 2.0  # P(D <= y) in the middle of each segment
    marginal = np.asarray(shortage_cost, dtype=float)[:, None] * (1.0 - mid)[None, :]
    if worth is not None:
        marginal = np.minimum(marginal, np.asarray(worth, dtype=float)[:, None])
    return marginal - np.concatenate([marginal[:, 1:], np.zeros((marginal.shape[0], 1))], axis=1)


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
    terminal : ``target``: the inventory position left at the horizon's end (stock + still due -
        backlog, orders of the plan arriving after it included) is worth the shortage cost it saves
        after the horizon, until the first order placed after it can arrive (:meth:`cover`): a unit
        at position ``y`` saves ``p P(D > y)``, up to the ``quantile`` of that demand
        (:func:`terminal_weights`). ``value``: the same, each unit worth at most ``terminal_value`` x
        unit cost. ``none``: what is left is worth nothing.
        A unit at the end is worth less than a sale in the horizon (``P(D > y) < 1``), so the plan
        never keeps for the end what it could sell; and only the demand the position alone must meet
        is asked of it, not a full order-up-to level of lead time + review, which would compete with
        the horizon's own demand for the plan's limits (supplier, budget) and starve the orders of
        "now" of the items with the lower shortage costs.
        Where the horizon reaches the window's end, ``none`` is the window's own objective, so a
        terminal condition cannot lower the window's cost: it serves the same demand (the same fill
        rate) and adds what it buys for after the window, the stock held to its end and the fixed cost
        of the last reviews' orders arriving after it (on the default experiment about +6% cost).
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
        per = lambda v: np.broadcast_to(np.asarray(v, dtype=float), (self.n,))  # noqa: E731
        # what a unit short after the horizon costs: the shortage cost (with profit, the lost revenue too)
        self.unit_shortage = per(items.shortage_cost) + (per(items.price) if objective == "profit" else 0.0)
        self.worth = terminal_value * per(items.unit_cost) if terminal == "value" else None
        self.taus: np.ndarray | None = None  # the terminal cost's quantile levels, from the first forecast
        self.weight: np.ndarray | None = None
        self.options = dict(limits=limits, objective=objective, shortage=shortage, order_every=self.order_every,
                            integer=kind == "mip", cvar_alpha=cvar_alpha if kind == "scenario_lp" else None,
                            cvar_weight=cvar_weight if kind == "scenario_lp" else 0.0, transfers=self.transfers,
                            solver=solver, mip_gap=mip_gap, time_limit=time_limit)
        self.compiled: dict[int, CompiledPlan] = {}  # one compiled problem per horizon length
        self.reviews: list[Review] = []
        self._last: tuple[int, tuple, PlanResult] | None = None  # the latest review's period, state and plan

    def length(self, t: int) -> int:
        """Periods planned at the end of period ``t``."""
        left = self.window - (t + 1)
        return left if self.horizon is None else self.horizon

    def cover(self, T: int) -> np.ndarray:
        """Periods after a horizon of ``T`` that the position left at its end must serve alone: until
        the order of the first review after it arrives (reviews every ``order_every`` periods from the
        plan's start; an order placed at the end of plan period k arrives in plan period k + L - 1).

        Examples
        --------
        >>> p = RollingPlanner.__new__(RollingPlanner)
        >>> p.order_every, p.lead = 7, np.array([1, 7, 14])
        >>> p.cover(27).tolist(), p.cover(14).tolist()
        ([1, 7, 14], [0, 6, 13])
        """
        next_review = -(-T // self.order_every) * self.order_every
        return np.maximum(next_review + self.lead - 1 - T, 0)

    def _terminal(self, cube: Cube, T: int) -> np.ndarray | None:
        """The terminal cost's breakpoints ``(n, K)`` for this review (None: no terminal condition);
        its weights are fixed on the first review, from the forecast's quantile levels."""
        if self.terminal == "none":
            return None
        taus = np.append(cube.levels[cube.levels < self.quantile], self.quantile)
        if self.taus is None:
            self.taus, self.weight = taus, terminal_weights(taus, self.unit_shortage, self.worth)
        elif not np.array_equal(taus, self.taus):
            raise ValueError(f"RollingPlanner: the forecast's quantile levels {cube.levels.tolist()} changed between"
                             f" reviews; expected the levels of the first review {self.taus.tolist()}")
        return terminal_level(cube, self.taus, self.cover(T), T)

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
        level = self._terminal(cube, T)
        first = T not in self.compiled
        compiled = self._compiled(T)
        t0 = time.perf_counter()
        try:
            result = compiled.solve(self._demand(cube, t, T), state.stock, state.arrivals, state.backlog, level)
        except PlanError as err:
            raise type(err)(f"the re-planned {self.kind} at the review of period {t}: {err}") from err
        self.reviews.append(Review(t, T, time.perf_counter() - t0, first))
        self._last = (t, _key(state), result)
        return result

    def _planned(self, state: State) -> bool:
        """Whether the latest plan was made from this very state (a new simulation re-plans)."""
        return self._last is not None and self._last[0] == state.t and _same(self._last[1], _key(state))

    def reviews_at(self, t: int) -> bool:
        """Whether the plan is re-solved at the end of period ``t``: every ``order_every`` periods,
        while a period of the window is left (nothing placed in its last period can be sold in it)."""
        return t % self.order_every == 0 and t < self.window - 1 and self.length(t) >= 1

    def decide(self, state: State) -> np.ndarray:
        if not self.reviews_at(state.t):
            return np.zeros(self.n)
        if not self._planned(state):
            self.plan(state)
        return self._last[2].orders[:, 0]

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
        if self.reviews_at(state.t) and not self._planned(state):
            self.plan(state)
        if self._last is None or not 0 <= state.t - self._last[0] < self._last[2].transfers.shape[1]:
            return None
        moves = self._last[2].transfers[:, state.t - self._last[0]]
        sent = np.bincount(src, weights=moves, minlength=self.n)
        scale = np.where(sent > state.stock, state.stock / np.maximum(sent, 1e-12), 1.0)
        return moves * scale[src]

    @property
    def solve_seconds(self) -> np.ndarray:
        """Seconds of each review's solve, in order."""
        return np.array([r.seconds for r in self.reviews])


def _key(state: State) -> tuple:
    return (state.stock.copy(), state.backlog.copy(), np.array(state.arrivals))


def _same(a: tuple, b: tuple) -> bool:
    return all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b, strict=True))
