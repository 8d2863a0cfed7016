"""Lateral transshipment between the locations of an item (the online shop and the store).

:func:`location_pairs` and :func:`transfer_arcs` name the arcs: every ordered pair of rows that
hold the same item at two locations. :class:`Transshipping` wraps any replenishment policy and
moves stock along them at the end of each period: a row that would stock out before its own
next order can arrive (stock on hand plus what arrives within the transfer lead time below its
need) draws on a row that holds more than its own need,

.. math:: x_{ij} = \\min(\\text{shortfall}_j, \\text{surplus}_i), \\quad
          \\text{shortfall}_j = (d_j - I_j - A_j)^+, \\quad \\text{surplus}_i = (I_i - d_i)^+,

with :math:`d` the need, :math:`I` the stock on hand and :math:`A` the arrivals within the
transfer lead time; where a sender's arcs ask for more than its surplus, or a receiver's arcs
bring more than its shortfall, they are scaled down in proportion (Tagaras 1989, "Effects of
pooling on the optimization and service levels of two-location inventory systems").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.inventory.simulate import Policy, State, TransferArcs, level_at


def location_pairs(econ: pl.DataFrame, keys: list[str], location: str) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair of rows ``(source, target)`` of ``econ`` that hold the same item (the
    keys other than ``location``) at two values of the ``location`` column.

    >>> econ = pl.DataFrame({"item_id": ["a", "a", "b"], "store": ["web", "shop", "web"]})
    >>> [r.tolist() for r in location_pairs(econ, ["item_id", "store"], "store")]
    [[0, 1], [1, 0]]
    """
    if location not in econ.columns:
        raise ValueError(f"location '{location}' is not a column of the series table (columns {econ.columns}); "
                         "expected a key or a static column that names the location")
    product = [k for k in keys if k != location] or ["item_id"]
    missing = [k for k in product if k not in econ.columns]
    if missing:
        raise ValueError(f"location_pairs: the key columns {missing} are not in the series table (columns {econ.columns})")
    rows = econ.select(product).with_columns(pl.int_range(pl.len()).alias("row"),
                                             econ.get_column(location).cast(pl.String).alias("loc"))
    pairs = (rows.join(rows, on=product, suffix="_to", nulls_equal=True)
             .filter(pl.col("loc") != pl.col("loc_to")).sort("row", "row_to"))
    return pairs.get_column("row").to_numpy().astype(int), pairs.get_column("row_to").to_numpy().astype(int)


def transfer_arcs(econ: pl.DataFrame, keys: list[str], location: str, cost_share: float,
                  lead_time: int) -> TransferArcs | None:
    """The arcs between an item's locations, at ``cost_share`` x the sender's unit cost per unit
    moved, sellable ``lead_time`` periods after they leave; None where no item is held at two
    locations (``inventory.transshipment.cost_share`` and ``.lead_time``)."""
    if not np.isfinite(cost_share) or cost_share < 0:
        raise ValueError(f"inventory.transshipment.cost_share is {cost_share}; expected a share of unit cost >= 0")
    if int(lead_time) != lead_time or lead_time < 1:
        raise ValueError(f"inventory.transshipment.lead_time is {lead_time}; expected whole periods >= 1")
    if "unit_cost" not in econ.columns:
        raise ValueError(f"transfer_arcs: the series table has no 'unit_cost' column (columns {econ.columns})")
    source, target = location_pairs(econ, keys, location)
    if not source.size:
        return None
    unit_cost = econ.get_column("unit_cost").cast(pl.Float64).to_numpy()
    if not np.all(np.isfinite(unit_cost[source])) or np.any(unit_cost[source] < 0):
        row = int(source[np.argmax(~np.isfinite(unit_cost[source]) | (unit_cost[source] < 0))])
        raise ValueError(f"transfer_arcs: unit_cost of row {row} is {unit_cost[row]}; expected a finite cost >= 0")
    return TransferArcs(source, target, cost_share * unit_cost[source], int(lead_time))


def share_out(want: np.ndarray, source: np.ndarray, target: np.ndarray, surplus: np.ndarray,
              shortfall: np.ndarray) -> np.ndarray:
    """Scale the units ``want`` per arc so that no sender gives more than its ``surplus`` and no
    receiver gets more than its ``shortfall`` (each in proportion over its arcs).

    >>> share_out(np.array([4.0, 4.0]), np.array([0, 0]), np.array([1, 2]), np.array([6.0, 0, 0]), np.array([0, 4, 4.0]))
    array([3., 3.])
    """
    n = surplus.size

    def cap(arcs_of: np.ndarray, limit: np.ndarray, x: np.ndarray) -> np.ndarray:
        total = np.bincount(arcs_of, weights=x, minlength=n)
        return x * np.where(total > limit, limit / np.maximum(total, 1e-300), 1.0)[arcs_of]

    # capping the receivers second only lowers what each sender gives: both limits hold
    return cap(target, shortfall, cap(source, surplus, want))


@dataclass
class Transshipping(Policy):
    """Any policy's orders, plus lateral transshipment between an item's locations.

    ``need[j, t]`` is what row j needs on hand at the end of period t to last until stock can
    reach it again: e.g. forecast demand over the transfer lead time and until its own next order
    can arrive (the caller computes it; one column per period, the last one serves beyond).
    ``whole_units`` moves whole units only: the shortfall rounded up, the surplus and the moves
    down."""

    policy: Policy
    need: np.ndarray  # (n, H)
    whole_units: bool = True

    def __post_init__(self) -> None:
        need = np.asarray(self.need, dtype=float)
        if need.ndim != 2 or need.shape[1] < 1:
            raise ValueError(f"Transshipping: need has shape {need.shape}; expected (rows, periods)")
        bad = ~np.isfinite(need) | (need < 0)
        if bad.any():
            j, t = np.argwhere(bad)[0]
            raise ValueError(f"Transshipping: need of row {j} in period {t} is {need[j, t]}; expected a finite quantity >= 0")
        self.need = need

    def order(self, t: int, position: np.ndarray) -> np.ndarray:
        return self.policy.order(t, position)

    def decide(self, state: State) -> np.ndarray:
        return self.policy.decide(state)

    def transfer(self, state: State, arcs: TransferArcs) -> np.ndarray:
        """Units along each arc: min(shortfall of the target, surplus of the source), shared out."""
        if self.need.shape[0] != state.stock.size:
            raise ValueError(f"Transshipping: need has {self.need.shape[0]} rows; the simulation has {state.stock.size}")
        need = level_at(self.need, state.t)
        coming = state.arrivals[:, : arcs.lead_time].sum(axis=1)  # sellable no later than a transfer sent now
        shortfall = np.maximum(need - state.stock - coming, 0.0)
        surplus = np.maximum(state.stock - need, 0.0)
        if self.whole_units:
            shortfall, surplus = np.ceil(shortfall - 1e-9), np.floor(surplus + 1e-9)
        moves = share_out(np.minimum(shortfall[arcs.target], surplus[arcs.source]), arcs.source, arcs.target,
                          surplus, shortfall)
        return np.floor(moves + 1e-9) if self.whole_units else moves
