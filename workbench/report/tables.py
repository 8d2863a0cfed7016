"""Tables for the HTML reports: a polars frame as a self-contained HTML table a reviewer can read.

:func:`show` renders a frame with no external CSS or script: dates without a time of day,
counts and whole numbers as integers with thousands separators, other numbers to a few
significant digits and never in scientific notation, missing values as an en dash, booleans as
yes/no, ``snake_case`` headers with spaces, and a box that scrolls sideways when the table is
wider than the page. :func:`format_frame` and :func:`format_value` are the rules on their own;
:func:`callout_html` is the coloured box for an error or a note.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

import numpy as np
import polars as pl

MISSING = "–"  # en dash: a missing value in a table
MAX_DECIMALS = 8  # a column of tiny numbers still prints without an exponent


def header(name: str) -> str:
    """A column name for a reader: ``fill_rate_after_lead`` -> ``fill rate after lead``."""
    return name.replace("_", " ").strip() or name


def _decimals(magnitude: float, digits: int) -> int:
    """Decimals that give ``magnitude`` ``digits`` significant digits (none for large numbers)."""
    if magnitude == 0 or not math.isfinite(magnitude):
        return 0
    return min(max(digits - 1 - math.floor(math.log10(magnitude)), 0), MAX_DECIMALS)


def column_decimals(values: Iterable[float], digits: int = 4) -> int:
    """One number of decimals for a column: ``digits`` significant digits of its largest value,
    counted as at least 1, so that shares and ratios (0.35, 1.02) all get ``digits - 1`` decimals."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    return _decimals(max([1.0, *finite]), digits)


