import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.games.pooling import (
    coalition_costs,
    coalition_values,
    core_allocation,
    in_core,
    membership,
    pooling_table,
    shapley,
)


def correlated_demand(n, seed, n_samples=400, rho=0.3):
    rng = np.random.default_rng(seed)
    cov = np.full((n, n), rho) + (1 - rho) * np.eye(n)
    sd = rng.uniform(5, 30, n)
    return np.clip(rng.uniform(50, 150, n) + rng.multivariate_normal(np.zeros(n), cov, n_samples) * sd, 0, None)


def test_two_players_with_opposite_demand_exact_answer():
    # each demands 0 or 10, always 10 together: alone each stocks 0 (F(0) = 1/2 = cu/(cu+co))
    # and pays 5 in expectation; pooled the 10 units always sell, so the saving is 10, split 5/5
    samples = np.array([[0.0, 10.0], [10.0, 0.0]])
    costs = coalition_costs(samples, 1.0, 1.0)
    np.testing.assert_allclose(costs, [0, 5, 5, 0])
    values = coalition_values(costs)
    np.testing.assert_allclose(values, [0, 0, 0, 10])
    np.testing.assert_allclose(shapley(values, 2), [5, 5])
    x, eps = core_allocation(values, 2)
    np.testing.assert_allclose(x, [5, 5], atol=1e-6)
    assert eps == pytest.approx(5.0, abs=1e-6)


def test_shapley_of_textbook_games():
    # glove game: player 1 holds the left glove, 2 and 3 a right one each
    glove = np.zeros(8)
    glove[[0b011, 0b101, 0b111]] = 1.0
    np.testing.assert_allclose(shapley(glove, 3), [2 / 3, 1 / 6, 1 / 6])
    # the core of the glove game is the single point (1, 0, 0)
    x, eps = core_allocation(glove, 3)
    np.testing.assert_allclose(x, [1, 0, 0], atol=1e-6)
    assert eps == pytest.approx(0.0, abs=1e-6) and in_core(x, glove, 3)
    assert not in_core(shapley(glove, 3), glove, 3)


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 6), st.integers(0, 10**6), st.floats(0.5, 5.0), st.floats(0.5, 5.0))
def test_shapley_efficient_and_least_core_in_core_on_correlated_demand(n, seed, cu, co):
    samples = correlated_demand(n, seed)
    values = coalition_values(coalition_costs(samples, cu, co))
    assert shapley(values, n).sum() == pytest.approx(values[-1], rel=1e-9, abs=1e-9)
    x, eps = core_allocation(values, n)
    assert eps >= -1e-9  # the newsvendor game has a non-empty core (Müller, Scarsini & Shaked 2002)
    assert in_core(x, values, n, tol=1e-6 * max(1.0, values[-1]))


@pytest.mark.parametrize("seed", [0, 1])
def test_pooling_never_costs_more(seed):
    n = 5
    costs = coalition_costs(correlated_demand(n, seed, rho=-0.1), 3.0, 1.0)
    s, t = np.meshgrid(np.arange(2**n), np.arange(2**n), indexing="ij")
    disjoint = (s & t) == 0
    assert (costs[s | t][disjoint] <= (costs[s] + costs[t])[disjoint] + 1e-9).all()
    assert (coalition_values(costs) >= -1e-9).all()


def test_coalition_costs_match_a_brute_force_minimum():
    samples = correlated_demand(3, 7, n_samples=60)
    costs = coalition_costs(samples, 2.0, 1.0)
    pooled = samples @ membership(3)
    # the empirical cost is piecewise linear with kinks at the samples: its minimum is at one
    q = pooled[:, :, None].transpose(1, 2, 0)  # (coalitions, 1, samples) as candidate stocks
    gap = pooled.T[:, :, None] - q  # (coalitions, samples, candidates)
    brute = (2.0 * np.maximum(gap, 0) + 1.0 * np.maximum(-gap, 0)).mean(axis=1).min(axis=1)
    np.testing.assert_allclose(costs, brute, atol=1e-9)


def test_tables_and_limits():
    samples = correlated_demand(3, 3)
    game = pooling_table(samples, 2.0, 1.0, names=["north", "south", "web"])
    players, coalitions = game.players, game.coalitions
    assert game.core_holds and game.epsilon >= -1e-9 and game.pooled <= game.alone
    assert players["player"].to_list() == ["north", "south", "web"]
    np.testing.assert_allclose(players["cost after Shapley"] + players["Shapley saving"], players["stand-alone cost"])
    assert players["core saving"].sum() == pytest.approx(coalitions["saving"][-1], rel=1e-6)
    assert coalitions.height == 7 and coalitions["coalition"][-1] == "north + south + web"
    with pytest.raises(ValueError, match="games.pooling.max_players"):
        coalition_costs(np.ones((5, 13)), 1.0, 1.0)
    with pytest.raises(ValueError, match="expected 2\\^3"):
        shapley(np.zeros(7), 3)
