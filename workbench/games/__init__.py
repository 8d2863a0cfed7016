"""Supply-chain collaboration: contracts, games, tiers, the bullwhip effect and pooled stock.

Modules, each one job: :mod:`.newsvendor` (the season's demand and the integrated chain),
:mod:`.contracts` (the registry of supplier-retailer contracts, Cachon 2003), :mod:`.chain`
(marginalisation across the tiers of a serial chain), :mod:`.bullwhip`, :mod:`.bullwhip_demand` and
:mod:`.bullwhip_theory` (the beer game and Chen et al.'s bounds), :mod:`.normal_form` and :mod:`.gambit`
(every equilibrium of a game: nashpy, and Gambit where installed), :mod:`.grid_games` (the study's
games), :mod:`.pooling` (the newsvendor centralisation game: Shapley value and core); :mod:`.data` reads
the panel, :mod:`.study` wires each part to it for the notebook and :mod:`.summary` keeps the headline.
"""

from workbench.games.contracts import CONTRACTS, Contract, contract_table, evaluate, frontier
from workbench.games.newsvendor import Economics, SeasonDemand, integrated
from workbench.games.summary import HEADLINE, headline

__all__ = [
    "CONTRACTS",
    "HEADLINE",
    "Contract",
    "Economics",
    "SeasonDemand",
    "contract_table",
    "evaluate",
    "frontier",
    "headline",
    "integrated",
]
