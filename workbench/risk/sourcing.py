"""Dual sourcing under lead-time risk: one scenario LP over all series, periods and scenarios,
minimising expected cost plus ``lambda`` times its CVaR, solved along a frontier of ``lambda``.

Two sources ``k`` (``slow``: cheap, long and unreliable lead time; ``fast``: dear, short and
reliable). The orders ``q[k, i, t] >= 0`` (placed at the end of period t) are one decision for
all scenarios; in scenario s an order arrives ``L[k, s, i, t] >= 1`` periods later, or never when
that is past the horizon. With ``I`` the stock, ``x`` the sales and ``v_i`` the terminal value::

    C_s = sum_k c_k q_k + sum_{i,t} h_i I_sit + p_i (d_sit - x_sit) - sum_i v_i (I_si,H-1 - I0_i)
    minimise   (1/S) sum_s C_s + lambda (eta + sum_s u_s / ((1 - alpha) S))
    subject to I_sit = I_si,t-1 + a_sit - x_sit,  I >= 0,  0 <= x <= d,
               u_s >= C_s - eta,  u >= 0

The bracket is Rockafellar & Uryasev's CVaR of the scenario cost, exact at the optimum for any
``lambda > 0`` (:func:`workbench.risk.measures.cvar`). ``lambda`` is a ``cp.Parameter``: the
problem is built and compiled once and re-solved along the frontier. The terminal value prices
each unit left at the end at the cheaper source's unit cost (the slow one's, where it is the
cheap one), so the plan neither runs stock down at the end nor hoards. The purchase is in the cost,
so a lost unit must cost what it would have brought (its price, plus goodwill): with only the
lost margin as its cost, a unit would be paid for twice and buying would never pay. Only what the plan adds is credited:
``I0`` is the stock the series starts with plus its pipeline, a constant that changes no decision but
keeps a series that ends as it started from showing a negative cost. What arrives after the horizon
is paid and never valued.

The LP is written with the lost sales ``l = d - x`` in place of the sales, and the purchase, the same
in every scenario, is taken out of the CVaR rows (``CVaR(P + R) = P + CVaR(R)``), so that those rows
hold only the scenario's own variables. Arrivals are one sparse matrix per source, stacked over the
scenarios, from the order slots that can arrive within the horizon to ``(scenario, series, period)``.
The LP has ``2 S n H`` columns besides the orders; HiGHS's time grows faster than that size (six
lambdas: about 15 s at n S = 2,000 on one core, 6 minutes at 200 series and 40 scenarios).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import polars as pl
import scipy.sparse as sp

from workbench.inventory.lp import highs_banner_spent
from workbench.inventory.lp_data import PlanInfeasible, PlanSolverFailed, PlanUnbounded
from workbench.risk.leadtime import whole_periods
from workbench.risk.measures import cvar

SOURCES = ("slow", "fast")
FRONTIER_SCHEMA = {"lam": pl.Float64, "expected_cost": pl.Float64, "cvar": pl.Float64, "cvar_exact": pl.Float64,
                   "fast_share": pl.Float64, "solve_seconds": pl.Float64}


def _first_bad(mask: np.ndarray, dims: tuple[str, ...]) -> str:
    where = np.argwhere(mask)[0]
    return ", ".join(f"{d} {int(k)}" for d, k in zip(dims, where, strict=True))


def _checked(value, shape: tuple[int, ...], name: str, dims: tuple[str, ...], low: float) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.shape != shape:
        raise ValueError(f"SourcingInputs: {name} has shape {arr.shape}; expected ({', '.join(dims)}) = {shape}")
    bad = ~np.isfinite(arr) | (arr < low)
    if bad.any():
        at = _first_bad(bad, dims)
        raise ValueError(f"SourcingInputs: {name} at {at} is {arr[tuple(np.argwhere(bad)[0])]}; "
                         f"expected a finite number >= {low:g}")
    return arr


@dataclass
class SourcingInputs:
    """Per-series inputs of the dual-sourcing plan: S scenarios, n series, H periods."""

    demand: np.ndarray  # (S, n, H) units
    lead: dict[str, np.ndarray]  # source -> (S, n, H) whole periods >= 1, of an order placed in (s, i, t)
    unit_cost: dict[str, np.ndarray]  # source -> (n,) per unit ordered
    holding: np.ndarray  # (n,) per unit and period in stock at the end of a period
    # (n,) per unit of demand lost: with the purchase in the cost, the revenue the unit would have brought
    # plus goodwill (price + margin x inventory.shortage_penalty), or buying a unit would never pay
    shortage: np.ndarray
    start_stock: np.ndarray  # (n,)
    pipeline: np.ndarray | None = None  # (n, H) arrivals already on order
    names: list[str] | None = None  # series names, for the split table

    def check(self) -> tuple[int, int, int]:
        """Validate every array against the demand's shape; returns ``(S, n, H)``.

        Raises ``ValueError`` naming the array and the first offending scenario, series or period.
        """
        d = np.asarray(self.demand)
        if d.ndim != 3 or 0 in d.shape:
            raise ValueError(f"SourcingInputs: demand has shape {d.shape}; expected (scenarios, series, periods)")
        S, n, H = d.shape
        cube, per_series = ("scenario", "series", "period"), ("series",)
        _checked(d, (S, n, H), "demand", cube, 0.0)
        for field, table in (("lead", self.lead), ("unit_cost", self.unit_cost)):
            if not isinstance(table, dict) or set(table) != set(SOURCES):
                got = sorted(table) if isinstance(table, dict) else type(table).__name__
                raise ValueError(f"SourcingInputs: {field} has {got}; expected one entry per source {list(SOURCES)}")
        for k in SOURCES:
            lead = _checked(self.lead[k], (S, n, H), f"lead['{k}']", cube, 1.0)
            if np.any(lead != np.round(lead)):
                raise ValueError(f"SourcingInputs: lead['{k}'] at {_first_bad(lead != np.round(lead), cube)} "
                                 "is not a whole number of periods")
            _checked(self.unit_cost[k], (n,), f"unit_cost['{k}']", per_series, 0.0)
        for name in ("holding", "shortage", "start_stock"):
            _checked(getattr(self, name), (n,), name, per_series, 0.0)
        if self.pipeline is not None:
            _checked(self.pipeline, (n, H), "pipeline", ("series", "period"), 0.0)
        if self.names is not None and len(self.names) != n:
            raise ValueError(f"SourcingInputs: names has {len(self.names)} entries; expected one per series ({n})")
        return S, n, H


def lead_scenarios(nominal: np.ndarray, ratios: np.ndarray, lead_factor: float, scenarios: int, horizon: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Lead times ``L[s, i, t] = max(1, round(L_i * f * r))`` of an order placed in period t
    (:func:`~workbench.risk.leadtime.whole_periods`),
    with ``r`` drawn with replacement from the observed ratios of actual to scheduled lead time
    (one draw per scenario, series and period) and ``f`` the source's lead factor.

    Examples
    --------
    >>> lead_scenarios(np.array([4.0]), np.array([1.0]), 0.5, 1, 3, np.random.default_rng(0)).tolist()
    [[[2, 2, 2]]]
    """
    nominal = np.asarray(nominal, dtype=float)
    ratios = np.asarray(ratios, dtype=float)
    if nominal.ndim != 1 or np.any(~np.isfinite(nominal) | (nominal <= 0)):
        raise ValueError(f"lead_scenarios: nominal lead times {nominal.shape}; expected one finite value > 0 per series")
    if ratios.ndim != 1 or ratios.size == 0 or np.any(~np.isfinite(ratios) | (ratios < 0)):
        raise ValueError(f"lead_scenarios: ratios {ratios.shape}; expected a non-empty list of finite ratios >= 0")
    if not lead_factor > 0 or scenarios < 1 or horizon < 1:
        raise ValueError(f"lead_scenarios: lead_factor={lead_factor}, scenarios={scenarios}, horizon={horizon}; "
                         "expected a factor > 0 and at least one scenario and period")
    drawn = rng.choice(ratios, size=(scenarios, nominal.size, horizon), replace=True)
    return whole_periods(nominal[None, :, None] * lead_factor, drawn)


