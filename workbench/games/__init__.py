"""Supply-chain games: supplier-retailer contracts as bimatrix games (nashpy)."""

from workbench.games.summary import HEADLINE, all_best_responses, headline, outcome_table
from workbench.games.supply import (
    Equilibrium,
    Outcome,
    SupplyGame,
    build_game,
    centralised,
    expected_sales,
    iterated_dominance,
    nash_equilibria,
    pure_equilibria,
    season_demand,
    stackelberg,
)

__all__ = [
    "HEADLINE",
    "Equilibrium",
    "Outcome",
    "SupplyGame",
    "all_best_responses",
    "build_game",
    "centralised",
    "expected_sales",
    "headline",
    "iterated_dominance",
    "nash_equilibria",
    "outcome_table",
    "pure_equilibria",
    "season_demand",
    "stackelberg",
]
