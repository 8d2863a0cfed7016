"""Reading real files as they are published: BOMs, CR line endings, other encodings, NA strings,
numbers that turn out to be text, dates in whatever order the export wrote them.

Every reader here raises :class:`~workbench.data.panel.PanelError` naming the file
(and the setting that points at it) and returns what it had to repair, so that
loaders can show it in the data report instead of applying it silently.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import polars as pl

from workbench.data.panel import PanelError

NULL_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL"]


def resolve(path: str | Path, setting: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise PanelError(f"{setting}={str(path)!r}: no such file or folder (working directory: {Path.cwd()})")
    return p


def read_csv_text(
    path: str | Path,
    setting: str = "data.path",
    encoding: str = "utf-8",
    null_values: list[str] | None = None,
    schema_overrides: dict[str, Any] | None = None,
    columns: list[str] | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Read a CSV whatever its line endings, BOM or encoding.

    Returns the frame and a record of what was repaired: ``bom``, ``line_endings``
    (``LF``, ``CRLF`` or ``CR``), ``encoding`` and the count of NA strings per column.
    """
    p = resolve(path, setting)
    repairs: dict[str, Any] = {"file": p.name, "encoding": encoding}
    with open(p, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise PanelError(f"{p}: the file is empty; expected a header and rows")
    plain = encoding.lower().replace("-", "") in ("utf8", "ascii")
    if plain and b"\r" not in head and not head.startswith(b"\xef\xbb\xbf"):
        source: Any = p  # the common case: polars reads straight from disk (large files stay fast)
    else:
        raw = p.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
            repairs["bom"] = True
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as err:
            line = raw[: err.start].count(b"\n") + raw[: err.start].count(b"\r") - raw[: err.start].count(b"\r\n") + 1
            raise PanelError(
                f"{p}: byte {raw[err.start]:#04x} at line {line} is not valid {encoding};"
                f" set the file's encoding (e.g. data.encoding=latin-1)"
            ) from err
        if "\r\n" in text:
            repairs["line_endings"] = "CRLF"
            text = text.replace("\r\n", "\n")
        if "\r" in text:
            repairs["line_endings"] = "CR"
            text = text.replace("\r", "\n")
        source = io.StringIO(text)
    overrides = schema_overrides
    while True:
        if isinstance(source, io.StringIO):
            source.seek(0)
        try:
            df = pl.read_csv(
                source,
                null_values=null_values if null_values is not None else NULL_VALUES,
                infer_schema_length=100_000,
                schema_overrides=overrides,
                columns=columns,
            )
            break
        except pl.exceptions.ColumnNotFoundError as err:
            raise PanelError(f"{p}: {err}") from err
        except pl.exceptions.ComputeError as err:
            if "invalid utf-8" in str(err).lower():
                raise PanelError(
                    f"{p}: the file is not valid {encoding}; set its encoding (e.g. data.encoding=latin-1)"
                ) from err
            overrides = _retyped(err, overrides)
            if overrides is None:
                raise PanelError(f"{p}: could not be parsed as CSV: {str(err).splitlines()[0]}") from err
    if df.height == 0:
        raise PanelError(f"{p}: the file has a header but no rows")
    na = {c: n for c, n in zip(df.columns, df.null_count().row(0), strict=True) if n}
    if na:
        repairs["null_values"] = na
    return df, repairs


def _retyped(err: Exception, overrides: dict[str, Any] | None) -> dict[str, Any] | None:
    """The column types that get past a value polars' type inference did not foresee (a decimal,
    or a text, after the rows it looked at): that column as floats, or as text for the loader to
    name the value and its row. ``None`` where the error is another one."""
    found = re.search(r"could not parse `(.*?)` as dtype `.*?` at column '(.*?)'", str(err))
    if found is None:
        return None
    value, column = found[1], found[2]
    try:
        float(value)
        dtype: Any = pl.Float64
    except ValueError:
        dtype = pl.String
    current = (overrides or {}).get(column)
    if current == pl.String or current == dtype:
        return None
    return {**(overrides or {}), column: dtype}


def require_columns(df: pl.DataFrame, needed: list[str], path: str | Path, setting: str) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise PanelError(f"{path}: no column {missing[0]!r} ({setting}); columns are {df.columns}")


def require_values(df: pl.DataFrame, columns: list[str], path: str | Path, names: dict[str, str] | None = None) -> None:
    """Key columns must be filled: an empty one is an error naming the column and the data row."""
    for col in columns:
        empty = df.with_row_index("__row").filter(pl.col(col).is_null())
        if empty.height:
            shown = (names or {}).get(col, col)
            raise PanelError(
                f"{path}: column {shown!r} is empty in {empty.height} rows (first: data row {empty['__row'][0] + 1});"
                " every row needs it"
            )


def require_numbers(
    df: pl.DataFrame, columns: list[str], path: str | Path, labels: dict[str, str] | None = None
) -> None:
    """Numeric columns must hold numbers: a text is an error naming the column, the first value
    that is not a number and its data row. ``labels`` name a column in messages as the user knows
    it, e.g. ``"'units' (data.columns.demand)"``."""
    for col in columns:
        dtype = df.schema[col]
        if dtype.is_numeric() or dtype == pl.Boolean:
            continue
        text = pl.col(col).cast(pl.String, strict=False)
        bad = df.select(text.alias("value")).with_row_index("row").filter(
            pl.col("value").is_not_null() & pl.col("value").str.strip_chars().cast(pl.Float64, strict=False).is_null()
        )
        if bad.height:
            raise PanelError(
                f"{path}: column {(labels or {}).get(col, repr(col))} has {bad.height} values that are not numbers"
                f" (first: {bad['value'][0]!r} in data row {bad['row'][0] + 1}); expected a number in every row"
                " (an empty cell or NA where the value is missing)"
            )


# ------------------------------------------------------------------------ dates
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


def _order_proof(values: pl.Series, fmt: str) -> str | None:
    """The first value that the other order (``%d`` and ``%m`` swapped) cannot read."""
    swapped = fmt.replace("%d", "%_").replace("%m", "%d").replace("%_", "%m")
    unread = values.rename("value").to_frame().filter(~_reads(swapped))
    return unread["value"][0] if unread.height else None


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
    and, for day- or month-first, a value that proves the order); ``None`` where the format
    was given or the column was typed already.

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

    entry: dict[str, Any] | None = None
    what = f"format {fmt}"
    readable = True
    values = distinct() if fmt is None else None
    if values is not None and values.len():
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
            proof = _order_proof(values, fmt) if family != "ISO" else None
            entry = {"step": "date_format", "action": "detected", "column": name, "format": fmt,
                     **({"proof": proof} if proof else {})}
        elif fits:  # the format most values are in; the others are errors
            fmt = max(fits.values(), key=lambda fit: fit[1])[0]
            what = f"format {fmt}, the format of the other values"
        else:
            readable = False
            what = ("any format tried (ISO, day-first or month-first: "
                    + ", ".join(DATE_FORMATS[family][0] for family in DATE_FORMATS) + ", with or without a time)")
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
