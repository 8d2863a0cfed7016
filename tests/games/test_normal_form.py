import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.games.normal_form import (
    deviation_gains,
    is_degenerate,
    is_equilibrium,
    iterated_dominance,
    pure_equilibria,
    solve_bimatrix,
)

# nashpy's documented degenerate game (how-to "handle degenerate games"): rows 2 and 3 tie, so the
# row player has a segment of best responses against (1/2, 1/2, 0)
DEGENERATE = np.array([[0, -1, 1], [-1, 0, 1], [-1, 0, 1]])


def games(max_size=4):
    return st.tuples(st.integers(2, max_size), st.integers(2, max_size), st.integers(0, 10**6)).map(
        lambda t: tuple(np.random.default_rng(t[2]).integers(-5, 6, (2, t[0], t[1]))))


def test_matching_pennies_has_one_mixed_equilibrium_found_by_every_method():
    A = np.array([[1, -1], [-1, 1]])
    s = solve_bimatrix(A, -A)
    assert len(s.equilibria) == 1
    r, c = s.equilibria[0]
    np.testing.assert_allclose(r, [0.5, 0.5], atol=1e-9)
    np.testing.assert_allclose(c, [0.5, 0.5], atol=1e-9)
    assert s.found_by[0] == {"support_enumeration", "vertex_enumeration", "lemke_howson"}
    assert s.counts["pure_enumeration"] == 0
    table = s.table()
    assert table["kind"].to_list() == ["mixed"] and table["row payoff"][0] == pytest.approx(0.0)


def test_battle_of_the_sexes_three_equilibria_and_labels():
    A, B = np.array([[3, 0], [0, 2]]), np.array([[2, 0], [0, 3]])
    s = solve_bimatrix(A, B, players=("w", "Q"), labels=(["w = 1", "w = 2"], ["Q = 0", "Q = 5"]))
    assert len(s.equilibria) == 3 and not is_degenerate(A, B)
    table = s.table()
    assert sorted(table["kind"].to_list()) == ["mixed", "pure", "pure"]
    assert "w = 1 (60%), w = 2 (40%)" in table["w strategy"].to_list()
    # Lemke-Howson finds each pure one from some label, never more than the vertex enumeration
    assert s.counts["vertex_enumeration"] == 3 and s.counts["lemke_howson"] <= 3


def test_degenerate_game_finds_extreme_equilibria_and_prints_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nashpy's RuntimeWarnings are kept in the Solution
        s = solve_bimatrix(DEGENERATE, -DEGENERATE)
    assert is_degenerate(DEGENERATE, -DEGENERATE)
    rows = sorted(tuple(np.round(r, 6)) for r, _ in s.equilibria)
    assert rows == [(0.5, 0.0, 0.5), (0.5, 0.5, 0.0)]
    assert s.counts["vertex_enumeration"] == 2
    assert s.counts["lemke_howson"] >= 1 and s.counts["support_enumeration"] == 2
    for r, c in s.equilibria:
        assert is_equilibrium([DEGENERATE, -DEGENERATE], [r, c])


def test_all_ties_game():
    A = np.ones((2, 2))
    s = solve_bimatrix(A, A)
    assert len(s.equilibria) == 4 and is_degenerate(A, A)  # the four pure profiles are the extreme ones


@settings(max_examples=40, deadline=None)
@given(games())
def test_every_returned_equilibrium_is_one(game):
    A, B = game
    s = solve_bimatrix(A, B, reduce=True)
    assert s.equilibria, "every finite game has an equilibrium"
    for r, c in s.equilibria:
        assert is_equilibrium([A, B], [r, c], 1e-7)
        assert deviation_gains([A, B], [r, c]).max() <= 1e-7
        # the textbook condition, computed apart: every action played with positive probability is a
        # best reply to the other's mixed strategy
        row_values, col_values = A @ c, r @ B
        assert (row_values[r > 1e-9] >= row_values.max() - 1e-7).all()
        assert (col_values[c > 1e-9] >= col_values.max() - 1e-7).all()
    # pure equilibria are all found, by the exact enumeration
    assert s.counts["pure_enumeration"] == len(pure_equilibria([A, B]))


@settings(max_examples=40, deadline=None)
@given(games(), st.integers(0, 10**6))
def test_a_non_equilibrium_fails(game, seed):
    A, B = game
    rng = np.random.default_rng(seed)
    r, c = rng.dirichlet(np.ones(A.shape[0])), rng.dirichlet(np.ones(A.shape[1]))
    gains = deviation_gains([A, B], [r, c])
    assert is_equilibrium([A, B], [r, c]) == bool((gains <= 1e-9).all())
    # a pure profile where the row player has a strictly better reply
    i, j = 0, 0
    if A[:, j].max() > A[i, j]:
        assert not is_equilibrium([A, B], [np.eye(A.shape[0])[i], np.eye(A.shape[1])[j]])
    assert not is_equilibrium([A, B], [r * 2, c])  # not a probability vector


def test_three_player_equilibrium_test_by_hand():
    # each player earns 1 when it matches player 1's action; (0, 0, 0) is an equilibrium, a
    # profile where player 3 mismatches is not
    shape = (2, 2, 2)
    idx = np.indices(shape)
    payoffs = [np.ones(shape), (idx[1] == idx[0]).astype(float), (idx[2] == idx[0]).astype(float)]
    e0 = np.array([1.0, 0.0])
    assert is_equilibrium(payoffs, [e0, e0, e0])
    assert not is_equilibrium(payoffs, [e0, e0, np.array([0.0, 1.0])])
    np.testing.assert_allclose(deviation_gains(payoffs, [e0, e0, np.array([0.3, 0.7])]), [0, 0, 0.7])


def test_dominance_reduction_maps_back_to_full_strategies():
    A = np.array([[3, 0, 1], [5, 1, 2], [0, 0, 0], [4, 0, 1], [1, 1, 1]], dtype=float)
    B = np.array([[3, 5, 0], [0, 1, 0], [1, 1, 1], [2, 2, 0], [0, 2, 1]], dtype=float)
    full = solve_bimatrix(A, B, reduce=False)
    reduced = solve_bimatrix(A, B, reduce=True)
    assert reduced.rows.size < 5 or reduced.cols.size < 3
    key = lambda s: sorted(tuple(np.round(np.concatenate(eq), 6)) for eq in s.equilibria)  # noqa: E731
    assert key(full) == key(reduced)
    rows, cols = iterated_dominance(np.array([[3, 0], [5, 1]]), np.array([[3, 5], [0, 1]]))
    assert rows.tolist() == [1] and cols.tolist() == [1]


def test_size_limits_skip_enumeration_with_a_reason():
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(2, 6, 6))
    s = solve_bimatrix(A, B, max_support_size=4, max_vertex_size=5, reduce=False)
    assert "max_support_size=4" in s.skipped["support_enumeration"]
    assert "max_vertex_size=5" in s.skipped["vertex_enumeration"]
    assert s.equilibria  # Lemke-Howson still finds one
    with pytest.raises(ValueError, match="expected two of the same"):
        solve_bimatrix(A, B[:, :3])
