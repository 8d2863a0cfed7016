"""The replenishment plan's inputs, its result and the ways it can fail (see
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


