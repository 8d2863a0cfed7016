"""Closed-loop simulation of replenishment policies against actual demand.

Day by day, vectorised over items (the loop runs over periods only): receive what
arrives, serve demand (and the backlog) from stock, then let the policy look at the
inventory position (on hand + on order - backlog) and order; an order placed at the
end of period t can be sold from period t + L (L >= 1). Unmet demand is lost or
backordered. Every policy is priced the same way: holding cost on end-of-period
stock, a fixed cost per order, and a shortage cost per unit lost (lost sales) or per
unit and period waiting (backorders).

Levels (``s``, ``S``, ``r``) are one per item, or one per item and period so that a
policy can follow a forecast through the window.

Supply can fail: each order may take its own lead time (``lead_draws[i, t]``, the lead time of
an order placed in period t, drawn beforehand so that every policy meets the same supply),
orders may overtake one another or keep their order (``crossing``), and an outage holds back
every arrival due while it lasts (``outage``) until the first period after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _at(level: np.ndarray, t: int) -> np.ndarray:
    level = np.asarray(level, dtype=float)
    return level if level.ndim <= 1 else level[:, min(t, level.shape[1] - 1)]


@dataclass(frozen=True)
class State:
    """What a policy sees at the end of period ``t``, after the day's demand, for all items.

    ``arrivals[:, j]`` is what is due to arrive in period ``t + 1 + j`` from orders (and
    transfers) already placed: a read-only view that a planning policy reads as its pipeline."""

    t: int
    stock: np.ndarray  # (n,) on hand at the end of the period
    backlog: np.ndarray  # (n,) demand waiting (backorders; zeros with lost sales)
    on_order: np.ndarray  # (n,) placed, not yet arrived
    arrivals: np.ndarray  # (n, K) due in periods t + 1 ... t + K

    @property
    def position(self) -> np.ndarray:
        """Inventory position: on hand + on order - backlog."""
        return self.stock + self.on_order - self.backlog


@dataclass(frozen=True)
class TransferArcs:
    """Lateral transfers the simulation may execute: arc k moves stock from row ``source[k]`` to
    row ``target[k]`` (the same item at two locations), at ``cost[k]`` per unit, sellable at the
    target ``lead_time`` periods after it leaves the source."""

    source: np.ndarray  # (arcs,) row indices
    target: np.ndarray  # (arcs,)
    cost: np.ndarray  # (arcs,) per unit moved
    lead_time: int = 1


class Policy:
    """Decides order quantities for all items at once: from the inventory position
    (:meth:`order`), or from the whole :class:`State` (:meth:`decide`, which a planning policy
    overrides to read the stock on hand and the pipeline). A policy that moves stock between
    locations also answers :meth:`transfer`."""

    def order(self, t: int, position: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def decide(self, state: State) -> np.ndarray:
        """Order quantities at the end of period ``state.t``."""
        return self.order(state.t, state.position)

    def transfer(self, state: State, arcs: TransferArcs) -> np.ndarray | None:
        """Units to move along each arc at the end of period ``state.t`` (None: none)."""
        return None


@dataclass
class ReorderPolicy(Policy):
    """(s, S): when the inventory position is at or below s, order up to S."""

    reorder_level: np.ndarray  # s
    order_up_to: np.ndarray  # S

    def order(self, t: int, position: np.ndarray) -> np.ndarray:
        return np.where(position <= _at(self.reorder_level, t), np.ceil(_at(self.order_up_to, t) - position), 0.0)


@dataclass
class OrderUpToPolicy(Policy):
    """(R, S): every ``review`` periods (from ``offset``), order up to S."""

    order_up_to: np.ndarray  # S
    review: int = 1
    offset: int = 0

    def order(self, t: int, position: np.ndarray) -> np.ndarray:
        if (t - self.offset) % max(self.review, 1):
            return np.zeros_like(position)
        return np.ceil(np.maximum(_at(self.order_up_to, t) - position, 0.0))


@dataclass
class ReorderQuantityPolicy(Policy):
    """(r, Q): when the position is at or below r, order the smallest multiple of Q
    that lifts it above r."""

    reorder_point: np.ndarray  # r
    quantity: np.ndarray  # Q

    def order(self, t: int, position: np.ndarray) -> np.ndarray:
        r = _at(self.reorder_point, t)
        q = np.maximum(np.ceil(_at(self.quantity, t)), 1.0)
        batches = np.floor((r - position) / q) + 1
        return np.where(position <= r, batches * q, 0.0)


@dataclass
class PlanPolicy(Policy):
    """An open-loop plan: ``orders[i, t]`` is placed in period t whatever happens."""

    orders: np.ndarray

    def order(self, t: int, position: np.ndarray) -> np.ndarray:
        return self.orders[:, t] if t < self.orders.shape[1] else np.zeros_like(position)


@dataclass
class Costs:
    holding: np.ndarray  # per unit and period
    ordering: np.ndarray  # per order
    shortage: np.ndarray  # per unit lost, or per unit and period backordered


@dataclass
class SimResult:
    """Per-item totals over the horizon, plus the stock path."""

    demand: np.ndarray
    sales: np.ndarray  # served on the day it was asked for
    demand_after_lead: np.ndarray  # demand from the first day an order placed in the window can arrive
    sales_after_lead: np.ndarray  # ... and what of it was served on the day
    lost: np.ndarray  # lost (lost sales) or first backordered (backorders)
    backlog_periods: np.ndarray  # unit-periods waited (backorders)
    stockout_days: np.ndarray  # days with demand not served on the day
    cycles: np.ndarray  # replenishment cycles (from one arrival to the next)
    stockout_cycles: np.ndarray  # ... with at least one stock-out day
    orders: np.ndarray
    units_ordered: np.ndarray
    mean_stock: np.ndarray
    holding_cost: np.ndarray
    ordering_cost: np.ndarray
    shortage_cost: np.ndarray
    stock_path: np.ndarray  # (items, periods) end-of-period stock
    backorders: bool = False

    @property
    def total_cost(self) -> np.ndarray:
        return self.holding_cost + self.ordering_cost + self.shortage_cost

    @property
    def fill_rate(self) -> np.ndarray:
        """Per item: share of demand served on the day (1 where there was none)."""
        return np.where(self.demand > 0, self.sales / np.maximum(self.demand, 1e-12), 1.0)

    def summary(self) -> dict[str, float]:
        """Totals over all items: fill rate (share of demand served on the day; also from
        the first day the policy's own orders can arrive), cycle
        service level (share of replenishment cycles without a stock-out), stock-out days,
        lost (or backordered) units, average stock, turnover (sales over average stock in
        the window) and the three costs."""
        demand, mean_stock = self.demand.sum(), self.mean_stock.sum()
        return {
            "fill_rate": float(self.sales.sum() / demand) if demand > 0 else 1.0,
            # what the policy controls: days before the first lead time ends depend on the start only
            "fill_rate_after_lead": float(self.sales_after_lead.sum() / self.demand_after_lead.sum())
            if self.demand_after_lead.sum() > 0 else 1.0,
            "cycle_service_level": float(1.0 - self.stockout_cycles.sum() / max(self.cycles.sum(), 1)),
            "stockout_days": float(self.stockout_days.sum()),
            "lost_sales": float(self.lost.sum()),
            "mean_stock": float(mean_stock),
            "turnover": float(self.sales.sum() / mean_stock) if mean_stock > 0 else float("nan"),
            "orders": float(self.orders.sum()),
            "holding_cost": float(self.holding_cost.sum()),
            "ordering_cost": float(self.ordering_cost.sum()),
            "shortage_cost": float(self.shortage_cost.sum()),
            "total_cost": float(self.total_cost.sum()),
        }


def _lead_draws(lead_draws: np.ndarray | None, lead: np.ndarray, horizon: int) -> np.ndarray:
    """Each order's lead time ``[item, period]``: the drawn ones, checked, or the nominal one."""
    if lead_draws is None:
        return np.broadcast_to(lead[:, None], (lead.size, horizon))
    draws = np.asarray(lead_draws)
    if draws.shape != (lead.size, horizon):
        raise ValueError(f"simulate: lead_draws has shape {draws.shape}; expected (items, periods) ({lead.size}, {horizon})")
    if not np.issubdtype(draws.dtype, np.integer):
        raise ValueError(f"simulate: lead_draws has dtype {draws.dtype}; expected whole periods (an integer array)")
    if np.any(draws < 1):
        i, t = np.argwhere(draws < 1)[0]
        raise ValueError(f"simulate: lead_draws must be whole periods >= 1; item {i} in period {t} has {draws[i, t]}")
    return draws


def simulate(
    demand: np.ndarray,
    start_stock: np.ndarray,
    lead_time: np.ndarray,
    policy: Policy,
    costs: Costs,
    pipeline: np.ndarray | None = None,
    backorders: bool = False,
    case_pack: np.ndarray | float | None = None,
    moq: np.ndarray | float | None = None,
    lead_draws: np.ndarray | None = None,
    crossing: np.ndarray | bool = True,
    outage: np.ndarray | None = None,
) -> SimResult:
    """Run ``policy`` against ``demand[item, period]``.

    Parameters
    ----------
    demand : actual demand per item and period (what customers wanted).
    start_stock : stock on hand at the start.
    lead_time : periods from order to availability, per item (at least 1).
    policy : a :class:`Policy`.
    costs : :class:`Costs` per item.
    pipeline : optional arrivals already on order, ``[item, period]``.
    backorders : unmet demand waits (True) or is lost (False).
    case_pack, moq : orders are rounded up to whole cases and to at least the MOQ.
    lead_draws : optional ``[item, period]`` lead time of an order placed in that period (at least
        1). The fill rate "after lead" counts from the arrival of an order placed in the first period.
    crossing : per item (or for all), whether a later order may arrive before an earlier one;
        where not, an order arrives no earlier than the one placed before it.
    outage : optional ``[item, period]`` mask of periods in which nothing arrives for the item;
        what was due then arrives in the first period after the outage.
    """
    demand = np.asarray(demand, dtype=float)
    n, horizon = demand.shape
    lead = np.asarray(lead_time, dtype=int)
    if lead.shape != (n,):
        raise ValueError(f"simulate: lead_time has shape {lead.shape}; expected one per item ({n},)")
    if np.any(lead < 1):
        raise ValueError(f"simulate: lead times must be >= 1 period; item {int(np.argmin(lead))} has {int(lead.min())}")
    if np.any(demand < 0) or not np.all(np.isfinite(demand)):
        i, t = np.argwhere(~np.isfinite(demand) | (demand < 0))[0]
        raise ValueError(f"simulate: demand of item {i} in period {t} is {demand[i, t]}; expected >= 0")
    draws = _lead_draws(lead_draws, lead, horizon)
    first = draws[:, 0]  # the first period an order placed at the origin arrives: before it, the start decides
    if np.ndim(crossing) not in (0, 1) or np.size(crossing) not in (1, n):
        raise ValueError(f"simulate: crossing has shape {np.shape(crossing)}; expected one flag, or one per item ({n},)")
    ordered = np.broadcast_to(np.asarray(crossing, dtype=bool), (n,))
    blocked = None if outage is None else np.asarray(outage, dtype=bool)
    if blocked is not None and blocked.shape != (n, horizon):
        raise ValueError(f"simulate: outage has shape {blocked.shape}; expected (items, periods) ({n}, {horizon})")
    pack = None if case_pack is None else np.maximum(np.broadcast_to(np.asarray(case_pack, dtype=float), (n,)), 1e-12)
    floor = None if moq is None else np.broadcast_to(np.asarray(moq, dtype=float), (n,))
    arrivals = np.zeros((n, horizon + int(draws.max()) + 2))
    last_due = np.zeros(n, dtype=int)  # when the latest order placed is due (orders that keep their order)
    if pipeline is not None:
        arrivals[:, : pipeline.shape[1]] += pipeline
    stock = np.asarray(start_stock, dtype=float).copy()
    on_order = arrivals.sum(axis=1)
    backlog = np.zeros(n)
    rows = np.arange(n)
    served = np.zeros(n)
    served_late = np.zeros(n)
    short_units = np.zeros(n)
    waited = np.zeros(n)
    stockout_days = np.zeros(n)
    cycles = np.zeros(n)
    stockout_cycles = np.zeros(n)
    short_in_cycle = np.zeros(n, dtype=bool)
    path = np.zeros((n, horizon))
    n_orders = np.zeros(n)
    units = np.zeros(n)
    for t in range(horizon):
        if blocked is not None:  # an outage holds today's arrivals back to tomorrow
            arrivals[:, t + 1] += np.where(blocked[:, t], arrivals[:, t], 0.0)
            arrivals[:, t] = np.where(blocked[:, t], 0.0, arrivals[:, t])
        arrived = arrivals[:, t]
        # an arrival closes the replenishment cycle that was running
        closing = arrived > 0
        cycles += closing
        stockout_cycles += closing & short_in_cycle
        short_in_cycle &= ~closing
        stock += arrived
        on_order -= arrived
        if backorders:  # the backlog is served first, then today's demand
            cleared = np.minimum(backlog, stock)
            stock -= cleared
            backlog -= cleared
        today = np.minimum(demand[:, t], stock)
        stock -= today
        unmet = demand[:, t] - today
        served += today
        served_late += np.where(t >= first, today, 0.0)
        short_units += unmet
        short = unmet > 1e-9
        stockout_days += short
        short_in_cycle |= short
        if backorders:
            backlog += unmet
            waited += backlog
        path[:, t] = stock
        qty = policy.decide(State(t, stock, backlog, on_order, arrivals[:, t + 1:]))
        qty = np.where(qty > 1e-7, qty, 0.0)  # solver noise is no order
        if floor is not None:
            qty = np.where(qty > 0, np.maximum(qty, floor), 0.0)
        if pack is not None:
            qty = np.ceil(qty / pack - 1e-6) * pack
        placed = qty > 0
        n_orders += placed
        units += qty
        due = t + draws[:, t]
        due = np.where(ordered, due, np.maximum(due, last_due))
        last_due = np.where(placed, due, last_due)
        arrivals[rows, due] += qty
        on_order += qty
    cycles += 1  # the cycle still running at the end
    stockout_cycles += short_in_cycle
    shortage_basis = waited if backorders else short_units
    return SimResult(
        demand=demand.sum(axis=1),
        sales=served,
        demand_after_lead=np.where(np.arange(horizon)[None, :] >= first[:, None], demand, 0.0).sum(axis=1),
        sales_after_lead=served_late,
        lost=short_units,
        backlog_periods=waited,
        stockout_days=stockout_days,
        cycles=cycles,
        stockout_cycles=stockout_cycles,
        orders=n_orders,
        units_ordered=units,
        mean_stock=path.mean(axis=1),
        holding_cost=costs.holding * path.sum(axis=1),
        ordering_cost=costs.ordering * n_orders,
        shortage_cost=costs.shortage * shortage_basis,
        stock_path=path,
        backorders=backorders,
    )
