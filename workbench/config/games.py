"""The ``games`` group: the supply-chain games of one product category."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GamesConfig:
    category: str | None = None  # None: the category with most revenue
    period_days: int = 28
    n_prices: int = 12
    n_quantities: int = 15
    salvage_share: float = 0.3  # salvage value of leftover stock, as a share of unit cost
