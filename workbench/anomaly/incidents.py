"""Alerts grouped into incidents: one per series and run of flagged periods.

:func:`incident_runs` numbers the runs; the rest of the module turns them into the table a
stock controller reads.
"""

from __future__ import annotations

import polars as pl

from workbench.data.panel import DATE


def period_index(frame: pl.DataFrame) -> pl.Expr:
    """Each row's period number: the dense rank of its date among the frame's dates (0, 1, ...)."""
    del frame  # the rank is over the column itself; the argument documents what it ranks
    return (pl.col(DATE).rank("dense") - 1).cast(pl.Int64)


def incident_runs(frame: pl.DataFrame, keys: list[str], flag: str, max_gap: int = 1) -> pl.Series:
    """Incident number of every row of ``frame`` (sorted by ``keys`` and ``date``), null where
    the boolean column ``flag`` is false. Flagged rows of one series at most ``max_gap``
    periods apart (1: consecutive) are one incident; numbers run 0, 1, ... over the frame.

    >>> f = pl.DataFrame({"item_id": ["a"] * 5 + ["b"] * 2, "date": [1, 2, 3, 4, 5, 1, 2],
    ...                   "hit": [True, True, False, True, False, True, True]})
    >>> incident_runs(f, ["item_id"], "hit").to_list()
    [0, 0, None, 1, None, 2, 2]
    >>> incident_runs(f, ["item_id"], "hit", max_gap=2).to_list()
    [0, 0, None, 0, None, 1, 1]
    """
    period = pl.col(DATE).rank("dense").cast(pl.Int64)
    marked = frame.select(*keys, pl.col(flag).fill_null(False).alias("_hit"), period.alias("_p"))
    hits = marked.with_row_index("_row").filter(pl.col("_hit"))
    prev = pl.col("_p").shift(1).over(keys)
    starts = hits.with_columns(((prev.is_null()) | (pl.col("_p") - prev > max_gap)).alias("_start"))
    ids = starts.with_columns((pl.col("_start").cast(pl.Int64).cum_sum() - 1).alias("_id"))
    out = pl.Series("incident", [None] * frame.height, dtype=pl.Int64)
    return out.scatter(ids["_row"], ids["_id"])
