"""The demand panel: the one data contract between every stage.

A panel is a long polars frame with one row per series key (``item_id``, and
``channel`` where the data has channels) and ``date``, a numeric ``demand`` column,
optional known-future covariates (price, promotion, holiday) and past-only
covariates (views, carts, stock), plus a static table with one row per item.
Ground truth that real data never has (true demand, anomaly labels) travels in
``truth`` and is only ever used to score a stage, never to fit one.

:func:`validate_panel` is the one validation every loader calls.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

import polars as pl

DATE = "date"
DEMAND = "demand"
ITEM = "item_id"


class PanelError(ValueError):
    """Bad input: the message names the source, the column, an example row and what was expected."""


@dataclass(frozen=True)
class DemandPanel:
    demand: pl.DataFrame
    static: pl.DataFrame
    keys: tuple[str, ...] = (ITEM,)
    frequency: str = "1d"
    known_future: tuple[str, ...] = ()
    past_covariates: tuple[str, ...] = ()
    truth: pl.DataFrame | None = None
    name: str = "panel"
    # what validation and cleaning did, step by step (shown in the data report)
    log: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    # ------------------------------------------------------------------ views
    @property
    def n_series(self) -> int:
        return self.demand.select(self.keys).n_unique()

    @property
    def dates(self) -> pl.Series:
        return self.demand.get_column(DATE).unique().sort()

    @property
    def static_keys(self) -> list[str]:
        """Columns the static table is keyed by: ``item_id``, or every series key it holds
        (an item sold in several stores can have per-store attributes)."""
        return [k for k in self.keys if k in self.static.columns] or [ITEM]

    def series_ids(self) -> pl.DataFrame:
        return self.demand.select(self.keys).unique(maintain_order=True).sort(self.keys)

    def split(self, cutoff) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Rows up to and including ``cutoff`` and rows after it."""
        return (
            self.demand.filter(pl.col(DATE) <= cutoff),
            self.demand.filter(pl.col(DATE) > cutoff),
        )

    def with_log(self, **entry: Any) -> DemandPanel:
        return replace(self, log=(*self.log, entry))

    # ------------------------------------------------------------------- disk
    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.demand.write_parquet(directory / "panel.parquet")
        self.static.write_parquet(directory / "static.parquet")
        if self.truth is not None:
            self.truth.write_parquet(directory / "truth.parquet")
        meta = {
            "keys": list(self.keys),
            "frequency": self.frequency,
            "known_future": list(self.known_future),
            "past_covariates": list(self.past_covariates),
            "name": self.name,
            "log": list(self.log),
        }
        (directory / "panel.json").write_text(json.dumps(meta, indent=2, default=str))

    @classmethod
    def load(cls, directory: str | Path) -> DemandPanel:
        directory = Path(directory)
        meta = json.loads((directory / "panel.json").read_text())
        truth_path = directory / "truth.parquet"
        return cls(
            demand=pl.read_parquet(directory / "panel.parquet"),
            static=pl.read_parquet(directory / "static.parquet"),
            truth=pl.read_parquet(truth_path) if truth_path.exists() else None,
            keys=tuple(meta["keys"]),
            frequency=meta["frequency"],
            known_future=tuple(meta["known_future"]),
            past_covariates=tuple(meta["past_covariates"]),
            name=meta["name"],
            log=tuple(meta["log"]),
        )


def period_grid(df: pl.DataFrame, keys: list[str], date: str, interval: str, end=None) -> pl.DataFrame:
    """Every period of every series (``keys``) from its first ``date`` to its last, or to
    ``end`` for all series: the rows a complete panel has."""
    stop = pl.lit(end) if end is not None else pl.col(date).max()
    return (
        df.group_by(keys)
        .agg(pl.date_ranges(pl.col(date).min(), stop, interval=interval).first().alias(date))
        .explode(date)
    )


# ------------------------------------------------------------------- validation
def _example(df: pl.DataFrame, cols: list[str]) -> str:
    row = df.select(cols).row(0, named=True)
    return ", ".join(f"{k}={v}" for k, v in row.items())


def _policy(policy: Any) -> dict[str, str]:
    if policy is None:
        from workbench.config import ValidationPolicy

        policy = ValidationPolicy()
    raw = policy if isinstance(policy, dict) else asdict(policy)
    return {k: v.value if isinstance(v, Enum) else v for k, v in raw.items()}


