"""The checks :func:`workbench.data.panel.validate_panel` runs, one job each.

Each check takes the demand frame (and the series keys, the validation policy and
the source name for its messages) and returns the frame it fixed, or raises a
:class:`~workbench.data.schema.PanelError` that names the source, the column, an
example row and what was expected. Where a ``data.validation`` setting chooses
between failing and fixing, :func:`follow_policy` makes that choice the same way
for every setting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from enum import Enum
from typing import Any

import polars as pl

from workbench.data.schema import DATE, DEMAND, ITEM, PanelError

Fix = Callable[[pl.DataFrame], pl.DataFrame]


def period_grid(df: pl.DataFrame, keys: list[str], date: str, interval: str, end=None) -> pl.DataFrame:
    """Every period of every series (``keys``) from its first ``date`` to its last, or to
    ``end`` for all series: the rows a complete panel has."""
    stop = pl.lit(end) if end is not None else pl.col(date).max()
    return (
        df.group_by(keys)
        .agg(pl.date_ranges(pl.col(date).min(), stop, interval=interval).first().alias(date))
        .explode(date)
    )


def example_row(df: pl.DataFrame, cols: list[str]) -> str:
    """The first row of ``df`` as ``col=value, ...`` over ``cols``, for an error message."""
    row = df.select(cols).row(0, named=True)
    return ", ".join(f"{k}={v}" for k, v in row.items())


def policy_settings(policy: Any) -> dict[str, str]:
    """``data.validation`` as a plain dict of strings (the defaults where ``policy`` is None)."""
    if policy is None:
        from workbench.config import ValidationPolicy

        policy = ValidationPolicy()
    raw = policy if isinstance(policy, dict) else asdict(policy)
    return {k: v.value if isinstance(v, Enum) else v for k, v in raw.items()}


def follow_policy(setting: str, action: str, fixes: dict[str, Fix], error: Callable[[], str]) -> Fix:
    """The fix that ``data.validation.<setting>=<action>`` asks for.

    ``error`` raises with the message ``error()`` builds (built only then: it may need an
    example row); an action that is neither ``error`` nor one of ``fixes`` raises with the
    choices, in the order of ``fixes``.
    """
    if action == "error":
        raise PanelError(error())
    if action not in fixes:
        raise PanelError(f"data.validation.{setting}={action!r}; expected {'|'.join(['error', *fixes])}")
    return fixes[action]


def check_columns(df: pl.DataFrame, keys: list[str], covariates: list[str], src: str) -> pl.DataFrame:
    """Every column present, at least one row, a date column, numbers where numbers belong;
    returns the frame with string keys, dates (not datetimes) and float values."""
    missing_cols = [c for c in [*keys, DATE, DEMAND, *covariates] if c not in df.columns]
    if missing_cols:
        raise PanelError(
            f"{src}: demand panel has no column {missing_cols[0]!r}"
            f" (missing: {missing_cols}); columns present: {df.columns}"
        )
    if df.height == 0:
        raise PanelError(f"{src}: demand panel is empty; expected at least one row")
    dtype = df.schema[DATE]
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        df = df.with_columns(pl.col(DATE).dt.date())
    elif dtype != pl.Date:
        raise PanelError(
            f"{src}: column 'date' has type {dtype}; expected a date (parse it in the loader,"
            f" e.g. data.date_format='%Y-%m-%d'); first value: {df.get_column(DATE)[0]!r}"
        )
    for col in [DEMAND, *covariates]:
        _check_numeric(df, col, keys, src)
    narrow = compact(df)

    def number(col: str) -> pl.Expr:
        keep = narrow and df.schema[col] in (pl.Float32, pl.Int8)
        return pl.col(col) if keep else pl.col(col).cast(pl.Float64)

    return df.with_columns(
        [pl.col(k) if is_categorical(df.schema[k]) else pl.col(k).cast(pl.String) for k in keys]
        + [number(c) for c in dict.fromkeys([DEMAND, *covariates])]
    )


def compact(df: pl.DataFrame) -> bool:
    """Whether a loader built the panel compact, with Float32 demand (the M5 layout's tens of
    millions of rows): its Float32 and Int8 columns then keep their width through validation,
    and the features added after it take the same widths (half the memory of Float64)."""
    return df.schema.get(DEMAND) == pl.Float32


def is_categorical(dtype: pl.DataType) -> bool:
    """Keys held as categories (one code per row) stay so; any other key becomes text."""
    return isinstance(dtype, (pl.Categorical, pl.Enum))


def text_as_number(col: str) -> pl.Expr:
    """A text column read as numbers: each value stripped of spaces and parsed, null where it is not one."""
    return pl.col(col).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)


def _check_numeric(df: pl.DataFrame, col: str, keys: list[str], src: str) -> None:
    """Raise unless ``col`` holds numbers (or booleans); the message shows the first value
    that is not a number, not the first row (which may well be one)."""
    dtype = df.schema[col]
    if dtype.is_numeric() or dtype == pl.Boolean:
        return
    number = text_as_number(col) if dtype in (pl.String, pl.Categorical) else pl.lit(None, dtype=pl.Float64)
    bad = df.with_row_index("__row").filter(pl.col(col).is_not_null() & number.is_null()).head(1)
    value = bad[col][0] if bad.height else None
    shown = repr(value) if isinstance(value, str) else str(value)
    example = (
        f"first value that is not a number: {shown} in row {bad['__row'][0] + 1},"
        f" {example_row(bad, [*keys, DATE])}" if bad.height
        else "all values null" if df[col].null_count() == df.height
        else "its values are numbers written as text: convert the column in the loader"
    )
    raise PanelError(f"{src}: column {col!r} has type {dtype}; expected numbers ({example})")


def check_keys(df: pl.DataFrame, keys: list[str], src: str) -> None:
    """Keys and dates present on every row, and one row per series and date."""
    # counted in one pass; the rows themselves are looked up only for a message
    counts = df.select(pl.col(c).null_count() for c in [*keys, DATE]).row(0, named=True)
    for col, n in counts.items():
        if n:
            nulls = df.filter(pl.col(col).is_null()).head(1)
            raise PanelError(
                f"{src}: column {col!r} has {n} missing values"
                f" (first row: {example_row(nulls, [*keys, DATE, DEMAND])}); keys and dates must be present"
            )
    if is_sorted(df, [*keys, DATE], strict=True):
        return  # every row after the one before it: no two share a key (a loader's sorted output)
    # duplicates: a series with fewer distinct dates than rows (one group-by, not a row hash)
    per_series = df.group_by(keys).agg(pl.len().alias("n"), pl.col(DATE).n_unique().alias("u"))
    offenders = per_series.filter(pl.col("n") > pl.col("u")).select(keys)
    if offenders.height:
        rows = df.join(offenders, on=keys, how="semi")
        dups = rows.filter(pl.struct([*keys, DATE]).is_duplicated()).sort([*keys, DATE])
        raise PanelError(
            f"{src}: {dups.height} rows share a key ({', '.join([*keys, DATE])});"
            f" first duplicate: {example_row(dups, [*keys, DATE])}; expected one row per series and date"
        )


def short_series(df: pl.DataFrame, keys: list[str], min_periods: int, src: str) -> pl.DataFrame:
    """The series (keys and their number ``n`` of periods with a demand value) observed in fewer
    than ``data.validation.min_periods`` periods; raises when that is every series."""
    lengths = df.group_by(keys).agg(pl.col(DEMAND).is_not_null().sum().alias("n"))
    short = lengths.filter(pl.col("n") < min_periods)
    if short.height == lengths.height:
        raise PanelError(
            f"{src}: every series has fewer than data.validation.min_periods={min_periods} periods"
            f" (longest: {lengths['n'].max()})"
        )
    return short


def check_dates(
    df: pl.DataFrame, keys: list[str], frequency: str, action: str, src: str
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Every series must have every date between its first and last; gaps follow
    ``data.validation.missing_dates``."""
    spans = df.group_by(keys).agg(
        pl.col(DATE).min().alias("first"), pl.col(DATE).max().alias("last"), pl.len().alias("n")
    )
    expected = spans.with_columns(_periods("first", "last", frequency).alias("expected"))
    gappy = expected.filter(pl.col("n") != pl.col("expected"))
    if gappy.height == 0:
        return df, []
    n_gaps = int((gappy["expected"] - gappy["n"]).sum())

    def error() -> str:
        grid = gappy.head(1).select(keys + [pl.date_ranges("first", "last", interval=frequency).alias(DATE)]).explode(DATE)
        first_gap = grid.join(df.select([*keys, DATE]), on=[*keys, DATE], how="anti").head(1)
        hint = example_row(first_gap, [*keys, DATE]) if first_gap.height else "off-grid dates"
        return (
            f"{src}: {gappy.height} series miss {n_gaps} dates at frequency {frequency}"
            f" (first: {hint}); set data.validation.missing_dates=zero to fill them with zero demand"
        )

    fix = follow_policy("missing_dates", action, {"zero": lambda d: _fill_gaps(d, keys, frequency, src)}, error)
    return fix(df), [{"step": "missing_dates", "action": "zero", "rows": n_gaps, "series": gappy.height}]


