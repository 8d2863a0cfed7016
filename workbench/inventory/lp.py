"""Multi-item, multi-period replenishment planning in cvxpy: one problem over all items.

Rows are series (an item at a location or sales channel), columns periods. The order
plan ``q[i, t]`` (placed at the end of period t, sold from period ``t + L_i``) is one
decision for all demand scenarios; per scenario the plan ships ``s``, keeps stock ``I``
and, with backorders, carries a backlog ``B``. With ``a`` the arrivals (the orders moved
on by their lead times, plus what is already in the pipeline) and ``x`` transfers
between the locations of an item::

    minimise   E_scen[ h I + p (d - s)  (lost sales)  or  h I + b B  (backorders)
                       + transfer cost x ]  +  c q  +  K y  +  penalties
               (+ lambda CVaR_alpha of the scenario cost)
    subject to I_t = I_{t-1} + a_t + x_in,t - x_out,t - s_t,   I >= 0
               lost sales: s <= d          backorders: B_t = B_{t-1} + d_t - s_t >= 0
               warehouse:  sum_i v_i (I_t + s_t) <= cap_w,t     (stock after receipt)
               supplier:   sum_i q_i,t <= cap_k,t               (units ordered)
               budget:     sum_i unit_cost_i q_i,t <= budget_t  (purchasing spend)
               service:    s >= beta d  (lost sales)  or  B <= (1 - beta) d
               mixed-integer variant: q = pack k, k integer; moq y <= q <= M y, y binary

With ``objective="profit"`` the same plan maximises revenue ``price s`` less all the
costs. A limit named in ``Limits.penalty`` is soft: it may be exceeded at that cost per
unit (volume, unit or money) and period, so the plan always exists. When a hard limit
cannot be met, the plan is re-solved with every hard limit made elastic and the error
names the limits and periods that had to give way, by how much; a minimum service that
only the starting stock and the pipeline could meet (before any order arrives) is named
as the lead time's doing, with what that stock serves against what the minimum asks.
Every way a plan can fail raises a :class:`PlanError`, so that a caller can go on
without that plan.

A re-planning policy adds a terminal condition on the inventory position ``y_T`` (stock + what is
still due - backlog) at the horizon's end, convex and piecewise linear over breakpoints ``b_k``:
``+ sum_k w_k (b_k - y_T)^+`` (the expected shortage cost after the horizon, read off the
forecast's quantiles: :func:`workbench.inventory.mpc.terminal_weights`).

Everything is built from sparse matrices over all rows at once: no Python loop per item.
The inputs and results are in :mod:`.lp_data`, the cvxpy model in :mod:`.lp_build`, the
words for an infeasible plan in :mod:`.lp_diagnose`; this module solves and reads the result.
What changes between reviews is a ``cp.Parameter``: :class:`CompiledPlan` compiles the problem
once and re-solves it with new demand, stock, pipeline and backlog.
"""

from __future__ import annotations

import functools
import os
import sys
import time
import warnings

import cvxpy as cp
import numpy as np
import polars as pl

from workbench.inventory.lp_build import build_problem, set_inputs
from workbench.inventory.lp_data import (
    LIMITS,
    SHADOW_SCHEMA,
    Limits,
    PlanError,
    PlanInfeasible,
    PlanItems,
    PlanResult,
    PlanSolverFailed,
    PlanUnbounded,
    Transfers,
)
from workbench.inventory.lp_diagnose import RAISE_LIMITS, describe_infeasible, value_of

__all__ = ["LIMITS", "SHADOW_SCHEMA", "CompiledPlan", "Limits", "PlanError", "PlanInfeasible", "PlanItems", "PlanResult", "highs_banner_spent",
           "PlanSolverFailed", "PlanUnbounded", "Transfers", "plan_replenishment"]
UNBOUNDED = "the replenishment plan is unbounded: a cost or price lets the objective grow without limit"


@functools.cache
def highs_banner_spent() -> None:
    """Print HiGHS's banner into /dev/null, once per process.

    highspy (1.16) prints "Running HiGHS ... Copyright ..." on the process's stdout when the
    first solver object of the process is made, before cvxpy (1.9) can pass it any option
    (``verbose=False``, ``output_flag`` and ``log_to_console`` all come too late), and never
    again. In a notebook that line lands in the output; making that first object here, with
    file descriptor 1 pointed at /dev/null for the moment, spends it.
    """
    try:
        import highspy
    except ImportError:
        return
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all: nothing to keep clean
        return
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _solve(problem: cp.Problem, solver: str, integer: bool, mip_gap: float, time_limit: float | None,
           reuse: bool = False, warm: bool = False):
    # a problem solved once skips the parameter tensor that only a re-solve pays back
    opts = {} if reuse else {"ignore_dpp": True}
    if solver.upper() == "HIGHS":
        highs_banner_spent()
        if integer:
            opts["mip_rel_gap"] = mip_gap
        if time_limit:
            opts["time_limit"] = float(time_limit)
    try:
        with warnings.catch_warnings():
            # a solve stopped by its time limit says so in its status, which every caller reads
            warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
            problem.solve(solver=solver, verbose=False, warm_start=warm, **opts)
    except cp.error.SolverError as err:
        raise PlanSolverFailed(
            f"the replenishment plan could not be solved with {solver} (inventory.lp.solver): {err}"
        ) from err


