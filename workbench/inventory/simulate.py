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

Stock can move between the locations of an item along :class:`TransferArcs`: after its orders,
a policy's :meth:`Policy.transfer` sends units that leave the sender at once and arrive at the
target ``lead_time`` periods later (the rules that decide them are in :mod:`.transship`).

:class:`Simulator` holds the loop one period at a time, so that :func:`simulate` (a policy
decides) and an environment (actions decide) share one implementation. The module is longer
than most because the state, the policy interface, the step and the result it totals are one
contract: split, each part would import all the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def level_at(level: np.ndarray, t: int) -> np.ndarray:
    """A level for period ``t``: one per item, or column ``t`` of one per item and period (the
    last column serves beyond it)."""
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
        return np.where(position <= level_at(self.reorder_level, t), np.ceil(level_at(self.order_up_to, t) - position), 0.0)


@dataclass
class OrderUpToPolicy(Policy):
    """(R, S): every ``review`` periods (from ``offset``, one for all items or one per item, which
    staggers the items' reviews over the days of the cycle), order up to S."""

    order_up_to: np.ndarray  # S
    review: int = 1
    offset: int | np.ndarray = 0

    def order(self, t: int, position: np.ndarray) -> np.ndarray:
        due = (t - np.asarray(self.offset)) % max(self.review, 1) == 0
        if not due.any():
            return np.zeros_like(position)
        return np.where(due, np.ceil(np.maximum(level_at(self.order_up_to, t) - position, 0.0)), 0.0)


@dataclass
class ReorderQuantityPolicy(Policy):
    """(r, Q): when the position is at or below r, order the smallest multiple of Q
    that lifts it above r."""

    reorder_point: np.ndarray  # r
    quantity: np.ndarray  # Q

    def order(self, t: int, position: np.ndarray) -> np.ndarray:
        r = level_at(self.reorder_point, t)
        q = np.maximum(np.ceil(level_at(self.quantity, t)), 1.0)
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
    """Per-item totals over the horizon, the stock path, and the end state a following window
    starts from (``final_*``)."""

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
    stock_path: np.ndarray  # (items, periods) end-of-period stock, after the period's transfers left
    final_stock: np.ndarray  # (items,) on hand at the end of the last period
    final_backlog: np.ndarray  # (items,) demand still waiting at the end (backorders)
    final_pipeline: np.ndarray  # (items, K) due after the horizon: column 0 is the first period after it
    transfer_cost: np.ndarray  # (items,) charged to the row that sends
    units_transferred: np.ndarray  # (items,) units the row sent to its other locations
    backorders: bool = False

    @property
    def total_cost(self) -> np.ndarray:
        return self.holding_cost + self.ordering_cost + self.shortage_cost + self.transfer_cost

    @property
    def fill_rate(self) -> np.ndarray:
        """Per item: share of demand served on the day (1 where there was none)."""
        return np.where(self.demand > 0, self.sales / np.maximum(self.demand, 1e-12), 1.0)

    def summary(self) -> dict[str, float]:
        """Totals over all items: fill rate (share of demand served on the day; also from
        the first day the policy's own orders can arrive), cycle
        service level (share of replenishment cycles without a stock-out), stock-out days,
        lost (or backordered) units, average stock, turnover (sales over average stock in
        the window), units moved between locations and the costs."""
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
            "units_transferred": float(self.units_transferred.sum()),
            "holding_cost": float(self.holding_cost.sum()),
            "ordering_cost": float(self.ordering_cost.sum()),
            "shortage_cost": float(self.shortage_cost.sum()),
            "transfer_cost": float(self.transfer_cost.sum()),
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


def _check_arcs(arcs: TransferArcs, n: int) -> TransferArcs:
    """The arcs as integer rows in range, one cost each, and a lead time of at least one period."""
    source, target = np.asarray(arcs.source), np.asarray(arcs.target)
    cost = np.asarray(arcs.cost, dtype=float)
    if source.ndim != 1 or target.shape != source.shape or cost.shape != source.shape:
        raise ValueError(f"simulate: transfers has source {source.shape}, target {target.shape}, cost {cost.shape}; "
                         "expected one of each per arc")
    if source.size and not (np.issubdtype(source.dtype, np.integer) and np.issubdtype(target.dtype, np.integer)):
        raise ValueError(f"simulate: transfers rows have dtypes {source.dtype}, {target.dtype}; expected row indices")
    bad = (source < 0) | (source >= n) | (target < 0) | (target >= n) | (source == target)
    bad |= ~np.isfinite(cost) | (cost < 0)
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(f"simulate: transfer arc {k} runs from row {source[k]} to row {target[k]} at cost {cost[k]}; "
                         f"expected two different rows in 0..{n - 1} and a cost >= 0")
    if int(arcs.lead_time) != arcs.lead_time or arcs.lead_time < 1:
        raise ValueError(f"simulate: transfers.lead_time is {arcs.lead_time}; expected whole periods >= 1")
    return TransferArcs(source.astype(int), target.astype(int), cost, int(arcs.lead_time))


