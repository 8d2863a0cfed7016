"""Settings of the collaboration study that the runner checks before any notebook runs; each error
names the setting and what was expected."""

from __future__ import annotations

import math

from workbench.games.pooling import MAX_PLAYERS

MAX_TIER_PROFILES = 4096  # strategy profiles of the multi-player chain game that Gambit solves


def _at_least(value: float, low: float, setting: str) -> None:
    if value < low:
        raise ValueError(f"{setting}={value}; expected {low} or more")


def tier_cost_shares(cfg) -> list[float]:
    """Each beer-game tier's own share of the unit cost, retailer first (``games.chain.cost_shares`` lists
    them supplier first), for the tiers' default holding costs; one per ``games.bullwhip.lead_times``."""
    shares, k = list(cfg.chain.cost_shares)[::-1], len(cfg.bullwhip.lead_times)
    if len(shares) != k:
        raise ValueError(f"games.bullwhip.holding_costs is null, so each tier's unit value comes from"
                         f" games.chain.cost_shares, which has {len(shares)} entries for {k} games.bullwhip.lead_times;"
                         " expected one per tier, or give games.bullwhip.holding_costs")
    return shares


def check_games_config(cfg) -> None:
    """The ``games`` section alone: registry names, ranges and the rules between fields."""
    from workbench.games.bullwhip import check_settings as check_chain
    from workbench.games.contracts import CONTRACTS

    _at_least(cfg.period_days, 1, "games.period_days")
    if not 0.0 <= cfg.salvage_share < 1.0:
        raise ValueError(f"games.salvage_share={cfg.salvage_share}; expected in [0, 1): salvage below unit cost")

    names = list(cfg.contracts.names)
    if not names:
        raise ValueError(f"games.contracts.names is empty; expected some of {list(CONTRACTS)}")
    for name in names:
        CONTRACTS[name]  # the registry's KeyError names the setting and the known entries
    if len(set(names)) != len(names):
        raise ValueError(f"games.contracts.names={names} names a contract twice")
    _at_least(cfg.contracts.frontier_points, 2, "games.contracts.frontier_points")

    grid = cfg.grid
    for field in ("n_prices", "n_quantities", "n_stock_levels", "n_tier_markups"):
        _at_least(getattr(grid, field), 2, f"games.grid.{field}")
    _at_least(grid.max_support_size, 1, "games.grid.max_support_size")
    _at_least(grid.max_vertex_size, 1, "games.grid.max_vertex_size")
    if not 0.0 <= grid.spill <= 1.0:
        raise ValueError(f"games.grid.spill={grid.spill}; expected a share in [0, 1]")

    chain = cfg.chain
    tiers, shares = list(chain.tiers), list(chain.cost_shares)
    _at_least(len(tiers), 2, "the number of games.chain.tiers")
    if len(shares) != len(tiers):
        raise ValueError(f"games.chain.cost_shares has {len(shares)} entries for {len(tiers)} games.chain.tiers;"
                         " expected one share of the unit cost per tier")
    if min(shares) < 0 or not math.isclose(sum(shares), 1.0, abs_tol=1e-9):
        raise ValueError(f"games.chain.cost_shares={shares}; expected shares >= 0 that sum to 1")
    _at_least(chain.max_tiers, len(tiers), "games.chain.max_tiers (at least the number of games.chain.tiers)")
    # the grid of margins holds the game's equilibrium margin too: one more level per tier at most
    if (grid.n_tier_markups + 1) ** len(tiers) > MAX_TIER_PROFILES:
        raise ValueError(f"games.grid.n_tier_markups={grid.n_tier_markups} with {len(tiers)} tiers gives up to"
                         f" {(grid.n_tier_markups + 1) ** len(tiers):,} strategy profiles; expected at most"
                         f" {MAX_TIER_PROFILES:,}")

    bw = cfg.bullwhip
    k = len(bw.lead_times)
    check_chain(bw.lead_times, str(bw.policy), str(bw.forecast), bw.window, bw.alpha, bw.supply_line_weight,
                bw.stock_adjustment)
    if min(bw.lead_times) < 1:
        raise ValueError(f"games.bullwhip.lead_times={list(bw.lead_times)}; the study also plays Sterman's rule,"
                         " which expects lead times of 1 or more")
    _at_least(bw.backorder_ratio, 0.0, "games.bullwhip.backorder_ratio")
    for field in ("holding_costs", "backorder_costs"):
        if getattr(bw, field) is None:
            continue
        if len(getattr(bw, field)) != k:
            raise ValueError(f"games.bullwhip.{field} has {len(getattr(bw, field))} entries for {k}"
                             " games.bullwhip.lead_times; expected one per tier, retailer first")
        if min(getattr(bw, field)) < 0:
            raise ValueError(f"games.bullwhip.{field}={list(getattr(bw, field))}; expected costs >= 0")
    if bw.holding_costs is None:
        tier_cost_shares(cfg)
    _at_least(bw.safety_factor, 0.0, "games.bullwhip.safety_factor")
    if not -1.0 < bw.ar_rho < 1.0:
        raise ValueError(f"games.bullwhip.ar_rho={bw.ar_rho}; expected in (-1, 1) for a stationary AR(1)")
    _at_least(bw.n_paths, 2, "games.bullwhip.n_paths")
    _at_least(bw.block, 1, "games.bullwhip.block")
    _at_least(bw.periods, 2 * bw.window, "games.bullwhip.periods (twice games.bullwhip.window)")
    _at_least(bw.warmup, bw.window + sum(bw.lead_times),
              "games.bullwhip.warmup (games.bullwhip.window plus the lead times)")

    if not 2 <= cfg.pooling.max_players <= MAX_PLAYERS:
        raise ValueError(f"games.pooling.max_players={cfg.pooling.max_players}; expected 2 to {MAX_PLAYERS}"
                         f" (2^n coalitions are evaluated)")
