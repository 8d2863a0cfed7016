"""The replenishment plan as one cvxpy problem over all series, periods and scenarios, built
from sparse matrices (the model is in :mod:`workbench.inventory.lp`'s docstring).

:func:`build_problem` is one long function by design: the variables, the constraints and the
objective share a dozen index arrays, and splitting them would pass those around without
making the model easier to read against its statement.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from workbench.inventory.lp_data import LIMITS, Limits, PlanItems, Transfers


def _per_row(value, n: int, name: str, dtype=float) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy() if np.ndim(value) == 0 else np.asarray(value, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"plan_replenishment: {name} has shape {arr.shape}; expected one value per series ({n},)")
    if dtype is float and not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"plan_replenishment: {name} of series {bad} is {arr[bad]}; expected a finite number")
    return arr


def _per_group_period(value, groups: int, horizon: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full((groups, horizon), float(arr))
    elif arr.ndim == 1:
        if arr.size != groups:
            raise ValueError(f"plan_replenishment: limit '{name}' has {arr.size} values for {groups} groups")
        arr = np.repeat(arr[:, None], horizon, axis=1)
    if arr.shape != (groups, horizon):
        raise ValueError(f"plan_replenishment: limit '{name}' has shape {arr.shape}; expected ({groups}, {horizon})")
    if np.any(~(arr >= 0)):
        g, t = np.argwhere(~(arr >= 0))[0]
        raise ValueError(f"plan_replenishment: limit '{name}' of group {g} in period {t} is {arr[g, t]}; expected >= 0")
    return arr


def _check(items: PlanItems, limits: Limits):
    d = np.asarray(items.demand, dtype=float)
    d = d[None] if d.ndim == 2 else d
    if d.ndim != 3:
        raise ValueError(f"plan_replenishment: demand has shape {d.shape}; expected (series, periods) or (scenarios, series, periods)")
    if np.any(d < 0) or not np.all(np.isfinite(d)):
        s, i, t = np.argwhere(~np.isfinite(d) | (d < 0))[0]
        raise ValueError(f"plan_replenishment: demand of series {i} in period {t} (scenario {s}) is {d[s, i, t]}; expected >= 0")
    n = d.shape[1]
    lead = _per_row(items.lead_time, n, "lead_time", dtype=int)
    if np.any(lead < 1):
        raise ValueError(f"plan_replenishment: lead times must be >= 1 period; series {int(np.argmin(lead))} has {int(lead.min())}")
    for name in ("start_stock", "holding_cost", "shortage_cost", "unit_order_cost", "order_cost", "unit_cost",
                 "price", "volume", "moq"):
        arr = _per_row(getattr(items, name), n, name)
        if np.any(arr < 0):
            bad = int(np.flatnonzero(arr < 0)[0])
            raise ValueError(f"plan_replenishment: {name} of series {bad} is {arr[bad]}; expected >= 0")
    unknown = set(limits.penalty) - set(LIMITS)
    if unknown:
        raise ValueError(f"plan_replenishment: soft limits {sorted(unknown)} unknown; expected some of {list(LIMITS)}")
    if not 0.0 <= limits.min_service <= 1.0:
        raise ValueError(f"plan_replenishment: min_service={limits.min_service}; expected a share in [0, 1]")
    return d, lead


def _order_slots(lead: np.ndarray, horizon: int, order_every: int):
    """The (row, period) pairs where an order may be placed: review periods whose order
    arrives within the horizon. Returns sparse maps from slots to orders and arrivals."""
    n = lead.size
    t = np.arange(horizon)
    allowed = (t[None, :] % max(order_every, 1) == 0) & (t[None, :] + lead[:, None] < horizon)
    rows, cols = np.nonzero(allowed)
    m = rows.size
    ones = np.ones(m)
    to_orders = sp.csr_matrix((ones, (rows * horizon + cols, np.arange(m))), shape=(n * horizon, m))
    to_arrivals = sp.csr_matrix((ones, (rows * horizon + cols + lead[rows], np.arange(m))), shape=(n * horizon, m))
    return rows, to_orders, to_arrivals


def build_problem(items: PlanItems, limits: Limits, objective: str, shortage: str, order_every: int, integer: bool,
           cvar_alpha: float | None, cvar_weight: float, transfers: Transfers | None, elastic: bool):
    d, lead = _check(items, limits)
    S, n, T = d.shape
    N = S * n
    vec = lambda name: _per_row(getattr(items, name), n, name)  # noqa: E731
    h, p, c_unit, K, price, vol = (vec(k) for k in ("holding_cost", "shortage_cost", "unit_order_cost", "order_cost", "price", "volume"))
    unit_cost, moq, i0 = vec("unit_cost"), vec("moq"), vec("start_stock")
    pack = np.maximum(vec("case_pack"), 1e-9)
    profit = objective == "profit"
    if objective not in ("cost", "profit"):
        raise ValueError(f"plan_replenishment: objective='{objective}'; expected 'cost' or 'profit'")
    if shortage not in ("lost_sales", "backorder"):
        raise ValueError(f"plan_replenishment: shortage='{shortage}'; expected 'lost_sales' or 'backorder'")

    arcs = transfers if transfers is not None and np.size(transfers.source) else None
    if arcs is not None:
        src, dst = np.asarray(arcs.source, dtype=int), np.asarray(arcs.target, dtype=int)
    rows, to_orders, to_arrivals = _order_slots(lead, T, order_every)
    m = rows.size
    fixed = 0.0  # the fixed cost of the orders placed (mixed-integer variant)
    cases = None
    if m:
        if integer:
            cases = cp.Variable(m, integer=True, name="cases")
            placed = cp.Variable(m, boolean=True, name="placed")
            z = cp.multiply(pack[rows], cases)
            # an order is at least the MOQ and at most what the horizon could sell (big-M)
            reach = d.max(axis=0).sum(axis=1)
            if arcs is not None:  # stock can move on to the arcs' targets
                reach = reach + np.bincount(src, weights=reach[dst], minlength=n)
            big = np.maximum(reach[rows] + pack[rows], moq[rows])
            order_rows = [cases >= 0, z <= cp.multiply(big, placed), z >= cp.multiply(moq[rows], placed)]
            fixed = K[rows] @ placed
        else:
            z = cp.Variable(m, nonneg=True, name="orders")
            order_rows = []
        q = cp.reshape(to_orders @ z, (n, T), order="C")
        a = cp.reshape(to_arrivals @ z, (n, T), order="C")
    else:
        q = a = np.zeros((n, T))
        order_rows = []
    pipe = np.zeros((n, T))
    if items.pipeline is not None:
        given = np.asarray(items.pipeline, dtype=float)
        if given.ndim != 2 or given.shape[0] != n or np.any(given < 0) or not np.all(np.isfinite(given)):
            raise ValueError(f"plan_replenishment: pipeline has shape {given.shape}; expected ({n}, periods) of finite arrivals >= 0")
        pipe[:, : min(T, given.shape[1])] = given[:, :T]
    rep = sp.kron(np.ones((S, 1)), sp.eye(n), format="csr")  # scenario rows from item rows
    arrivals = rep @ (a + pipe)
    dd = d.reshape(N, T)

    stock = cp.Variable((N, T), nonneg=True, name="stock")
    ship = cp.Variable((N, T), nonneg=True, name="shipped")
    flow = arrivals - ship
    n_arcs = 0
    if arcs is not None:
        n_arcs = src.size
        arc_cost = np.broadcast_to(np.asarray(arcs.cost, dtype=float), (n_arcs,))
        move = cp.Variable((S * n_arcs, T), nonneg=True, name="transfers")
        arc = np.arange(S * n_arcs)
        off = np.repeat(np.arange(S) * n, n_arcs)
        incidence = (
            sp.csr_matrix((np.ones(S * n_arcs), (np.tile(dst, S) + off, arc)), shape=(N, S * n_arcs))
            - sp.csr_matrix((np.ones(S * n_arcs), (np.tile(src, S) + off, arc)), shape=(N, S * n_arcs))
        )
        flow = flow + incidence @ move
    else:
        move = None
    prev = cp.hstack([np.tile(i0, S)[:, None], stock[:, :-1]]) if T > 1 else np.tile(i0, S)[:, None]
    cons = [*order_rows, stock == prev + flow]
    if shortage == "lost_sales":
        cons.append(ship <= dd)
        backlog = None
        short_cost = cp.sum(cp.multiply(np.tile(p, S)[:, None], dd - ship), axis=1)
    else:
        backlog = cp.Variable((N, T), nonneg=True, name="backlog")
        prev_b = cp.hstack([np.zeros((N, 1)), backlog[:, :-1]]) if T > 1 else np.zeros((N, 1))
        cons.append(backlog == prev_b + dd - ship)
        short_cost = cp.sum(cp.multiply(np.tile(p, S)[:, None], backlog), axis=1)

    # --- limits: (family, group names, limit array, used expression, scale of a scenario row)
    soft = dict(limits.penalty)
    families = []
    if limits.warehouse is not None:
        wh = _per_row(items.warehouse, n, "warehouse", dtype=int)
        W = int(np.asarray(limits.warehouse).shape[0]) if np.ndim(limits.warehouse) else int(wh.max()) + 1
        cap = _per_group_period(limits.warehouse, W, T, "warehouse")
        Wm = sp.kron(sp.eye(S), sp.csr_matrix((vol, (wh, np.arange(n))), shape=(W, n)), format="csr")
        families.append(("warehouse", limits.warehouse_names or [str(g) for g in range(W)], np.tile(cap, (S, 1)),
                         Wm @ (stock + ship), S))
    if limits.supplier is not None and m:
        sup = _per_row(items.supplier, n, "supplier", dtype=int)
        Kn = int(np.asarray(limits.supplier).shape[0]) if np.ndim(limits.supplier) else int(sup.max()) + 1
        cap = _per_group_period(limits.supplier, Kn, T, "supplier")
        Km = sp.csr_matrix((np.ones(n), (sup, np.arange(n))), shape=(Kn, n))
        families.append(("supplier", limits.supplier_names or [str(k) for k in range(Kn)], cap, Km @ q, 1))
    if limits.budget is not None and m:
        cap = _per_group_period(np.atleast_1d(np.asarray(limits.budget, dtype=float))[None, :]
                                if np.ndim(limits.budget) else limits.budget, 1, T, "budget")
        families.append(("budget", ["budget"], cap, cp.reshape(unit_cost @ q, (1, T), order="C"), 1))
    beta = limits.min_service
    if beta > 0:
        # as "used <= limit": unserved share of demand within its allowance
        used = beta * dd - ship if shortage == "lost_sales" else backlog - (1 - beta) * dd
        names = list(items.names or [str(i) for i in range(n)])
        families.append(("service", names * S, np.zeros((N, T)), used, S))

    penalties, handles = [], []
    for fam, names, cap, used, scen in families:
        make_soft = fam in soft or (elastic and fam not in soft)
        if make_soft:
            over = cp.Variable(cap.shape, nonneg=True, name=f"excess_{fam}")
            row = used <= cap + over
            weight = (0.0 if fam in soft else 1.0) if elastic else soft[fam]
            scale = 1.0 / S if scen == S else 1.0  # scenario rows are weighted by probability
            penalties.append(weight * scale * cp.sum(over))
        else:
            over, row = None, used <= cap
        cons.append(row)
        handles.append((fam, names, cap, used, scen, over, row))

    # --- objective
    hold = cp.sum(cp.multiply(np.tile(h, S)[:, None], stock), axis=1)
    row_cost = hold + short_cost
    if profit:
        row_cost = row_cost - cp.sum(cp.multiply(np.tile(price, S)[:, None], ship), axis=1)
    agg = sp.kron(sp.eye(S), np.ones((1, n)), format="csr")
    scen_cost = agg @ row_cost
    if n_arcs:
        per_arc = cp.sum(move, axis=1)
        arc_agg = sp.kron(sp.eye(S), np.ones((1, n_arcs)), format="csr")
        scen_cost = scen_cost + arc_agg @ cp.multiply(np.tile(arc_cost, S), per_arc)
    first = (c_unit @ cp.sum(q, axis=1) + fixed) if m else 0.0
    expected = cp.sum(scen_cost) / S + first
    cvar_expr = None
    if cvar_alpha is not None and cvar_weight > 0:
        if not 0.0 < cvar_alpha < 1.0:
            raise ValueError(f"plan_replenishment: cvar_alpha={cvar_alpha}; expected in (0, 1)")
        eta = cp.Variable(name="var")
        tail = cp.sum(cp.pos(scen_cost + first - eta)) / ((1 - cvar_alpha) * S)
        goal = expected + cvar_weight * (eta + tail)
        cvar_expr = eta + tail
    else:
        goal = expected
    if elastic:
        goal = cp.sum(cp.hstack(penalties)) if penalties else cp.Constant(0.0)
    elif penalties:
        goal = goal + cp.sum(cp.hstack(penalties))
    problem = cp.Problem(cp.Minimize(goal), cons)
    return problem, dict(q=q, a=a, pipe=pipe, stock=stock, ship=ship, backlog=backlog, move=move, n_arcs=n_arcs,
                         handles=handles, scen_cost=scen_cost, first=first, S=S, n=n, T=T, profit=profit,
                         cvar=cvar_expr, cases=cases, case_units=pack[rows], to_orders=to_orders,
                         demand=d, start=i0, lead=lead, beta=beta, shortage=shortage)