def _fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals and thousands separators; a non-zero value that
    would show as zero gets up to two significant digits of its own; zero is ``0``, never ``-0``."""
    if math.isnan(value):
        return MISSING
    if value == 0:
        return "0"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = f"{value:,.{decimals}f}"
    if value != 0 and float(text.replace(",", "")) == 0:
        text = f"{value:,.{min(_decimals(abs(value), 2), 12)}f}".rstrip("0").rstrip(".")
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("-")
    return text


def _floats(values: list, digits: int) -> list[str]:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if finite and all(float(v).is_integer() and abs(v) < 1e15 for v in finite):
        return [MISSING if v is None or math.isnan(v) else f"{int(v):,}" if math.isfinite(v) else _fixed(v, 0)
                for v in values]
    decimals = column_decimals(finite, digits)
    return [MISSING if v is None else _fixed(float(v), decimals) for v in values]


def _datetimes(values: list) -> list[str]:
    present = [v for v in values if v is not None]
    if all(v.time() == time(0) for v in present):
        fmt = "%Y-%m-%d"
    elif all(v.second == 0 and v.microsecond == 0 for v in present):
        fmt = "%Y-%m-%d %H:%M"
    else:
        fmt = "%Y-%m-%d %H:%M:%S"
    return [MISSING if v is None else v.strftime(fmt) for v in values]


def _is_identifier(name: str) -> bool:
    """Integer columns printed without thousands separators (ids and years)."""
    low = name.lower()
    return low in ("id", "year") or low.endswith(("_id", " id"))


def format_value(value, digits: int = 4) -> str:
    """One value as :func:`show` prints it (floats to ``digits`` significant digits)."""
    if value is None:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):  # alone: its own significant digits, no trailing zeros
        value = float(value)
        if math.isfinite(value) and value.is_integer():
            return _floats([value], digits)[0]
        text = _fixed(value, _decimals(abs(value), digits))
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime):
        return _datetimes([value])[0]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, pl.Series, np.ndarray)):
        return ", ".join(format_value(v, digits) for v in value)
    return str(value)


def format_column(series: pl.Series, digits: int = 4) -> list[str]:
    """The cells of one column as text, by the rules of :func:`show` (one format per column)."""
    dtype = series.dtype
    values = series.to_list()
    if dtype == pl.Boolean:
        return [MISSING if v is None else ("yes" if v else "no") for v in values]
    if dtype == pl.Date:
        return [MISSING if v is None else v.isoformat() for v in values]
    if isinstance(dtype, pl.Datetime):
        return _datetimes(values)
    if dtype.is_integer():
        plain = _is_identifier(series.name)
        return [MISSING if v is None else (str(v) if plain else f"{v:,}") for v in values]
    if dtype.is_float() or isinstance(dtype, pl.Decimal):
        return _floats([None if v is None else float(v) for v in values], digits)
    return [MISSING if v is None else format_value(v, digits) for v in values]


def format_frame(frame: pl.DataFrame, digits: int = 4) -> pl.DataFrame:
    """``frame`` with every column as text, as :func:`show` prints it."""
    return pl.DataFrame({c: format_column(frame[c], digits) for c in frame.columns},
                        schema={c: pl.String for c in frame.columns})


_TABLE_CSS = (
    ".wb-table table{border-collapse:collapse;margin:0;table-layout:auto;font-size:12px}"
    ".wb-table th,.wb-table td{padding:3px 9px;white-space:nowrap}"
    ".wb-table th{font-weight:600;vertical-align:bottom;border-bottom:1px solid #999;white-space:normal;"
    "min-width:4.5em}"
    ".wb-table th.num,.wb-table td.num{text-align:right}"
    ".wb-table th.text,.wb-table td.text{text-align:left}"
    ".wb-table td.long{white-space:normal;min-width:24em}"
    ".wb-table tbody tr:nth-child(odd){background:#f5f5f5}.wb-table tbody tr:nth-child(even){background:#fff}"
    ".wb-table .note{font-style:italic;margin:4px 0 0;font-size:12px}"
)


def table_html(frame: pl.DataFrame, digits: int = 4, max_rows: int = 40, relabel: bool = True) -> str:
    """The HTML of :func:`show`: one ``<div>`` that scrolls sideways, with its own ``<style>``.

    ``relabel=False`` keeps the column names as they are (e.g. a pivot whose columns are model names).
    """
    shown = frame.head(max_rows)
    names = [header(c) for c in frame.columns] if relabel else list(frame.columns)
    if len(set(names)) < len(names):
        names = list(frame.columns)
    cells = [format_column(shown[c], digits) for c in frame.columns]
    kinds = []
    for name, col in zip(frame.columns, cells, strict=True):
        dtype = frame.schema[name]
        if dtype.is_numeric() or dtype.is_temporal():
            kinds.append("num")
        else:  # long text (an alert's reasons) wraps instead of widening the table
            kinds.append("text long" if max(map(len, col), default=0) > 60 else "text")
    head = "".join(f'<th class="{k.split()[0]}">{html.escape(n)}</th>' for n, k in zip(names, kinds, strict=True))
    body = "".join(
        "<tr>" + "".join(f'<td class="{k}">{html.escape(col[i])}</td>' for col, k in zip(cells, kinds, strict=True))
        + "</tr>"
        for i in range(shown.height)
    )
    note = ""
    if frame.height > max_rows:
        note = f'<p class="note">{max_rows:,} of {frame.height:,} rows shown.</p>'
    elif frame.height == 0:
        note = '<p class="note">No rows.</p>'
    return (f'<div class="wb-table" style="overflow-x:auto;max-width:100%;margin:0.4em 0 0.8em">'
            f"<style>{_TABLE_CSS}</style><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"{note}</div>")


def show(frame: pl.DataFrame, digits: int = 4, max_rows: int = 40, relabel: bool = True) -> None:
    """Display a table for the HTML report (see :func:`table_html`; ``digits`` significant digits)."""
    from IPython.display import HTML, display

    display(HTML(table_html(frame, digits, max_rows, relabel)))


def show_pairs(values: Mapping[str, object], key: str = "measure", value: str = "value", digits: int = 4) -> None:
    """A two-column table of named values of mixed types, each formatted by :func:`format_value`."""
    show(pl.DataFrame({key: list(values), value: [format_value(v, digits) for v in values.values()]},
                      schema={key: pl.String, value: pl.String}), relabel=False)


def callout_html(title: str, message: str, kind: str = "error") -> str:
    """A box with a coloured left border: ``kind`` ``"error"`` (red) or ``"note"`` (amber)."""
    border, background = {"error": ("#c62828", "#fdecea")}.get(kind, ("#8a6d00", "#fff8e1"))
    return (f'<div style="border-left:6px solid {border};background:{background};padding:0.6em 1em;'
            f'margin:0.6em 0"><strong>{html.escape(title)}</strong>'
            f'<div style="white-space:pre-wrap;margin-top:0.3em">{html.escape(message)}</div></div>')


def show_callout(title: str, message: str, kind: str = "error") -> None:
    """Display :func:`callout_html`."""
    from IPython.display import HTML, display

    display(HTML(callout_html(title, message, kind)))