def plan_replenishment(
    items: PlanItems,
    limits: Limits | None = None,
    *,
    objective: str = "cost",
    shortage: str = "lost_sales",
    order_every: int = 1,
    integer: bool = False,
    cvar_alpha: float | None = None,
    cvar_weight: float = 0.0,
    transfers: Transfers | None = None,
    solver: str = "HIGHS",
    mip_gap: float = 0.01,
    time_limit: float | None = None,
) -> PlanResult:
    """Solve the plan in the module docstring. See :class:`PlanItems`, :class:`Limits`.

    ``order_every`` = R restricts orders to every R-th period (0, R, 2R, ...).
    ``integer`` solves the mixed-integer variant (case packs, MOQs and a fixed cost per order).
    ``cvar_alpha``/``cvar_weight`` add ``weight * CVaR_alpha`` of the scenario cost.

    Raises :class:`PlanInfeasible` naming the limits that cannot be met, :class:`PlanUnbounded`,
    or :class:`PlanSolverFailed` where the solver fails or stops without a plan (all
    :class:`PlanError`); ``ValueError`` for bad inputs.
    """
    return CompiledPlan(items, limits, objective=objective, shortage=shortage, order_every=order_every,
                        integer=integer, cvar_alpha=cvar_alpha, cvar_weight=cvar_weight, transfers=transfers,
                        solver=solver, mip_gap=mip_gap, time_limit=time_limit, reuse=False).solve()


class CompiledPlan:
    """One plan's cvxpy problem, built once for the shapes of ``items`` and re-solved with new
    values (:meth:`solve`): the demand, the stock on hand, the pipeline, the backlog and the
    terminal level are parameters of a DPP problem, so cvxpy compiles it on the first solve only.

    Arguments are those of :func:`plan_replenishment`, plus ``terminal_weight`` (``(n,)`` or ``(n, K)``: the
    weights of the terminal cost ``sum_k w_k (b_k - y_T)^+`` whose breakpoints, the ``level`` of
    :meth:`solve`, are ``(n,)`` or ``(n, K)``; None: no terminal condition), ``now`` (the first order and transfer are placed at the plan's start, as
    a re-planning policy places them) and ``reuse`` (False: solved once, skip the parameter tensor).
    """

    def __init__(self, items: PlanItems, limits: Limits | None = None, *, objective: str = "cost",
                 shortage: str = "lost_sales", order_every: int = 1, integer: bool = False,
                 cvar_alpha: float | None = None, cvar_weight: float = 0.0, transfers: Transfers | None = None,
                 solver: str = "HIGHS", mip_gap: float = 0.01, time_limit: float | None = None,
                 terminal_weight: np.ndarray | None = None, now: bool = False, reuse: bool = True) -> None:
        self.items, self.limits = items, limits or Limits()
        self.integer, self.solver, self.mip_gap, self.time_limit, self.reuse = integer, solver, mip_gap, time_limit, reuse
        self._args = (objective, shortage, order_every, integer, cvar_alpha, cvar_weight, transfers)
        self._extra = dict(terminal_weight=terminal_weight, now=now)
        t0 = time.perf_counter()
        with _quiet():
            self.problem, self.h = build_problem(items, self.limits, *self._args, elastic=False, **self._extra)
        self.build_seconds = time.perf_counter() - t0
        self.solves = 0
        self._inputs: dict = {}

    def solve(self, demand: np.ndarray | None = None, start_stock: np.ndarray | None = None,
              pipeline: np.ndarray | None = None, backlog: np.ndarray | None = None,
              level: np.ndarray | None = None) -> PlanResult:
        """Re-solve with new values (None: the items' own, on the first solve; each must keep the
        shape the problem was built with), warm-started from the last solution. Raises as
        :func:`plan_replenishment` does."""
        if demand is not None:
            self._inputs = dict(demand=demand, start_stock=start_stock, pipeline=pipeline, backlog=backlog, level=level)
            set_inputs(self.h, **self._inputs)
        t0 = time.perf_counter()
        with _quiet():
            _solve(self.problem, self.solver, self.integer, self.mip_gap, self.time_limit, self.reuse, self.solves > 0)
        self.solves += 1
        return _result(self, time.perf_counter() - t0)

    def _probe(self) -> tuple[cp.Problem, dict]:
        """The same plan with every hard limit elastic, at the values of the last solve."""
        probe, hp = build_problem(self.items, self.limits, *self._args, elastic=True, **self._extra)
        if self._inputs:
            set_inputs(hp, **self._inputs)
        _solve(probe, self.solver, self.integer, self.mip_gap, self.time_limit)
        return probe, hp


