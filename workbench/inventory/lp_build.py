"""The replenishment plan as one cvxpy problem over all series, periods and scenarios, built
from sparse matrices (the model is in :mod:`workbench.inventory.lp`'s docstring).

What changes from one review to the next (the demand, the stock on hand, the pipeline, the
backlog, the terminal level) enters as ``cp.Parameter``: the problem is DPP, so a re-solve with
new values (:func:`set_inputs`) skips cvxpy's compilation.

:func:`build_problem` is one long function by design: the variables, the constraints and the
objective share a dozen index arrays, and splitting them would pass those around without
making the model easier to read against its statement.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from workbench.inventory.lp_data import (
    Limits,
    PlanItems,
    Transfers,
    check_items,
    checked_demand,
    per_group_period,
    per_row,
)


def _order_slots(arrive: np.ndarray, order_every: int, late: bool):
    """The (row, period) pairs where an order may be placed: review periods whose order arrives
    within the horizon (``late``: or after it, where it counts towards the terminal position).
    ``arrive[i, t]`` is the period an order placed in slot t arrives. Returns the slots' rows and
    sparse maps from slots to orders, to arrivals within the horizon and to rows arriving late."""
    n, horizon = arrive.shape
    t = np.arange(horizon)
    allowed = (t[None, :] % max(order_every, 1) == 0) & (late | (arrive < horizon))
    rows, cols = np.nonzero(allowed)
    m, slot = rows.size, np.arange(rows.size)
    due = arrive[rows, cols]
    inside = due < horizon
    to_orders = sp.csr_matrix((np.ones(m), (rows * horizon + cols, slot)), shape=(n * horizon, m))
    to_arrivals = sp.csr_matrix((np.ones(inside.sum()), (rows[inside] * horizon + due[inside], slot[inside])),
                                shape=(n * horizon, m))
    to_late = sp.csr_matrix((np.ones((~inside).sum()), (rows[~inside], slot[~inside])), shape=(n, m))
    return rows, to_orders, to_arrivals, to_late


def _shift(horizon: int, by: int):
    """``x @ shift`` moves the columns of ``x`` ``by`` periods later (what falls past the end is
    dropped); ``x @ past`` sums what falls past it."""
    k = np.arange(max(horizon - by, 0))
    shift = sp.csr_matrix((np.ones(k.size), (k, k + by)), shape=(horizon, horizon))
    past = (np.arange(horizon) + by >= horizon).astype(float)
    return shift, past


def terminal_breakpoints(level, n: int, K: int) -> np.ndarray:
    """The terminal levels as ``(n, K)``: the breakpoints of the terminal cost (None: zeros; one
    level per series ``(n,)`` where the terminal cost has one breakpoint)."""
    if level is None:
        return np.zeros((n, K))
    arr = np.asarray(level, dtype=float)
    arr = arr[:, None] if arr.ndim == 1 else arr
    if arr.shape != (n, K) or not np.all(np.isfinite(arr)):
        raise ValueError(f"plan_replenishment: the terminal level has shape {np.shape(level)}; expected finite"
                         f" breakpoints ({n}, {K})" + (f" or ({n},)" if K == 1 else ""))
    return arr


def set_inputs(h: dict, demand, start_stock, pipeline=None, backlog=None, level=None) -> None:
    """Give the compiled problem of :func:`build_problem` new values: ``demand`` ``(n, T)`` or
    ``(S, n, T)`` (the shape it was built with), the stock on hand ``(n,)``, the arrivals already
    on order ``(n, K)`` (those due after the horizon count towards the terminal position), the
    backlog waiting at the start ``(n,)`` and the terminal levels ``(n, K)`` (or ``(n,)``), the
    breakpoints of the terminal cost."""
    S, n, T = h["S"], h["n"], h["T"]
    d = checked_demand(demand)
    if d.shape != (S, n, T):
        raise ValueError(f"plan_replenishment: demand has shape {d.shape}; the problem was built for {(S, n, T)}")
    start = per_row(start_stock, n, "start_stock")
    waiting = np.zeros(n) if backlog is None else per_row(backlog, n, "backlog")
    goal = terminal_breakpoints(level, n, h["breaks"])
    for name, arr in (("start_stock", start), ("backlog", waiting), ("terminal level", goal)):
        if np.any(arr < 0):
            bad = tuple(np.argwhere(arr < 0)[0])
            raise ValueError(f"plan_replenishment: {name} of series {bad[0]} is {arr[bad]}; expected >= 0")
    pipe, after = np.zeros((n, T)), np.zeros(n)
    if pipeline is not None:
        given = np.asarray(pipeline, dtype=float)
        if given.ndim != 2 or given.shape[0] != n or np.any(given < 0) or not np.all(np.isfinite(given)):
            raise ValueError(f"plan_replenishment: pipeline has shape {given.shape}; expected ({n}, periods) of finite arrivals >= 0")
        pipe[:, : min(T, given.shape[1])] = given[:, :T]
        after = given[:, T:].sum(axis=1)
    p = h["params"]
    p["demand"].value = d.reshape(S * n, T)
    p["start"].value = np.tile(start, S)
    p["pipeline"].value = np.tile(pipe, (S, 1))
    p["backlog"].value = np.tile(waiting, S)
    p["after"].value = np.tile(after, S)
    p["level"].value = np.tile(goal, (S, 1))
    if "big" in p:  # an order is at most what the horizon could sell, plus the terminal level (big-M)
        reach = d.max(axis=0).sum(axis=1) + goal.max(axis=1) + waiting
        if h["arcs"] is not None:  # stock can move on to the arcs' targets
            src, dst = h["arcs"]
            reach = reach + np.bincount(src, weights=reach[dst], minlength=n)
        rows = h["rows"]
        p["big"].value = np.maximum(reach[rows] + h["case_units"], h["moq"][rows])
    h.update(demand=d, start=start, pipe=pipe)


def build_problem(items: PlanItems, limits: Limits, objective: str, shortage: str, order_every: int, integer: bool,
                  cvar_alpha: float | None, cvar_weight: float, transfers: Transfers | None, elastic: bool,
                  terminal_weight: np.ndarray | None = None, now: bool = False):
    """The plan as a DPP cvxpy problem and the handles to read it, with ``items``' values set.

    ``terminal_weight`` ``(n,)`` or ``(n, K)``: the terminal cost of an inventory position ``y`` (stock
    + still due - backlog) at the horizon's end is ``sum_k w_k (b_k - y)^+`` over the breakpoints ``b_k``
    (the terminal levels, parameters): convex and piecewise linear for weights >= 0, one level per
    series with ``(n,)``; None: no terminal condition. ``now``:
    the first order and transfer are placed at the plan's start (the end of the period before
    period 0), as a re-planning policy places them, so an order with lead time L arrives in period
    L - 1; otherwise an order placed in period t arrives in period t + L.
    """
    d, lead = check_items(items, limits)
    S, n, T = d.shape
    N = S * n
    vec = lambda name: per_row(getattr(items, name), n, name)  # noqa: E731
    h, p, c_unit, K, price, vol = (vec(k) for k in ("holding_cost", "shortage_cost", "unit_order_cost", "order_cost", "price", "volume"))
    unit_cost, moq = vec("unit_cost"), vec("moq")
    pack = np.maximum(vec("case_pack"), 1e-9)
    profit = objective == "profit"
    if objective not in ("cost", "profit"):
        raise ValueError(f"plan_replenishment: objective='{objective}'; expected 'cost' or 'profit'")
    if shortage not in ("lost_sales", "backorder"):
        raise ValueError(f"plan_replenishment: shortage='{shortage}'; expected 'lost_sales' or 'backorder'")
    terminal = terminal_weight is not None
    if terminal:
        end_weight = np.asarray(terminal_weight, dtype=float)
        end_weight = np.broadcast_to(end_weight, (n,)).copy()[:, None] if end_weight.ndim <= 1 else end_weight
        if end_weight.ndim != 2 or end_weight.shape[0] != n or np.any(~(end_weight >= 0)) \
                or not np.all(np.isfinite(end_weight)):
            raise ValueError(f"plan_replenishment: terminal_weight has shape {np.shape(terminal_weight)}; expected"
                             f" finite weights >= 0, ({n},) or ({n}, breakpoints)")
    breaks = end_weight.shape[1] if terminal else 1  # breakpoints of the terminal cost
    params = dict(demand=cp.Parameter((N, T), nonneg=True, name="demand"),
                  start=cp.Parameter(N, nonneg=True, name="start_stock"),
                  pipeline=cp.Parameter((N, T), nonneg=True, name="pipeline"),
                  backlog=cp.Parameter(N, nonneg=True, name="backlog"),
                  after=cp.Parameter(N, nonneg=True, name="due_after"),
                  level=cp.Parameter((N, breaks), nonneg=True, name="terminal_level"))

    arcs = transfers if transfers is not None and np.size(transfers.source) else None
    if arcs is not None:
        src, dst = np.asarray(arcs.source, dtype=int), np.asarray(arcs.target, dtype=int)
        if now and arcs.lead_time < 1:
            raise ValueError(f"plan_replenishment: transfers.lead_time={arcs.lead_time}; a transfer placed at the end"
                             " of a period arrives one period later at the earliest (expected >= 1)")
    arrive = np.arange(T)[None, :] + lead - int(now)
    rows, to_orders, to_arrivals, to_late = _order_slots(arrive, order_every, terminal)
    m = rows.size
    fixed = 0.0  # the fixed cost of the orders placed (mixed-integer variant)
    cases = placed = z = None
    rep = sp.kron(np.ones((S, 1)), sp.eye(n), format="csr")  # scenario rows from item rows
    late = np.zeros(N)
    if m:
        if integer:
            placed = cp.Variable(m, boolean=True, name="placed")
            if np.all(vec("case_pack") == 0):  # no case packs: orders of any size, each at a fixed cost
                z = cp.Variable(m, nonneg=True, name="orders")
            else:
                cases = cp.Variable(m, integer=True, name="cases")
                z = cp.multiply(pack[rows], cases)
            params["big"] = cp.Parameter(m, nonneg=True, name="big_m")
            order_rows = [z >= 0, z <= cp.multiply(params["big"], placed), z >= cp.multiply(moq[rows], placed)]
            fixed = K[rows] @ placed
        else:
            z = cp.Variable(m, nonneg=True, name="orders")
            order_rows = []
        q = cp.reshape(to_orders @ z, (n, T), order="C")
        a = cp.reshape(to_arrivals @ z, (n, T), order="C")
        arrivals = rep @ a + params["pipeline"]
        if terminal:
            late = rep @ (to_late @ z)
    else:
        q = a = np.zeros((n, T))
        order_rows = []
        arrivals = params["pipeline"]
    dd = params["demand"]

    stock = cp.Variable((N, T), nonneg=True, name="stock")
    ship = cp.Variable((N, T), nonneg=True, name="shipped")
    flow = arrivals - ship
    prev = cp.hstack([cp.reshape(params["start"], (N, 1), order="C"), stock[:, :-1]]) if T > 1 \
        else cp.reshape(params["start"], (N, 1), order="C")
    cons = [*order_rows]
    n_arcs = 0
    move = None
    if arcs is not None:
        n_arcs = src.size
        arc_cost = np.broadcast_to(np.asarray(arcs.cost, dtype=float), (n_arcs,))
        move = cp.Variable((S * n_arcs, T), nonneg=True, name="transfers")
        arc = np.arange(S * n_arcs)
        off = np.repeat(np.arange(S) * n, n_arcs)
        into = sp.csr_matrix((np.ones(S * n_arcs), (np.tile(dst, S) + off, arc)), shape=(N, S * n_arcs))
        out_of = sp.csr_matrix((np.ones(S * n_arcs), (np.tile(src, S) + off, arc)), shape=(N, S * n_arcs))
        shift, past = _shift(T, arcs.lead_time - int(now))
        flow = flow + into @ (move @ shift) - out_of @ move
        if now:  # what is sent at the end of a period leaves that period's closing stock
            cons.append(out_of @ move <= prev)
        if terminal:
            late = late + into @ (move @ past)
    cons.append(stock == prev + flow)
    if shortage == "lost_sales":
        cons.append(ship <= dd)
        backlog = None
        short_cost = cp.sum(cp.multiply(np.tile(p, S)[:, None], dd - ship), axis=1)
    else:
        backlog = cp.Variable((N, T), nonneg=True, name="backlog")
        waiting = cp.reshape(params["backlog"], (N, 1), order="C")
        prev_b = cp.hstack([waiting, backlog[:, :-1]]) if T > 1 else waiting
        cons.append(backlog == prev_b + dd - ship)
        short_cost = cp.sum(cp.multiply(np.tile(p, S)[:, None], backlog), axis=1)

    # --- limits: (family, group names, limit array, used expression, scale of a scenario row)
    soft = dict(limits.penalty)
    families = []
    if limits.warehouse is not None:
        wh = per_row(items.warehouse, n, "warehouse", dtype=int)
        W = int(np.asarray(limits.warehouse).shape[0]) if np.ndim(limits.warehouse) else int(wh.max()) + 1
        cap = per_group_period(limits.warehouse, W, T, "warehouse")
        Wm = sp.kron(sp.eye(S), sp.csr_matrix((vol, (wh, np.arange(n))), shape=(W, n)), format="csr")
        families.append(("warehouse", limits.warehouse_names or [str(g) for g in range(W)], np.tile(cap, (S, 1)),
                         Wm @ (stock + ship), S))
    if limits.supplier is not None and m:
        sup = per_row(items.supplier, n, "supplier", dtype=int)
        Kn = int(np.asarray(limits.supplier).shape[0]) if np.ndim(limits.supplier) else int(sup.max()) + 1
        cap = per_group_period(limits.supplier, Kn, T, "supplier")
        Km = sp.csr_matrix((np.ones(n), (sup, np.arange(n))), shape=(Kn, n))
        families.append(("supplier", limits.supplier_names or [str(k) for k in range(Kn)], cap, Km @ q, 1))
    if limits.budget is not None and m:
        cap = per_group_period(np.atleast_1d(np.asarray(limits.budget, dtype=float))[None, :]
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
    gap = None
    if terminal:  # the position's shortfall below each breakpoint at the end costs that breakpoint's weight
        gap = cp.Variable((N, breaks), nonneg=True, name="terminal_gap")
        position = stock[:, T - 1] + params["after"] + late - (0.0 if backlog is None else backlog[:, T - 1])
        cons.append(gap >= params["level"] - cp.reshape(position, (N, 1), order="C") @ np.ones((1, breaks)))
        row_cost = row_cost + cp.sum(cp.multiply(np.tile(end_weight, (S, 1)), gap), axis=1)
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
    handle = dict(q=q, a=a, stock=stock, ship=ship, backlog=backlog, move=move, n_arcs=n_arcs, gap=gap,
                  handles=handles, scen_cost=scen_cost, first=first, S=S, n=n, T=T, profit=profit, params=params,
                  cvar=cvar_expr, cases=cases, case_units=pack[rows], to_orders=to_orders, rows=rows, moq=moq,
                  arcs=None if arcs is None else (src, dst), lead=lead[:, 0], first_arrival=arrive[:, 0],
                  beta=beta, shortage=shortage, breaks=breaks, z=z, placed=placed,
                  slot_arrival=arrive[rows, to_orders.tocsc().indices % T] if m else np.zeros(0, dtype=int))
    set_inputs(handle, d, items.start_stock, items.pipeline)
    return problem, handle
