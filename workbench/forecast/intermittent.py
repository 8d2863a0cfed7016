"""Croston (SBA) and TSB for intermittent demand, over all series at once, with calibrated quantiles.

Both models split demand into *whether* an item sells in a period and *how much* when it does,
and smooth each part exponentially. statsforecast's ``CrostonSBA`` and ``TSB`` do the same, but
two of their conventions break down on the short, sparse series of real order logs:

* **Censored intervals.** Croston's first inter-demand interval is counted from the series'
  first period. A series that begins with its first sale (an order log knows an item only
  once it sells) gets an interval of 1, so one sale of 12 units forecasts 11.4 a day for
  ever; and the zeros after the last sale never enter the estimate. Here the intervals are
  started at the history's rate (periods per sale, ``n / k``), only intervals between two
  observed sales update them, and the interval at the cutoff is at least the run of zeros
  since the last sale plus one: one sale of 12 in 20 days forecasts 12 x 0.95 / 20 = 0.57.
* **Initial levels.** statsforecast starts each smoother at the first observation, so TSB's
  demand probability starts at 1 on a series that starts with a sale. Here both smoothers
  start at the history's mean (share of periods with a sale, mean size of a sale).

Quantiles come from the models' own distribution instead of conformal intervals (which, with
statsforecast's default of two windows, take the extreme of two errors as the 90 % bound and
cover about two actuals in three, and need ``horizon x n_windows`` periods of history that a
short log does not have): a period's demand is zero with probability ``1 - p`` and a sale of
size ``z x R`` otherwise, ``p`` the occurrence probability (TSB's smoothed probability,
Croston's ``1 / interval``), ``z`` the smoothed size and ``R`` the size of a sale relative to
its item's mean size, pooled over all items at the cutoff (one shape, each item's scale).
The quantile at level ``q`` is 0 when ``q <= 1 - p``, else ``z x Q_R((q - 1 + p) / p)``.
"""

from __future__ import annotations

import numpy as np

from workbench.forecast.base import Forecaster
from workbench.forecast.series import SeriesSet


def value_matrix(target: list) -> np.ndarray:
    """The series as rows of one matrix, aligned on their common last period, NaN before each start.

    The series of a view all end at its cutoff; one that does not is named."""
    ends = [s.end_time() for s in target]
    if len(set(ends)) > 1:
        first = next(i for i, e in enumerate(ends) if e != ends[0])
        raise ValueError(f"series {first} ends at {ends[first]}, series 0 at {ends[0]}: a view must end at one cutoff")
    values = [s.values(copy=False)[:, 0] for s in target]
    lengths = np.array([len(v) for v in values])
    out = np.full((len(values), int(lengths.max())), np.nan)
    rows = np.repeat(np.arange(len(values)), lengths)
    cols = np.concatenate([np.arange(out.shape[1] - n, out.shape[1]) for n in lengths])
    out[rows, cols] = np.concatenate(values)
    return out


def smooth(values: np.ndarray, observed: np.ndarray, alpha: float, start: np.ndarray) -> np.ndarray:
    """Simple exponential smoothing of each row over its ``observed`` entries, from the level ``start``.

    One step per period, vectorised over the series."""
    level = start.astype(float).copy()
    for t in range(values.shape[1]):
        m = observed[:, t]
        level[m] += alpha * (values[m, t] - level[m])
    return level


