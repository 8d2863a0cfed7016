"""The collaboration study wired to a panel: the category's data, each part on the tiny panel, and the
headline with the metric keys the run stores."""

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from workbench.config.games import GamesConfig
from workbench.games import HEADLINE, headline
from workbench.games import study as parts
from workbench.games.chain import efficiency
from workbench.games.data import category_data, player_demand, player_key
from workbench.games.gambit import gambit_available
from workbench.games.settings import check_games_config
from workbench.games.study_games import grid_games_part, pooling_part
from workbench.games.summary import wholesale_curve


@pytest.fixture(scope="module")
def cfg() -> GamesConfig:
    cfg = GamesConfig(period_days=14)
    cfg.bullwhip.seed, cfg.bullwhip.n_paths, cfg.bullwhip.periods = 0, 300, 80
    return cfg


@pytest.fixture(scope="module")
def cat(tiny_panel, cfg):
    return category_data(tiny_panel, None, cfg.period_days)


def test_category_data_from_the_panel(tiny_panel, cat):
    assert cat.category in set(tiny_panel.static["category"])
    assert cat.daily.height == tiny_panel.dates.len() and cat.seasons.size == cat.daily.height - 13
    # a season is the sum of period_days consecutive periods of the category's total
    assert cat.seasons[0] == pytest.approx(cat.daily["demand"].head(14).sum())
    assert 0 < cat.unit_cost < cat.price and cat.defaulted == ()
    with pytest.raises(ValueError, match="games.category='nope' is not in the data"):
        category_data(tiny_panel, "nope", 14)
    with pytest.raises(ValueError, match="games.period_days=0"):
        category_data(tiny_panel, None, 0)
    with pytest.raises(ValueError, match="games.period_days=9999 is longer than the data"):
        category_data(tiny_panel, None, 9999)


def test_players_are_the_channels_with_their_joint_seasons(tiny_panel, cat):
    assert player_key(tiny_panel, None) == "channel"
    names, seasons = player_demand(tiny_panel, cat.category, "channel", 14, 8)
    assert sorted(names) == sorted(tiny_panel.demand["channel"].unique()) and seasons.shape == (cat.seasons.size, 2)
    # the channels' seasons add up to the category's
    np.testing.assert_allclose(seasons.sum(axis=1), cat.seasons)
    with pytest.raises(ValueError, match="games.pooling.by='item_id'"):
        player_key(tiny_panel, "item_id")


def test_contracts_part_beats_nothing_and_coordinates(cat, cfg):
    part = parts.contracts_part(cat, cfg)
    offered = part.table.filter(pl.col("contract") != "integrated chain")
    assert offered["contract"].to_list() == list(cfg.contracts.names)
    wholesale = offered.filter(pl.col("contract") == "wholesale_price")
    assert 0.5 < wholesale["efficiency"][0] < 1.0 and not wholesale["coordinates"][0]
    # every other contract coordinates and leaves the retailer its reservation: its wholesale-price profit
    others = offered.filter(pl.col("contract") != "wholesale_price")
    assert others["coordinates"].all()
    np.testing.assert_allclose(others["retailer_profit"], wholesale["retailer_profit"][0], rtol=1e-6)
    assert part.table.filter(pl.col("contract") == "integrated chain")["chain_profit"][0] == part.integrated_profit
    # the wholesale-price curve stays inside the coordinating frontier
    curve = wholesale_curve(part.demand, part.econ, 30)
    assert (curve["retailer_profit"] + curve["supplier_profit"] <= part.integrated_profit * (1 + 1e-9)).all()


def test_chain_part_on_the_data(cat, cfg):
    part = parts.chain_part(cat, cfg)
    n = len(cfg.chain.tiers)
    assert part.tiers["tier"].to_list() == list(cfg.chain.tiers)
    total = part.tiers["profit"].sum()
    best = part.by_tiers.filter(pl.col("n_tiers") == 1)["chain_profit"][0]
    assert total / best == pytest.approx(efficiency(n), abs=1e-9)
    for frame in part.coordinated.values():
        assert frame["efficiency"][0] == pytest.approx(1.0, abs=1e-9)


def test_default_tier_costs_follow_the_unit_value_down_the_chain(cat, cfg):
    holding, backorder = parts.tier_costs_per_period(cat, cfg, days_per_period=1.0)
    # retailer first: the full unit cost, then less each tier's own share of it (0.1, 0.2, 0.3)
    value = cat.unit_cost * np.array([1.0, 0.9, 0.7, 0.4])
    np.testing.assert_allclose(holding, 0.25 * value / 365.0)
    np.testing.assert_allclose(backorder, 9.0 * np.asarray(holding))
    wrong = GamesConfig()
    wrong.bullwhip.lead_times = [1, 1]
    with pytest.raises(ValueError, match="games.chain.cost_shares, which has 4 entries for 2"):
        parts.tier_costs_per_period(cat, wrong, 1.0)


