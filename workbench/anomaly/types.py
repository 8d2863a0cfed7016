"""The labelled anomaly types: what each is in a shop's data, and what a stock controller does about it.

The synthetic shop generates them (:mod:`workbench.data.synthetic`), :mod:`workbench.data.inject`
injects them into any panel, the evaluation scores the detectors per type and the incidents
quote the type's action.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from workbench.config.anomaly import ANOMALY_TYPES


@dataclass(frozen=True)
class AnomalyType:
    name: str
    what: str  # what happened, in a stock controller's words
    action: str  # what to do about it
    needs: tuple[str, ...] = ()  # panel columns the type acts on (beyond demand)


TYPES: dict[str, AnomalyType] = {t.name: t for t in (
    AnomalyType("shrinkage", "units left the stock without a sale (theft, damage, loss)",
                "recount the stock and investigate theft or damage", ("stock_on_hand",)),
    AnomalyType("phantom", "the books show stock that cannot be sold (misplaced or missing goods)",
                "recount the shelf and correct the stock record", ("stock_on_hand",)),
    AnomalyType("spike", "a data-entry error multiplied one period's recorded sales",
                "correct the sales record"),
    AnomalyType("price_typo", "the price feed shows ten times or a tenth of the price",
                "check the price feed and correct the price", ("price",)),
    AnomalyType("level_shift", "demand moved to a new level (a listing change, a competitor)",
                "check the listing and competitors' prices; re-plan the stock"),
    AnomalyType("frozen_feed", "a feed repeats the same value: sales or stock are not being updated",
                "check the data feed"),
    AnomalyType("duplicate_order", "orders were recorded twice",
                "remove the duplicated orders from the record"),
    AnomalyType("returns_wave", "a wave of returns: sales net of returns fall, returned units come back",
                "inspect the returned goods and their reason; restock or write off"),
)}
assert tuple(TYPES) == ANOMALY_TYPES


def type_rank(column: str = "anomaly_type") -> pl.Expr:
    """A sort key that lists anomaly types in the reports' order (:data:`ANOMALY_TYPES`), others after."""
    order = {t: i for i, t in enumerate(ANOMALY_TYPES)}
    return pl.col(column).replace_strict(order, default=len(order), return_dtype=pl.Int64)