@dataclass
class SourcingResult:
    """The frontier and, per ``lambda`` (in the order of :attr:`lambdas`), the plan and its costs."""

    frontier: pl.DataFrame  # lam, expected_cost, cvar, cvar_exact, fast_share, solve_seconds
    lambdas: list[float]
    orders: dict[str, np.ndarray]  # source -> (len(lambdas), n, H) units ordered at the end of each period
    scenario_costs: np.ndarray  # (len(lambdas), S) C_s
    series_costs: np.ndarray  # (len(lambdas), n) expected cost per series
    names: list[str]
    build_seconds: float  # building the cvxpy problem (the first solve also compiles it)

    def split(self, lam: float) -> pl.DataFrame:
        """Per series at ``lam``: slow_units, fast_units, fast_share (null without orders), expected_cost."""
        hits = np.flatnonzero(np.isclose(self.lambdas, lam, rtol=1e-9, atol=1e-12))
        if not hits.size:
            raise KeyError(f"lambda {lam} is not on the frontier; solved for {self.lambdas}")
        k = int(hits[0])
        slow, fast = (self.orders[s][k].sum(axis=1) for s in SOURCES)
        total = slow + fast
        return pl.DataFrame({
            "series": self.names, "slow_units": slow, "fast_units": fast,
            "fast_share": pl.Series(np.where(total > 0, fast / np.where(total > 0, total, 1.0), np.nan)).fill_nan(None),
            "expected_cost": self.series_costs[k],
        })


