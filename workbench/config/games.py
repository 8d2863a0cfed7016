"""The ``games`` group: the collaboration study of one product category.

Its parts each read a section of their own: ``games.contracts`` (supplier-retailer contracts in
the newsvendor setting), ``games.grid`` (the normal-form games), ``games.chain`` (marginalisation
across the tiers of a serial chain), ``games.bullwhip`` (the beer-game simulation) and
``games.pooling`` (retailers that pool their stock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from omegaconf import II


class Reservation(StrEnum):
    """What the retailer can earn elsewhere, which a leading supplier's terms must leave it."""

    wholesale = "wholesale"  # its profit under the supplier-led wholesale-price contract
    zero = "zero"  # nothing: the supplier may take the whole chain's profit


class OrderPolicy(StrEnum):
    order_up_to = "order_up_to"  # Chen, Drezner, Ryan & Simchi-Levi (2000)
    sterman = "sterman"  # anchoring and adjustment (Sterman 1989)


class DemandForecast(StrEnum):
    moving_average = "moving_average"  # over `window` periods
    exp_smoothing = "exp_smoothing"  # with `alpha`


@dataclass
class ContractsConfig:
    """Supplier-retailer contracts (Cachon 2003), each one entry of ``workbench.games.contracts``."""

    names: list[str] = field(default_factory=lambda: [
        "wholesale_price", "buyback", "revenue_sharing", "quantity_discount", "two_part_tariff", "sales_rebate",
    ])
    reservation: Reservation = Reservation.wholesale
    frontier_points: int = 21  # shares lambda of the chain's profit on the coordinating frontier


@dataclass
class GridConfig:
    """The normal-form games solved for every equilibrium (nashpy; Gambit where installed)."""

    n_prices: int = 12  # wholesale prices from unit cost to retail price
    n_quantities: int = 15  # order quantities from 0 to demand's 99% quantile
    n_stock_levels: int = 9  # stocking levels of each channel in the competition game
    spill: float = 0.5  # share of one channel's unmet demand that tries the other
    n_tier_markups: int = 4  # markups each tier may choose in the multi-player chain game
    max_support_size: int = 8  # support enumeration beyond this reduced size is left out
    max_vertex_size: int = 9  # vertex enumeration (and Gambit's enummixed) beyond this size is left out


@dataclass
class ChainConfig:
    """A serial chain facing linear demand p = a - b q, each tier adding its margin."""

    tiers: list[str] = field(default_factory=lambda: ["supplier", "manufacturer", "distributor", "retailer"])
    # each tier's own unit cost as a share of the category's unit cost (first tier first);
    # they sum to 1 so the integrated chain has the category's cost
    cost_shares: list[float] = field(default_factory=lambda: [0.4, 0.3, 0.2, 0.1])
    max_tiers: int = 6  # the efficiency curve over 1..max_tiers tiers
    # point price elasticity of the category's demand at its observed price and volume, which fixes the
    # line p = a - b q through that point; -2 lies between published averages (Tellis 1988: -1.76;
    # Bijmolt, van Heerde & Pieters 2005: -2.62)
    elasticity: float = -2.0


@dataclass
class BullwhipConfig:
    """The four-tier serial chain simulated over Monte Carlo paths (the beer game)."""

    lead_times: list[int] = field(default_factory=lambda: [2, 2, 2, 2])  # periods, retailer first
    policy: OrderPolicy = OrderPolicy.order_up_to
    forecast: DemandForecast = DemandForecast.moving_average
    window: int = 8
    alpha: float = 0.25
    safety_factor: float = 0.0  # z of the order-up-to level; 0 is Chen et al.'s equality case
    supply_line_weight: float = 0.34  # Sterman's beta as his players chose it; beta = 1 is the rational weight
    stock_adjustment: float = 0.25  # Sterman's alpha_S: share of the stock gap ordered each period
    ar_rho: float = 0.7  # autocorrelation of the synthetic AR(1) demand
    # mean block length (periods) of the stationary bootstrap that resamples the data's demand: several
    # cycles of its weekly pattern on daily data, so that pattern and the autocorrelation survive
    block: int = 28
    n_paths: int = 2000
    periods: int = 156  # simulated periods per path, after the warm-up
    warmup: int = 52
    # money per unit and period, one per tier, retailer first. null: from the category's economics, a
    # unit at each tier held at the inventory stage's default rate (25 % of its value a year; its value
    # the unit cost less the shares of games.chain.cost_shares still to be added below it), and a
    # backorder costing `backorder_ratio` times that (9: a 90 % critical ratio at every tier)
    holding_costs: list[float] | None = None
    backorder_costs: list[float] | None = None
    backorder_ratio: float = 9.0
    seed: int = II("experiment.seed")


@dataclass
class PoolingConfig:
    """Retailers (stores or channels of the category) that may pool their stock in one warehouse."""

    by: str | None = None  # the key or static column whose members are the players; None: location, channel or store
    max_players: int = 8  # the largest by demand; 2^n coalitions are evaluated


@dataclass
class GamesConfig:
    category: str | None = None  # None: the category with most revenue
    period_days: int = 28  # one selling season of the newsvendor, in periods of the panel (days, or weeks)
    salvage_share: float = 0.3  # salvage value of leftover stock, as a share of unit cost
    contracts: ContractsConfig = field(default_factory=ContractsConfig)
    grid: GridConfig = field(default_factory=GridConfig)
    chain: ChainConfig = field(default_factory=ChainConfig)
    bullwhip: BullwhipConfig = field(default_factory=BullwhipConfig)
    pooling: PoolingConfig = field(default_factory=PoolingConfig)
