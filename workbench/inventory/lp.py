"""Multi-item, multi-period replenishment LP in cvxpy: one problem over all items.

Decision: ``a[i, t]``, units of item i arriving at the start of period t (ordered
``L_i`` periods earlier, so ``a[i, t] = 0`` for ``t < L_i``), and sales ``u[i, t]``.
With lost sales and stock ``I = I0 + cumsum(a - u)``::

    minimise   sum h_i I[i,t] + c_i a[i,t] + p_i (d[i,t] - u[i,t]) + o sum overflow[g,t]
    subject to 0 <= u <= d,  I >= 0,  a >= 0,  a[i, t] = 0 for t < L_i,
               sum_{i in g} v_i I[i,t] <= cap_g + overflow[g,t]       (warehouse volume)

Orders may be restricted to review periods (every R-th period). ``c_i`` is the ordering cost per unit (the fixed cost per order spread over the
EOQ batch, so that the LP stays linear), ``p_i`` the shortage cost. Capacity is
soft: space beyond ``cap_g`` can be rented at ``o`` per volume unit and period,
so the plan always exists and the dual of the capacity row is the value of one
more unit of space. Everything is built from matrices over all items at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp


@dataclass
class PlanResult:
    arrivals: np.ndarray  # (items, periods)
    orders: np.ndarray  # (items, periods), by the period the order is placed
    stock: np.ndarray  # end-of-period stock
    sales: np.ndarray
    overflow: np.ndarray  # (groups, periods)
    capacity_price: np.ndarray  # (groups, periods): dual of the capacity rows, >= 0
    objective: float
    status: str
    solve_seconds: float


def replenishment_lp(
    demand: np.ndarray,
    start_stock: np.ndarray,
    lead_time: np.ndarray,
    holding_cost: np.ndarray,
    unit_order_cost: np.ndarray,
    shortage_cost: np.ndarray,
    volume: np.ndarray,
    group: np.ndarray,
    capacity: np.ndarray,
    overflow_cost: float,
    solver: str = "HIGHS",
    order_every: int = 1,
) -> PlanResult:
    """Solve the plan above. ``group[i]`` indexes ``capacity`` (one warehouse per group).

    ``order_every`` = R restricts orders to every R-th period (0, R, 2R, ...), a periodic
    review that keeps the number of orders, and so the fixed ordering cost, in check.
    """
    d = np.asarray(demand, dtype=float)
    n, horizon = d.shape
    lead = np.asarray(lead_time, dtype=int)
    if np.any(lead < 1):
        raise ValueError(f"replenishment_lp: lead times must be >= 1 period; got {int(lead.min())}")
    if np.any(d < 0) or not np.all(np.isfinite(d)):
        bad = np.argwhere(~np.isfinite(d) | (d < 0))[0]
        raise ValueError(f"replenishment_lp: demand of item {bad[0]} in period {bad[1]} is {d[tuple(bad)]}; expected >= 0")
    capacity = np.asarray(capacity, dtype=float)
    n_groups = capacity.size
    G = sp.csr_matrix((np.asarray(volume, dtype=float), (np.asarray(group), np.arange(n))), shape=(n_groups, n))
    order_day = np.arange(horizon)[None, :] - lead[:, None]  # when an arrival was ordered
    blocked = ((order_day < 0) | (order_day % max(order_every, 1) != 0)).astype(float)

    a = cp.Variable((n, horizon), nonneg=True, name="arrivals")
    u = cp.Variable((n, horizon), nonneg=True, name="sales")
    over = cp.Variable((n_groups, horizon), nonneg=True, name="overflow")
    stock = np.asarray(start_stock, dtype=float)[:, None] + cp.cumsum(a - u, axis=1)
    capacity_rows = G @ stock <= capacity[:, None] + over
    constraints = [u <= d, stock >= 0, cp.multiply(blocked, a) == 0, capacity_rows]
    cost = (
        cp.sum(holding_cost @ stock)
        + cp.sum(unit_order_cost @ a)
        + cp.sum(shortage_cost @ (d - u))
        + overflow_cost * cp.sum(over)
    )
    problem = cp.Problem(cp.Minimize(cost), constraints)
    problem.solve(solver=solver)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(
            f"replenishment LP ended '{problem.status}' with {solver}: the plan over {n} items and"
            f" {horizon} periods has no optimum (check negative costs or capacities)"
        )
    arrivals = np.maximum(a.value, 0.0)
    orders = np.zeros_like(arrivals)
    rows, cols = np.nonzero(arrivals > 1e-9)
    orders[rows, cols - lead[rows]] = arrivals[rows, cols]
    return PlanResult(
        arrivals=arrivals,
        orders=orders,
        stock=np.asarray(stock.value),
        sales=u.value,
        overflow=over.value,
        capacity_price=np.asarray(capacity_rows.dual_value),
        objective=float(problem.value),
        status=problem.status,
        solve_seconds=float(problem.solver_stats.solve_time or 0.0),
    )
