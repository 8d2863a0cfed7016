"""Reading real files as they are published: BOMs, CR line endings, other encodings, NA strings.

Every reader here raises :class:`~workbench.data.panel.PanelError` naming the file
(and the setting that points at it) and returns what it had to repair, so that
loaders can show it in the data report instead of applying it silently.
"""

from __future__ import annotations

import io
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
    try:
        df = pl.read_csv(
            source,
            null_values=null_values if null_values is not None else NULL_VALUES,
            infer_schema_length=100_000,
            schema_overrides=schema_overrides,
            columns=columns,
        )
    except pl.exceptions.ColumnNotFoundError as err:
        raise PanelError(f"{p}: {err}") from err
    except pl.exceptions.ComputeError as err:
        if "invalid utf-8" in str(err).lower():
            raise PanelError(f"{p}: the file is not valid {encoding}; set its encoding (e.g. data.encoding=latin-1)") from err
        raise PanelError(f"{p}: could not be parsed as CSV: {str(err).splitlines()[0]}") from err
    if df.height == 0:
        raise PanelError(f"{p}: the file has a header but no rows")
    na = {c: n for c, n in zip(df.columns, df.null_count().row(0), strict=True) if n}
    if na:
        repairs["null_values"] = na
    return df, repairs


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


def parse_dates(df: pl.DataFrame, column: str, fmt: str | None, path: str | Path, datetime: bool = False) -> pl.DataFrame:
    """Parse ``column`` to a date (or datetime); an unparseable value is an error naming the row."""
    dtype = df.schema[column]
    if dtype == pl.Date and not datetime:
        return df
    if isinstance(dtype, pl.Datetime):
        return df if datetime else df.with_columns(pl.col(column).dt.date())
    parsed = pl.col(column).cast(pl.String).str.strip_chars().str.to_datetime(format=fmt, strict=False)
    out = df.with_columns((parsed if datetime else parsed.dt.date()).alias("__parsed"))
    bad = out.with_row_index("__row").filter(pl.col("__parsed").is_null() & pl.col(column).is_not_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise PanelError(
            f"{path}: column {column!r} has {bad.height} values that are not dates in format"
            f" {fmt or 'ISO (YYYY-MM-DD)'} (first: {row[column]!r} in data row {row['__row'] + 1});"
            " set data.date_format, e.g. data.date_format='%d/%m/%Y %H:%M'"
        )
    return out.with_columns(pl.col("__parsed").alias(column)).drop("__parsed")