def _periods(first: str, last: str, interval: str) -> pl.Expr:
    """The number of ``interval`` steps from ``first`` to ``last``, both counted: by arithmetic
    for steps of whole days or weeks (no list of 59 M dates to count for M5), else by counting
    the calendar's own range (months, quarters)."""
    fixed = re.fullmatch(r"(\d+)([dw])", interval)
    if fixed is None:
        return pl.date_ranges(first, last, interval=interval).list.len()
    step = int(fixed[1]) * (7 if fixed[2] == "w" else 1)
    return ((pl.col(last) - pl.col(first)).dt.total_days() // step + 1).cast(pl.UInt32)


def _fill_gaps(df: pl.DataFrame, keys: list[str], frequency: str, src: str) -> pl.DataFrame:
    """Add the missing periods of every series with zero demand; rows off the series' grid raise."""
    grid = period_grid(df, keys, DATE, frequency)
    off_grid = df.join(grid, on=[*keys, DATE], how="anti")
    if off_grid.height:
        raise PanelError(
            f"{src}: {off_grid.height} rows fall between the {frequency} steps of their series"
            f" (first: {example_row(off_grid, [*keys, DATE])}); expected one row per period"
        )
    return grid.join(df, on=[*keys, DATE], how="left").with_columns(pl.col(DEMAND).fill_null(0.0))


def check_static(static: pl.DataFrame, df: pl.DataFrame, keys: list[str], src: str) -> tuple[pl.DataFrame, int]:
    """One static row per key; series without one get a row of nulls. Returns the sorted table
    and the number of rows added."""
    if ITEM not in static.columns:
        raise PanelError(f"{src}: static table has no column 'item_id'; columns: {static.columns}")
    static = static.with_columns([pl.col(k).cast(df.schema[k] if is_categorical(df.schema[k]) else pl.String)
                                  for k in keys])
    dups = static.filter(pl.struct(keys).is_duplicated())
    if dups.height:
        raise PanelError(
            f"{src}: static table lists {example_row(dups, keys)} {dups.height} times;"
            f" expected one row per {' and '.join(keys)}"
        )
    items = df.group_by(keys).len().select(keys)  # a group-by: unique() of 59 M rows costs 3 times as much
    absent = items.join(static.select(keys), on=keys, how="anti")
    if absent.height:
        # items without attributes keep working: add them with nulls, and say so
        static = pl.concat([static, absent], how="diagonal_relaxed")
    return static.sort(keys), absent.height


def is_sorted(df: pl.DataFrame, cols: list[str], strict: bool = False) -> bool:
    """Whether rows are in ascending lexicographic order of ``cols`` (one vectorised pass;
    a sort of tens of millions of rows costs far more); ``strict``: and no row repeats the
    values of the one before it."""
    after = pl.lit(False)
    same = pl.lit(True)
    for c in cols:
        after = after | (same & (pl.col(c) > pl.col(c).shift(1)))
        same = same & (pl.col(c) == pl.col(c).shift(1))
    ordered = (after if strict else after | same).slice(1).all()
    chunk = 2_000_000  # bounded memory: the shifted copies are per chunk
    for start in range(0, max(df.height - 1, 0), chunk):
        if not df.slice(start, chunk + 1).select(ordered).item():
            return False
    return True
