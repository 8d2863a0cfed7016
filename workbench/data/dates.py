"""Dates as exports write them: the format detected from the values, never guessed.

ISO, day-first or month-first, with or without a time (:data:`DATE_FORMATS`). Where
``data.date_format`` is not set, the format every value is in is used; values that
read both day-first and month-first are refused with the settings that would read
them, and a value that is not a date is named with its data row and a hint built
only from formats that do read the values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from workbench.data.schema import PanelError

# Formats tried where data.date_format is not set. Within a family the first format that
# reads every value is used; between families only the values decide (a first field above
# 12 is a day: day-first; a second field above 12: month-first), never this order.
_DAYS = {
    "ISO": ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"),
    "day-first": ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y", "%d-%m-%y"),
    "month-first": ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y", "%m-%d-%y", "%m.%d.%y"),
}
_TIMES = ("", " %H:%M", " %H:%M:%S", " %H:%M:%S%.f", "T%H:%M", "T%H:%M:%S", "T%H:%M:%S%.f")
DATE_FORMATS = {family: tuple(day + time for day in days for time in _TIMES) for family, days in _DAYS.items()}
_SAMPLE = 1_000  # distinct values that rule out the formats reading none of them


def _reads(fmt: str) -> pl.Expr:
    """Whether ``fmt`` reads each value of ``value``; a four-digit year read from two digits
    (chrono's ``%Y`` takes ``24`` as the year 24) does not count."""
    parsed = pl.col("value").str.to_datetime(format=fmt, strict=False)
    ok = parsed.is_not_null()
    if "%Y" in fmt:
        ok = ok & (parsed.dt.year() >= 1000)
    return ok.fill_null(False)


def date_formats_reading(values: pl.Series) -> dict[str, tuple[str, int]]:
    """Per family of :data:`DATE_FORMATS`, the format that reads the most of ``values``
    (distinct strings) and how many it reads; families that read none are left out."""
    frame = values.rename("value").to_frame()
    formats = [f for family in DATE_FORMATS.values() for f in family]
    counts = frame.head(_SAMPLE).select(_reads(f).sum().alias(f) for f in formats).row(0, named=True)
    live = [f for f in formats if counts[f]]
    if frame.height > _SAMPLE and live:
        counts = frame.select(_reads(f).sum().alias(f) for f in live).row(0, named=True)
    best: dict[str, tuple[str, int]] = {}
    for family, candidates in DATE_FORMATS.items():
        for f in candidates:  # the first of a family wins a tie
            if counts.get(f, 0) > best.get(family, ("", 0))[1]:
                best[family] = (f, int(counts[f]))
    return best


def _hint(values: pl.Series, first_bad: str, used: str | None) -> str:
    """What to set, from the formats that read the values (``used`` is the one that did not):
    never a format that does not read them."""
    fits = date_formats_reading(values)
    every = [f for f, n in fits.values() if n == values.len()]
    if len(every) == 1:
        return f"the values are in format {every[0]}: set data.date_format='{every[0]}'"
    if every:
        return ("the values read both day-first and month-first (no field is above 12 to tell which): set "
                + " or ".join(f"data.date_format='{f}'" for f in every))
    own = [f for f, n in date_formats_reading(pl.Series([first_bad])).values() if n]
    if own:
        return (f"{first_bad!r} is in format {' or '.join(own)} and other values are not: write every date in"
                " one format and set data.date_format to it")
    best, n = max(fits.values(), key=lambda fit: fit[1], default=(None, 0))
    if best is None:
        return "set data.date_format to the format of the values (strptime codes such as %d, %m, %Y, %H, %M)"
    most = f"{n} of {values.len()} distinct values are in format {best}"
    if best == used:
        return f"{first_bad!r} is not a date in any format tried ({most}): correct it"
    return f"{first_bad!r} is not a date in any format tried; {most}: correct it and set data.date_format='{best}'"


def _order_proof(values: pl.Series, fmt: str) -> tuple[str | None, int]:
    """The first value that the other order (``%d`` and ``%m`` swapped) cannot read, and how
    many of ``values`` read both ways (decided by the others, not by themselves)."""
    swapped = fmt.replace("%d", "%_").replace("%m", "%d").replace("%_", "%m")
    both = _reads(swapped)
    frame = values.rename("value").to_frame()
    unread = frame.filter(~both)
    return (unread["value"][0] if unread.height else None), int(frame.select(both.sum()).item())


def parse_dates_logged(
    df: pl.DataFrame,
    column: str,
    fmt: str | None,
    path: str | Path,
    datetime: bool = False,
    name: str | None = None,
    setting: str | None = None,
) -> tuple[pl.DataFrame, dict[str, Any] | None]:
    """Parse ``column`` to a date (or datetime) in format ``fmt`` (``data.date_format``).

    Without a format, the one every value is in is detected (ISO, day-first or month-first,
    with or without a time: :data:`DATE_FORMATS`). Values that read both day-first and
    month-first (no field above 12) are refused, never guessed. Returns the frame and, where
    the format was detected, a log entry (step ``date_format``: the format, the rows it read
    and, for day- or month-first, a value that proves the order and ``ambiguous_values``, the
    count of distinct values such as ``1/2/2013`` that read both ways and were decided by
    it); ``None`` where the format was given or the column was typed already.

    ``name`` and ``setting`` are the column as the file calls it and the setting that maps it
    (e.g. ``"day"``, ``"data.columns.date"``), for messages.

    Raises
    ------
    PanelError
        naming the file, the column, the first value that is not a date and its data row,
        and the format that reads the values where one does.
    """
    dtype = df.schema[column]
    if dtype == pl.Date and not datetime:
        return df, None
    if isinstance(dtype, pl.Datetime):
        return (df if datetime else df.with_columns(pl.col(column).dt.date())), None
    name = name or column
    label = f"{name!r}" + (f" ({setting})" if setting else "")
    text = pl.col(column).cast(pl.String).str.strip_chars()

    def distinct() -> pl.Series:  # the values to tell the format from (not needed where it is given and reads)
        return df.select(text.alias("value")).get_column("value").drop_nulls().unique(maintain_order=True)

    values = distinct() if fmt is None else None
    detecting = values is not None and values.len() > 0
    if detecting:
        fmt, entry, what = _detect(values, df, column, name, label, path)
    else:
        entry, what = None, f"format {fmt}"
    readable = fmt is not None or not detecting  # polars infers the format of an all-empty column
    parsed = text.str.to_datetime(format=fmt, strict=False) if readable else pl.lit(None, dtype=pl.Datetime)
    out = df.with_columns((parsed if datetime else parsed.dt.date()).alias("__parsed"))
    bad = out.with_row_index("__row").filter(pl.col("__parsed").is_null() & pl.col(column).is_not_null())
    if bad.height:
        row = bad.row(0, named=True)
        first = str(row[column]).strip()
        hint = _hint(distinct() if values is None else values, first, fmt)
        raise PanelError(
            f"{path}: column {label} has {bad.height} values that are not dates in {what}"
            f" (first: {first!r} in data row {row['__row'] + 1}); {hint}"
        )
    if entry is not None:
        entry["rows"] = int(out["__parsed"].is_not_null().sum())
    return out.with_columns(pl.col("__parsed").alias(column)).drop("__parsed"), entry


def _detect(
    values: pl.Series, df: pl.DataFrame, column: str, name: str, label: str, path: str | Path
) -> tuple[str | None, dict[str, Any] | None, str]:
    """The format of ``values`` (the column's distinct strings), the log entry where every
    value reads in it, and the words for it in an error (``None`` where no format tried reads
    any value). Raises where the values read both day-first and month-first."""
    fits = date_formats_reading(values)
    every = {family: f for family, (f, n) in fits.items() if n == values.len()}
    if len(every) > 1:
        first = df.with_row_index("__row").filter(pl.col(column).is_not_null()).row(0, named=True)
        raise PanelError(
            f"{path}: column {label} holds dates that read both day-first and month-first"
            f" ({' or '.join(every.values())}) and no field is above 12 to tell which (first:"
            f" {str(first[column]).strip()!r} in data row {first['__row'] + 1}); set "
            + " or ".join(f"data.date_format='{f}'" for f in every.values())
        )
    if every:
        family, fmt = next(iter(every.items()))
        proof, ambiguous = _order_proof(values, fmt) if family != "ISO" else (None, 0)
        entry = {"step": "date_format", "action": "detected", "column": name, "format": fmt,
                 **({"proof": proof, "ambiguous_values": ambiguous} if proof else {})}
        return fmt, entry, f"format {fmt}"
    if fits:  # the format most values are in; the others are errors
        fmt = max(fits.values(), key=lambda fit: fit[1])[0]
        return fmt, None, f"format {fmt}, the format of the other values"
    return None, None, ("any format tried (ISO, day-first or month-first: "
                        + ", ".join(DATE_FORMATS[family][0] for family in DATE_FORMATS) + ", with or without a time)")


def parse_dates(
    df: pl.DataFrame,
    column: str,
    fmt: str | None,
    path: str | Path,
    datetime: bool = False,
    name: str | None = None,
    setting: str | None = None,
) -> pl.DataFrame:
    """:func:`parse_dates_logged` without the log entry."""
    return parse_dates_logged(df, column, fmt, path, datetime, name, setting)[0]