def sale_intervals(sold: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Periods between consecutive sales (at each sale after a row's first), where they are
    observed, and the run of periods since each row's last sale (its length if none)."""
    n_periods = sold.shape[1]
    idx = np.arange(n_periods)
    last = np.maximum.accumulate(np.where(sold, idx, -1), axis=1)
    before = np.concatenate([np.full((sold.shape[0], 1), -1), last[:, :-1]], axis=1)
    observed = sold & (before >= 0)
    intervals = np.where(observed, idx - before, 0).astype(float)
    since_last = np.where(last[:, -1] >= 0, n_periods - 1 - last[:, -1], n_periods)
    return intervals, observed, since_last


def relative_sizes(y: np.ndarray, sold: np.ndarray, mean_size: np.ndarray) -> np.ndarray:
    """Every sale's size over its item's mean size, pooled over items (1.0 when nothing sold)."""
    ratios = (y / mean_size[:, None])[sold]
    return ratios if ratios.size else np.ones(1)


def mixture_quantiles(p: np.ndarray, scale: np.ndarray, ratios: np.ndarray, quantiles: list[float]) -> np.ndarray:
    """Quantiles ``[series, quantile]`` of demand that is 0 with probability ``1 - p`` and
    ``scale x R`` otherwise, ``R`` distributed as the pooled ``ratios``."""
    q = np.asarray(quantiles)[None, :]
    p = np.clip(p, 0.0, 1.0)[:, None]
    level = np.clip((q - (1.0 - p)) / np.where(p > 0, p, 1.0), 0.0, 1.0)
    sizes = np.quantile(ratios, level.ravel()).reshape(level.shape) * scale[:, None]
    return np.where((q > 1.0 - p) & (p > 0), sizes, 0.0)


class Intermittent(Forecaster):
    """Croston (SBA) or TSB over all series of a view at once (see the module docstring).

    After each :meth:`forecast`, ``point`` holds the point forecasts ``[series, step]`` (the
    models' mean, which for sparse series differs from their median, the 0.5 quantile) and
    ``notes`` says what in the fit was not a plain model fit: series with no sale in their
    window (forecast zero), negative values read as no sale.
    """

    def __init__(self, cfg, method: str) -> None:
        super().__init__(cfg)
        if method not in ("croston", "tsb"):
            raise ValueError(f"intermittent method {method!r}; expected 'croston' or 'tsb'")
        for name in ("alpha_d", "alpha_p"):
            alpha = getattr(cfg.intermittent, name)
            if not 0.0 < alpha <= 1.0:
                raise ValueError(f"forecast.intermittent.{name}={alpha}; expected a smoothing weight in (0, 1]")
        self.method = method
        self.point: np.ndarray | None = None
        self.notes: list[str] = []

    @property
    def min_history(self) -> int:
        """Two periods: a rate needs one period with a sale or without, and one more to compare."""
        return 2

    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        ic = self.cfg.intermittent
        raw = value_matrix(data.target)
        seen = ~np.isnan(raw)
        negative = int((raw < 0).sum())
        y = np.where(seen, np.clip(raw, 0.0, None), 0.0)
        sold = y > 0
        n_sales, n_seen = sold.sum(axis=1), seen.sum(axis=1)
        mean_size = np.where(n_sales > 0, y.sum(axis=1) / np.maximum(n_sales, 1), 0.0)
        size = smooth(y, sold, ic.alpha_d, mean_size)
        rate = n_sales / np.maximum(n_seen, 1)
        if self.method == "tsb":
            p = smooth(sold.astype(float), seen, ic.alpha_p, rate)
            scale = size
        else:
            intervals, observed, since_last = sale_intervals(sold)
            start = np.where(n_sales > 0, n_seen / np.maximum(n_sales, 1), np.inf)
            interval = np.maximum(smooth(intervals, observed, ic.alpha_p, start), since_last + 1)
            p = np.where(n_sales > 0, 1.0 / interval, 0.0)
            scale = (1.0 - ic.alpha_p / 2.0) * size  # the Syntetos-Boylan debiasing
        ratios = relative_sizes(y, sold, np.where(n_sales > 0, mean_size, 1.0))
        ratios = ratios / ratios.mean()  # so that the mixture's mean is p x scale
        q = mixture_quantiles(p, scale, ratios, self.quantiles)
        self.point = np.repeat((p * scale)[:, None], horizon, axis=1)
        self.notes = self._notes(int((n_sales == 0).sum()), negative, len(data.target))
        return np.repeat(q[:, None, :], horizon, axis=1)

    def _notes(self, no_sale: int, negative: int, n_series: int) -> list[str]:
        """What the fit read differently from a plain series, counted, for the backtest's notes."""
        notes = []
        if no_sale:
            notes.append(f"{self.method}: {no_sale} of {n_series} series had no sale in their window; forecast zero")
        if negative:
            notes.append(f"{self.method}: {negative} negative values (returns) read as no sale")
        return notes
