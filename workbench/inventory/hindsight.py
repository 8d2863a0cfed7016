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

The mixed-integer plan is strengthened as lot sizing is (Pochet & Wolsey, *Production Planning by
Mixed Integer Programming*, 2006, ch. 7): an order ``z_j`` placed in slot j of row i, arriving in
period ``a_j``, is capped by the demand it can still serve, ``z_j <= M_j y_j`` with

    ``M_j = D_i[a_j, T) + sum_{r reachable from i} D_r[a_j + L_x, T)``

(``D[s, T)`` the demand from period s to the horizon's end, ``L_x`` the transfer lead time),
instead of the whole window's demand. It keeps every policy's best response: label the units
of each order; with lost sales a unit of order j is either sold at i from ``a_j`` on, or moved
along arcs and sold at a row it reaches no earlier than ``a_j + L_x``, or never sold. At most
``M_j`` units can be sold that way; the units never sold can be left unordered (with the moves
that carried them), which lowers the holding and transfer cost and changes no sale, so some
optimal plan obeys the cap. With backorders a unit shipped at i from ``a_j`` on may also clear
the backlog ``B_{i, a_j - 1}`` waiting when it arrives, so the cap becomes
``z_j <= M_j y_j + B_{i, a_j - 1} + sum_r B_{r, a_j + L_x - 1}``, a linear row as well.
Orders larger than what remains to be sold only add cost, so no policy's cost is cut off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

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
        # HiGHS's relative gap is taken on its own objective, which with lost sales leaves out the
        # shortage cost of all demand (a constant): ask for ``gap`` of the cost itself, measured
        # on the relaxation (below the optimum, so the gap asked is never looser than ``gap``)
        offset = 0.0 if backorders else float(np.broadcast_to(costs.shortage, (n,)) @ demand.sum(axis=1))
        solver_gap = gap * max(relaxation, 1e-9) / max(abs(relaxation - offset), 1e-9)
        exact = CompiledPlan(PlanItems(**{**items.__dict__, "unit_order_cost": 0.0}), shortage=shortage,
                             transfers=arcs, integer=True, mip_gap=min(solver_gap, gap), time_limit=time_limit,
                             reuse=False)
        cuts = _strengthen(exact.h, demand, arcs, backorders)
        if cuts:
            exact.problem = cp.Problem(exact.problem.objective, [*exact.problem.constraints, *cuts])
        plan = exact.solve()
        bound = max(relaxation, _dual_bound(exact.problem))
    per_row = _per_row(plan, items, fixed, big, arcs, integer, backorders)
    return Hindsight(total_cost=float(per_row.sum()), per_row=per_row, plan=plan, bound=float(bound),
                     relaxation=float(relaxation), status=plan.status, seconds=time.perf_counter() - t0,
                     integer=integer)


def _tails(x: np.ndarray) -> np.ndarray:
    """``(n, T + 1)``: ``out[i, s]`` is the sum of ``x[i, s:]`` (0 at s = T).

    >>> _tails(np.array([[1.0, 2.0, 3.0]])).tolist()
    [[6.0, 5.0, 3.0, 0.0]]
    """
    out = np.zeros((x.shape[0], x.shape[1] + 1))
    out[:, :-1] = np.cumsum(x[:, ::-1], axis=1)[:, ::-1]
    return out


def _reachable(n: int, arcs: Transfers | None) -> sp.csr_matrix:
    """``(n, n)`` 0/1: row r can be reached from row i along one or more arcs (r != i)."""
    if arcs is None:
        return sp.csr_matrix((n, n))
    step = sp.csr_matrix((np.ones(arcs.source.size), (arcs.source, arcs.target)), shape=(n, n))
    reach = (step > 0).astype(float)
    for _ in range(n):  # at most n - 1 hops; an item's locations are reached in one or two
        grown = ((reach + reach @ step) > 0).astype(float)
        if (grown != reach).nnz == 0:
            break
        reach = grown
    reach.setdiag(0.0)
    reach.eliminate_zeros()
    return reach.tocsr()


def _strengthen(h: dict, demand: np.ndarray, arcs: Transfers | None, backorders: bool) -> list:
    """Cap each order slot at the demand it can still serve (the module docstring's ``M_j``): the
    big-M parameter with lost sales, plus a row with the backlog waiting at arrival with backorders."""
    z, placed, rows, due = h["z"], h["placed"], h["rows"], h["slot_arrival"]
    if placed is None or not rows.size:
        return []
    n, T = demand.shape
    tails = _tails(demand)
    reach = _reachable(n, arcs)
    lag = 0 if arcs is None else int(arcs.lead_time)
    later = tails[:, np.minimum(np.arange(T + 1) + lag, T)]  # demand a row reached by a move can still sell
    cap = tails[rows, due] + np.asarray((reach @ later)[rows, due]).ravel()
    if not backorders:
        h["params"]["big"].value = np.maximum(cap, 1e-9)
        return []
    # the backlog a unit can clear on arrival: B[i, a_j - 1] at its own row, B[r, a_j + L_x - 1] at a row reached
    m, slot = rows.size, np.arange(rows.size)
    own = due >= 1
    coef = sp.csr_matrix((np.ones(own.sum()), (slot[own], rows[own] * T + due[own] - 1)), shape=(m, n * T))
    hit = reach[rows].tocoo()  # (slot, reached row)
    at = due[hit.row] + lag - 1
    ok = (at >= 0) & (at < T)
    coef = coef + sp.csr_matrix((np.ones(ok.sum()), (hit.row[ok], hit.col[ok] * T + at[ok])), shape=(m, n * T))
    return [z <= cp.multiply(cap, placed) + coef @ cp.vec(h["backlog"], order="C")]


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
