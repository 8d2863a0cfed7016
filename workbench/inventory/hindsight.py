"""The perfect-foresight bound: the replenishment plan solved with the demand that really came.

Priced exactly as :func:`workbench.inventory.simulate.simulate` prices a run (holding cost on
end-of-period stock, a fixed cost per order placed, the shortage cost per unit lost or per unit
and period waiting, the cost of each unit moved), with orders allowed in every period and no
capacity, case pack or MOQ. Every order sequence a policy can place is a plan of this problem
(an order beyond what the window can still sell only adds cost), so no policy's simulated cost
is below its optimum:

    ``min_plan cost(plan | d) <= cost(policy | d)``  for every policy.

The mixed-integer plan (a binary per order) gives the hindsight optimum; HiGHS's dual bound on
it, or the linear relaxation (the fixed cost spread over the largest useful order,
``K q / M``), is the guaranteed bound where the solve stops before proving optimality.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from workbench.inventory.lp import CompiledPlan, PlanItems, PlanResult, Transfers
from workbench.inventory.simulate import Costs, TransferArcs


@dataclass
class Hindsight:
    """The hindsight plan and what it proves."""

    total_cost: float  # cost of the best plan found (the hindsight optimum when status is optimal)
    per_row: np.ndarray  # (n,) its cost per series: holding, shortage, orders, transfers sent
    plan: PlanResult
    bound: float  # no policy's simulated cost is below it: the MIP's dual bound, or the relaxation
    relaxation: float  # optimum of the linear relaxation
    status: str
    seconds: float
    integer: bool


def _largest_order(demand: np.ndarray, transfers: Transfers | None) -> np.ndarray:
    """M per series: the window's demand (plus that of the rows its arcs reach); a larger order
    cannot lower the cost, so capping orders at M keeps every policy's best response."""
    reach = demand.sum(axis=1)
    if transfers is not None:
        reach = reach + np.bincount(transfers.source, weights=reach[transfers.target], minlength=reach.size)
    return np.maximum(reach, 1.0)


def hindsight(demand: np.ndarray, start_stock: np.ndarray, lead_time: np.ndarray, costs: Costs,
              pipeline: np.ndarray | None = None, backorders: bool = False, transfers: TransferArcs | None = None,
              integer: bool = True, gap: float = 0.001, time_limit: float | None = 60.0) -> Hindsight:
    """The perfect-foresight plan against ``demand[item, period]`` and its bound.

    ``lead_time`` is one per item ``(n,)`` or the drawn lead time of an order placed in each period
    ``(n, T)`` (``simulate``'s ``lead_draws``, orders allowed to cross). ``transfers`` are the arcs
    the simulation may move stock along. ``integer``: solve the mixed-integer plan (a fixed cost per
    order) to HiGHS's relative ``gap`` within ``time_limit`` seconds (relative to the solver's objective,
    which with lost sales is the cost less the shortage cost of all demand: ``bound`` reports how close
    it came in the cost's own terms); else only the linear relaxation.

    Raises :class:`~workbench.inventory.lp.PlanError` where the solver fails, ``ValueError`` for bad inputs.
    """
    t0 = time.perf_counter()
    demand = np.asarray(demand, dtype=float)
    n = demand.shape[0] if demand.ndim == 2 else -1
    if demand.ndim != 2:
        raise ValueError(f"hindsight: demand has shape {demand.shape}; expected (items, periods)")
    arcs = None
    if transfers is not None and np.size(transfers.source):
        arcs = Transfers(np.asarray(transfers.source, dtype=int), np.asarray(transfers.target, dtype=int),
                         np.broadcast_to(np.asarray(transfers.cost, dtype=float), (np.size(transfers.source),)),
                         lead_time=int(transfers.lead_time))
    fixed = np.broadcast_to(np.asarray(costs.ordering, dtype=float), (n,))
    big = _largest_order(demand, arcs)
    items = PlanItems(demand=demand, start_stock=start_stock, lead_time=lead_time, pipeline=pipeline,
                      holding_cost=costs.holding, shortage_cost=costs.shortage, order_cost=fixed,
                      unit_order_cost=fixed / big, case_pack=0.0)
    shortage = "backorder" if backorders else "lost_sales"
    relaxed = CompiledPlan(items, shortage=shortage, transfers=arcs, reuse=False).solve()
    relaxation = relaxed.objective
    plan, bound = relaxed, relaxation
    if integer:
        exact = CompiledPlan(PlanItems(**{**items.__dict__, "unit_order_cost": 0.0}), shortage=shortage,
                             transfers=arcs, integer=True, mip_gap=gap, time_limit=time_limit, reuse=False)
        plan = exact.solve()
        bound = max(relaxation, _dual_bound(exact.problem))
    per_row = _per_row(plan, items, fixed, big, arcs, integer, backorders)
    return Hindsight(total_cost=float(per_row.sum()), per_row=per_row, plan=plan, bound=float(bound),
                     relaxation=float(relaxation), status=plan.status, seconds=time.perf_counter() - t0,
                     integer=integer)


def _dual_bound(problem: cp.Problem) -> float:
    """HiGHS's proven lower bound on the mixed-integer optimum (cvxpy passes its info through), in
    the problem's own terms (cvxpy's constant offset added back); -inf where there is none."""
    info = problem.solver_stats.extra_stats if problem.solver_stats is not None else None
    bound = getattr(info, "mip_dual_bound", None)
    if bound is None or not np.isfinite(bound) or problem.value is None:
        return -np.inf
    return float(bound) + float(problem.value) - float(info.objective_function_value)


def _per_row(plan: PlanResult, items: PlanItems, fixed: np.ndarray, big: np.ndarray, arcs: Transfers | None,
             integer: bool, backorders: bool) -> np.ndarray:
    """The plan's cost per series as the simulation counts it (the relaxation: ``K q / M``)."""
    d = np.asarray(items.demand)
    short = plan.backlog.sum(axis=1) if backorders else (d - plan.sales).sum(axis=1)
    orders = (plan.orders > 1e-7).sum(axis=1) * fixed if integer else plan.orders.sum(axis=1) * fixed / big
    cost = np.asarray(items.holding_cost) * plan.stock.sum(axis=1) + np.asarray(items.shortage_cost) * short + orders
    if arcs is not None:
        cost = cost + np.bincount(arcs.source, weights=arcs.cost * plan.transfers.sum(axis=1), minlength=d.shape[0])
    return cost