def test_bullwhip_part_and_the_headline(cat, cfg):
    part = parts.bullwhip_part(cat, cfg, 1.0)
    assert set(part.sharing["demand"]) == {"data", "i.i.d.", "AR(1)"} and part.sharing.height == 12
    iid = part.sharing.filter(pl.col("demand") == "i.i.d.")
    # sharing end-customer demand damps the upstream tiers' orders
    assert (iid["ratio_sharing"][1:] < iid["ratio_no_sharing"][1:]).all()
    contracts = parts.contracts_part(cat, cfg).table
    logged = headline(cat.category, contracts, efficiency(4), part.sharing, part.value_of_information,
                      {"supplier_retailer": 1}, {"saving": 10.0})
    values = logged.values
    assert logged.headline is HEADLINE and logged.stage == "04_collaboration"
    assert {f"efficiency_{name}" for name in cfg.contracts.names} <= set(values)
    assert {f"bullwhip_ratio_tier{k}" for k in range(1, 5)} | {f"bullwhip_ratio_tier{k}_shared" for k in range(1, 5)} \
        <= set(values)
    assert values["bullwhip_bound"] == pytest.approx(iid["decentralised_bound"][-1])
    assert values["bullwhip_ratio_top"] == values["bullwhip_ratio_tier4"]
    assert values["value_of_information"] == part.value_of_information["data"]
    assert values["n_equilibria_supplier_retailer"] == 1 and values["pooling_saving"] == 10.0


def test_settings_are_named(cfg):
    check_games_config(cfg)
    bad = GamesConfig()
    bad.chain.cost_shares = [0.5, 0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match="games.chain.cost_shares"):
        check_games_config(bad)
    bad = GamesConfig()
    bad.contracts.names = ["wholesale_price", "barter"]
    with pytest.raises(KeyError, match="games.contracts.names: unknown contract 'barter'"):
        check_games_config(bad)
    bad = GamesConfig()
    bad.bullwhip.holding_costs = [1.0, 1.0]
    with pytest.raises(ValueError, match="games.bullwhip.holding_costs has 2 entries for 4"):
        check_games_config(bad)


def test_games_part_solves_every_game_and_checks_with_gambit(tiny_panel, cat, cfg):
    econ = parts.economics(cat, cfg.salvage_share)
    games = grid_games_part(cat, tiny_panel, cfg, econ, parts.chain_part(cat, cfg))
    assert [game.key for game in games] == ["supplier_retailer", "channels", "tiers"]
    supplier = games[0]
    # played at once, the supplier cannot commit: every equilibrium has w = p and leaves the retailer nothing
    assert supplier.n_equilibria >= 1
    assert (supplier.equilibria["retailer payoff"].abs() < 1e-6 * econ.price * cat.seasons.mean()).all()
    assert supplier.equilibria["supplier strategy"].str.starts_with(f"w = {econ.price:,.2f} (100%)").all()
    tiers = games[2].equilibria
    assert tiers["no gain from deviating"].all() and games[2].n_equilibria == tiers.height
    # the continuous game's equilibrium, every tier taking (a - C)/(n + 1), is on the grid and found
    chain = parts.chain_part(cat, cfg)
    symmetric = (chain.a - cat.unit_cost) / (len(cfg.chain.tiers) + 1)
    margins = tiers.select(pl.col("^.* margin$").exclude("total margin")).to_numpy()
    assert np.isclose(margins, symmetric).all(axis=1).any()
    if gambit_available():  # Gambit's exact enumeration, run on every two-player game, agrees
        for game in games[:2]:
            check = game.methods.filter(pl.col("library") == "Gambit")
            assert check["note"][0].startswith(("the same equilibria as nashpy", "the same pure equilibria as nashpy"))


def test_pooling_part_saves_and_allocates_in_the_core(tiny_panel, cat, cfg):
    econ = parts.economics(cat, cfg.salvage_share)
    key, pool = pooling_part(cat, tiny_panel, cfg, econ)
    assert key == "channel" and pool.players.height == 2
    assert 0 < pool.pooled < pool.alone and pool.core_holds and pool.epsilon >= 0
    savings = pool.players["Shapley saving"].sum()
    assert savings == pytest.approx(pool.alone - pool.pooled, rel=1e-9)


def test_one_channel_leaves_nothing_to_pool_or_compete_for(tiny_panel, cfg):
    one = replace(tiny_panel, demand=tiny_panel.demand.filter(pl.col("channel") == "online"))
    cat = category_data(one, None, cfg.period_days)
    econ = parts.economics(cat, cfg.salvage_share)
    assert pooling_part(cat, one, cfg, econ) is None
    games = grid_games_part(cat, one, cfg, econ, parts.chain_part(cat, cfg))
    assert [game.key for game in games] == ["supplier_retailer", "tiers"]


def test_items_without_a_unit_cost_get_the_default_share_and_say_so(tiny_panel, cfg):
    static = tiny_panel.static.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("unit_cost")).alias("unit_cost"))
    cat = category_data(replace(tiny_panel, static=static), None, cfg.period_days)
    full = category_data(tiny_panel, None, cfg.period_days)
    assert "unit_cost (some items)" in cat.defaulted
    # the missing cost is filled, not dropped from a sum that still counts the item's units
    assert cat.unit_cost > 0.5 * full.unit_cost


def test_too_few_distinct_seasons_are_refused_with_the_settings(tiny_panel):
    with pytest.raises(ValueError, match="games.period_days=235: the data gives 6 season totals"):
        category_data(tiny_panel, None, 235)
