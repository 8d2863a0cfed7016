"""The supplier-retailer game's outcome table and headline, as the ``04_games`` notebook shows and logs them.

:func:`outcome_table` puts every way of playing the game side by side (each Nash equilibrium,
the Stackelberg outcome, the centralised chain) with the chain's efficiency: its profit as a
share of the centralised chain's. :func:`headline` fills the stage's :data:`HEADLINE`.
"""

from __future__ import annotations

import polars as pl

from workbench.games.supply import Equilibrium, Outcome, SupplyGame
from workbench.headline import Headline, Logged, Metric

HEADLINE = Headline("04_games", (
    Metric("efficiency_stackelberg", "chain efficiency", "{:.1%}",
           "Chain efficiency: the supply chain's profit when the supplier leads (Stackelberg) as a share of the "
           "centralised optimum."),
))

PURE = 0.999  # a strategy that puts more than this weight on one action counts as pure


def outcome_table(game: SupplyGame, equilibria: list[Equilibrium], outcomes: list[Outcome],
                  central: Outcome) -> pl.DataFrame:
    """One row per way of playing: each Nash equilibrium (``Nash k (pure)`` or ``(mixed)``, with the
    expected wholesale price and quantity of its strategies), then each of ``outcomes`` (e.g. the
    Stackelberg and centralised ones). Columns ``play, wholesale_price, quantity, supplier_profit,
    retailer_profit, chain_profit, efficiency``, the last the chain profit over ``central``'s;
    a play without a wholesale price (the centralised chain) has a missing one.
    """
    pure = [eq.supplier_strategy.max() > PURE and eq.retailer_strategy.max() > PURE for eq in equilibria]
    plays = [*equilibria, *outcomes]
    frame = pl.DataFrame(
        {
            "play": [f"Nash {k} ({'pure' if p else 'mixed'})" for k, p in enumerate(pure, start=1)]
            + [out.name for out in outcomes],
            "wholesale_price": [float(eq.supplier_strategy @ game.prices) for eq in equilibria]
            + [out.wholesale_price for out in outcomes],
            "quantity": [float(eq.retailer_strategy @ game.quantities) for eq in equilibria]
            + [out.quantity for out in outcomes],
            "supplier_profit": [play.supplier_profit for play in plays],
            "retailer_profit": [play.retailer_profit for play in plays],
            "chain_profit": [play.chain_profit for play in plays],
        },
        schema={"play": pl.String, "wholesale_price": pl.Float64, "quantity": pl.Float64,
                "supplier_profit": pl.Float64, "retailer_profit": pl.Float64, "chain_profit": pl.Float64},
    )
    return frame.with_columns((pl.col("chain_profit") / central.chain_profit).alias("efficiency"))


def all_best_responses(game: SupplyGame, equilibria: list[Equilibrium]) -> bool:
    """Whether every equilibrium is a best response for both players (nashpy's check)."""
    return all(all(game.game.is_best_response(eq.supplier_strategy, eq.retailer_strategy)) for eq in equilibria)


def headline(category: str, outcomes: pl.DataFrame, equilibria: list[Equilibrium], leader: Outcome,
             central: Outcome) -> Logged:
    """The stage's headline: the chain's efficiency when the supplier leads; in the details the
    category, the number of equilibria, the best equilibrium's efficiency (NaN without one),
    the centralised profit and the efficiency of every play of :func:`outcome_table`."""
    return HEADLINE.of(
        category=category,
        n_equilibria=len(equilibria),
        efficiency_stackelberg=leader.chain_profit / central.chain_profit,
        efficiency_nash_best=max((e.chain_profit for e in equilibria), default=float("nan")) / central.chain_profit,
        centralised_profit=central.chain_profit,
        efficiency=dict(zip(outcomes["play"].to_list(), outcomes["efficiency"].to_list(), strict=True)),
    )
