"""The synthetic shop's anomalies: when they happen and how they are labelled.

* ``shrinkage``: units vanish from stock (theft, damage) without a sale;
* ``spike``: a data-entry error multiplies the recorded sales of one day;
* ``phantom``: the records show stock on hand but nothing can be sold (misplaced
  goods), so sales drop to zero while recorded stock stays flat.

They are scheduled up front, per series and day, at ``data.shrinkage_rate``,
``data.spike_rate`` and ``data.phantom_rate`` events per series and year, none in a
burn-in at the start; the stock process applies them day by day
(:mod:`workbench.data.synthetic_stock`), and :func:`anomaly_labels` names what
really happened from its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnomalySchedule:
    """Boolean or size matrices, one row per series and one column per day."""

    shrink_event: np.ndarray  # a shrinkage happens
    shrink_share: np.ndarray  # the share of the remaining stock it takes
    spike_event: np.ndarray  # the sales ledger records a multiple of the day's sales
    phantom: np.ndarray  # the stock on the shelf cannot be found
    spike_size: np.ndarray | None = None  # the multiple a spike records, drawn by spike_sizes


def _events(rng: np.random.Generator, shape: tuple[int, int], per_year: float, burn_in: int) -> np.ndarray:
    """Boolean (series, day) matrix of event starts at ``per_year`` per series, none in the burn-in."""
    events = rng.random(shape) < per_year / 365.0
    events[:, :burn_in] = False
    return events


def _spells(rng: np.random.Generator, starts: np.ndarray, min_len: int, max_len: int) -> np.ndarray:
    """Turn event starts into spells of random length (vectorised with a difference array)."""
    n, t = starts.shape
    rows, cols = np.nonzero(starts)
    ends = np.minimum(cols + rng.integers(min_len, max_len + 1, rows.size), t)
    diff = np.zeros((n, t + 1), dtype=np.int32)
    np.add.at(diff, (rows, cols), 1)
    np.add.at(diff, (rows, ends), -1)
    return np.cumsum(diff[:, :t], axis=1) > 0


def schedule_anomalies(rng: np.random.Generator, shape: tuple[int, int], cfg) -> AnomalySchedule:
    """Shrinkage days and shares, spike days and phantom spells of 4..12 days; the burn-in is
    the first 60 days (a quarter of a shorter history). Spike sizes come later, from
    :func:`spike_sizes`, to keep the generator's order of draws."""
    burn_in = min(60, shape[1] // 4)
    shrink_event = _events(rng, shape, cfg.shrinkage_rate, burn_in)
    shrink_share = rng.uniform(0.25, 0.6, shape)
    spike_event = _events(rng, shape, cfg.spike_rate, burn_in)
    phantom = _spells(rng, _events(rng, shape, cfg.phantom_rate, burn_in), 4, 12)
    return AnomalySchedule(shrink_event, shrink_share, spike_event, phantom)


def spike_sizes(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """How many times the day's sales a data-entry spike records: 5..15."""
    return rng.uniform(5.0, 15.0, shape)


def anomaly_labels(
    schedule: AnomalySchedule, shrink: np.ndarray, phantom_seen: np.ndarray, recorded: np.ndarray, sales: np.ndarray
) -> np.ndarray:
    """The (series, day) label of what really happened, ``None`` on a normal day: a shrinkage
    that took units, a phantom spell while there was stock to hide, a spike that changed the
    ledger (a later label wins where two coincide)."""
    label = np.full(shrink.shape, None, dtype=object)
    label[shrink > 0] = "shrinkage"
    label[phantom_seen] = "phantom"
    label[schedule.spike_event & (recorded != sales)] = "spike"
    return label