def validate_panel(panel: DemandPanel, policy: Any = None, source: str | None = None) -> DemandPanel:
    """Check a panel against the contract and apply the configured policies.

    Parameters
    ----------
    panel : the panel a loader built.
    policy : :class:`workbench.config.ValidationPolicy` (or its dict); ``error``
        raises, anything else is applied and recorded in ``panel.log``.
    source : file or loader name used in error messages.

    Raises
    ------
    PanelError
        naming the source, the column, an example row and what was expected.
    """
    pol = _policy(policy)
    src = source or panel.name
    df = panel.demand
    keys = list(panel.keys)
    covariates = [*panel.known_future, *panel.past_covariates]

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
        dtype = df.schema[col]
        if not dtype.is_numeric() and dtype != pl.Boolean:
            # the first value that is not a number, not the first row (which may well be one)
            number = (pl.col(col).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
                      if dtype in (pl.String, pl.Categorical) else pl.lit(None, dtype=pl.Float64))
            bad = df.with_row_index("__row").filter(pl.col(col).is_not_null() & number.is_null()).head(1)
            value = bad[col][0] if bad.height else None
            shown = repr(value) if isinstance(value, str) else str(value)
            example = (
                f"first value that is not a number: {shown} in row {bad['__row'][0] + 1},"
                f" {_example(bad, [*keys, DATE])}" if bad.height
                else "all values null" if df[col].null_count() == df.height
                else "its values are numbers written as text: convert the column in the loader"
            )
            raise PanelError(f"{src}: column {col!r} has type {dtype}; expected numbers ({example})")
    df = df.with_columns(
        [pl.col(k).cast(pl.String) for k in keys]
        + [pl.col(DEMAND).cast(pl.Float64)]
        + [pl.col(c).cast(pl.Float64) for c in covariates]
    )
    log: list[dict[str, Any]] = []

    for col in [*keys, DATE]:
        nulls = df.filter(pl.col(col).is_null())
        if nulls.height:
            raise PanelError(
                f"{src}: column {col!r} has {nulls.height} missing values"
                f" (first row: {_example(nulls, [*keys, DATE, DEMAND])}); keys and dates must be present"
            )

    # duplicates: a series with fewer distinct dates than rows (one group-by, not a row hash)
    per_series = df.group_by(keys).agg(pl.len().alias("n"), pl.col(DATE).n_unique().alias("u"))
    offenders = per_series.filter(pl.col("n") > pl.col("u")).select(keys)
    if offenders.height:
        rows = df.join(offenders, on=keys, how="semi")
        dups = rows.filter(pl.struct([*keys, DATE]).is_duplicated()).sort([*keys, DATE])
        raise PanelError(
            f"{src}: {dups.height} rows share a key ({', '.join([*keys, DATE])});"
            f" first duplicate: {_example(dups, [*keys, DATE])}; expected one row per series and date"
        )

    # series observed in fewer periods than min_periods (rows with a demand value)
    min_periods = int(pol.get("min_periods", 0) or 0)
    if min_periods:
        lengths = df.group_by(keys).agg(pl.col(DEMAND).is_not_null().sum().alias("n"))
        short = lengths.filter(pl.col("n") < min_periods)
        if short.height == lengths.height:
            raise PanelError(
                f"{src}: every series has fewer than data.validation.min_periods={min_periods} periods"
                f" (longest: {lengths['n'].max()})"
            )
        if short.height:
            df = df.join(short.select(keys), on=keys, how="anti")
            if panel.truth is not None:
                panel = replace(panel, truth=panel.truth.join(short.select(keys), on=keys, how="anti"))
            log.append({"step": "short_series", "action": "drop", "series": short.height,
                        "rows": int(short["n"].sum()), "min_periods": min_periods})

    # missing demand
    missing = df.filter(pl.col(DEMAND).is_null() | pl.col(DEMAND).is_nan())
    if missing.height:
        action = pol["missing_demand"]
        if action == "error":
            raise PanelError(
                f"{src}: column 'demand' has {missing.height} missing values (first row:"
                f" {_example(missing, [*keys, DATE])}); set data.validation.missing_demand=zero"
                " or =drop to accept them"
            )
        if action == "zero":
            df = df.with_columns(pl.col(DEMAND).fill_nan(None).fill_null(0.0))
        elif action == "drop":
            df = df.filter(pl.col(DEMAND).is_not_null() & pl.col(DEMAND).is_not_nan())
        else:
            raise PanelError(f"data.validation.missing_demand={action!r}; expected error|zero|drop")
        log.append({"step": "missing_demand", "action": action, "rows": missing.height})

    negative = df.filter(pl.col(DEMAND) < 0)
    if negative.height:
        action = pol["negative_demand"]
        if action == "error":
            raise PanelError(
                f"{src}: column 'demand' has {negative.height} negative values (first row:"
                f" {_example(negative, [*keys, DATE, DEMAND])}); set"
                " data.validation.negative_demand=clip (to zero) or =keep"
            )
        if action == "clip":
            df = df.with_columns(pl.col(DEMAND).clip(lower_bound=0.0))
        elif action != "keep":
            raise PanelError(f"data.validation.negative_demand={action!r}; expected error|clip|keep")
        log.append(
            {
                "step": "negative_demand",
                "action": action,
                "rows": negative.height,
                "units": float(-negative.get_column(DEMAND).sum()),
            }
        )

    df, gap_log = _check_dates(df, keys, panel.frequency, pol["missing_dates"], src)
    log.extend(gap_log)
    for col in covariates:
        n_null = df.get_column(col).is_null().sum() + df.get_column(col).is_nan().sum()
        if not n_null:
            continue
        action = pol["missing_covariates"]
        if action == "error":
            bad = df.filter(pl.col(col).is_null() | pl.col(col).is_nan())
            raise PanelError(
                f"{src}: covariate {col!r} has {n_null} missing values (first row:"
                f" {_example(bad, [*keys, DATE])}); set data.validation.missing_covariates="
                "forward_fill or =zero"
            )
        filled = pl.col(col).fill_nan(None)
        if action == "forward_fill":
            filled = filled.forward_fill().backward_fill().over(keys, order_by=DATE)
        elif action == "zero":
            filled = filled.fill_null(0.0)
        else:
            raise PanelError(
                f"data.validation.missing_covariates={action!r}; expected error|forward_fill|zero"
            )
        df = df.with_columns(filled.fill_null(0.0) if action == "forward_fill" else filled)
        log.append({"step": "missing_covariate", "column": col, "action": action, "rows": int(n_null)})

    static, n_absent = _check_static(panel.static, df, panel.static_keys, src)
    if n_absent:
        log.append({"step": "static_missing", "action": "null attributes", "rows": n_absent})
    if not _is_sorted(df, [*keys, DATE]):
        df = df.sort([*keys, DATE])
    return replace(panel, demand=df, static=static, log=(*panel.log, *log))


