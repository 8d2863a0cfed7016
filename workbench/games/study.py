"""The collaboration study as the ``04_collaboration`` notebook runs it: each part one function from the
category's data and the ``games`` config to the tables the report shows and the run stores.

The parts are independent of each other: :func:`contracts_part` (supplier-retailer contracts on the
season's demand), :func:`chain_part` (marginalisation across the tiers), :func:`bullwhip_part` (the beer
game on the data's demand and on synthetic demand), :func:`grid_games_part` (every equilibrium of the
normal-form games) and :func:`pooling_part` (retailers that pool their stock). The maths lives in the
modules they call; this one only wires the data to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.games.bullwhip_demand import ar1_demand, bootstrap_demand, iid_demand
from workbench.games.bullwhip_theory import sharing_study, step_response, sterman_oscillation
from workbench.games.chain import (
    coordinated_chain,
    efficiency_by_tiers,
    linear_demand_from,
    serial_chain,
)
from workbench.games.contracts import contract_table, frontier, reservation_profit
from workbench.games.data import CategoryData
from workbench.games.newsvendor import Economics, SeasonDemand, integrated
from workbench.games.settings import tier_cost_shares
from workbench.inventory.economics import DEFAULTS


def economics(cat: CategoryData, salvage_share: float) -> Economics:
    """The newsvendor's price, the supplier's unit cost and the salvage value of a leftover unit."""
    return Economics(cat.price, cat.unit_cost, salvage_share * cat.unit_cost)


@dataclass(frozen=True)
class ContractsPart:
    demand: SeasonDemand
    econ: Economics
    integrated_quantity: float
    integrated_profit: float
    reservation: float  # what the supplier's terms leave the retailer at least
    table: pl.DataFrame  # one row per contract at the supplier-led terms, then the integrated chain
    frontier: pl.DataFrame  # the coordinating contracts over the retailer's share


def contracts_part(cat: CategoryData, cfg) -> ContractsPart:
    """Every contract of ``games.contracts.names`` with the supplier leading, against the integrated chain,
    and the coordinating contracts' frontier."""
    demand = SeasonDemand.from_samples(cat.seasons)
    econ = economics(cat, cfg.salvage_share)
    q0, profit0 = integrated(demand, econ)
    names = list(cfg.contracts.names)
    reservation = reservation_profit(demand, econ, str(cfg.contracts.reservation))
    table = contract_table(demand, econ, names, reservation)
    whole = pl.DataFrame({"contract": ["integrated chain"], "terms": ["one firm, unit cost c"], "quantity": [q0],
                          "chain_profit": [profit0], "efficiency": [1.0]})
    table = pl.concat([table, whole], how="diagonal_relaxed")
    return ContractsPart(demand, econ, q0, profit0, reservation, table,
                         frontier(demand, econ, names, cfg.contracts.frontier_points))


@dataclass(frozen=True)
class ChainPart:
    a: float  # choke price of the linear demand p = a - b q
    b: float
    tiers: pl.DataFrame  # the decentralised chain, one row per tier
    by_tiers: pl.DataFrame  # efficiency against the number of tiers
    coordinated: dict[str, pl.DataFrame]  # a contract at every link that restores the integrated chain


def chain_part(cat: CategoryData, cfg) -> ChainPart:
    """The serial chain of ``games.chain.tiers`` on the line through the category's price and mean season
    demand, each tier's own cost its share of the unit cost."""
    costs = [share * cat.unit_cost for share in cfg.chain.cost_shares]
    a, b = linear_demand_from(cat.price, float(cat.seasons.mean()), cfg.chain.elasticity, cat.unit_cost)
    names = list(cfg.chain.tiers)
    return ChainPart(
        a, b, serial_chain(a, b, costs, names), efficiency_by_tiers(a, b, cat.unit_cost, cfg.chain.max_tiers),
        {contract: coordinated_chain(a, b, costs, names, contract) for contract in ("two_part_tariff", "revenue_sharing")},
    )


