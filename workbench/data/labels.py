"""Anomaly labels in a panel's ``truth``: one row per series and period, with

* ``anomaly_type``: the labelled type (:data:`workbench.config.anomaly.ANOMALY_TYPES`), null on a normal period;
* ``anomaly``: whether the period carries a label;
* ``anomaly_event``: the event the period belongs to (an id unique within the panel), null on a normal period.

An event is one anomaly as it happened: a type, a series, a first and a last period. Where two
events overlap, the later one labels the shared periods; :func:`anomaly_events` reads each event
back from the periods it still labels.
"""

from __future__ import annotations

import polars as pl

from workbench.data.panel import DATE

LABEL_COLUMNS = ("anomaly_type", "anomaly", "anomaly_event")


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
