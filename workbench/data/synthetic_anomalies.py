"""The synthetic shop's anomalies: when they happen, what they do and how they are labelled.

The eight types of :mod:`workbench.anomaly.types`, each at ``data.<type>_rate`` events per
series and year, none in a burn-in at the start (60 days, a quarter of a shorter history):

* of the goods and the customers, played out by the stock process day by day
  (:mod:`workbench.data.synthetic_stock`):

  - ``shrinkage``: units vanish from stock (theft, damage) without a sale;
  - ``phantom``: the records show stock on hand but nothing can be sold (misplaced goods), so
    sales drop to zero while recorded stock stays flat (4..12 days);
  - ``spike``: a data-entry error multiplies the recorded sales of one day;
  - ``level_shift``: true demand moves to a new level (a listing change, a competitor): the
    mean is multiplied by 0.3..0.6 or 1.8..3 for 14..56 days, before the stock process, so
    stock-outs and orders react;
  - ``returns_wave``: for 3..10 days customers return 30..80 % of the trailing level of sales
    a day: the units come back to the shelf, the sales ledger records sales net of returns;

* of the recorded data, applied afterwards by the functions that inject them into any panel
  (:mod:`workbench.data.inject`): ``price_typo`` (1..5 days), ``frozen_feed`` (3..12 days of
  the stock feed, or half the time the sales feed) and ``duplicate_order`` (one day).

The first three are drawn from the seed's generator (:func:`schedule_anomalies`), the others
from a second stream of their own (:func:`schedule_more`), so the first draws keep their order.
:func:`shop_events` names what really happened from the stock process's outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from workbench.data.inject import Columns, duplicate_order, price_typo, shop_frozen_feed
from workbench.data.labels import LABEL_ORDER, Events

if TYPE_CHECKING:  # the stock process imports this module's schedule
    from workbench.data.synthetic_stock import StockOutcome


@dataclass(frozen=True)
class AnomalySchedule:
    """Boolean or size matrices, one row per series and one column per day."""

    shrink_event: np.ndarray  # a shrinkage happens
    shrink_share: np.ndarray  # the share of the remaining stock it takes
    spike_event: np.ndarray  # the sales ledger records a multiple of the day's sales
    phantom: np.ndarray  # the stock on the shelf cannot be found
    spike_size: np.ndarray | None = None  # the multiple a spike records, drawn by spike_sizes
    returns_share: np.ndarray | None = None  # share of the trailing level returned a day (0: no returns wave)


@dataclass(frozen=True)
class MoreAnomalies:
    """The anomalies of the second stream."""

    level: np.ndarray  # (series, day) multiplier of the mean demand: 1 outside a level shift
    returns_share: np.ndarray  # (series, day) share of the trailing level returned: 0 outside a returns wave
    recorded: dict[str, Events]  # faults of the recorded data on the (series x day) rows


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


def spell_values(
    rng: np.random.Generator, starts: np.ndarray, min_len: int, max_len: int, values: np.ndarray, fill: float
) -> np.ndarray:
    """A (series, day) matrix holding each spell's value over its days (of random length, cut at
    the last day; a later spell's value where two overlap) and ``fill`` elsewhere."""
    n_days = starts.shape[1]
    series, day = np.nonzero(starts)
    spells = Events(series, series * n_days + day, np.minimum(rng.integers(min_len, max_len + 1, series.size),
                                                               n_days - day))
    rows, which = spells.rows()
    out = np.full(starts.shape, fill)
    out.reshape(-1)[rows] = values[which]
    return out