class _quiet(warnings.catch_warnings):
    """cvxpy's bound propagation multiplies infinite bounds by zero on the way; harmless."""

    def __enter__(self):
        out = super().__enter__()
        warnings.filterwarnings("ignore", "invalid value encountered in matmul", RuntimeWarning)
        return out


def _result(plan: CompiledPlan, solve: float) -> PlanResult:
    problem, h, integer, limits = plan.problem, plan.h, plan.integer, plan.limits
    time_limit, solver = plan.time_limit, plan.solver
    undecided = getattr(cp, "INFEASIBLE_OR_UNBOUNDED", "infeasible_or_unbounded")
    if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE, undecided):
        with _quiet():
            probe, hp = plan._probe()
        detail = describe_infeasible(hp, limits.penalty) if probe.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) else ""
        if problem.status == undecided and not detail:
            raise PlanUnbounded(UNBOUNDED)
        raise PlanInfeasible("the replenishment plan cannot meet its hard limits: "
                             + (detail or f"no single limit explains it. {RAISE_LIMITS}"))
    if problem.status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
        raise PlanUnbounded(UNBOUNDED)
    # a mixed-integer solve stopped by its time limit keeps its best plan; an LP must finish
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) and (not integer or h["stock"].value is None):
        raise PlanSolverFailed(
            f"the replenishment plan ended '{problem.status}' with {solver} and has no usable solution"
            + (f" within the time limit of {time_limit:g} s (inventory.lp.time_limit)" if time_limit else "")
        )
    S, n, T = h["S"], h["n"], h["T"]
    scen_stock = value_of(h["stock"], (S, n, T))
    scen_ship = value_of(h["ship"], (S, n, T))
    backlog = value_of(h["backlog"], (S, n, T)).mean(axis=0)
    first = float(value_of(h["first"], ()))
    scen_cost = value_of(h["scen_cost"], (S,)) + first
    shadow_rows, excess = [], {}
    for fam, names, cap, used, scen, over, row in h["handles"]:
        if fam == "service":
            if over is not None:
                excess["service"] = value_of(over, cap.shape).reshape(scen, -1, T).mean(axis=0)
            continue
        groups = cap.shape[0] // scen
        used_v = value_of(used, cap.shape).reshape(scen, groups, T).max(axis=0)
        dual = None if integer or row.dual_value is None else np.asarray(row.dual_value).reshape(scen, groups, T).sum(axis=0)
        ex = np.zeros((groups, T)) if over is None else value_of(over, cap.shape).reshape(scen, groups, T).mean(axis=0)
        if over is not None:
            excess[fam] = ex
        g, t = np.meshgrid(np.arange(groups), np.arange(T), indexing="ij")
        shadow_rows.append(pl.DataFrame({
            "family": fam,
            "name": [names[k] for k in g.ravel()],
            "period": t.ravel(),
            "limit": cap[:groups].ravel(),
            "used": used_v.ravel(),
            "excess": ex.ravel(),
            "shadow_price": np.full(g.size, np.nan) if dual is None else dual.ravel(),
        }))
    shadow = pl.concat(shadow_rows) if shadow_rows else pl.DataFrame(schema=SHADOW_SCHEMA)
    cvar = None if h["cvar"] is None else float(h["cvar"].value)
    if h["cases"] is None:
        orders = value_of(h["q"], (n, T))
    else:  # whole cases, read off the case counts without the solver's integrality tolerance
        orders = (h["to_orders"] @ (np.round(h["cases"].value) * h["case_units"])).reshape(n, T)
    orders[orders < 1e-7] = 0.0
    return PlanResult(
        orders=np.maximum(orders, 0.0),
        arrivals=np.maximum(value_of(h["a"], (n, T)), 0.0) + h["pipe"],
        stock=scen_stock.mean(axis=0),
        sales=scen_ship.mean(axis=0),
        backlog=backlog,
        transfers=value_of(h["move"], (S, h["n_arcs"], T)).mean(axis=0) if h["n_arcs"] else np.zeros((0, T)),
        scenario_stock=scen_stock,
        scenario_sales=scen_ship,
        scenario_cost=scen_cost,
        excess=excess,
        shadow_prices=shadow,
        objective=-float(problem.value) if h["profit"] else float(problem.value),
        expected_cost=float(scen_cost.mean()),
        cvar=cvar,
        status=problem.status,
        build_seconds=plan.build_seconds if plan.solves == 1 else 0.0,
        solve_seconds=solve,
        integer=integer,
    )
