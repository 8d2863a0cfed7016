"""The synthetic shop's stock: a daily (s, S) replenishment that censors sales.

Each series is reviewed daily by an (s, S) rule (:class:`workbench.inventory.simulate.ReorderPolicy`)
whose levels follow a trailing estimate of *recorded* sales: ``s`` covers the lead time
and a day at a per-series safety factor (some series run lean and stock out often),
``S`` adds the EOQ batch (:func:`workbench.inventory.policies.eoq`). Orders arrive after
the supplier's lead time plus a random delay. Demand that finds no stock is lost, so
stock-outs censor sales; the anomalies of :mod:`workbench.data.synthetic_anomalies`
act on the shelf and the ledger: returned units come back to the shelf and out of the
ledger, so that every day

    stock[t] = stock[t-1] + receipts[t] + returns[t] - sales[t] - shrink[t].

The day loop is the shop's own rather than :func:`workbench.inventory.simulate.simulate`:
the levels are re-estimated every day from the sales the loop itself records (a
feedback the simulator's fixed or pre-computed levels cannot express), each order has
its own delivery delay where the simulator has one lead time per item, and shrinkage
phantom stock and returns change the shelf between the sale and the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from workbench.data.synthetic_anomalies import AnomalySchedule
from workbench.data.synthetic_catalogue import Items

if TYPE_CHECKING:
    from workbench.inventory.simulate import ReorderPolicy


@dataclass(frozen=True)
class Replenishment:
    """How each series is replenished: per-series costs and lead time, and the delay of an
    order placed on each day."""

    lead_time: np.ndarray  # days the supplier promises
    order_cost: np.ndarray  # K, per order
    holding_cost: np.ndarray  # h, per unit and day
    dispersion: np.ndarray  # negative-binomial size of the series' demand
    safety_factor: np.ndarray  # z of the reorder level
    delays: np.ndarray  # (series, day): days an order placed that day arrives late

    @classmethod
    def of(cls, items: Items, item_of: np.ndarray, safety_factor: np.ndarray, delays: np.ndarray) -> Replenishment:
        """The rule of every series ``s`` of item ``item_of[s]``."""
        return cls(
            lead_time=items.lead_time[item_of],
            order_cost=items.order_cost[item_of],
            holding_cost=items.holding_cost[item_of],
            dispersion=items.dispersion[item_of],
            safety_factor=safety_factor,
            delays=delays,
        )


def safety_factors(rng: np.random.Generator, n_series: int) -> np.ndarray:
    """Safety factors z in -0.3..1.8: some series run lean and stock out often."""
    return rng.uniform(-0.3, 1.8, n_series)


def delivery_delays(rng: np.random.Generator, lead_time: np.ndarray, n_days: int) -> np.ndarray:
    """Poisson delays with a mean of 15 % of the lead time, one per series and order day."""
    return rng.poisson(0.15 * lead_time[:, None], (lead_time.size, n_days))


def reorder_policy(level: np.ndarray, rule: Replenishment) -> ReorderPolicy:
    """(s, S) from the trailing sales ``level``: over the cover ``L + 1`` the demand has mean
    ``level (L + 1)`` and the negative-binomial variance ``level (L + 1) (1 + level / r)``;
    ``s`` adds z standard deviations, ``S = s + EOQ`` with the batch kept within one unit and
    sixty days of sales."""
    # imported here: the inventory package loads cvxpy and the forecasters and imports
    # the data layer, which should load neither
    from workbench.inventory.policies import eoq, reorder_point
    from workbench.inventory.simulate import ReorderPolicy

    cover = rule.lead_time + 1
    sd = np.sqrt(level * cover * (1.0 + level / rule.dispersion))
    reorder = reorder_point(level, cover, rule.safety_factor * sd)
    batch, _ = eoq(rule.order_cost, rule.holding_cost, np.maximum(level, 1e-3))
    return ReorderPolicy(reorder, reorder + np.clip(batch, 1.0, 60.0 * np.maximum(level, 0.05)))


@dataclass(frozen=True)
class StockOutcome:
    """(series, day) integer matrices of what the stock process did."""

    sales: np.ndarray  # units really sold
    recorded: np.ndarray  # units in the sales ledger: with data-entry spikes, net of returns
    stock: np.ndarray  # stock on hand at the end of the day
    receipts: np.ndarray  # units received
    shrink: np.ndarray  # units lost to shrinkage
    returns: np.ndarray  # units customers returned to the shelf
    phantom_seen: np.ndarray  # a phantom spell hid stock that was there


def _recorded(sales: np.ndarray, level: np.ndarray, schedule: AnomalySchedule, t: int) -> np.ndarray:
    """The ledger of day ``t``: the sales, or on a spike day a multiple of them (of the trailing
    level where nothing sold)."""
    size = schedule.spike_size[:, t]
    spiked = np.where(sales > 0, np.rint(sales * size), np.rint(size * np.maximum(level, 1.0)))
    return np.where(schedule.spike_event[:, t], spiked, sales).astype(np.int64)


def run_stock(
    true_demand: np.ndarray, mu: np.ndarray, rule: Replenishment, schedule: AnomalySchedule
) -> StockOutcome:
    """Day by day, vectorised over series: receive the deliveries and the returns, sell what the
    (visible) shelf holds, lose shrinkage, record the sales net of returns, update the level and
    order. A returns wave brings back its share of the trailing level a day, at least a unit;
    the level reads a day whose returns exceed its sales as one without sales. The start stock
    covers the lead time and ten days of the first four weeks' mean demand ``mu``."""
    n_series, n_days = true_demand.shape
    lead = rule.lead_time
    arrivals = np.zeros((n_series, n_days + int(lead.max()) * 2 + 10), dtype=np.int64)
    on_order = np.zeros(n_series, dtype=np.int64)
    level = mu[:, :28].mean(axis=1)
    stock = np.ceil(level * (lead + 10)).astype(np.int64)
    rows = np.arange(n_series)
    names = ("sales", "recorded", "stock", "receipts", "shrink", "returns")
    out = {k: np.zeros((n_series, n_days), dtype=np.int64) for k in names}
    phantom_seen = np.zeros((n_series, n_days), dtype=bool)
    share = schedule.returns_share if schedule.returns_share is not None else np.zeros((n_series, n_days))
    for t in range(n_days):
        receipts = arrivals[:, t]
        returns = np.where(share[:, t] > 0, np.maximum(np.rint(share[:, t] * level), 1.0), 0.0).astype(np.int64)
        stock += receipts + returns
        on_order -= receipts
        phantom_seen[:, t] = schedule.phantom[:, t] & (stock > 0)
        sales = np.minimum(true_demand[:, t], np.where(schedule.phantom[:, t], 0, stock))
        stock -= sales
        shrink = np.where(
            schedule.shrink_event[:, t], np.ceil(stock * schedule.shrink_share[:, t]).astype(np.int64), 0
        )
        stock -= shrink
        recorded = _recorded(sales, level, schedule, t) - returns
        level = 0.95 * level + 0.05 * np.maximum(recorded, 0)  # trailing level of the recorded sales
        order = reorder_policy(level, rule).order(t, stock + on_order).astype(np.int64)
        np.add.at(arrivals, (rows, t + lead + rule.delays[:, t]), order)
        on_order += order
        for key, value in zip(names, (sales, recorded, stock, receipts, shrink, returns), strict=True):
            out[key][:, t] = value
    return StockOutcome(**out, phantom_seen=phantom_seen)
