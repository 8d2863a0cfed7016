"""Reading real files as they are published: BOMs, CR line endings, other encodings, NA strings,
numbers that turn out to be text, dates in whatever order the export wrote them.

Every reader here raises :class:`~workbench.data.schema.PanelError` naming the file
(and the setting that points at it) and returns what it had to repair, so that
loaders can show it in the data report instead of applying it silently. Dates have
their own module, :mod:`workbench.data.dates`.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import polars as pl

from workbench.data.schema import PanelError

__all__ = [
    "NULL_VALUES",
    "csv_header",
    "read_csv_text",
    "require_columns",
    "require_numbers",
    "require_values",
    "resolve",
]

NULL_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL"]


def resolve(path: str | Path, setting: str) -> Path:
    """``path`` with ``~`` expanded; a missing file or folder raises naming ``setting``."""
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
    truncated_last_line: str = "error",
    infer_schema_length: int | None = 100_000,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Read a CSV whatever its line endings, BOM or encoding.

    Returns the frame and a record of what was repaired: ``bom``, ``line_endings``
    (``LF``, ``CRLF`` or ``CR``), ``encoding``, the count of NA strings per column and
    ``truncated_last_line`` (its line number) where a last line cut off in the middle was
    left out (``data.validation.truncated_last_line=drop``; ``error`` stops with the line).
    ``infer_schema_length=0`` skips type inference (columns without an override are text):
    a caller that types every column itself saves a parse of the first rows (8 s for M5's
    1,941-column sales file).
    """
    p = resolve(path, setting)
    repairs: dict[str, Any] = {"file": p.name, "encoding": encoding}
    with open(p, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise PanelError(f"{p}: the file is empty; expected a header and rows")
    cut = _cut_last_line(p, head, encoding)
    plain = encoding.lower().replace("-", "") in ("utf8", "ascii")
    if cut is None and plain and b"\r" not in head and not head.startswith(b"\xef\xbb\xbf"):
        source: Any = p  # the common case: polars reads straight from disk (large files stay fast)
    else:
        raw = p.read_bytes()
        if cut is not None:
            raw = _without_cut_line(p, raw, cut, encoding, truncated_last_line, repairs)
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
                infer_schema_length=infer_schema_length,
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


def csv_header(path: str | Path, setting: str = "data.path", encoding: str = "utf-8") -> list[str]:
    """The column names on the first line of the CSV at ``path`` (any line ending, a BOM
    dropped), read without the rows: to type a wide file's columns before reading it."""
    p = resolve(path, setting)
    line = b""
    with open(p, "rb") as fh:
        while not re.search(rb"[\r\n]", line):
            chunk = fh.read(1 << 16)
            if not chunk:
                break
            line += chunk
    first = re.split(rb"[\r\n]", line, maxsplit=1)[0].removeprefix(b"\xef\xbb\xbf")
    if not first.strip():
        raise PanelError(f"{p}: the file is empty; expected a header and rows")
    return next(csv.reader([first.decode(encoding, errors="replace")]))


def _cut_last_line(p: Path, head: bytes, encoding: str) -> tuple[int, int, int] | None:
    """Where the file's last line starts, its number of fields and the header's, if that line
    was cut off: the file ends without a line break and the line has fewer fields than the
    header or an open quote. ``None`` for a whole last line (with or without a line break)."""
    size = p.stat().st_size
    with open(p, "rb") as fh:
        fh.seek(max(0, size - (1 << 16)))
        tail = fh.read()
    if tail.endswith((b"\n", b"\r")):
        return None
    start = max(tail.rfind(b"\n"), tail.rfind(b"\r")) + 1
    offset = size - len(tail) + start
    header = head.splitlines()[0] if head.splitlines() else b""
    if offset == 0 or start == 0:  # no line break at all, or a last line too long to judge
        return None

    def fields(line: bytes) -> int:
        return len(next(csv.reader([line.decode(encoding, errors="replace")]), []))

    last = tail[start:]
    n, expected = fields(last), fields(header)
    return (offset, n, expected) if last.count(b'"') % 2 or n < expected else None


def _without_cut_line(
    p: Path, raw: bytes, cut: tuple[int, int, int], encoding: str, policy: str, repairs: dict[str, Any]
) -> bytes:
    """``raw`` without its cut-off last line (``cut`` from :func:`_cut_last_line`), its line number
    recorded in ``repairs``; raises naming the line unless ``policy`` is ``drop``."""
    offset, fields, expected = cut
    line = raw[:offset].count(b"\n") + 1
    if policy != "drop":
        text = raw[offset:].decode(encoding, errors="replace")
        raise PanelError(
            f"{p}: the last line (line {line}) is cut off: {text!r} has {fields} of the header's"
            f" {expected} fields (or an open quote) and no line break; set"
            " data.validation.truncated_last_line=drop to leave it out (counted in the data report)"
        )
    repairs["truncated_last_line"] = line
    return raw[:offset]


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
    """Every column of ``needed`` present in the file at ``path``; the message names ``setting``."""
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
