"""The replenishment plan's inputs, their checks, its result and the ways it can fail (see
:mod:`workbench.inventory.lp` for the model)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

LIMITS = ("warehouse", "supplier", "budget", "service")
# PlanResult.shadow_prices: one row per limit, group and period
SHADOW_SCHEMA = {"family": pl.String, "name": pl.String, "period": pl.Int64, "limit": pl.Float64,
                 "used": pl.Float64, "excess": pl.Float64, "shadow_price": pl.Float64}


@dataclass
class PlanItems:
    """Per-series inputs; ``demand`` is ``(n, T)`` or scenarios ``(S, n, T)``."""

    demand: np.ndarray
    start_stock: np.ndarray
    lead_time: np.ndarray  # periods, >= 1: (n,), or (n, T) the lead time of an order placed in each period
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
    case_pack: np.ndarray | float = 1.0  # orders are whole cases (mixed-integer variant; 0 for all: any size)
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
    """Arcs between rows (the same item at two locations) and the cost per unit moved; units moved
    in period t are sellable at the target from period ``t + lead_time`` (0: in the same period)."""

    source: np.ndarray
    target: np.ndarray
    cost: np.ndarray | float
    lead_time: int = 0


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




def per_row(value, n: int, name: str, dtype=float) -> np.ndarray:
    """``value`` as one number per series ``(n,)``, broadcast from a scalar; finite where float."""
    arr = np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy() if np.ndim(value) == 0 else np.asarray(value, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"plan_replenishment: {name} has shape {arr.shape}; expected one value per series ({n},)")
    if dtype is float and not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"plan_replenishment: {name} of series {bad} is {arr[bad]}; expected a finite number")
    return arr


def per_group_period(value, groups: int, horizon: int, name: str) -> np.ndarray:
    """A limit as one value per group and period ``(groups, horizon)``, checked >= 0."""
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


def checked_demand(demand) -> np.ndarray:
    """Demand as scenarios ``(S, n, T)`` (one scenario from ``(n, T)``), finite and >= 0."""
    d = np.asarray(demand, dtype=float)
    d = d[None] if d.ndim == 2 else d
    if d.ndim != 3:
        raise ValueError(f"plan_replenishment: demand has shape {d.shape}; expected (series, periods) or (scenarios, series, periods)")
    if np.any(d < 0) or not np.all(np.isfinite(d)):
        s, i, t = np.argwhere(~np.isfinite(d) | (d < 0))[0]
        raise ValueError(f"plan_replenishment: demand of series {i} in period {t} (scenario {s}) is {d[s, i, t]}; expected >= 0")
    return d


def checked_lead(lead_time, n: int, horizon: int) -> np.ndarray:
    """Lead times as ``(n, T)``: the lead time of an order placed in each period, whole periods >= 1."""
    lead = np.asarray(lead_time)
    if lead.ndim == 2:
        if lead.shape != (n, horizon):
            raise ValueError(f"plan_replenishment: lead_time has shape {lead.shape}; expected ({n},) or ({n}, {horizon})")
        if not np.issubdtype(lead.dtype, np.integer):
            raise ValueError(f"plan_replenishment: lead_time has dtype {lead.dtype}; expected whole periods (integers)")
    else:
        lead = per_row(lead_time, n, "lead_time", dtype=int)
    if np.any(lead < 1):
        i = int(np.unravel_index(np.argmin(lead), lead.shape)[0])
        raise ValueError(f"plan_replenishment: lead times must be >= 1 period; series {i} has {int(lead.min())}")
    return np.broadcast_to(lead.reshape(n, -1), (n, horizon)).astype(int)


def check_items(items: PlanItems, limits: Limits) -> tuple[np.ndarray, np.ndarray]:
    """The checked demand ``(S, n, T)`` and lead times ``(n, T)``; a ``ValueError`` names what is wrong."""
    d = checked_demand(items.demand)
    n = d.shape[1]
    lead = checked_lead(items.lead_time, n, d.shape[2])
    for name in ("start_stock", "holding_cost", "shortage_cost", "unit_order_cost", "order_cost", "unit_cost",
                 "price", "volume", "moq"):
        arr = per_row(getattr(items, name), n, name)
        if np.any(arr < 0):
            bad = int(np.flatnonzero(arr < 0)[0])
            raise ValueError(f"plan_replenishment: {name} of series {bad} is {arr[bad]}; expected >= 0")
    unknown = set(limits.penalty) - set(LIMITS)
    if unknown:
        raise ValueError(f"plan_replenishment: soft limits {sorted(unknown)} unknown; expected some of {list(LIMITS)}")
    if not 0.0 <= limits.min_service <= 1.0:
        raise ValueError(f"plan_replenishment: min_service={limits.min_service}; expected a share in [0, 1]")
    return d, lead
