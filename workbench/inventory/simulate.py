"""Closed-loop simulation of replenishment policies against actual demand.

Day by day, vectorised over items (the loop runs over periods only): receive what
arrives, sell what stock allows (lost sales), then let the policy order; an order
placed at the end of period t can be sold from period t + L (L >= 1). Every policy is priced the
same way: holding cost on end-of-period stock, a fixed cost per order, and a
shortage cost per unit of lost sales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class Policy:
    """Decides order quantities from the inventory position, for all items at once."""

    def order(self, t: int, position: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class ReorderPolicy(Policy):
    """(s, S): when the inventory position is at or below s, order up to S."""

    reorder_level: np.ndarray  # s
    order_up_to: np.ndarray  # S

    def order(self, t: int, position: np.ndarray) -> np.ndarray:
        return np.where(position <= self.reorder_level, np.ceil(self.order_up_to - position), 0.0)


@dataclass
class PlanPolicy(Policy):
    """An open-loop plan: ``orders[i, t]`` is placed in period t whatever happens."""

    orders: np.ndarray

    def order(self, t: int, position: np.ndarray) -> np.ndarray:
        return self.orders[:, t]


@dataclass
class Costs:
    holding: np.ndarray  # per unit and period
    ordering: np.ndarray  # per order
    shortage: np.ndarray  # per unit of lost sales


@dataclass
class SimResult:
    """Per-item totals over the horizon, plus the stock path."""

    demand: np.ndarray
    sales: np.ndarray
    lost: np.ndarray
    stockout_days: np.ndarray
    orders: np.ndarray
    mean_stock: np.ndarray
    holding_cost: np.ndarray
    ordering_cost: np.ndarray
    shortage_cost: np.ndarray
    stock_path: np.ndarray  # (items, periods) end-of-period stock

    @property
    def total_cost(self) -> np.ndarray:
        return self.holding_cost + self.ordering_cost + self.shortage_cost

    def summary(self) -> dict[str, float]:
        demand = self.demand.sum()
        periods = self.stock_path.shape[1]
        return {
            "fill_rate": float(self.sales.sum() / demand) if demand > 0 else 1.0,
            "cycle_service_level": float(1.0 - self.stockout_days.sum() / self.stockout_days.size / periods),
            "stockout_days": float(self.stockout_days.sum()),
            "lost_sales": float(self.lost.sum()),
            "mean_stock": float(self.mean_stock.sum()),
            "orders": float(self.orders.sum()),
            "holding_cost": float(self.holding_cost.sum()),
            "ordering_cost": float(self.ordering_cost.sum()),
            "shortage_cost": float(self.shortage_cost.sum()),
            "total_cost": float(self.total_cost.sum()),
        }


def simulate(
    demand: np.ndarray,
    start_stock: np.ndarray,
    lead_time: np.ndarray,
    policy: Policy,
    costs: Costs,
    pipeline: np.ndarray | None = None,
) -> SimResult:
    """Run ``policy`` against ``demand[item, period]`` with lost sales.

    Parameters
    ----------
    demand : actual demand per item and period (what customers wanted).
    start_stock : stock on hand at the start.
    lead_time : periods from order to availability, per item (at least 1).
    policy : a :class:`Policy`.
    costs : :class:`Costs` per item.
    pipeline : optional arrivals already on order, ``[item, period]``.
    """
    demand = np.asarray(demand, dtype=float)
    n, horizon = demand.shape
    lead = np.asarray(lead_time, dtype=int)
    if np.any(lead < 1):
        raise ValueError(f"simulate: lead times must be >= 1 period; got {int(lead.min())}")
    arrivals = np.zeros((n, horizon + int(lead.max()) + 1))
    if pipeline is not None:
        arrivals[:, : pipeline.shape[1]] += pipeline
    stock = np.asarray(start_stock, dtype=float).copy()
    on_order = arrivals.sum(axis=1)
    rows = np.arange(n)
    sales = np.zeros((n, horizon))
    path = np.zeros((n, horizon))
    n_orders = np.zeros(n)
    for t in range(horizon):
        stock += arrivals[:, t]
        on_order -= arrivals[:, t]
        sales[:, t] = np.minimum(demand[:, t], stock)
        stock -= sales[:, t]
        path[:, t] = stock
        qty = np.maximum(policy.order(t, stock + on_order), 0.0)
        placed = qty > 0
        n_orders += placed
        arrivals[rows, t + lead] += qty
        on_order += qty
    lost = demand - sales
    return SimResult(
        demand=demand.sum(axis=1),
        sales=sales.sum(axis=1),
        lost=lost.sum(axis=1),
        stockout_days=(lost > 1e-9).sum(axis=1),
        orders=n_orders,
        mean_stock=path.mean(axis=1),
        holding_cost=costs.holding * path.sum(axis=1),
        ordering_cost=costs.ordering * n_orders,
        shortage_cost=costs.shortage * lost.sum(axis=1),
        stock_path=path,
    )