def _arrival_matrix(lead: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """The order slots ``(i, t)`` of one source that arrive within the horizon in some scenario,
    and the stacked shift matrix from slots to arrivals in row ``s n H + i H + t + L[s, i, t]``."""
    S, n, H = lead.shape
    t = np.arange(H)
    rows, cols = np.nonzero(t[None, :] + lead.min(axis=0) < H)
    arrive = cols[None, :] + lead[:, rows, cols]  # (S, m)
    s, j = np.nonzero(arrive < H)
    index = s * n * H + rows[j] * H + arrive[s, j]
    shift = sp.csr_matrix((np.ones(j.size), (index, j)), shape=(S * n * H, rows.size))
    return rows, cols, shift


def _build(inputs: SourcingInputs, alpha: float, terminal_value: bool):
    S, n, H = inputs.check()
    d = np.asarray(inputs.demand, dtype=float).reshape(-1)
    cost = {k: np.asarray(inputs.unit_cost[k], dtype=float) for k in SOURCES}
    h, p = np.asarray(inputs.holding, dtype=float), np.asarray(inputs.shortage, dtype=float)
    value = np.minimum(cost["slow"], cost["fast"]) if terminal_value else np.zeros(n)
    orders, arrivals, purchase, slots = {}, 0, 0, {}
    for k in SOURCES:
        rows, cols, shift = _arrival_matrix(np.asarray(inputs.lead[k], dtype=np.int64), H)
        orders[k] = cp.Variable(rows.size, nonneg=True, name=f"orders_{k}")
        slots[k] = (rows, cols)
        arrivals = arrivals + shift @ orders[k]
        purchase = purchase + cost[k][rows] @ orders[k]
    # known inflow: the pipeline, and the start stock as an arrival in period 0
    inflow = np.zeros((n, H)) if inputs.pipeline is None else np.asarray(inputs.pipeline, dtype=float).copy()
    inflow[:, 0] += np.asarray(inputs.start_stock, dtype=float)
    stock = cp.Variable(S * n * H, nonneg=True, name="stock")
    # lost sales l = d - x in [0, d]: the scenario cost has no constant part, which keeps it well scaled
    lost = cp.Variable(S * n * H, bounds=[np.zeros_like(d), d], name="lost")
    # I_t - I_{t-1} within each (scenario, series) block of H periods
    diff = sp.kron(sp.eye(S * n), sp.eye(H) - sp.eye(H, k=-1), format="csr")
    balance = diff @ stock - arrivals - lost == np.tile(inflow.reshape(-1), S) - d
    # per-scenario cost after purchase, as sparse row sums: holding (less the terminal value in the
    # last period) and shortage; the purchase is the same in every scenario, so it shifts the CVaR
    w_stock = np.tile(np.broadcast_to(h[:, None], (n, H)) - np.outer(value, np.eye(H)[-1]), (S, 1)).reshape(-1)
    w_lost = np.tile(np.repeat(p, H), S)
    agg = sp.kron(sp.eye(S), np.ones((1, n * H)), format="csr")
    recourse = agg @ (sp.diags(w_stock) @ stock + sp.diags(w_lost) @ lost)
    lam = cp.Parameter(nonneg=True, name="lambda")
    eta, tail = cp.Variable(name="var"), cp.Variable(S, nonneg=True, name="tail")
    # the stock the series start with (and their pipeline) is not the plan's to be credited for
    owned = float(value @ inflow.sum(axis=1))
    risk = purchase + eta + cp.sum(tail) / ((1 - alpha) * S) + owned
    goal = purchase + cp.sum(recourse) / S + lam * risk
    problem = cp.Problem(cp.Minimize(goal), [balance, tail >= recourse - eta])
    return problem, dict(lam=lam, orders=orders, slots=slots, stock=stock, lost=lost, risk=risk, S=S, n=n, H=H,
                         cost=cost, h=h, p=p, value=value, owned=inflow.sum(axis=1), demand=d.reshape(S, n, H))


def _solve(problem: cp.Problem, solver: str, lam: float, again: bool) -> None:
    opts = {}
    if solver.upper() == "HIGHS":
        highs_banner_spent()
        # a new lambda changes the objective only, so the last plan is still feasible: cvxpy hands it to
        # HiGHS (warm start of the same compiled problem) and primal simplex goes on from there, where
        # dual simplex would start over (six lambdas, 200 series, 10 scenarios: 15 s against 68 s)
        if again:
            opts["highs_options"] = {"simplex_strategy": 4}
    try:
        with warnings.catch_warnings():
            # cvxpy's bound propagation multiplies infinite bounds by zero on the way; harmless
            warnings.filterwarnings("ignore", "invalid value encountered in matmul", RuntimeWarning)
            problem.solve(solver=solver, verbose=False, warm_start=True, **opts)
    except cp.error.SolverError as err:
        raise PlanSolverFailed(f"the sourcing plan at lambda={lam:g} could not be solved with {solver} "
                               f"(risk.sourcing): {err}") from err
    if problem.status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
        raise PlanUnbounded(f"the sourcing plan at lambda={lam:g} is unbounded: a cost lets it grow without limit")
    if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        # nothing ordered, nothing sold is always a plan: only bad numbers get here
        raise PlanInfeasible(f"the sourcing plan at lambda={lam:g} is infeasible; check the inputs for extreme values")
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise PlanSolverFailed(f"the sourcing plan at lambda={lam:g} ended '{problem.status}' with {solver}")


def _series_costs(hd: dict, orders: dict[str, np.ndarray], stock: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """The cost ``(S, n)`` of each series in each scenario, from a plan's orders ``(n, H)`` per source
    and its stock and lost sales ``(S, n, H)``: the LP's ``C_s`` split by series, in numpy."""
    bought = sum(hd["cost"][k] * orders[k].sum(axis=1) for k in SOURCES)
    return (bought[None, :] + hd["h"] * stock.sum(axis=2) + hd["p"] * lost.sum(axis=2)
            - hd["value"] * (stock[:, :, -1] - hd["owned"]))


def solve_sourcing(inputs: SourcingInputs, lambdas: list[float], alpha: float, solver: str = "HIGHS",
                   terminal_value: bool = True) -> SourcingResult:
    """Solve the plan in the module docstring for each ``lambda`` (>= 0) at CVaR level ``alpha``.

    ``terminal_value`` (default on) credits each unit left at the end at the cheaper source's unit
    cost. The frontier's ``cvar`` is the LP's ``eta + sum u / ((1 - alpha) S)`` (null at
    ``lambda = 0``, where the LP does not price its tail variables), ``cvar_exact`` the exact CVaR
    of the scenario costs recomputed from the plan; ``fast_share`` is null without orders.

    Raises ``ValueError`` for bad inputs and a :class:`workbench.inventory.lp_data.PlanError`
    where the solver fails.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"solve_sourcing: alpha={alpha} (risk.sourcing.cvar_alpha); expected a share in (0, 1)")
    lambdas = [float(x) for x in lambdas]
    if not lambdas or any(not np.isfinite(x) or x < 0 for x in lambdas):
        raise ValueError(f"solve_sourcing: lambdas={lambdas}; expected a non-empty list of weights >= 0")
    t0 = time.perf_counter()
    problem, hd = _build(inputs, alpha, terminal_value)
    build = time.perf_counter() - t0
    S, n, H = hd["S"], hd["n"], hd["H"]
    orders = {k: np.zeros((len(lambdas), n, H)) for k in SOURCES}
    scen, per_series, rows = np.zeros((len(lambdas), S)), np.zeros((len(lambdas), n)), []
    for j, lam in enumerate(lambdas):
        hd["lam"].value = lam
        t1 = time.perf_counter()
        _solve(problem, solver, lam, again=j > 0)
        seconds = time.perf_counter() - t1
        for k in SOURCES:
            r, c = hd["slots"][k]
            orders[k][j, r, c] = np.where(hd["orders"][k].value > 1e-7, hd["orders"][k].value, 0.0)
        stock = np.maximum(hd["stock"].value.reshape(S, n, H), 0.0)
        lost = np.clip(hd["lost"].value.reshape(S, n, H), 0.0, hd["demand"])
        costs = _series_costs(hd, {k: orders[k][j] for k in SOURCES}, stock, lost)
        scen[j], per_series[j] = costs.sum(axis=1), costs.mean(axis=0)
        units = {k: orders[k][j].sum() for k in SOURCES}
        total = units["slow"] + units["fast"]
        rows.append({"lam": lam, "expected_cost": float(scen[j].mean()),
                     "cvar": float(hd["risk"].value) if lam > 0 else None,
                     "cvar_exact": float(cvar(scen[j], alpha)),
                     "fast_share": float(units["fast"] / total) if total > 0 else None,
                     "solve_seconds": seconds})
    names = list(inputs.names) if inputs.names is not None else [str(i) for i in range(n)]
    return SourcingResult(frontier=pl.DataFrame(rows, schema=FRONTIER_SCHEMA), lambdas=lambdas, orders=orders,
                          scenario_costs=scen, series_costs=per_series, names=names, build_seconds=build)
