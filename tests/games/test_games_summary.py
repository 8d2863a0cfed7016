"""The games stage's outcome table, best-response check and headline, on a game small enough to check by hand."""

import math

import numpy as np
import polars as pl

from workbench.games import (
    HEADLINE,
    Equilibrium,
    Outcome,
    SupplyGame,
    all_best_responses,
    build_game,
    centralised,
    headline,
    nash_equilibria,
    outcome_table,
    stackelberg,
)


def two_by_two() -> SupplyGame:
    return SupplyGame(
        prices=np.array([5.0, 7.0]), quantities=np.array([10.0, 20.0]),
        supplier_payoff=np.array([[10.0, 20.0], [30.0, 60.0]]), retailer_payoff=np.array([[50.0, 40.0], [30.0, 20.0]]),
        chain_payoff=np.array([60.0, 100.0]), retail_price=10.0, unit_cost=4.0, salvage=1.0,
    )


def plays():
    mixed = Equilibrium(np.array([1.0, 0.0]), np.array([0.5, 0.5]), supplier_profit=15.0, retailer_profit=45.0)
    pure = Equilibrium(np.array([0.0, 1.0]), np.array([1.0, 0.0]), supplier_profit=30.0, retailer_profit=30.0)
    leader = Outcome("Stackelberg (supplier leads)", 7.0, 10.0, 30.0, 30.0)
    central = Outcome("centralised", None, 20.0, 0.0, 100.0)
    return [mixed, pure], leader, central


def test_outcome_table_by_hand():
    equilibria, leader, central = plays()
    table = outcome_table(two_by_two(), equilibria, [leader, central], central)
    assert table.schema == pl.Schema({"play": pl.String, "wholesale_price": pl.Float64, "quantity": pl.Float64,
                                      "supplier_profit": pl.Float64, "retailer_profit": pl.Float64,
                                      "chain_profit": pl.Float64, "efficiency": pl.Float64})
    assert table.to_dicts() == [
        {"play": "Nash 1 (mixed)", "wholesale_price": 5.0, "quantity": 15.0, "supplier_profit": 15.0,
         "retailer_profit": 45.0, "chain_profit": 60.0, "efficiency": 0.6},
        {"play": "Nash 2 (pure)", "wholesale_price": 7.0, "quantity": 10.0, "supplier_profit": 30.0,
         "retailer_profit": 30.0, "chain_profit": 60.0, "efficiency": 0.6},
        {"play": "Stackelberg (supplier leads)", "wholesale_price": 7.0, "quantity": 10.0, "supplier_profit": 30.0,
         "retailer_profit": 30.0, "chain_profit": 60.0, "efficiency": 0.6},
        {"play": "centralised", "wholesale_price": None, "quantity": 20.0, "supplier_profit": 0.0,
         "retailer_profit": 100.0, "chain_profit": 100.0, "efficiency": 1.0},
    ]


def test_outcome_table_without_equilibria_keeps_the_other_plays():
    _, leader, central = plays()
    table = outcome_table(two_by_two(), [], [leader, central], central)
    assert table["play"].to_list() == ["Stackelberg (supplier leads)", "centralised"]


def test_best_responses_of_nashpy_equilibria_and_of_a_wrong_one():
    rng = np.random.default_rng(0)
    game = build_game(np.clip(rng.normal(100.0, 30.0, 300), 0, None), retail_price=10.0, unit_cost=4.0, salvage=1.0,
                      n_prices=6, n_quantities=6)
    equilibria = nash_equilibria(game)
    assert equilibria and all_best_responses(game, equilibria)
    g = two_by_two()  # the retailer's best response to w = 5 is Q = 10, not Q = 20
    wrong = Equilibrium(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 20.0, 40.0)
    assert not all_best_responses(g, [wrong])
    assert all_best_responses(g, [])


def test_headline_shows_the_stackelberg_efficiency_and_logs_the_details():
    equilibria, leader, central = plays()
    table = outcome_table(two_by_two(), equilibria, [leader, central], central)
    logged = headline("toys", table, equilibria, leader, central)
    assert logged.headline is HEADLINE and logged.stage == "04_games"
    assert [m.key for m in HEADLINE.metrics] == ["efficiency_stackelberg"]
    assert logged.values == {
        "category": "toys", "n_equilibria": 2, "efficiency_stackelberg": 0.6, "efficiency_nash_best": 0.6,
        "centralised_profit": 100.0,
        "efficiency": {"Nash 1 (mixed)": 0.6, "Nash 2 (pure)": 0.6, "Stackelberg (supplier leads)": 0.6,
                       "centralised": 1.0},
    }


def test_headline_of_a_real_game_without_equilibria_has_a_nan_nash_efficiency():
    rng = np.random.default_rng(1)
    game = build_game(np.clip(rng.normal(80.0, 20.0, 200), 0, None), retail_price=9.0, unit_cost=3.0, salvage=0.5,
                      n_prices=5, n_quantities=5)
    leader, central = stackelberg(game), centralised(game)
    table = outcome_table(game, [], [leader, central], central)
    values = headline("c", table, [], leader, central).values
    assert math.isnan(values["efficiency_nash_best"]) and values["n_equilibria"] == 0
    assert values["efficiency_stackelberg"] == leader.chain_profit / central.chain_profit
