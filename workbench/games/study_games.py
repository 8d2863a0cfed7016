"""The collaboration study's normal-form games and pooling game, wired to the category's data (the
other parts are in :mod:`workbench.games.study`).

:func:`grid_games_part` solves three games for every equilibrium and says which algorithm found what:
the supplier-retailer game on a grid of wholesale prices and order quantities, two retailers (channels
or stores) competing for spill-over demand, and the tiers of the serial chain setting their margins at
once (more than two players: Gambit). :func:`pooling_part` splits what retailers save by pooling their
stock. Gambit (pygambit) is optional: without it the two-player games are solved by nashpy alone and
the tier game's pure equilibria are enumerated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from workbench.data.panel import DemandPanel
from workbench.games.data import CategoryData, player_demand, player_key
from workbench.games.gambit import MISSING, gambit_available, gambit_bimatrix, gambit_nplayer
from workbench.games.grid_games import (
    channel_competition_game,
    markup_levels,
    supplier_retailer_game,
    tier_markup_game,
)
from workbench.games.normal_form import Solution, is_equilibrium, pure_equilibria, solve_bimatrix
from workbench.games.pooling import PoolingGame, pooling_table

TIER_METHODS = ("enumpure", "logit", "simpdiv")  # Gambit's gnm can stall on the ties of this game


@dataclass(frozen=True)
class GamePart:
    """One game of the study: its equilibria and how each algorithm fared."""

    key: str  # as in metrics.json: n_equilibria_<key>
    title: str
    equilibria: pl.DataFrame  # one row per equilibrium
    methods: pl.DataFrame  # library, method, equilibria found, answers dropped, note
    n_equilibria: int
    note: str = ""


def _methods(solution: Solution) -> pl.DataFrame:
    rows = [{"library": "nashpy" if m != "pure_enumeration" else "numpy", "method": m.replace("_", " "),
             "equilibria": solution.counts.get(m), "dropped": solution.rejected.get(m),
             "note": solution.skipped.get(m, "")} for m in (*solution.counts, *solution.skipped)]
    return pl.DataFrame(rows, schema={"library": pl.String, "method": pl.String, "equilibria": pl.Int64,
                                      "dropped": pl.Int64, "note": pl.String})


def _matches(profile, other, tol: float) -> bool:
    """Whether two strategy profiles (one probability vector per player) agree to ``tol``."""
    return all(np.abs(p - q).max() < tol for p, q in zip(profile, other, strict=True))


def _same(ours, theirs) -> bool:
    return len(ours) == len(theirs) and all(any(_matches(mine, other, 1e-5) for other in theirs) for mine in ours)


def _gambit_check(solution: Solution, A: np.ndarray, B: np.ndarray, max_size: int) -> dict:
    """Gambit as an independent check of nashpy's equilibria: its exact ``enummixed`` (every extreme
    equilibrium) on the reduced game where that is small enough, else its ``enumpure`` (every pure
    equilibrium) on the whole game against the pure ones found."""
    if not gambit_available():
        return {"library": "Gambit", "method": "enummixed (exact)", "equilibria": None, "dropped": None,
                "note": MISSING}
    a, b = A[np.ix_(solution.rows, solution.cols)], B[np.ix_(solution.rows, solution.cols)]
    if max(a.shape) <= max_size:
        found = gambit_bimatrix(a, b)
        ours = [(r[solution.rows], c[solution.cols]) for r, c in solution.equilibria]
        what, method = "equilibria", "enummixed (exact)"
    else:
        found = gambit_bimatrix(A, B, method="enumpure")
        ours = [eq for eq in solution.equilibria if all(s.max() > 1 - 1e-9 for s in eq)]
        what, method = "pure equilibria", "enumpure (exact)"
    note = (f"the same {what} as nashpy" if _same(ours, found)
            else f"{len(found)} {what} against nashpy's {len(ours)}: they differ")
    if method.startswith("enumpure"):
        note += f" (the reduced game {a.shape[0]}x{a.shape[1]} exceeds games.grid.max_vertex_size={max_size} for enummixed)"
    return {"library": "Gambit", "method": method, "equilibria": len(found), "dropped": 0, "note": note}


def _bimatrix(key: str, title: str, A, B, players, labels, grid) -> GamePart:
    solution = solve_bimatrix(A, B, max_support_size=grid.max_support_size, max_vertex_size=grid.max_vertex_size,
                              players=players, labels=labels)
    methods = _methods(solution)
    methods = pl.concat([methods, pl.DataFrame([_gambit_check(solution, A, B, grid.max_vertex_size)],
                                                schema=methods.schema)])
    reduced = f"{solution.rows.size} × {solution.cols.size}" if solution.rows is not None else ""
    note = (f"{A.shape[0]} × {A.shape[1]} strategies; {reduced} after removing strictly dominated ones."
            + (f" nashpy warned: {'; '.join(solution.warnings)}." if solution.warnings else ""))
    # payoffs equal in theory differ by rounding (a retailer that sells all it orders at w = p earns 0):
    # show them as the 0 they are
    noise = 1e-9 * max(1.0, float(np.abs(A).max()), float(np.abs(B).max()))
    table = solution.table()
    table = table.with_columns(pl.when(pl.col(c).abs() < noise).then(0.0).otherwise(pl.col(c)).alias(c)
                               for c in table.columns if c.endswith(" payoff"))
    return GamePart(key, title, table, methods, len(solution.equilibria), note)


def _tier_game(a: float, b: float, costs: list[float], names: list[str], n_levels: int) -> GamePart:
    game = tier_markup_game(a, b, costs, markup_levels(a, costs, n_levels), names)
    # m_i q(M) ties exactly in theory between many profiles (0.12 x 0.16 against 0.16 x 0.12); rounded to nine
    # significant digits of the largest payoff, those ties are exact in floating point too, so whether a weak
    # equilibrium counts does not hang on the last bit of a product
    scale = max(float(np.abs(u).max()) for u in game.payoffs) or 1.0
    game = replace(game, payoffs=[np.round(u / scale, 9) * scale for u in game.payoffs])
    title = f"the {len(names)} tiers set their margins at once"
    if gambit_available():
        found = {method: gambit_nplayer(game.payoffs, method) for method in TIER_METHODS}
    else:
        found = {"pure enumeration": [tuple(np.eye(game.markups.shape[1])[k] for k in cell)
                                      for cell in pure_equilibria(game.payoffs)]}
    tol = 1e-6 * max(1.0, max(float(np.abs(u).max()) for u in game.payoffs))
    distinct, found_by = [], []
    for method, equilibria in found.items():
        for profile in equilibria:
            k = next((k for k, seen in enumerate(distinct) if _matches(profile, seen, 1e-4)), None)
            if k is None:
                distinct.append(profile)
                found_by.append([])
                k = len(distinct) - 1
            found_by[k].append(method)
    rows = []
    for profile, methods_found in zip(distinct, found_by, strict=True):
        margins = [float(s @ m) for s, m in zip(profile, game.markups, strict=True)]
        pays = [float((u * _outer(profile)).sum()) for u in game.payoffs]
        rows.append({"kind": "pure" if all(s.max() > 1 - 1e-6 for s in profile) else "mixed",
                     **{f"{n} margin": m for n, m in zip(names, margins, strict=True)},
                     "total margin": sum(margins),
                     **{f"{n} profit": v for n, v in zip(names, pays, strict=True)},
                     "no gain from deviating": is_equilibrium(game.payoffs, list(profile), tol),
                     "found by": ", ".join(methods_found)})
    methods = pl.DataFrame([{"library": "Gambit" if gambit_available() else "numpy", "method": m,
                             "equilibria": len(e), "dropped": 0, "note": ""} for m, e in found.items()])
    note = f"{len(names)} players, {game.markups.shape[1]} margins each."
    if not gambit_available():
        note += f" {MISSING}; the pure equilibria are enumerated instead."
    return GamePart("tiers", title, pl.DataFrame(rows).sort("total margin", descending=True), methods, len(distinct),
                    note)


def _outer(profile) -> np.ndarray:
    """The product distribution of independent mixed strategies, one axis per player."""
    out = np.asarray(profile[0])
    for s in profile[1:]:
        out = np.multiply.outer(out, s)
    return out


def grid_games_part(cat: CategoryData, panel: DemandPanel, cfg, econ, chain) -> list[GamePart]:
    """The supplier-retailer, channel-competition and tier games of ``games.grid`` on the category's data;
    ``chain`` is the study's :class:`~workbench.games.study.ChainPart` (its demand line and costs)."""
    grid = cfg.grid
    price, cost, salvage = econ.price, econ.cost, econ.salvage
    sr = supplier_retailer_game(cat.seasons, price, cost, salvage, grid.n_prices, grid.n_quantities)
    parts = [_bimatrix("supplier_retailer", "supplier sets w while the retailer orders q, neither seeing the other",
                       sr.supplier_payoff, sr.retailer_payoff, ("supplier", "retailer"),
                       ([f"w = {w:,.2f}" for w in sr.prices], [f"q = {q:,.0f}" for q in sr.quantities]), grid)]
    key = player_key(panel, cfg.pooling.by)
    names, seasons = player_demand(panel, cat.category, key, cfg.period_days, 2) if key else ([], None)
    if len(names) == 2:
        names = [f"{key} {n}" if n.isdigit() else n for n in names]  # store 14, not 14
        ch = channel_competition_game(seasons[:, 0], seasons[:, 1], price, cost, salvage, grid.spill, grid.n_stock_levels)
        parts.append(_bimatrix("channels", f"{names[0]} and {names[1]} stock for the season, {grid.spill:.0%} of "
                               "unmet demand trying the other", ch.payoff_1, ch.payoff_2, (names[0], names[1]),
                               ([f"q = {q:,.0f}" for q in ch.levels_1], [f"q = {q:,.0f}" for q in ch.levels_2]), grid))
    parts.append(_tier_game(chain.a, chain.b, chain.tiers["own_cost"].to_list(), chain.tiers["tier"].to_list(),
                            grid.n_tier_markups))
    return parts


def pooling_part(cat: CategoryData, panel: DemandPanel, cfg, econ) -> tuple[str, PoolingGame] | None:
    """The newsvendor centralisation game of the category's retailers (``games.pooling``): each stocks for
    the season at its critical fractile, or they pool their demand and stock in one warehouse. None where
    the category sells through fewer than two retailers; else the column whose members pool, and the game
    (underage cost: the lost margin p - c; overage: the cost of a leftover, c - v)."""
    key = player_key(panel, cfg.pooling.by)
    names, seasons = player_demand(panel, cat.category, key, cfg.period_days, cfg.pooling.max_players) \
        if key else ([], None)
    if len(names) < 2:
        return None
    game = pooling_table(seasons, econ.price - econ.cost, econ.cost - econ.salvage, names)
    return key, game
