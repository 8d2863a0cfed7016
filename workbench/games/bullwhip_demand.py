"""End-customer demand paths for the beer-game simulation, one row per Monte Carlo path.

Three sources, each seeded with a numpy ``Generator`` so that the same seed gives the same numbers:

- :func:`iid_demand`: i.i.d. normal demand, the case of Chen et al.'s (2000) equality;
- :func:`ar1_demand`: the AR(1) demand ``D_t = mu + rho (D_{t-1} - mu) + eps_t`` of the same paper,
  started from its stationary distribution so that no warm-up is needed for the demand itself;
- :func:`bootstrap_demand`: paths resampled from a real series (a category's daily or weekly totals,
  :func:`workbench.games.data.category_data`) by the stationary bootstrap, which keeps the series' autocorrelation.

Normal demand may be negative when ``sd`` is large against ``mean``; the simulation treats a
negative demand as a customer return, so the paths are not clipped (clipping would bias Chen et al.'s
variance ratios).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter


def _check_shape(n_paths: int, periods: int) -> None:
    if n_paths < 1:
        raise ValueError(f"games.bullwhip.n_paths={n_paths}; expected 1 or more")
    if periods < 1:
        raise ValueError(f"games.bullwhip.periods={periods}; expected 1 or more")


def iid_demand(n_paths: int, periods: int, mean: float, sd: float, seed: int) -> np.ndarray:
    """I.i.d. normal demand ``N(mean, sd^2)``, shape ``(n_paths, periods)``.

    >>> iid_demand(3, 4, 100.0, 10.0, seed=1).shape
    (3, 4)
    """
    _check_shape(n_paths, periods)
    return np.random.default_rng(seed).normal(mean, sd, (n_paths, periods))


def ar1_demand(n_paths: int, periods: int, mean: float, sd: float, rho: float, seed: int) -> np.ndarray:
    """Stationary AR(1) demand ``D_t = mean + rho (D_{t-1} - mean) + eps_t`` with marginal s.d. ``sd``.

    The innovations have s.d. ``sd sqrt(1 - rho^2)`` and ``D_0 ~ N(mean, sd^2)``, so every period has the
    same distribution (Chen et al. 2000, Section 2). The recursion is scipy's ``lfilter``.

    >>> d = ar1_demand(4000, 50, 10.0, 2.0, 0.5, seed=0)
    >>> bool(abs(d.std() - 2.0) < 0.05 and abs(d.mean() - 10.0) < 0.05)
    True
    """
    _check_shape(n_paths, periods)
    if not -1.0 < rho < 1.0:
        raise ValueError(f"games.bullwhip.ar_rho={rho}; expected -1 < ar_rho < 1 (a stationary AR(1))")
    z = np.random.default_rng(seed).standard_normal((n_paths, periods))
    eps = z * sd * np.sqrt(1.0 - rho**2)
    eps[:, 0] = z[:, 0] * sd  # the stationary start
    return mean + lfilter([1.0], [1.0, -rho], eps, axis=1)


def bootstrap_demand(series: np.ndarray, n_paths: int, periods: int, block: float, seed: int) -> np.ndarray:
    """Paths resampled from a real demand ``series`` by the stationary bootstrap (Politis & Romano 1994).

    Each path is a chain of blocks of consecutive observations; a block starts at a uniformly drawn
    position and, each period, ends with probability ``1 / block`` (geometric lengths, mean ``block``),
    wrapping around the end of the series. Unlike the moving-block bootstrap, whose joints fall at fixed
    positions, the resampled paths are stationary, and their expectation is exactly the series' mean;
    within a block the series' autocorrelation is kept, so ``block`` should exceed the lags that matter
    (a few seasonal cycles of the data).

    >>> d = bootstrap_demand(np.arange(10.0), 2, 6, block=1e9, seed=0)  # one block: consecutive values
    >>> bool((np.diff(d, axis=1) % 10 == 1).all())
    True
    """
    series = np.asarray(series, dtype=float)
    _check_shape(n_paths, periods)
    if series.ndim != 1 or series.size < 2 or not np.isfinite(series).all():
        raise ValueError("bootstrap_demand: expected a 1-d series of at least 2 finite values")
    if not block >= 1:
        raise ValueError(f"bootstrap_demand: block={block}; expected a mean block length of 1 or more")
    rng = np.random.default_rng(seed)
    n = series.size
    new_block = rng.random((n_paths, periods)) < 1.0 / block
    new_block[:, 0] = True
    starts = rng.integers(0, n, (n_paths, periods))
    t = np.arange(periods)
    # the period at which the running block began, carried forward along each path
    began = np.maximum.accumulate(np.where(new_block, t, 0), axis=1)
    index = (np.take_along_axis(starts, began, axis=1) + t - began) % n
    return series[index]

