"""Supply-chain games: supplier-retailer contracts as bimatrix games (nashpy)."""

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
    "Equilibrium",
    "Outcome",
    "SupplyGame",
    "build_game",
    "centralised",
    "expected_sales",
    "iterated_dominance",
    "nash_equilibria",
    "pure_equilibria",
    "season_demand",
    "stackelberg",
]
