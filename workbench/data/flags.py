"""Known-future flags read from the data's own columns: closed days and holidays.

* ``closed``: the values that mean closed (``data.closed_values``, e.g. ``0`` of an ``Open``
  flag) become a 0/1 column ``closed``. Closed days are neither demand to forecast nor
  stock-out censoring (:func:`workbench.data.quality.suspected_censoring` leaves them out).
* ``holiday``: a numeric flag is kept; text categories (Rossmann's ``StateHoliday`` ``0``,
  ``a``, ``b``, ``c``) become a 0/1 ``holiday`` flag (any value but ``data.no_holiday_values``)
  and one 0/1 column ``holiday_<category>`` per category, so that models read numbers.

Each returns the new frame, the known-future columns it made and a log entry counting them.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from workbench.data.schema import CLOSED, DEMAND, HOLIDAY, PanelError


def _as_text(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).str.strip_chars()


def closed_flag(df: pl.DataFrame, values: list[str], column: str, path: str) -> tuple[pl.DataFrame, dict[str, Any]]:
    """``closed`` (mapped from the file's ``column``) as 0/1: 1 where it holds one of ``values``
    (compared as numbers where the column is numeric); missing stays missing for
    ``data.validation.missing_covariates``. The log counts closed days and those with sales."""
    values = [str(v).strip() for v in values]
    if not values:
        raise PanelError("data.closed_values is empty; expected the values of the closed column that mean closed")
    dtype = df.schema[CLOSED]
    if dtype.is_numeric() or dtype == pl.Boolean:
        try:
            numbers = [float({"true": 1, "false": 0}.get(v.lower(), v)) for v in values]
        except ValueError as err:
            raise PanelError(f"data.closed_values={values}: column {column!r} of {path} (data.columns.closed)"
                             " holds numbers; expected numbers such as [0] or [1]") from err
        is_closed = pl.col(CLOSED).cast(pl.Float64).is_in(numbers)
    else:
        is_closed = _as_text(CLOSED).is_in(values)
    out = df.with_columns(pl.when(pl.col(CLOSED).is_null()).then(None).otherwise(is_closed.cast(pl.Float64))
                          .alias(CLOSED))
    counts = out.select((pl.col(CLOSED) == 1).sum().alias("rows"),
                        ((pl.col(CLOSED) == 1) & (pl.col(DEMAND) > 0)).sum().alias("with_sales")).row(0, named=True)
    return out, {"step": "closed", "action": "flagged", "column": column, "values": ", ".join(values),
                 "rows": int(counts["rows"]), "with_sales": int(counts["with_sales"])}


def holiday_columns(
    df: pl.DataFrame, none_values: list[str], column: str
) -> tuple[pl.DataFrame, tuple[str, ...], dict[str, Any] | None]:
    """``holiday`` as numbers: a numeric column stays as it is; text becomes the 0/1 flag
    ``holiday`` and one 0/1 ``holiday_<category>`` per category other than ``none_values``.
    Returns the frame, the known-future columns and the log entry (``None`` for a numeric flag)."""
    dtype = df.schema[HOLIDAY]
    if dtype.is_numeric() or dtype == pl.Boolean:
        return df.with_columns(pl.col(HOLIDAY).cast(pl.Float64)), (HOLIDAY,), None
    none_values = [str(v).strip() for v in none_values]
    text = _as_text(HOLIDAY)
    counts = (df.select(text.alias("code")).filter(pl.col("code").is_not_null() & ~pl.col("code").is_in(none_values))
              .group_by("code").len().sort("code"))
    codes = counts["code"].to_list()
    names = [f"{HOLIDAY}_{re.sub(r'[^0-9A-Za-z]+', '_', c).strip('_').lower() or 'blank'}" for c in codes]
    if len(set(names)) < len(names):
        raise PanelError(f"column {column!r} (data.columns.holiday): categories {codes} give the same column"
                         f" names {names}; expected categories that differ in letters or digits")
    missing = pl.col(HOLIDAY).is_null()
    flags = [pl.when(missing).then(None).otherwise((text == c).cast(pl.Float64)).alias(n)
             for c, n in zip(codes, names, strict=True)]
    out = df.with_columns(*flags, pl.when(missing).then(None)
                          .otherwise(text.is_in(codes).cast(pl.Float64)).alias(HOLIDAY))
    entry = {"step": "holiday_column", "action": "encoded", "column": column,
             "rows": int(counts["len"].sum()) if codes else 0,
             "categories": {c: int(n) for c, n in counts.iter_rows()}, "columns": ", ".join([HOLIDAY, *names])}
    return out, (HOLIDAY, *names), entry
