"""Tail measures of a sample of losses (delays, costs): value at risk and conditional value at risk.

CVaR follows Rockafellar & Uryasev (2002): for equally likely outcomes ``x_1 .. x_N`` and a level
``alpha``, ``CVaR_alpha = min_t t + E[(x - t)^+] / (1 - alpha)``, attained at ``t = VaR_alpha``.
It is the mean of the worst ``(1 - alpha) N`` outcomes, the outcome at the boundary counted with
its fractional weight, so it is exact for any N (not only when ``(1 - alpha) N`` is whole) and
equals what a scenario LP's CVaR constraint reports at its optimum.
"""

from __future__ import annotations

import numpy as np


def value_at_risk(losses, level: float, axis: int = -1) -> np.ndarray:
    """``VaR_alpha``: the smallest outcome ``x_(k)`` with at least a share ``alpha`` of outcomes at or
    below it (the lower ``alpha``-quantile of the empirical distribution).

    Examples
    --------
    >>> float(value_at_risk([1, 2, 3, 4], 0.5)), float(value_at_risk([1, 2, 3, 4], 0.6))
    (2.0, 3.0)
    """
    x = np.sort(np.asarray(losses, dtype=float), axis=axis)
    _check_level(level)
    n = x.shape[axis]
    k = int(np.ceil(level * n - 1e-12)) - 1
    return np.take(x, max(k, 0), axis=axis)


def cvar(losses, level: float, axis: int = -1) -> np.ndarray:
    """``CVaR_alpha``: the mean of the worst ``(1 - alpha)`` share of equally likely outcomes,
    ``VaR + E[(x - VaR)^+] / (1 - alpha)``.

    Examples
    --------
    >>> float(cvar([1, 2, 3, 4], 0.5))  # the mean of the worst two
    3.5
    >>> round(float(cvar([1, 2, 3, 4], 0.6)), 6)  # 1.6 outcomes: 4 and 0.6 of 3
    3.625
    >>> float(cvar([5, 5, 5], 0.95))
    5.0
    """
    x = np.asarray(losses, dtype=float)
    var = value_at_risk(x, level, axis=axis)
    excess = np.maximum(x - np.expand_dims(var, axis), 0.0).mean(axis=axis)
    return var + excess / (1.0 - level)


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"tail level {level}; expected a share strictly between 0 and 1")
