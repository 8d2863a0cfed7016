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

Everything is built from sparse matrices over all rows at once: no Python loop per item.
"""

from __future__ import annotations

import functools
import os
import sys
import time
import warnings
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import polars as pl
import scipy.sparse as sp

LIMITS = ("warehouse", "supplier", "budget", "service")
UNBOUNDED = "the replenishment plan is unbounded: a cost or price lets the objective grow without limit"
RAISE_LIMITS = "Raise those limits, or make them soft with a penalty (inventory.lp.penalty.<limit>)."
# PlanResult.shadow_prices: one row per limit, group and period
SHADOW_SCHEMA = {"family": pl.String, "name": pl.String, "period": pl.Int64, "limit": pl.Float64,
                 "used": pl.Float64, "excess": pl.Float64, "shadow_price": pl.Float64}


@dataclass
class PlanItems:
    """Per-series inputs; ``demand`` is ``(n, T)`` or scenarios ``(S, n, T)``."""

    demand: np.ndarray
    start_stock: np.ndarray
    lead_time: np.ndarray  # periods, >= 1
    holding_cost: np.ndarray  # per unit and period
    shortage_cost: np.ndarray  # per unit lost, or per unit and period backordered
    unit_order_cost: np.ndarray | float = 0.0  # per unit ordered (purchase price, or fixed cost spread)
    order_cost: np.ndarray | float = 0.0  # fixed cost per order: the mixed-integer variant only
    unit_cost: np.ndarray | float = 0.0  # purchase price, for the budget
    price: np.ndarray | float = 0.0  # selling price, for the profit objective
    volume: np.ndarray | float = 1.0
    warehouse: np.ndarray | int = 0  # index into Limits.warehouse
    supplier: np.ndarray | int = 0  # index into Limits.supplier
    moq: np.ndarray | float = 0.0  # minimum order quantity (mixed-integer variant)
    case_pack: np.ndarray | float = 1.0  # orders are whole cases (mixed-integer variant)
    pipeline: np.ndarray | None = None  # (n, T) arrivals already on order
    names: list[str] | None = None  # series names, for messages


@dataclass
class Limits:
    """Capacities, each a scalar, one value per group, or per group and period."""

    warehouse: np.ndarray | None = None  # (W,) or (W, T): volume after receipt
    supplier: np.ndarray | None = None  # (K,) or (K, T): units ordered per period
    budget: np.ndarray | float | None = None  # () or (T,): purchasing spend per period
    min_service: float = 0.0  # share of each period's demand that must be served on time
    penalty: dict[str, float] = field(default_factory=dict)  # soft limits: cost per unit beyond
    warehouse_names: list[str] | None = None
    supplier_names: list[str] | None = None


@dataclass
class Transfers:
    """Arcs between rows (the same item at two locations) and the cost per unit moved."""

    source: np.ndarray
    target: np.ndarray
    cost: np.ndarray | float


@dataclass
class PlanResult:
    orders: np.ndarray  # (n, T), by the period the order is placed
    arrivals: np.ndarray  # (n, T), including the pipeline
    stock: np.ndarray  # (n, T) end-of-period stock, mean over scenarios
    sales: np.ndarray  # (n, T) shipped, mean over scenarios
    backlog: np.ndarray  # (n, T) mean over scenarios (zeros with lost sales)
    transfers: np.ndarray  # (arcs, T) mean over scenarios
    scenario_stock: np.ndarray  # (S, n, T)
    scenario_sales: np.ndarray  # (S, n, T)
    scenario_cost: np.ndarray  # (S,) operating + ordering cost in each scenario
    excess: dict[str, np.ndarray]  # soft limits: how far each was exceeded, per group and period
    shadow_prices: pl.DataFrame  # family, name, period, limit, used, excess, shadow_price
    objective: float  # the cost minimised, or the profit maximised
    expected_cost: float
    cvar: float | None
    status: str
    build_seconds: float
    solve_seconds: float
    integer: bool


class PlanError(Exception):
    """A plan that could not be made from valid inputs: infeasible, unbounded, or stopped by
    the solver. Bad inputs raise ``ValueError`` instead."""


class PlanInfeasible(PlanError, ValueError):
    """A hard limit cannot be met; the message names which and where."""


class PlanUnbounded(PlanError, ValueError):
    """A cost or price lets the objective grow without limit."""


class PlanSolverFailed(PlanError, RuntimeError):
    """The solver failed, or stopped (time limit) without a usable plan."""


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


def _build(items: PlanItems, limits: Limits, objective: str, shortage: str, order_every: int, integer: bool,
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


@functools.cache
def _highs_banner_spent() -> None:
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


def _solve(problem: cp.Problem, solver: str, integer: bool, mip_gap: float, time_limit: float | None):
    opts = {}
    if solver.upper() == "HIGHS":
        _highs_banner_spent()
        if integer:
            opts["mip_rel_gap"] = mip_gap
        if time_limit:
            opts["time_limit"] = float(time_limit)
    try:
        problem.solve(solver=solver, verbose=False, **opts)
    except cp.error.SolverError as err:
        raise PlanSolverFailed(
            f"the replenishment plan could not be solved with {solver} (inventory.lp.solver): {err}"
        ) from err


def _value(x, shape):
    if x is None:
        return np.zeros(shape)
    v = x.value if hasattr(x, "value") else x
    return np.zeros(shape) if v is None else np.asarray(v, dtype=float).reshape(shape)


def _periods(ts: np.ndarray) -> str:
    ts = np.unique(ts)
    if ts.size == 1:
        return f"period {ts[0]}"
    if ts[-1] - ts[0] + 1 == ts.size:
        return f"periods {ts[0]}-{ts[-1]}"
    return "periods " + ", ".join(map(str, ts))


def _lead_time_shortfall(h: dict, over: np.ndarray, names: list[str], shown: int = 3) -> tuple[np.ndarray, str]:
    """The service shortfalls of the elastic probe (``over``, per scenario row and period) that
    fall before a series' first order can arrive, in a series whose stock on hand plus pipeline
    cannot serve what the minimum asks by then whatever the plan does. Returns their mask over
    ``over`` and their description (empty where there are none)."""
    S, n, T = h["S"], h["n"], h["T"]
    d, lead, beta = h["demand"], h["lead"], h["beta"]
    before = np.arange(T)[None, :] < lead[:, None]
    # by the end of each period: what the series can have shipped before orders arrive, and what
    # the minimum asks (with backorders, (1 - beta) of the period's demand may still be open)
    can = h["start"][:, None] + np.cumsum(h["pipe"], axis=1)
    asks = (beta * np.cumsum(d, axis=2) if h["shortage"] == "lost_sales"
            else np.cumsum(d, axis=2) - (1 - beta) * d).max(axis=0)
    short = before & (asks > can + 1e-6)
    mask = (over.reshape(S, n, T) > 1e-6) & (before & short.any(axis=1, keepdims=True))[None]
    series = np.flatnonzero(mask.any(axis=(0, 2)))
    if not series.size:
        return mask.reshape(over.shape), ""
    series = series[np.argsort(np.argmax(short[series], axis=1), kind="stable")]  # earliest first
    scenario = " in the highest-demand scenario" if S > 1 else ""
    parts = []
    for i in series[:shown]:
        ts = np.flatnonzero(short[i])
        periods = "period" if lead[i] == 1 else "periods"
        parts.append(f"'{names[i]}' (lead time {lead[i]} {periods}) in {_periods(ts)}: stock on hand plus pipeline"
                     f" can serve {can[i, ts[-1]]:,.4g} units by period {ts[-1]}, the minimum asks"
                     f" {asks[i, ts[-1]]:,.4g}{scenario}")
    more = f"; and {series.size - shown} more series" if series.size > shown else ""
    text = (f"the lead time makes the minimum service (inventory.lp.min_service={beta:g}) impossible before the"
            f" first orders arrive, in {series.size} series: " + "; ".join(parts) + more)
    return mask.reshape(over.shape), text


def _describe_infeasible(h: dict, soft: dict, limit: int = 6) -> str:
    """The hard limits the elastic probe had to exceed, by family, group and period, and what to
    do about them (empty where none had to); a minimum service that the lead time rules out is
    named as such."""
    found: dict[tuple, float] = {}
    lead_time = ""
    for fam, names, cap, _used, _scen, over, _row in h["handles"]:
        if fam in soft or over is None or over.value is None:
            continue
        ex = np.asarray(over.value).reshape(cap.shape)
        if fam == "service":
            early, lead_time = _lead_time_shortfall(h, ex, names)
            ex = np.where(early, 0.0, ex)
        for g, t in np.argwhere(ex > 1e-6):
            key = (fam, names[g % len(names)], int(t), float(cap[g, t]))
            found[key] = max(found.get(key, 0.0), float(ex[g, t]))
    parts = []
    for (fam, name, t, cap), ex in sorted(found.items(), key=lambda kv: (kv[0][2], -kv[1]))[:limit]:
        parts.append({
            "warehouse": f"warehouse '{name}' volume {cap:,.4g} in period {t} (exceeded by {ex:,.4g})",
            "supplier": f"supplier '{name}' capacity {cap:,.4g} units in period {t} (exceeded by {ex:,.4g})",
            "budget": f"purchasing budget {cap:,.4g} in period {t} (exceeded by {ex:,.4g})",
            "service": f"minimum service of series '{name}' in period {t} (short by {ex:,.4g})",
        }[fam])
    more = len(found) - len(parts)
    others = "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    if not lead_time:
        return f"{others}. {RAISE_LIMITS}" if others else ""
    remedy = ("Lower inventory.lp.min_service, make it soft with a penalty (inventory.lp.penalty.service), or start"
              " with more stock: no order the plan places arrives within its lead time.")
    return lead_time + (f". Besides: {others}. {RAISE_LIMITS} " if others else ". ") + remedy


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
    limits = limits or Limits()
    with warnings.catch_warnings():
        # cvxpy's bound propagation multiplies infinite bounds by zero on the way; harmless
        warnings.filterwarnings("ignore", "invalid value encountered in matmul", RuntimeWarning)
        return _plan(items, limits, objective, shortage, order_every, integer, cvar_alpha, cvar_weight, transfers,
                     solver, mip_gap, time_limit)


def _plan(items, limits, objective, shortage, order_every, integer, cvar_alpha, cvar_weight, transfers,
          solver, mip_gap, time_limit) -> PlanResult:
    t0 = time.perf_counter()
    args = (objective, shortage, order_every, integer, cvar_alpha, cvar_weight, transfers)
    problem, h = _build(items, limits, *args, elastic=False)
    build = time.perf_counter() - t0
    _solve(problem, solver, integer, mip_gap, time_limit)
    solve = time.perf_counter() - t0 - build
    undecided = getattr(cp, "INFEASIBLE_OR_UNBOUNDED", "infeasible_or_unbounded")
    if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE, undecided):
        probe, hp = _build(items, limits, *args, elastic=True)
        _solve(probe, solver, integer, mip_gap, time_limit)
        detail = _describe_infeasible(hp, limits.penalty) if probe.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) else ""
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
    scen_stock = _value(h["stock"], (S, n, T))
    scen_ship = _value(h["ship"], (S, n, T))
    backlog = _value(h["backlog"], (S, n, T)).mean(axis=0)
    first = float(_value(h["first"], ()))
    scen_cost = _value(h["scen_cost"], (S,)) + first
    shadow_rows, excess = [], {}
    for fam, names, cap, used, scen, over, row in h["handles"]:
        if fam == "service":
            if over is not None:
                excess["service"] = _value(over, cap.shape).reshape(scen, -1, T).mean(axis=0)
            continue
        groups = cap.shape[0] // scen
        used_v = _value(used, cap.shape).reshape(scen, groups, T).max(axis=0)
        dual = None if integer or row.dual_value is None else np.asarray(row.dual_value).reshape(scen, groups, T).sum(axis=0)
        ex = np.zeros((groups, T)) if over is None else _value(over, cap.shape).reshape(scen, groups, T).mean(axis=0)
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
        orders = _value(h["q"], (n, T))
    else:  # whole cases, read off the case counts without the solver's integrality tolerance
        orders = (h["to_orders"] @ (np.round(h["cases"].value) * h["case_units"])).reshape(n, T)
    orders[orders < 1e-7] = 0.0
    return PlanResult(
        orders=np.maximum(orders, 0.0),
        arrivals=np.maximum(_value(h["a"], (n, T)), 0.0) + h["pipe"],
        stock=scen_stock.mean(axis=0),
        sales=scen_ship.mean(axis=0),
        backlog=backlog,
        transfers=_value(h["move"], (S, h["n_arcs"], T)).mean(axis=0) if h["n_arcs"] else np.zeros((0, T)),
        scenario_stock=scen_stock,
        scenario_sales=scen_ship,
        scenario_cost=scen_cost,
        excess=excess,
        shadow_prices=shadow,
        objective=-float(problem.value) if h["profit"] else float(problem.value),
        expected_cost=float(scen_cost.mean()),
        cvar=cvar,
        status=problem.status,
        build_seconds=build,
        solve_seconds=solve,
        integer=integer,
    )
