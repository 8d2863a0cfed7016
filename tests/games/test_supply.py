import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.games import (
    build_game,
    centralised,
    iterated_dominance,
    nash_equilibria,
    season_demand,
    stackelberg,
)


def demand(seed=0, n=500, mean=100.0, sd=30.0):
    return np.clip(np.random.default_rng(seed).normal(mean, sd, n), 0, None)


def test_expected_sales_and_payoffs_by_hand():
    g = build_game(np.array([0.0, 10.0, 20.0]), retail_price=10.0, unit_cost=4.0, salvage=1.0, n_prices=3, n_quantities=3)
    # Q=10: sells E[min(10, D)] = (0 + 10 + 10)/3, leftover 10/3
    j = int(np.flatnonzero(g.quantities == 10)[0])
    sold = 20 / 3
    assert g.chain_payoff[j] == pytest.approx(10 * sold + 1 * (10 - sold) - 4 * 10)
    assert g.supplier_payoff[1, j] == pytest.approx((g.prices[1] - 4.0) * 10)


def test_centralised_beats_every_decentralised_outcome():
    g = build_game(demand(), retail_price=10.0, unit_cost=4.0, salvage=1.0)
    c = centralised(g)
    s = stackelberg(g)
    assert c.chain_profit >= s.chain_profit - 1e-9
    for eq in nash_equilibria(g):
        assert eq.chain_profit <= c.chain_profit + 1e-9
    assert s.wholesale_price > g.unit_cost  # the supplier marks up: double marginalisation
    assert s.quantity <= c.quantity


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 1000), st.floats(6.0, 30.0), st.floats(0.1, 0.9))
def test_equilibria_are_best_responses_for_both_players(seed, price, cost_share):
    g = build_game(demand(seed, n=200), retail_price=price, unit_cost=price * cost_share,
                   salvage=0.2 * price * cost_share, n_prices=6, n_quantities=7)
    eqs = nash_equilibria(g)
    assert eqs, "every finite game has an equilibrium"
    for eq in eqs:
        assert all(g.game.is_best_response(eq.supplier_strategy, eq.retailer_strategy))


def test_iterated_dominance_on_prisoners_dilemma():
    A = np.array([[3, 0], [5, 1]])
    rows, cols = iterated_dominance(A, A.T)
    assert rows.tolist() == [1] and cols.tolist() == [1]


def test_bad_economics_are_named():
    with pytest.raises(ValueError, match="unit cost"):
        build_game(demand(), retail_price=5.0, unit_cost=6.0, salvage=1.0)


def test_season_demand_from_a_panel(tiny_panel):
    cat, seasons, price, cost = season_demand(tiny_panel, None, 14)
    assert cat in set(tiny_panel.static["category"])
    assert seasons.size == tiny_panel.dates.len() - 13
    assert 0 < cost < price
    with pytest.raises(ValueError, match="games.category='nope'"):
        season_demand(tiny_panel, "nope", 14)