def schedule_anomalies(rng: np.random.Generator, shape: tuple[int, int], cfg) -> AnomalySchedule:
    """Shrinkage days and shares, spike days and phantom spells of 4..12 days. Spike sizes come
    later, from :func:`spike_sizes`, to keep the generator's order of draws."""
    burn_in = min(60, shape[1] // 4)
    shrink_event = _events(rng, shape, cfg.shrinkage_rate, burn_in)
    shrink_share = rng.uniform(0.25, 0.6, shape)
    spike_event = _events(rng, shape, cfg.spike_rate, burn_in)
    phantom = _spells(rng, _events(rng, shape, cfg.phantom_rate, burn_in), 4, 12)
    return AnomalySchedule(shrink_event, shrink_share, spike_event, phantom)


def spike_sizes(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """How many times the day's sales a data-entry spike records: 5..15."""
    return rng.uniform(5.0, 15.0, shape)


def schedule_more(rng: np.random.Generator, shape: tuple[int, int], cfg) -> MoreAnomalies:
    """Level shifts (14..56 days at x0.3..0.6 or x1.8..3), returns waves (3..10 days, 30..80 %),
    price typos (1..5 days), frozen feeds (3..12 days) and duplicated orders, from the second
    stream ``rng``; the faults' own sizes are drawn when they are applied (:func:`record_faults`)."""
    burn_in = min(60, shape[1] // 4)
    starts = _events(rng, shape, cfg.level_shift_rate, burn_in)
    n = int(starts.sum())
    factor = np.where(rng.random(n) < 0.5, rng.uniform(0.3, 0.6, n), rng.uniform(1.8, 3.0, n))
    level = spell_values(rng, starts, 14, 56, factor, 1.0)
    starts = _events(rng, shape, cfg.returns_wave_rate, burn_in)
    returns_share = spell_values(rng, starts, 3, 10, rng.uniform(0.3, 0.8, int(starts.sum())), 0.0)
    recorded = {
        "price_typo": Events.runs(_spells(rng, _events(rng, shape, cfg.price_typo_rate, burn_in), 1, 5)),
        "frozen_feed": Events.runs(_spells(rng, _events(rng, shape, cfg.frozen_feed_rate, burn_in), 3, 12)),
        "duplicate_order": Events.days(_events(rng, shape, cfg.duplicate_order_rate, burn_in)),
    }
    return MoreAnomalies(level, returns_share, recorded)


def shifted_demand(
    rng: np.random.Generator, demand: np.ndarray, mu: np.ndarray, dispersion: np.ndarray, level: np.ndarray
) -> np.ndarray:
    """True demand with the days of a level shift drawn afresh (negative-binomial, as
    :func:`workbench.data.synthetic_demand.true_demand`) around the shifted mean ``mu * level``."""
    series, day = np.nonzero(level != 1.0)
    r = dispersion[series]
    out = demand.copy()
    out[series, day] = rng.negative_binomial(r, r / (r + mu[series, day] * level[series, day]))
    return out


# the faults of the recorded data, each applied by the function that injects it into any panel
RECORDED_FAULTS = {"price_typo": price_typo, "frozen_feed": shop_frozen_feed, "duplicate_order": duplicate_order}


def record_faults(
    rng: np.random.Generator, recorded: dict[str, np.ndarray], events: dict[str, Events]
) -> dict[str, np.ndarray]:
    """The recorded (series, day) matrices ``demand``, ``price`` and ``stock_on_hand`` with the
    faults of ``events`` applied in :data:`~workbench.data.labels.LABEL_ORDER`."""
    shape = recorded["demand"].shape
    cols = Columns({k: v.reshape(-1).astype(np.float64) for k, v in recorded.items()},
                   np.repeat(np.arange(shape[0]), shape[1]))
    for name in (t for t in LABEL_ORDER if t in events):
        RECORDED_FAULTS[name](cols, events[name], rng)
    return {k: v.reshape(shape) for k, v in cols.values.items()}


def shop_events(
    schedule: AnomalySchedule, more: MoreAnomalies, outcome: StockOutcome
) -> dict[str, tuple[Events, np.ndarray | None]]:
    """Each type's events on the (series x day) rows, with the rows where it did something
    (:func:`workbench.data.labels.label_rows` labels them): a shrinkage that took units, a
    phantom spell while there was stock to hide, a spike that changed the ledger, a returns
    wave's days with returns; a level shift and the recorded faults on all their days."""
    spiked = outcome.recorded + outcome.returns != outcome.sales  # the ledger before returns
    return {
        "level_shift": (Events.runs(more.level != 1.0), None),
        "returns_wave": (Events.runs(more.returns_share > 0), (outcome.returns > 0).reshape(-1)),
        "shrinkage": (Events.days(outcome.shrink > 0), None),
        "phantom": (Events.runs(schedule.phantom), outcome.phantom_seen.reshape(-1)),
        "spike": (Events.days(schedule.spike_event & spiked), None),
        **{name: (ev, None) for name, ev in more.recorded.items()},
    }
