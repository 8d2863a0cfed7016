"""Two-player normal-form games solved for every equilibrium with nashpy, and an equilibrium
test for any number of players.

:func:`solve_bimatrix` runs each of nashpy's algorithms (Nisan et al. 2007, "Algorithmic Game
Theory", ch. 3: support enumeration, Algorithm 3.4; vertex enumeration, Algorithm 3.5;
Lemke-Howson from every initial dropped label, Algorithm 3.6), checks every answer with
:func:`is_equilibrium`, merges the equilibria that agree to a tolerance and records which
algorithms found each. On degenerate games (:func:`is_degenerate`) Lemke-Howson may return a
non-equilibrium and support enumeration may miss equilibria (nashpy's documentation says so); the
answers that fail the check are dropped and counted, and nashpy's ``RuntimeWarning``\\ s are kept
in the :class:`Solution` rather than printed. (Slightly over 300 lines: the solver, its result
and the equilibrium and degeneracy tests it runs are one unit.)
"""

from __future__ import annotations

import string
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import nashpy as nash
import numpy as np
import polars as pl
from nashpy.algorithms.support_enumeration import indifference_strategies
from nashpy.linalg import create_col_tableau, create_row_tableau
from nashpy.polytope import build_halfspaces, non_trivial_vertices
from scipy.spatial import QhullError

METHODS = ("pure_enumeration", "support_enumeration", "vertex_enumeration", "lemke_howson")
SMALL_GAME = 4  # strategies per player up to which dominated strategies are kept by default


