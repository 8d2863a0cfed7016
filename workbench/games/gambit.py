"""Gambit's equilibrium solvers through pygambit, an optional dependency (GPL).

Gambit (McKelvey, McLennan & Turocy, "Gambit: software tools for game theory",
https://www.gambit-project.org) solves two-player games exactly in rational arithmetic
(``enummixed``: every extreme equilibrium, by enumerating the vertices of the best-response
polytopes; ``lcp``: Lemke-Howson) and games of any number of players numerically (``logit``:
tracing the quantal-response correspondence; ``gnm``: global Newton; ``simpdiv``: simplicial
subdivision; ``enumpure``: every pure equilibrium). nashpy handles two players only, so the
study's chain game with more than two tiers is solved here.

Everything else in :mod:`workbench.games` works without pygambit: :func:`gambit_available`
says whether it is installed, and asking for a Gambit solver without it raises an
``ImportError`` that says how to install it.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

MISSING = (
    "pygambit is not installed: `make setup` builds it where a C++ compiler is available "
    "(else `pip install -e '.[games]'` once one is); the two-player games are solved by nashpy without it"
)
BIMATRIX_METHODS = ("enummixed", "lcp", "enumpure")
NPLAYER_METHODS = ("logit", "gnm", "simpdiv", "enumpure")


def gambit_available() -> bool:
    """Whether pygambit can be imported."""
    try:
        import pygambit  # noqa: F401
    except ImportError:
        return False
    return True


def _pygambit() -> Any:
    try:
        import pygambit
    except ImportError as error:
        raise ImportError(MISSING) from error
    return pygambit


def exact(payoff: np.ndarray, max_denominator: int = 10**6) -> np.ndarray:
    """Payoffs as exact rationals for Gambit's rational arithmetic: integers stay integers; any
    other value becomes the nearest fraction with denominator at most ``max_denominator``
    (an error below ``1/max_denominator``; exact for decimals with up to six places).

    >>> exact(np.array([[1.0, 0.25], [1 / 3, 2.0]]), 100).tolist()
    [[1, Fraction(1, 4)], [Fraction(1, 3), 2]]
    """
    values = np.asarray(payoff, dtype=float)
    if not np.isfinite(values).all():
        raise ValueError("payoffs must be finite to build a Gambit game")
    out = np.empty(values.shape, dtype=object)
    for index, x in np.ndenumerate(values):
        out[index] = int(x) if x.is_integer() else Fraction(x).limit_denominator(max_denominator)
    return out


def to_gambit(payoffs: Sequence[np.ndarray], title: str = "workbench game", max_denominator: int = 10**6) -> Any:
    """A pygambit strategic game from one payoff array per player (``payoffs[i]`` has one axis
    per player), with payoffs made exact by :func:`exact`."""
    gbt = _pygambit()
    shapes = {np.shape(p) for p in payoffs}
    if len(shapes) != 1 or len(next(iter(shapes))) != len(payoffs):
        raise ValueError(f"expected one payoff array per player, all of one shape with one axis per player; got {shapes}")
    return gbt.Game.from_arrays(*(exact(p, max_denominator) for p in payoffs), title=title)


def _profiles(result: Any, game: Any) -> list[tuple[np.ndarray, ...]]:
    """Each equilibrium of a pygambit result as one probability vector per player, once
    (``enummixed`` may list a vertex of a degenerate game twice)."""
    out, seen = [], set()
    for eq in result.equilibria:
        profile = tuple(np.array([float(p) for _, p in eq[player]]) for player in game.players)
        key = tuple(np.concatenate(profile).round(12))
        if key not in seen:
            seen.add(key)
            out.append(profile)
    return out


def gambit_bimatrix(A: np.ndarray, B: np.ndarray, method: str = "enummixed",
                    max_denominator: int = 10**6) -> list[tuple[np.ndarray, np.ndarray]]:
    """Equilibria of the bimatrix game (A, B) by Gambit in exact rational arithmetic:
    ``"enummixed"`` every extreme equilibrium (all equilibria of a nondegenerate game; the
    vertices of every component of a degenerate one), ``"lcp"`` those reached by Lemke-Howson,
    ``"enumpure"`` the pure ones."""
    gbt = _pygambit()
    game = to_gambit([A, B], "bimatrix game", max_denominator)
    if method == "enummixed":
        result = gbt.nash.enummixed_solve(game, rational=True)
    elif method == "lcp":
        result = gbt.nash.lcp_solve(game, rational=True, use_strategic=True)
    elif method == "enumpure":
        result = gbt.nash.enumpure_solve(game)
    else:
        raise ValueError(f"Gambit bimatrix method {method!r}; expected one of {BIMATRIX_METHODS}")
    return _profiles(result, game)


def gambit_nplayer(payoffs: Sequence[np.ndarray], method: str = "logit",
                   max_denominator: int = 10**6) -> list[tuple[np.ndarray, ...]]:
    """Equilibria of a game with any number of players (nashpy stops at two): ``"logit"`` (the
    limit of the logit quantal-response path, one equilibrium), ``"gnm"`` (global Newton, one or
    more), ``"simpdiv"`` (simplicial subdivision from the uniform profile, one) or ``"enumpure"``
    (every pure equilibrium). The numerical methods are accurate to about 1e-8 of the payoff
    range."""
    gbt = _pygambit()
    game = to_gambit(payoffs, f"{len(payoffs)}-player game", max_denominator)
    if method == "logit":
        result = gbt.nash.logit_solve(game, use_strategic=True)
    elif method == "gnm":
        result = gbt.nash.gnm_solve(game)
    elif method == "simpdiv":
        result = gbt.nash.simpdiv_solve(game.mixed_strategy_profile(rational=True))
    elif method == "enumpure":
        result = gbt.nash.enumpure_solve(game)
    else:
        raise ValueError(f"Gambit method {method!r}; expected one of {NPLAYER_METHODS}")
    return _profiles(result, game)
