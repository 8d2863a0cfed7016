"""One forecaster's hold-out forecasts as arrays over (series, day, quantile), the sums of
its days over a cover, and demand paths drawn from its quantiles.

Quantiles of a sum over days are sums of the days' quantiles: the days' errors are taken
as fully correlated. Demand scenarios relax that with a Gaussian copula whose common
shock has correlation ``inventory.error_correlation``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import norm

from workbench.data.panel import DATE
from workbench.forecast.series import quantile_column
from workbench.inventory.policies import quantile_at


@dataclass
class Cube:
    """One forecaster's hold-out forecasts as arrays over (series, day[, quantile])."""

    mean: np.ndarray  # (n, H)
    values: np.ndarray  # (n, H, Q)
    levels: np.ndarray  # (Q,)

    @staticmethod
    def path(what: np.ndarray, length: np.ndarray, horizon: int) -> np.ndarray:
        """Sum of ``what`` (n, H) over days t+1 .. t+length per series, for every decision
        day t of the window: (n, horizon). Days past the forecast horizon count as its
        average day."""
        n, H = what.shape
        cum = np.concatenate([np.zeros((n, 1)), np.cumsum(what, axis=1)], axis=1)
        avg = what.mean(axis=1, keepdims=True)

        def upto(k):  # sum of the first k days, k (n, horizon)
            return np.take_along_axis(cum, np.minimum(k, H), axis=1) + np.maximum(k - H, 0) * avg

        first = np.broadcast_to(np.arange(1, horizon + 1), (n, horizon))
        return upto(first + np.asarray(length)[:, None]) - upto(first)


def forecast_cube(forecasts: pl.DataFrame, keys: list[str], quantiles: list[float], model: str) -> Cube:
    qs = sorted(quantiles)
    f = forecasts.filter(pl.col("model") == model).sort([*keys, DATE])
    wide = f.group_by(keys, maintain_order=True).agg(pl.col("mean"), *[pl.col(quantile_column(q)) for q in qs])
    mean = np.array(wide.get_column("mean").to_list(), dtype=float)
    values = np.stack([np.array(wide.get_column(quantile_column(q)).to_list(), dtype=float) for q in qs], axis=-1)
    return Cube(mean=np.maximum(mean, 0.0), values=np.maximum(np.sort(values, axis=-1), 0.0), levels=np.array(qs))


def demand_scenarios(cube: Cube, n_scenarios: int, rho: float, seed: int) -> np.ndarray:
    """Demand paths ``(S, n, H)`` drawn from the forecast quantiles through a Gaussian
    copula: the days of a series share a common shock with correlation ``rho``. Draws
    beyond the outermost quantiles are held at them."""
    rng = np.random.default_rng(seed)
    n, H = cube.mean.shape
    common = rng.standard_normal((n_scenarios, n, 1))
    daily = rng.standard_normal((n_scenarios, n, H))
    u = norm.cdf(np.sqrt(rho) * common + np.sqrt(1 - rho) * daily)
    return quantile_at(cube.levels, np.broadcast_to(cube.values, (n_scenarios, *cube.values.shape)), u)