def iterated_dominance(A: np.ndarray, B: np.ndarray, tol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the rows and columns that survive iterated elimination of strictly dominated
    pure strategies (row player's payoffs ``A``, column player's ``B``). A strategy is dominated
    only by one better by more than ``tol`` against everything, so rounding noise in payoffs that
    are equal in theory does not remove an equilibrium strategy.

    >>> A = np.array([[3, 0], [5, 1]])  # the prisoner's dilemma: defect (row 1) dominates
    >>> [r.tolist() for r in iterated_dominance(A, A.T)]
    [[1], [1]]
    """
    rows, cols = np.arange(A.shape[0]), np.arange(A.shape[1])
    changed = True
    while changed:
        changed = False
        a = A[np.ix_(rows, cols)]
        # row r is dominated if another row is strictly better against every column
        dominated = (a[None, :, :] > a[:, None, :] + tol).all(axis=2).any(axis=1)
        if dominated.any() and rows.size > 1:
            rows, changed = rows[~dominated], True
        b = B[np.ix_(rows, cols)]
        dominated = (b[:, None, :] > b[:, :, None] + tol).all(axis=0).any(axis=1)
        if dominated.any() and cols.size > 1:
            cols, changed = cols[~dominated], True
    return rows, cols


def _pure_payoffs(payoff: np.ndarray, strategies: Sequence[np.ndarray], player: int) -> np.ndarray:
    """Player ``player``'s expected payoff of each of its pure strategies when the others play
    ``strategies``: the payoff tensor contracted with every other player's mixed strategy."""
    letters = string.ascii_letters[: payoff.ndim]
    others = [k for k in range(payoff.ndim) if k != player]
    spec = f"{letters},{','.join(letters[k] for k in others)}->{letters[player]}"
    return np.einsum(spec, payoff, *(strategies[k] for k in others))


def deviation_gains(payoffs: Sequence[np.ndarray], strategies: Sequence[np.ndarray]) -> np.ndarray:
    """Each player's gain from its best pure deviation: ``max_s u_i(s, sigma_-i) - u_i(sigma)``.

    ``payoffs[i]`` has one axis per player (shape ``(m_1, ..., m_n)``); ``strategies[i]`` is
    player i's mixed strategy (length ``m_i``). Zero for every player at a Nash equilibrium.

    >>> A = np.array([[1.0, -1.0], [-1.0, 1.0]])  # matching pennies
    >>> deviation_gains([A, -A], [np.array([0.5, 0.5])] * 2).tolist()
    [0.0, 0.0]
    >>> deviation_gains([A, -A], [np.array([1.0, 0.0])] * 2).tolist()
    [0.0, 2.0]
    """
    gains = np.empty(len(payoffs))
    for i, (payoff, own) in enumerate(zip(payoffs, strategies, strict=True)):
        pure = _pure_payoffs(np.asarray(payoff, dtype=float), strategies, i)
        gains[i] = pure.max() - pure @ own
    return gains


def is_equilibrium(payoffs: Sequence[np.ndarray], strategies: Sequence[np.ndarray], tol: float = 1e-9) -> bool:
    """Whether ``strategies`` (one probability vector per player) is a Nash equilibrium of the
    game with one payoff tensor per player: no player gains more than ``tol`` by deviating to a
    pure strategy (which suffices, since a mixed deviation's payoff averages pure ones)."""
    n = len(payoffs)
    if len(strategies) != n or any(np.shape(s) != (payoffs[0].shape[i],) for i, s in enumerate(strategies)):
        return False
    probabilities = [np.asarray(s, dtype=float) for s in strategies]
    if not all(np.isfinite(p).all() and (p >= -tol).all() and abs(p.sum() - 1) <= tol for p in probabilities):
        return False
    return bool((deviation_gains(payoffs, probabilities) <= tol).all())


def _positive(M: np.ndarray) -> np.ndarray:
    """The payoffs shifted so that every entry is at least 1: equilibria are unchanged, and the
    best-response polytopes {x >= 0 : M^T x <= 1} are then bounded."""
    return M - M.min() + 1.0


def _label_counts(M: np.ndarray) -> np.ndarray:
    """Number of labels (tight inequalities) of each vertex of {y >= 0 : M y <= 1} but the origin."""
    halfspaces = build_halfspaces(M)
    return np.array([len(labels) for _, labels in non_trivial_vertices(halfspaces)])


def is_degenerate(A: np.ndarray, B: np.ndarray) -> bool:
    """Whether the bimatrix game (A, B) is degenerate: some mixed strategy with support of
    size k has more than k pure best responses.

    What is checked: with positive payoffs, the game is nondegenerate exactly when no point of the
    best-response polytope P = {x >= 0 : B^T x <= 1} has more than m labels and none of
    Q = {y >= 0 : A y <= 1} more than n (a label is a tight inequality: x_i = 0, or column j a
    best response; von Stengel 2007, in Nisan et al., ch. 3). A point with most labels is a vertex,
    so the vertices (enumerated with scipy's qhull through nashpy) are counted, with a tolerance.

    >>> is_degenerate(np.array([[3.0, 0.0], [0.0, 2.0]]), np.array([[2.0, 0.0], [0.0, 3.0]]))
    False
    >>> is_degenerate(np.ones((2, 2)), np.ones((2, 2)))
    True
    """
    A, B = _positive(np.asarray(A, dtype=float)), _positive(np.asarray(B, dtype=float))
    m, n = A.shape
    # a polytope of one dimension (qhull needs two): a player with one strategy makes the game
    # degenerate exactly when the other has tied best responses to it
    if m == 1:
        return bool(np.isclose(B[0], B[0].max()).sum() > 1)
    if n == 1:
        return bool(np.isclose(A[:, 0], A[:, 0].max()).sum() > 1)
    return bool((_label_counts(B.T) > m).any() or (_label_counts(A) > n).any())


@dataclass
class Solution:
    """Every equilibrium found, with the algorithms that found it.

    ``equilibria[k]`` is ``(sigma_row, sigma_col)`` over the full strategy sets; ``payoffs[k]`` the
    two expected payoffs; ``found_by[k]`` the methods that found it. ``counts`` is the number of
    distinct equilibria each method found, ``rejected`` how many of its answers were not equilibria
    (or not probability vectors) and were dropped, ``skipped`` the methods not run and why.
    """

    equilibria: list[tuple[np.ndarray, np.ndarray]]
    payoffs: np.ndarray  # (k, 2)
    found_by: list[set[str]]
    counts: dict[str, int]
    rejected: dict[str, int]
    skipped: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rows: np.ndarray | None = None  # strategies surviving iterated strict dominance
    cols: np.ndarray | None = None
    players: tuple[str, str] = ("row", "column")
    labels: tuple[list[str], list[str]] | None = None  # how each pure strategy is written

    def _support(self, sigma: np.ndarray, player: int) -> str:
        names = self.labels[player] if self.labels else [str(k) for k in range(sigma.size)]
        return ", ".join(f"{names[k]} ({sigma[k]:.0%})" for k in np.flatnonzero(sigma > 1e-9))

    def table(self) -> pl.DataFrame:
        """One row per equilibrium: each player's support (``"w = 7.2 (100%)"``), payoffs,
        pure or mixed, and the methods that found it."""
        row, col = self.players
        return pl.DataFrame({
            "equilibrium": list(range(1, len(self.equilibria) + 1)),
            "kind": ["pure" if all((s > 1e-9).sum() == 1 for s in eq) else "mixed" for eq in self.equilibria],
            f"{row} strategy": [self._support(eq[0], 0) for eq in self.equilibria],
            f"{col} strategy": [self._support(eq[1], 1) for eq in self.equilibria],
            f"{row} payoff": self.payoffs[:, 0].tolist() if len(self.equilibria) else [],
            f"{col} payoff": self.payoffs[:, 1].tolist() if len(self.equilibria) else [],
            "found by": [", ".join(m for m in METHODS if m in s) for s in self.found_by],
        }, schema_overrides={f"{row} payoff": pl.Float64, f"{col} payoff": pl.Float64})


def lemke_howson(A: np.ndarray, B: np.ndarray, label: int, max_pivots: int | None = None) -> tuple[np.ndarray, ...]:
    """Lemke-Howson from one initial dropped label on nashpy's lexicographic tableaux: nashpy's
    own ``lemke_howson`` loop with a bound on the pivots.

    nashpy's integer pivoting never divides by the previous pivot, so its tableaux grow until
    they overflow on games that need many pivots, and on degenerate games a path can then cycle
    for ever. Here the payoffs are first mapped affinely onto [1, 2] (equilibria unchanged), an
    overflow raises ``FloatingPointError`` and more than ``max_pivots`` (default 10 (m + n))
    pivots raise ``RuntimeError``.
    """
    scale = max(np.ptp(A), np.ptp(B), 1e-300)
    col_tableau = create_col_tableau(1.0 + (A - A.min()) / scale, True)
    row_tableau = create_row_tableau(1.0 + (B - B.min()) / scale, True)
    tableaux = (row_tableau, col_tableau) if label in row_tableau.non_basic_variables else (col_tableau, row_tableau)
    limit = max_pivots or 10 * sum(A.shape)
    entering = label
    with np.errstate(over="raise", divide="ignore", invalid="ignore"):
        for pivot in range(limit):
            entering = tableaux[pivot % 2].pivot_and_drop_label(entering)
            if col_tableau.non_basic_variables | row_tableau.non_basic_variables == col_tableau.labels:
                return (row_tableau.to_strategy(col_tableau.non_basic_variables),
                        col_tableau.to_strategy(row_tableau.non_basic_variables))
    raise RuntimeError(f"Lemke-Howson from label {label}: no equilibrium after {limit} pivots")


def _run(method: str, game: nash.Game, tol: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """One nashpy algorithm's answers (every initial label for Lemke-Howson; a start that fails
    gives a NaN answer, which the caller counts as rejected)."""
    A, B = game.payoff_matrices
    if method == "pure_enumeration":
        eye_r, eye_c = np.eye(A.shape[0]), np.eye(A.shape[1])
        return [(eye_r[i], eye_c[j]) for i, j in pure_equilibria([A, B], tol)]
    if method == "support_enumeration":
        # nashpy's candidates from every pair of supports (not only equal sizes, so degenerate
        # games are covered), each tested with a tolerance: nashpy's own test compares float
        # payoffs for exact equality and so misses equilibria of games with non-integer payoffs
        return [(s1, s2) for s1, s2, _, _ in indifference_strategies(A, B, non_degenerate=False)
                if is_equilibrium([A, B], [s1, s2], tol)]
    if method == "vertex_enumeration":
        if min(A.shape) == 1:
            # a one-dimensional polytope (qhull needs two): with one strategy for a player, the
            # extreme equilibria are the other's pure best responses
            return _run("pure_enumeration", game, tol)
        return list(nash.Game(_positive(A), _positive(B)).vertex_enumeration())
    if method == "lemke_howson":
        found = []
        for label in range(sum(game.payoff_matrices[0].shape)):
            try:
                found.append(lemke_howson(A, B, label))
            except (ValueError, IndexError, KeyError, RuntimeError, FloatingPointError, np.linalg.LinAlgError):
                found.append((np.array([np.nan]), np.array([np.nan])))
        return found
    raise ValueError(f"games.grid: unknown method {method!r}; expected one of {METHODS}")


def solve_bimatrix(
    A: np.ndarray,
    B: np.ndarray,
    methods: Sequence[str] = METHODS,
    max_support_size: int | None = None,
    max_vertex_size: int | None = 9,
    reduce: bool | None = None,
    tol: float = 1e-8,
    players: tuple[str, str] = ("row", "column"),
    labels: tuple[Sequence[str], Sequence[str]] | None = None,
) -> Solution:
    """Every equilibrium that nashpy's algorithms find in the bimatrix game (A, B).

    Args:
        A, B: the row and column player's payoffs, shape (m, n).
        methods: any of ``"pure_enumeration"`` (every pure equilibrium, exact and cheap),
            ``"support_enumeration"``, ``"vertex_enumeration"`` (every extreme equilibrium, so the
            complete list for a nondegenerate game) and ``"lemke_howson"`` (run from each of the
            m + n initial dropped labels).
        max_support_size: support enumeration (2^(m+n) support pairs) is skipped when the reduced
            game has more strategies than this for either player (``games.grid.max_support_size``).
        max_vertex_size: the same for vertex enumeration, whose time grows with the number of
            vertices of the best-response polytopes (on random games: 8x8 about 1.5 s, 9x9 about
            10 s, 10x12 about 100 s on one core).
        reduce: first remove strictly dominated strategies (no equilibrium plays them); ``None``
            does so when a player has more than ``SMALL_GAME`` strategies.
        tol: an answer is kept when no player gains more than ``tol`` times the largest absolute
            payoff (at least 1) by deviating; equilibria closer than ``1e-6`` are merged.
        players, labels: names of the players and of each pure strategy, for :meth:`Solution.table`.
    """
    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    if A.ndim != 2 or A.shape != B.shape:
        raise ValueError(f"payoff matrices of shapes {A.shape} and {B.shape}; expected two of the same (m, n)")
    if reduce is None:
        reduce = max(A.shape) > SMALL_GAME
    accept = tol * max(1.0, np.abs(A).max(), np.abs(B).max())
    rows, cols = iterated_dominance(A, B, accept) if reduce else (np.arange(A.shape[0]), np.arange(A.shape[1]))
    a, b = A[np.ix_(rows, cols)], B[np.ix_(rows, cols)]
    game = nash.Game(a, b)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    found_by: list[set[str]] = []
    counts, rejected, skipped, messages = {}, {}, {}, []
    for method in methods:
        limit = {"support_enumeration": ("max_support_size", max_support_size),
                 "vertex_enumeration": ("max_vertex_size", max_vertex_size)}.get(method)
        if limit and limit[1] is not None and max(a.shape) > limit[1]:
            skipped[method] = f"reduced game {a.shape[0]}x{a.shape[1]} exceeds {limit[0]}={limit[1]}"
            continue
        if method == "lemke_howson" and a.size == 1:  # nashpy's tableaux need two strategies
            skipped[method] = "one strategy each after removing dominated strategies"
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                answers = _run(method, game, accept)
            except QhullError as error:  # qhull gives up on some flat polytopes: say so, go on
                skipped[method] = f"failed: {' '.join(str(error).split())[:200]}"
                continue
        messages += sorted({f"{method}: {' '.join(str(w.message).split())}" for w in caught})
        hits, bad = set(), 0
        for sigma_r, sigma_c in answers:
            if not is_equilibrium([a, b], [sigma_r, sigma_c], accept):
                bad += 1
                continue
            full_r, full_c = np.zeros(A.shape[0]), np.zeros(A.shape[1])
            full_r[rows], full_c[cols] = np.clip(sigma_r, 0, None), np.clip(sigma_c, 0, None)
            full_r, full_c = full_r / full_r.sum(), full_c / full_c.sum()
            k = next((k for k, (r, c) in enumerate(found)
                      if np.abs(r - full_r).max() < 1e-6 and np.abs(c - full_c).max() < 1e-6), None)
            if k is None:
                found.append((full_r, full_c))
                found_by.append(set())
                k = len(found) - 1
            found_by[k].add(method)
            hits.add(k)
        counts[method], rejected[method] = len(hits), bad
    payoffs = np.array([[r @ A @ c, r @ B @ c] for r, c in found]).reshape(-1, 2)
    named = None if labels is None else (list(labels[0]), list(labels[1]))
    return Solution(found, payoffs, found_by, counts, rejected, skipped, messages, rows, cols, players, named)


def pure_equilibria(payoffs: Sequence[np.ndarray], tol: float = 1e-12) -> list[tuple[int, ...]]:
    """Every pure-strategy Nash equilibrium of a game with any number of players: the cells where
    each player's payoff is the largest along its own axis (vectorised over all cells).

    >>> A = np.array([[3, 0], [5, 1]])
    >>> pure_equilibria([A, A.T])
    [(1, 1)]
    """
    best = np.ones(payoffs[0].shape, dtype=bool)
    for i, u in enumerate(payoffs):
        best &= u >= u.max(axis=i, keepdims=True) - tol
    return [tuple(int(k) for k in cell) for cell in np.argwhere(best)]
