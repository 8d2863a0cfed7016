"""Anomaly labels in a panel's ``truth``: one row per series and period, with

* ``anomaly_type``: the labelled type (:data:`workbench.config.anomaly.ANOMALY_TYPES`), null on a normal period;
* ``anomaly``: whether the period carries a label;
* ``anomaly_event``: the event the period belongs to (an id unique within the panel), null on a normal period.

An event is one anomaly as it happened: a type, a series, a first and a last period. Where two
events overlap, the later one labels the shared periods; :func:`anomaly_events` reads each event
back from the periods it still labels.

Events are made and labelled in :data:`LABEL_ORDER`: the spells of real demand and stock first
(a level shift, a returns wave), then what happens to the shelf (shrinkage, phantom stock),
then the faults of single records (a spike, a price typo, a frozen feed, a duplicated order),
so a fault inside a spell labels its own periods. Both the synthetic shop
(:mod:`workbench.data.synthetic`) and the injection into any panel (:mod:`workbench.data.inject`)
label with :func:`label_rows`, over :class:`Events` on the panel's long arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.config.anomaly import ANOMALY_TYPES
from workbench.data.panel import DATE

LABEL_COLUMNS = ("anomaly_type", "anomaly", "anomaly_event")

# the order events are made and labelled in: a later type labels the periods it shares with an earlier one
LABEL_ORDER = (
    "level_shift", "returns_wave", "shrinkage", "phantom", "spike", "price_typo", "frozen_feed", "duplicate_order",
)
assert sorted(LABEL_ORDER) == sorted(ANOMALY_TYPES)


@dataclass(frozen=True)
class Events:
    """Events of one type on a panel's long arrays (each series' rows contiguous, in date order):
    per event its series, the row of its first period and its number of periods."""

    series: np.ndarray
    first: np.ndarray
    periods: np.ndarray

    def __len__(self) -> int:
        return int(self.first.size)

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Every period of every event: its row, and the position of its event.

        >>> Events(np.array([0, 1]), np.array([3, 10]), np.array([2, 1])).rows()
        (array([ 3,  4, 10]), array([0, 0, 1]))
        """
        which = np.repeat(np.arange(len(self)), self.periods)
        step = np.arange(which.size) - np.repeat(np.cumsum(self.periods) - self.periods, self.periods)
        return self.first[which] + step, which

    def last(self) -> np.ndarray:
        """The row of each event's last period."""
        return self.first + self.periods - 1

    def take(self, keep: np.ndarray) -> Events:
        """The events where the boolean ``keep`` is true (or at the positions it lists)."""
        return Events(self.series[keep], self.first[keep], self.periods[keep])

    @classmethod
    def runs(cls, spells: np.ndarray) -> Events:
        """One event per run of true values along each row of a (series, period) matrix; the long
        arrays are the matrix's rows one after the other.

        >>> Events.runs(np.array([[True, True, False, True], [False, True, True, True]]))
        Events(series=array([0, 0, 1]), first=array([0, 3, 5]), periods=array([2, 1, 3]))
        """
        n_periods = spells.shape[1]
        edges = np.diff(np.pad(spells.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        series, start = np.nonzero(edges == 1)
        _, end = np.nonzero(edges == -1)  # row-major order pairs each run's end with its start
        return cls(series, series * n_periods + start, end - start)

    @classmethod
    def days(cls, marks: np.ndarray) -> Events:
        """One single-period event per true value of a (series, period) matrix."""
        series, day = np.nonzero(marks)
        return cls(series, series * marks.shape[1] + day, np.ones(series.size, dtype=np.int64))


def label_rows(
    n_rows: int, events: dict[str, tuple[Events, np.ndarray | None]], first_id: int = 0
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Labels of ``n_rows`` long rows from each type's events, made in :data:`LABEL_ORDER`.

    ``events`` maps a type to its :class:`Events` and a boolean row mask of the periods where it
    did something (``None``: all its periods). Event ids run ``first_id, first_id + 1, ...`` over
    the types in :data:`LABEL_ORDER` and each type's events in their order. Returns the type code
    of each row (its position in :data:`~workbench.config.anomaly.ANOMALY_TYPES`, -1 on a normal
    row), its event id (-1 on a normal row) and each type's event ids.
    """
    unknown = sorted(set(events) - set(LABEL_ORDER))
    if unknown:
        raise ValueError(f"anomaly types {unknown} are not labels; expected some of {list(ANOMALY_TYPES)}")
    code = np.full(n_rows, -1, dtype=np.int64)
    event = np.full(n_rows, -1, dtype=np.int64)
    ids: dict[str, np.ndarray] = {}
    next_id = first_id
    for name in (t for t in LABEL_ORDER if t in events):
        found, done = events[name]
        rows, which = found.rows()
        if done is not None:
            rows, which = rows[done[rows]], which[done[rows]]
        code[rows] = ANOMALY_TYPES.index(name)
        event[rows] = next_id + which
        ids[name] = next_id + np.arange(len(found))
        next_id += len(found)
    return code, event, ids


def label_columns(code: np.ndarray, event: np.ndarray) -> list[pl.Series]:
    """The label columns of :data:`LABEL_COLUMNS` from :func:`label_rows`' codes and ids."""
    names = pl.Series("anomaly_type", code).replace_strict(
        dict(enumerate(ANOMALY_TYPES)), default=None, return_dtype=pl.String)
    ids = pl.Series("anomaly_event", event, dtype=pl.Int64)
    return [names, pl.Series("anomaly", code >= 0), pl.select(pl.when(ids >= 0).then(ids)).to_series().alias(ids.name)]


def next_event_id(truth: pl.DataFrame | None) -> int:
    """The first free event id of a truth table: one past its largest, 0 where it has none."""
    if truth is None or "anomaly_event" not in truth.columns:
        return 0
    top = truth.get_column("anomaly_event").max()
    return 0 if top is None else int(top) + 1


def merge_labels(truth: pl.DataFrame | None, labels: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``truth`` with the labels of ``labels`` (keys, ``date`` and :data:`LABEL_COLUMNS`, one row
    per period of the panel) laid over its own: a newly labelled period takes the new type and
    event, the others keep theirs. Without a truth, the truth is ``labels``; the truth's other
    columns are left as they were."""
    if truth is None:
        return labels.select(*keys, DATE, *LABEL_COLUMNS)
    new = labels.filter(pl.col("anomaly")).select(*keys, DATE, pl.col("anomaly_type").alias("_type"),
                                                  pl.col("anomaly_event").alias("_event"))
    for name, dtype in (("anomaly_type", pl.String), ("anomaly_event", pl.Int64)):
        if name not in truth.columns:
            truth = truth.with_columns(pl.lit(None, dtype).alias(name))
    merged = truth.join(new, on=[*keys, DATE], how="left", maintain_order="left")
    return merged.with_columns(
        pl.coalesce("_type", "anomaly_type").alias("anomaly_type"),
        pl.coalesce("_event", "anomaly_event").cast(pl.Int64).alias("anomaly_event"),
    ).with_columns(pl.col("anomaly_type").is_not_null().alias("anomaly")).drop("_type", "_event")


def anomaly_events(truth: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per event: ``keys``, ``event``, ``anomaly_type``, ``start``, ``end`` (its first and
    last labelled date) and ``periods`` (labelled periods), sorted by start.

    >>> from datetime import date
    >>> t = pl.DataFrame({"item_id": ["a"] * 4, "date": [date(2024, 1, d) for d in (1, 2, 3, 4)],
    ...                   "anomaly_type": [None, "spike", "phantom", "phantom"],
    ...                   "anomaly_event": [None, 7, 9, 9]})
    >>> anomaly_events(t, ["item_id"]).select("event", "anomaly_type", "periods").rows()
    [(7, 'spike', 1), (9, 'phantom', 2)]
    """
    missing = [c for c in ("anomaly_type", "anomaly_event") if c not in truth.columns]
    if missing:
        raise ValueError(f"the panel's truth has no {missing} column(s); expected the anomaly labels "
                         f"{list(LABEL_COLUMNS)} (workbench.data.labels)")
    return (
        truth.filter(pl.col("anomaly_event").is_not_null())
        .group_by("anomaly_event")
        .agg(*[pl.col(k).first() for k in keys], pl.col("anomaly_type").first(),
             pl.col(DATE).min().alias("start"), pl.col(DATE).max().alias("end"), pl.len().alias("periods"))
        .rename({"anomaly_event": "event"})
        .select(*keys, "event", "anomaly_type", "start", "end", pl.col("periods").cast(pl.Int64))
        .sort("start", "event")
    )
