"""Retailers that pool their stock: the newsvendor centralisation game.

Each coalition S of retailers may hold one joint stock against its summed demand D_S; its
cost is the newsvendor's optimal expected cost (underage cost c_u per unit short, overage c_o
per unit left over),

    C(S) = min_q E[c_u (D_S - q)^+ + c_o (q - D_S)^+],

and its value the saving from pooling, v(S) = sum_{i in S} C({i}) - C(S). Hartman, Dror & Shaked
(2000, "Cores of inventory centralization games", Games and Economic Behavior 31) studied its
core; Müller, Scarsini & Shaked (2002, "The newsvendor game has a nonempty core", Games and
Economic Behavior 38) showed it is non-empty for any joint demand distribution. The savings are
shared by the Shapley value and by a least-core allocation (an LP in cvxpy).

Coalitions are indexed by bitmask: coalition ``s`` holds player i when bit i of s is set, so
``values[0]`` is the empty coalition and ``values[-1]`` the grand coalition N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import factorial

import cvxpy as cp
import numpy as np
import polars as pl

MAX_PLAYERS = 12  # 2^12 coalitions: the membership matrix and the core LP stay small


def membership(n: int) -> np.ndarray:
    """The (n, 2^n) 0/1 matrix whose column s marks the members of coalition s.

    >>> membership(2).tolist()
    [[0, 1, 0, 1], [0, 0, 1, 1]]
    """
    if not 1 <= n <= MAX_PLAYERS:
        raise ValueError(f"games.pooling.max_players: {n} players; expected 1 to {MAX_PLAYERS} (2^n coalitions)")
    return (np.arange(2**n)[None, :] >> np.arange(n)[:, None]) & 1


def coalition_costs(samples: np.ndarray, underage: float, overage: float) -> np.ndarray:
    """C(S) for every coalition (length 2^n, index = bitmask of members), from demand samples of
    shape (n_samples, n_players), the rows being joint draws.

    Exact for the empirical distribution: the summed demands of all coalitions are one matrix
    product ``samples @ membership``; each coalition stocks the "inverted_cdf" sample quantile at
    the critical fractile c_u/(c_u + c_o) (the smallest q with F(q) >= the fractile, which
    minimises the sample-average cost) and its cost is averaged over the samples.

    >>> coalition_costs(np.array([[0.0, 10.0], [10.0, 0.0]]), 1.0, 1.0).tolist()
    [0.0, 5.0, 5.0, 0.0]
    """
    demand = np.asarray(samples, dtype=float)
    if demand.ndim != 2 or demand.shape[0] == 0:
        raise ValueError(f"demand samples of shape {demand.shape}; expected (n_samples, n_players)")
    if underage <= 0 or overage <= 0:
        raise ValueError(f"underage cost {underage} and overage cost {overage}; expected both > 0")
    pooled = demand @ membership(demand.shape[1])  # (n_samples, 2^n)
    stock = np.quantile(pooled, underage / (underage + overage), axis=0, method="inverted_cdf")
    gap = pooled - stock
    return (underage * np.maximum(gap, 0.0) + overage * np.maximum(-gap, 0.0)).mean(axis=0)


def coalition_values(costs: np.ndarray) -> np.ndarray:
    """The savings v(S) = sum_{i in S} C({i}) - C(S) of every coalition."""
    n = int(np.log2(costs.size))
    return membership(n).T @ costs[1 << np.arange(n)] - costs


def _players(values: np.ndarray, n: int) -> np.ndarray:
    if values.shape != (2**n,):
        raise ValueError(f"{values.size} coalition values for {n} players; expected 2^{n} = {2**n}")
    return membership(n)


def shapley(values: np.ndarray, n: int) -> np.ndarray:
    """The Shapley value: phi_i = sum_{S not holding i} |S|! (n - |S| - 1)! / n! (v(S + i) - v(S)),
    vectorised over coalitions (one pass per player).

    >>> shapley(np.array([0.0, 0.0, 0.0, 10.0]), 2).tolist()
    [5.0, 5.0]
    """
    members = _players(values, n)
    size = members.sum(axis=0)
    weight = np.array([factorial(k) * factorial(n - k - 1) / factorial(n) if k < n else 0.0 for k in range(n + 1)])
    coalitions = np.arange(2**n)
    phi = np.empty(n)
    for i in range(n):
        without = coalitions[members[i] == 0]
        phi[i] = weight[size[without]] @ (values[without | (1 << i)] - values[without])
    return phi


def core_allocation(values: np.ndarray, n: int, solver: str | None = "CLARABEL") -> tuple[np.ndarray, float]:
    """A point of the least core and its excess epsilon (an LP and a QP in cvxpy).

    First the largest epsilon such that some x with sum(x) = v(N) gives every proper coalition
    at least v(S) + epsilon; epsilon >= 0 exactly when the core is non-empty. Of the least core
    (every x attaining that epsilon) the point returned is the one closest in Euclidean distance
    to the Shapley value, which makes the answer unique (no nucleolus tie-breaking). Clarabel by
    default: OSQP, cvxpy's default for the QP, reports an inaccurate solution where the least core is
    a single point (two players).
    """
    members = _players(values, n)[:, 1:-1].T.astype(float)  # proper, non-empty coalitions
    if n == 1:
        return np.array([values[-1]]), 0.0
    x, eps = cp.Variable(n), cp.Variable()
    grand = cp.sum(x) == values[-1]
    cp.Problem(cp.Maximize(eps), [grand, members @ x >= values[1:-1] + eps]).solve(solver=solver)
    if eps.value is None:
        raise RuntimeError(f"the least-core LP did not solve (solver {solver})")
    least = float(eps.value)
    # a little slack: the second problem must stay feasible at the first one's rounding
    slack = 1e-9 * max(1.0, float(np.abs(values).max()))
    nearest = cp.Problem(cp.Minimize(cp.sum_squares(x - shapley(values, n))),
                         [grand, members @ x >= values[1:-1] + least - slack])
    nearest.solve(solver=solver)
    if x.value is None:
        raise RuntimeError(f"the least-core point nearest the Shapley value did not solve (solver {solver}:"
                           f" {nearest.status})")
    return np.asarray(x.value, dtype=float), least


def in_core(x: np.ndarray, values: np.ndarray, n: int, tol: float = 1e-7) -> bool:
    """Whether allocation x is in the core: sum(x) = v(N) and sum_{i in S} x_i >= v(S) for every
    coalition S (each to ``tol``)."""
    members = _players(values, n)
    return bool(abs(x.sum() - values[-1]) <= tol and (x @ members >= values - tol).all())


@dataclass(frozen=True)
class PoolingGame:
    """The centralisation game solved: per player and per coalition tables, and the least core."""

    players: pl.DataFrame  # stand-alone cost, Shapley and core savings, costs after each
    coalitions: pl.DataFrame  # members, size, cost C(S), saving v(S)
    epsilon: float  # the least core's excess: >= 0 exactly when the core is non-empty
    core_holds: bool  # the core allocation returned is in the core
    shapley_in_core: bool  # the Shapley value is too (it need not be: no coalition may beat its share)

    @property
    def alone(self) -> float:
        return float(self.players["stand-alone cost"].sum())

    @property
    def pooled(self) -> float:
        return float(self.coalitions["cost"][-1])


def pooling_table(
    samples: np.ndarray,
    underage: float,
    overage: float,
    names: Sequence[str] | None = None,
    solver: str | None = "CLARABEL",
) -> PoolingGame:
    """Per player: stand-alone cost C({i}), Shapley and least-core savings, and the cost left
    after each allocation; per coalition: members, size, cost C(S) and saving v(S); the least
    core's excess and whether the core allocation is in the core (to a tolerance relative to
    the savings)."""
    costs = coalition_costs(samples, underage, overage)
    n = samples.shape[1]
    names = list(names) if names is not None else [f"player {i + 1}" for i in range(n)]
    values = coalition_values(costs)
    phi = shapley(values, n)
    core, epsilon = core_allocation(values, n, solver)
    alone = costs[1 << np.arange(n)]
    players = pl.DataFrame({
        "player": names,
        "stand-alone cost": alone,
        "Shapley saving": phi,
        "core saving": core,
        "cost after Shapley": alone - phi,
        "cost after core": alone - core,
    })
    members = membership(n)
    coalitions = pl.DataFrame({
        "coalition": [" + ".join(names[i] for i in np.flatnonzero(members[:, s])) for s in range(1, 2**n)],
        "size": members[:, 1:].sum(axis=0),
        "cost": costs[1:],
        "saving": values[1:],
    })
    tol = 1e-6 * max(1.0, float(np.abs(values).max()))
    return PoolingGame(players, coalitions, float(epsilon), in_core(core, values, n, tol), in_core(phi, values, n, tol))