def _is_sorted(df: pl.DataFrame, cols: list[str]) -> bool:
    """Whether rows are in ascending lexicographic order of ``cols`` (one vectorised pass;
    a sort of tens of millions of rows costs far more)."""
    after = pl.lit(False)
    same = pl.lit(True)
    for c in cols:
        after = after | (same & (pl.col(c) > pl.col(c).shift(1)))
        same = same & (pl.col(c) == pl.col(c).shift(1))
    ordered = (after | same).slice(1).all()
    chunk = 2_000_000  # bounded memory: the shifted copies are per chunk
    for start in range(0, max(df.height - 1, 0), chunk):
        if not df.slice(start, chunk + 1).select(ordered).item():
            return False
    return True


def _check_dates(
    df: pl.DataFrame, keys: list[str], frequency: str, action: str, src: str
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Every series must have every date between its first and last; gaps follow the policy."""
    spans = df.group_by(keys).agg(
        pl.col(DATE).min().alias("first"), pl.col(DATE).max().alias("last"), pl.len().alias("n")
    )
    expected = spans.with_columns(
        pl.date_ranges("first", "last", interval=frequency).list.len().alias("expected")
    )
    gappy = expected.filter(pl.col("n") != pl.col("expected"))
    if gappy.height == 0:
        return df, []
    n_gaps = int((gappy["expected"] - gappy["n"]).sum())
    if action == "error":
        grid = gappy.head(1).select(keys + [pl.date_ranges("first", "last", interval=frequency).alias(DATE)]).explode(DATE)
        first_gap = grid.join(df.select([*keys, DATE]), on=[*keys, DATE], how="anti").head(1)
        hint = _example(first_gap, [*keys, DATE]) if first_gap.height else "off-grid dates"
        raise PanelError(
            f"{src}: {gappy.height} series miss {n_gaps} dates at frequency {frequency}"
            f" (first: {hint}); set data.validation.missing_dates=zero to fill them with zero demand"
        )
    if action != "zero":
        raise PanelError(f"data.validation.missing_dates={action!r}; expected error|zero")
    grid = period_grid(df, keys, DATE, frequency)
    off_grid = df.join(grid, on=[*keys, DATE], how="anti")
    if off_grid.height:
        raise PanelError(
            f"{src}: {off_grid.height} rows fall between the {frequency} steps of their series"
            f" (first: {_example(off_grid, [*keys, DATE])}); expected one row per period"
        )
    filled = grid.join(df, on=[*keys, DATE], how="left").with_columns(pl.col(DEMAND).fill_null(0.0))
    return filled, [{"step": "missing_dates", "action": "zero", "rows": n_gaps, "series": gappy.height}]


def _check_static(
    static: pl.DataFrame, df: pl.DataFrame, keys: list[str], src: str
) -> tuple[pl.DataFrame, int]:
    if ITEM not in static.columns:
        raise PanelError(f"{src}: static table has no column 'item_id'; columns: {static.columns}")
    static = static.with_columns([pl.col(k).cast(pl.String) for k in keys])
    dups = static.filter(pl.struct(keys).is_duplicated())
    if dups.height:
        raise PanelError(
            f"{src}: static table lists {_example(dups, keys)} {dups.height} times;"
            f" expected one row per {' and '.join(keys)}"
        )
    items = df.select(keys).unique()
    absent = items.join(static.select(keys), on=keys, how="anti")
    if absent.height:
        # items without attributes keep working: add them with nulls, and say so
        static = pl.concat([static, absent], how="diagonal_relaxed")
    return static.sort(keys), absent.height
