"""Gambit (exact, rational) against nashpy. What is compared: the set of extreme equilibria.
Gambit's ``enummixed`` lists the vertices of every equilibrium component and nashpy's vertex
enumeration the completely labelled vertex pairs of the best-response polytopes, which are the
same points; a degenerate game with a continuum of equilibria is compared through those extreme
points, as sets with a tolerance of 1e-6."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.games import gambit
from workbench.games.normal_form import is_equilibrium, solve_bimatrix


def as_set(equilibria):
    return sorted(tuple(np.round(np.concatenate(eq), 6)) for eq in equilibria)


def test_without_pygambit_the_message_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_gambit(name, *args, **kwargs):
        if name == "pygambit":
            raise ImportError("No module named 'pygambit'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gambit)
    assert not gambit.gambit_available()
    with pytest.raises(ImportError, match="make setup"):
        gambit.gambit_bimatrix(np.eye(2), np.eye(2))


def test_payoffs_become_exact_rationals():
    from fractions import Fraction

    out = gambit.exact(np.array([3.0, 0.125, 2 / 3]))
    assert out.tolist() == [3, Fraction(1, 8), Fraction(2, 3)]


@pytest.fixture
def pygambit():
    return pytest.importorskip("pygambit", reason="pygambit (the optional `games` extra) is not installed")


def random_game(m, n, seed):
    return tuple(np.random.default_rng(seed).integers(-5, 6, (2, m, n)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(2, 5), st.integers(2, 5), st.integers(0, 10**6))
def test_gambit_and_nashpy_agree_on_random_integer_games(pygambit, m, n, seed):
    A, B = random_game(m, n, seed)
    exact = gambit.gambit_bimatrix(A, B, "enummixed")
    ours = solve_bimatrix(A, B, methods=("vertex_enumeration",), reduce=False)
    assert as_set(exact) == as_set(ours.equilibria)
    for eq in exact:
        assert is_equilibrium([A, B], list(eq))


@pytest.mark.parametrize("A, B", [
    (np.ones((2, 2)), np.ones((2, 2))),  # every profile an equilibrium: the four pure ones are extreme
    (np.array([[0, -1, 1], [-1, 0, 1], [-1, 0, 1]]), -np.array([[0, -1, 1], [-1, 0, 1], [-1, 0, 1]])),
    (np.array([[3, 3], [2, 5], [0, 6]]), np.array([[3, 3], [2, 6], [3, 1]])),  # a tie in B's first row
    (np.array([[1, 1, 0], [0, 1, 1]]), np.array([[1, 1, 1], [1, 1, 1]])),  # duplicate column payoffs
])
def test_gambit_and_nashpy_agree_on_degenerate_games(pygambit, A, B):
    exact = gambit.gambit_bimatrix(A, B, "enummixed")
    ours = solve_bimatrix(A, B, reduce=False)
    assert as_set(exact) == as_set(ours.equilibria)
    pure = gambit.gambit_bimatrix(A, B, "enumpure")
    assert set(as_set(pure)) <= set(as_set(ours.equilibria))


def test_rational_payoffs_and_lcp(pygambit):
    A = np.array([[0.5, 0.0], [0.0, 1.25]])
    B = np.array([[1.25, 0.0], [0.0, 0.5]])
    exact = gambit.gambit_bimatrix(A, B)
    assert len(exact) == 3
    mixed = [eq for eq in exact if (eq[0] > 0).all()][0]
    np.testing.assert_allclose(mixed[0], [2 / 7, 5 / 7], atol=1e-12)  # 1.25 x = 0.5 (1 - x)
    for eq in gambit.gambit_bimatrix(A, B, "lcp"):
        assert is_equilibrium([A, B], list(eq))


@pytest.mark.parametrize("method", ["logit", "gnm", "simpdiv", "enumpure"])
def test_nplayer_methods_return_equilibria(pygambit, method):
    rng = np.random.default_rng(0)
    payoffs = list(rng.integers(0, 10, (3, 3, 3, 3)).astype(float))
    found = gambit.gambit_nplayer(payoffs, method)
    if method != "enumpure":
        assert found
    for eq in found:
        assert is_equilibrium(payoffs, list(eq), tol=1e-5 * 10)
    with pytest.raises(ValueError, match="expected one of"):
        gambit.gambit_nplayer(payoffs, "nope")
