"""What the ``04_collaboration`` notebook shows and logs: readable names, the wholesale-price curve of the
profit frontier, and the stage's :data:`HEADLINE`.

:func:`headline` takes the parts of :mod:`workbench.games.study` and fills the index's three numbers (the
chain's efficiency under the supplier-led wholesale price, the top tier's bullwhip ratio and the value of
shared demand information) and, in the details that ``metrics.json`` keeps, ``efficiency_<contract>`` for
every contract, ``bullwhip_ratio_tier<k>`` without and (``_shared``) with shared information,
``bullwhip_bound`` and ``bullwhip_bound_tier<k>``, ``value_of_information`` per demand source, and the
number of equilibria of every game.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from workbench.games.contracts import WholesalePrice
from workbench.games.newsvendor import Economics, SeasonDemand
from workbench.headline import Headline, Logged, Metric

HEADLINE = Headline("04_collaboration", (
    Metric("efficiency_wholesale_price", "chain efficiency, wholesale price", "{:.1%}",
           "Chain efficiency, wholesale price: the chain's expected profit over the season when the supplier "
           "sets a wholesale price and the retailer orders its best response, as a share of the integrated "
           "chain's (the shortfall is double marginalisation)."),
    Metric("bullwhip_ratio_top", "bullwhip, top tier", "{:.2f}",
           "Bullwhip, top tier: variance of the top tier's orders over the variance of end-customer demand in "
           "the four-tier beer game on the data's demand, each tier forecasting from the orders it receives."),
    Metric("value_of_information", "value of shared demand", "{:,.2f}",
           "Value of shared demand: the chain's holding and backorder cost per period saved when every tier "
           "forecasts from end-customer demand instead of the orders it receives (money per period)."),
))

SOURCE = "data"  # the demand source of the headline's bullwhip numbers


def label(name: str) -> str:
    """A registry or column name for a reader: ``revenue_sharing`` -> ``revenue sharing``."""
    return name.replace("_", " ")


def wholesale_curve(demand: SeasonDemand, econ: Economics, points: int = 80) -> pl.DataFrame:
    """The wholesale-price contract over ``w`` from ``c`` to ``p``: the retailer's best response and both
    firms' expected profits (``w, quantity, retailer_profit, supplier_profit``), the curve a wholesale
    price can reach in the profit plane, inside the coordinating contracts' frontier."""
    contract = WholesalePrice(w=np.linspace(econ.cost, econ.price, points))
    q = contract.best_response(demand, econ)
    return pl.DataFrame({"w": contract.w, "quantity": q,
                         "retailer_profit": contract.retailer_profit(q, demand, econ),
                         "supplier_profit": contract.supplier_profit(q, demand, econ)})


def bullwhip_metrics(sharing: pl.DataFrame, value_of_information: dict[str, float]) -> dict[str, Any]:
    """``bullwhip_ratio_tier<k>`` (and ``_shared``) on the data's demand, ``bullwhip_bound_tier<k>`` (Chen
    et al.'s decentralised bound for i.i.d. demand, the product of the tiers' factors; ``bullwhip_bound``
    the top tier's) and ``value_of_information`` per demand source; tiers are numbered from the retailer."""
    data = sharing.filter(pl.col("demand") == SOURCE)
    iid = sharing.filter(pl.col("demand") == "i.i.d.")
    out: dict[str, Any] = {}
    for k, row in enumerate(data.iter_rows(named=True), start=1):
        out[f"bullwhip_ratio_tier{k}"] = row["ratio_no_sharing"]
        out[f"bullwhip_ratio_tier{k}_shared"] = row["ratio_sharing"]
    for k, bound in enumerate(iid["decentralised_bound"], start=1):
        out[f"bullwhip_bound_tier{k}"] = bound
    out["bullwhip_bound"] = float(iid["decentralised_bound"][-1])
    out["bullwhip_ratio_top"] = float(data["ratio_no_sharing"][-1])
    out["value_of_information"] = value_of_information[SOURCE]
    out["value_of_information_by_demand"] = dict(value_of_information)
    return out


def headline(category: str, contracts: pl.DataFrame, chain_efficiency: float, sharing: pl.DataFrame,
             value_of_information: dict[str, float], equilibria: dict[str, int],
             pooling: dict[str, float] | None = None) -> Logged:
    """The stage's headline from the parts' tables: ``contracts`` (:attr:`ContractsPart.table`), the serial
    chain's efficiency, ``sharing`` (:attr:`BullwhipPart.sharing`), the value of information per demand
    source, the number of equilibria found per game and the pooling game's totals (None without one)."""
    offered = contracts.filter(pl.col("contract") != "integrated chain")
    efficiency = dict(zip(offered["contract"].to_list(), offered["efficiency"].to_list(), strict=True))
    return HEADLINE.of(
        category=category,
        # None where the study offers no wholesale-price contract
        **{f"efficiency_{name}": efficiency.get(name) for name in dict.fromkeys(["wholesale_price", *efficiency])},
        efficiency_chain=chain_efficiency,
        **bullwhip_metrics(sharing, value_of_information),
        **{f"n_equilibria_{game}": n for game, n in equilibria.items()},
        **({f"pooling_{key}": value for key, value in pooling.items()} if pooling else {}),
    )