def tier_costs_per_period(cat: CategoryData, cfg, days_per_period: float) -> tuple[list[float], list[float]]:
    """Holding and backorder cost per unit and period of each tier of the beer game, retailer first:
    ``games.bullwhip.holding_costs`` / ``backorder_costs`` where set, else from the category's unit cost
    (see :class:`workbench.config.games.BullwhipConfig`)."""
    bw = cfg.bullwhip
    if bw.holding_costs is not None:
        holding = [float(h) for h in bw.holding_costs]
    else:
        shares = tier_cost_shares(cfg)
        value = cat.unit_cost * (1.0 - np.concatenate([[0.0], np.cumsum(shares)[:-1]]))
        holding = list(DEFAULTS["holding_rate_per_year"] * value * days_per_period / 365.0)
    backorder = ([float(b) for b in bw.backorder_costs] if bw.backorder_costs is not None
                 else [bw.backorder_ratio * h for h in holding])
    return holding, backorder


def demand_paths(cat: CategoryData, cfg) -> dict[str, tuple[np.ndarray, float]]:
    """The beer game's end-customer demand: the category's own series resampled (a stationary bootstrap
    with mean block length ``games.bullwhip.block``, which keeps its weekly pattern and autocorrelation),
    and i.i.d. normal and AR(1) demand with the series' mean and standard deviation. Each with the lag-1
    autocorrelation the theory takes (0 for i.i.d. demand; the sample's for the data)."""
    bw = cfg.bullwhip
    series = cat.daily["demand"].to_numpy().astype(float)
    periods = bw.warmup + bw.periods
    mean, sd = float(series.mean()), float(series.std())
    rho_data = float(np.corrcoef(series[:-1], series[1:])[0, 1]) if series.size > 2 and sd > 0 else 0.0
    return {
        "data": (bootstrap_demand(series, bw.n_paths, periods, block=bw.block, seed=bw.seed), rho_data),
        "i.i.d.": (iid_demand(bw.n_paths, periods, mean, sd, seed=bw.seed + 1), 0.0),
        "AR(1)": (ar1_demand(bw.n_paths, periods, mean, sd, bw.ar_rho, seed=bw.seed + 2), bw.ar_rho),
    }


@dataclass(frozen=True)
class BullwhipPart:
    sharing: pl.DataFrame  # per demand source and tier: ratios without/with sharing, bounds, costs
    value_of_information: dict[str, float]  # per demand source, money per period
    sterman: pl.DataFrame  # per supply-line weight and tier: ratio, amplitude, period of the oscillation
    step: dict[float, np.ndarray]  # per supply-line weight: each tier's mean effective inventory after a step
    holding: list[float]
    backorder: list[float]
    mean_demand: float


def bullwhip_part(cat: CategoryData, cfg, days_per_period: float) -> BullwhipPart:
    """The beer game of ``games.bullwhip`` on every demand source, without and with shared information (the
    same paths), and Sterman's rule at his players' supply-line weight against the rational weight 1."""
    bw = cfg.bullwhip
    holding, backorder = tier_costs_per_period(cat, cfg, days_per_period)
    tables, voi = [], {}
    sources = demand_paths(cat, cfg)
    for source, (paths, rho) in sources.items():
        table, value = sharing_study(bw, paths, holding, backorder, rho=rho)
        if source == "data":  # the linear chain's ratios are exact for i.i.d. and AR(1) demand only
            table = table.with_columns(pl.lit(None, dtype=pl.Float64).alias(c)
                                       for c in ("linear_no_sharing", "linear_sharing"))
        tables.append(table.with_columns(pl.lit(source).alias("demand"), pl.lit(rho).alias("rho")))
        voi[source] = value
    data_paths = sources["data"][0]
    lead = list(bw.lead_times)
    betas = (bw.supply_line_weight, 1.0)
    sterman = sterman_oscillation(data_paths, lead, betas=betas, stock_adjustment=bw.stock_adjustment,
                                  alpha=bw.alpha, warmup=bw.warmup)
    mean = float(data_paths.mean())
    step = {beta: step_response(lead, beta, base=mean, stock_adjustment=bw.stock_adjustment,
                                alpha=bw.alpha).effective_inventory[:, 0, :] for beta in betas}
    sharing = pl.concat(tables).select("demand", "rho", pl.exclude("demand", "rho"))
    return BullwhipPart(sharing, voi, sterman, step, holding, backorder, mean)