class Simulator:
    """The closed loop one period at a time: :func:`simulate` drives it with a policy, an
    environment with actions, and both meet the same arithmetic.

    Construction serves period 0 (its arrivals, then its demand), so that :meth:`state` is at
    once the end of period 0. Each :meth:`place` puts the orders (and the transfers) of the
    end of period ``t`` and advances to ``t + 1``: receive, serve its demand. ``done`` turns
    True once the last period's decisions are placed; then :meth:`result` gives the totals.

    The cost of period ``t`` (:meth:`period_cost`, once period ``t`` is completed by its
    :meth:`place`) is everything that happens in it: holding on its end stock (after its
    transfers left), the fixed cost of the orders placed at its end, its shortage (units lost in
    it, or the backlog waiting at its end) and the transfers sent at its end. The periods' costs
    add up to :attr:`SimResult.total_cost`.

    Transfers along ``transfers`` leave the sender's stock when placed and arrive at the target
    ``lead_time`` periods later, counted in the target's on-order meanwhile. They share the
    arrivals of the target row, so an outage there holds them back too, and their arrival closes a
    replenishment cycle like an order's.
    """

    def __init__(self, demand: np.ndarray, start_stock: np.ndarray, lead_time: np.ndarray, costs: Costs,
                 pipeline: np.ndarray | None = None, backorders: bool = False,
                 case_pack: np.ndarray | float | None = None, moq: np.ndarray | float | None = None,
                 lead_draws: np.ndarray | None = None, crossing: np.ndarray | bool = True,
                 outage: np.ndarray | None = None, transfers: TransferArcs | None = None) -> None:
        demand = np.asarray(demand, dtype=float)
        if demand.ndim != 2 or demand.shape[1] < 1:
            raise ValueError(f"simulate: demand has shape {demand.shape}; expected (items, periods) with a period at least")
        n, horizon = demand.shape
        lead = np.asarray(lead_time, dtype=int)
        if lead.shape != (n,):
            raise ValueError(f"simulate: lead_time has shape {lead.shape}; expected one per item ({n},)")
        if np.any(lead < 1):
            raise ValueError(f"simulate: lead times must be >= 1 period; item {int(np.argmin(lead))} has {int(lead.min())}")
        if np.any(demand < 0) or not np.all(np.isfinite(demand)):
            i, t = np.argwhere(~np.isfinite(demand) | (demand < 0))[0]
            raise ValueError(f"simulate: demand of item {i} in period {t} is {demand[i, t]}; expected >= 0")
        stock = np.array(start_stock, dtype=float)
        if stock.shape != (n,):
            raise ValueError(f"simulate: start_stock has shape {stock.shape}; expected one per item ({n},)")
        if np.any(stock < 0) or not np.all(np.isfinite(stock)):
            i = int(np.argmax(~np.isfinite(stock) | (stock < 0)))
            raise ValueError(f"simulate: start_stock of item {i} is {stock[i]}; expected a finite quantity >= 0")
        draws = _lead_draws(lead_draws, lead, horizon)
        if np.ndim(crossing) not in (0, 1) or np.size(crossing) not in (1, n):
            raise ValueError(f"simulate: crossing has shape {np.shape(crossing)}; expected one flag, or one per item ({n},)")
        blocked = None if outage is None else np.asarray(outage, dtype=bool)
        if blocked is not None and blocked.shape != (n, horizon):
            raise ValueError(f"simulate: outage has shape {blocked.shape}; expected (items, periods) ({n}, {horizon})")
        arcs = None if transfers is None else _check_arcs(transfers, n)
        pipe = None if pipeline is None else np.asarray(pipeline, dtype=float)
        if pipe is not None and (pipe.ndim != 2 or pipe.shape[0] != n):
            raise ValueError(f"simulate: pipeline has shape {pipe.shape}; expected (items, periods) with {n} items")
        reach = max(int(draws.max()), arcs.lead_time if arcs is not None else 1)
        self._arrivals = np.zeros((n, max(horizon + reach + 2, 0 if pipe is None else pipe.shape[1])))
        if pipe is not None:
            self._arrivals[:, : pipe.shape[1]] += pipe
        self.n, self.horizon, self.t, self.done = n, horizon, 0, False
        self._demand, self._draws, self._blocked, self._arcs = demand, draws, blocked, arcs
        self._costs, self._backorders = costs, bool(backorders)
        self._first = draws[:, 0]  # the first period an order placed at the origin arrives: before it, the start decides
        self._keep_order = ~np.broadcast_to(np.asarray(crossing, dtype=bool), (n,))
        self._pack = None if case_pack is None else np.maximum(np.broadcast_to(np.asarray(case_pack, dtype=float), (n,)), 1e-12)
        self._floor = None if moq is None else np.broadcast_to(np.asarray(moq, dtype=float), (n,))
        self._last_due = np.zeros(n, dtype=int)  # when the latest order placed is due (orders that keep their order)
        self._stock = stock
        self._on_order = self._arrivals.sum(axis=1)
        self._backlog = np.zeros(n)
        self._rows = np.arange(n)
        zeros = [np.zeros(n) for _ in range(11)]
        (self._served, self._served_late, self._short_units, self._waited, self._stockout_days, self._cycles,
         self._stockout_cycles, self._n_orders, self._units, self._sent, self._transfer_cost) = zeros
        self._short_in_cycle = np.zeros(n, dtype=bool)
        self._path = np.zeros((n, horizon))
        self._period_short = np.zeros(n)  # what the shortage cost of the period being decided is charged on
        self._last: tuple[int, np.ndarray, np.ndarray, np.ndarray | None] | None = None
        self.moved: np.ndarray | None = None  # units moved along each arc by the last place() (after scaling)
        self._serve(0)

    def _serve(self, t: int) -> None:
        """Period ``t``: receive what is due, serve the backlog and the day's demand from stock."""
        arrivals, stock = self._arrivals, self._stock
        if self._blocked is not None:  # an outage holds today's arrivals back to tomorrow
            arrivals[:, t + 1] += np.where(self._blocked[:, t], arrivals[:, t], 0.0)
            arrivals[:, t] = np.where(self._blocked[:, t], 0.0, arrivals[:, t])
        arrived = arrivals[:, t]
        # an arrival closes the replenishment cycle that was running
        closing = arrived > 0
        self._cycles += closing
        self._stockout_cycles += closing & self._short_in_cycle
        self._short_in_cycle &= ~closing
        stock += arrived
        self._on_order -= arrived
        backlog = self._backlog
        if self._backorders:  # the backlog is served first, then today's demand
            cleared = np.minimum(backlog, stock)
            stock -= cleared
            backlog -= cleared
        demand = self._demand[:, t]
        today = np.minimum(demand, stock)
        stock -= today
        unmet = demand - today
        self._served += today
        self._served_late += np.where(t >= self._first, today, 0.0)
        self._short_units += unmet
        short = unmet > 1e-9
        self._stockout_days += short
        self._short_in_cycle |= short
        if self._backorders:
            backlog += unmet
            self._waited += backlog
            self._period_short = backlog.copy()
        else:
            self._period_short = unmet

    def state(self) -> State:
        """The state at the end of period ``t``, after its demand. Stock, backlog and on-order are
        copies; ``arrivals`` is a read-only view of the live pipeline (copy it to keep it)."""
        ahead = self._arrivals[:, self.t + 1:]
        ahead.flags.writeable = False
        return State(self.t, self._stock.copy(), self._backlog.copy(), self._on_order.copy(), ahead)

    def place(self, orders: np.ndarray, moves: np.ndarray | None = None) -> np.ndarray:
        """Place ``orders`` (one per item) and ``moves`` (units per transfer arc, None: none) at the
        end of period ``t``, then advance to ``t + 1``: receive, serve its demand.

        Orders below 1e-7 (solver noise, or a negative action) are no order; the others are raised to the MOQ, then up to
        whole case packs. A sender never sends more than it holds on hand: where its arcs ask for
        more, they are scaled down in proportion (``moved`` holds what went). Returns the order
        quantities placed."""
        if self.done:
            raise RuntimeError(f"Simulator.place: all {self.horizon} periods are placed (done); nothing more can be")
        t, n = self.t, self.n
        qty = np.asarray(orders, dtype=float)
        if qty.shape != (n,):
            raise ValueError(f"Simulator.place: orders has shape {qty.shape}; expected one per item ({n},)")
        if not np.all(np.isfinite(qty)):
            i = int(np.argmax(~np.isfinite(qty)))
            raise ValueError(f"Simulator.place: the order of item {i} in period {t} is {qty[i]}; expected a finite quantity")
        qty = np.where(qty > 1e-7, qty, 0.0)  # solver noise is no order
        if self._floor is not None:
            qty = np.where(qty > 0, np.maximum(qty, self._floor), 0.0)
        if self._pack is not None:
            qty = np.ceil(qty / self._pack - 1e-6) * self._pack
        placed = qty > 0
        self._n_orders += placed
        self._units += qty
        due = t + self._draws[:, t]
        due = np.where(self._keep_order, np.maximum(due, self._last_due), due)
        self._last_due = np.where(placed, due, self._last_due)
        self._arrivals[self._rows, due] += qty
        self._on_order += qty
        moved_cost = self._move(t, moves)
        self._path[:, t] = self._stock  # the end stock of period t, once its transfers left
        self._last = (t, placed, self._period_short, moved_cost)
        if t + 1 < self.horizon:
            self.t = t + 1
            self._serve(self.t)
        else:
            self.done = True
        return qty

    def _move(self, t: int, moves: np.ndarray | None) -> np.ndarray | None:
        """Send ``moves`` along the arcs; returns the transfer cost per sending row (None: none sent)."""
        arcs, n = self._arcs, self.n
        if moves is None:
            self.moved = None
            return None
        if arcs is None:
            raise ValueError("Simulator.place: moves given, but the simulation has no transfer arcs (transfers=None)")
        m = np.asarray(moves, dtype=float)
        if m.shape != arcs.source.shape:
            raise ValueError(f"Simulator.place: moves has shape {m.shape}; expected one per arc {arcs.source.shape}")
        bad = ~np.isfinite(m) | (m < -1e-7)
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(f"Simulator.place: the transfer on arc {k} (row {arcs.source[k]} -> row {arcs.target[k]}) "
                             f"in period {t} is {m[k]}; expected a finite quantity >= 0")
        m = np.where(m > 1e-7, m, 0.0)
        stock = self._stock
        asked = np.bincount(arcs.source, weights=m, minlength=n)
        # a sender holding less than its arcs ask for shares what it holds among them, in proportion
        m = m * np.where(asked > stock, stock / np.maximum(asked, 1e-300), 1.0)[arcs.source]
        sent = np.bincount(arcs.source, weights=m, minlength=n)
        np.maximum(stock - sent, 0.0, out=stock)  # the clip only takes off rounding: a scaled sender sends all it holds
        inbound = np.bincount(arcs.target, weights=m, minlength=n)
        self._arrivals[:, t + arcs.lead_time] += inbound
        self._on_order += inbound
        self._sent += sent
        cost = np.bincount(arcs.source, weights=arcs.cost * m, minlength=n)
        self._transfer_cost += cost
        self.moved = m
        return cost

    def period_cost(self) -> np.ndarray:
        """Per item, the cost of the last completed period (see the class docstring)."""
        if self._last is None:
            raise RuntimeError("Simulator.period_cost: no period is completed yet; place() completes one")
        t, placed, short, moved_cost = self._last
        c = self._costs
        cost = c.holding * self._path[:, t] + c.ordering * placed + c.shortage * short
        return cost if moved_cost is None else cost + moved_cost

    def result(self) -> SimResult:
        """Totals over the horizon; only once every period is placed (``done``), after which nothing
        changes the arrays it hands over."""
        if not self.done:
            raise RuntimeError(f"Simulator.result: period {self.t} of {self.horizon} is still to be placed")
        horizon, path = self.horizon, self._path
        # the cycle still running at the end counts too
        cycles = self._cycles + 1
        stockout_cycles = self._stockout_cycles + self._short_in_cycle
        shortage_basis = self._waited if self._backorders else self._short_units
        after = self._arrivals[:, horizon:]
        due = np.flatnonzero(after.any(axis=0))
        c = self._costs
        return SimResult(
            demand=self._demand.sum(axis=1),
            sales=self._served,
            demand_after_lead=np.where(np.arange(horizon)[None, :] >= self._first[:, None], self._demand, 0.0).sum(axis=1),
            sales_after_lead=self._served_late,
            lost=self._short_units,
            backlog_periods=self._waited,
            stockout_days=self._stockout_days,
            cycles=cycles,
            stockout_cycles=stockout_cycles,
            orders=self._n_orders,
            units_ordered=self._units,
            mean_stock=path.mean(axis=1),
            holding_cost=c.holding * path.sum(axis=1),
            ordering_cost=c.ordering * self._n_orders,
            shortage_cost=c.shortage * shortage_basis,
            stock_path=path,
            final_stock=self._stock,
            final_backlog=self._backlog,
            final_pipeline=after[:, : due[-1] + 1 if due.size else 1].copy(),
            transfer_cost=self._transfer_cost,
            units_transferred=self._sent,
            backorders=self._backorders,
        )


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
    transfers: TransferArcs | None = None,
) -> SimResult:
    """Run ``policy`` against ``demand[item, period]`` on a :class:`Simulator`.

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
    transfers : optional arcs between rows (an item's locations); each period, after its orders,
        ``policy.transfer`` says how much moves along each.
    """
    sim = Simulator(demand, start_stock, lead_time, costs, pipeline=pipeline, backorders=backorders,
                    case_pack=case_pack, moq=moq, lead_draws=lead_draws, crossing=crossing, outage=outage,
                    transfers=transfers)
    while not sim.done:
        state = sim.state()
        sim.place(policy.decide(state), None if transfers is None else policy.transfer(state, transfers))
    return sim.result()
