"""The demand panel: the one data contract between every stage.

A panel is a long polars frame with one row per series key (``item_id``, and
``channel`` where the data has channels) and ``date``, a numeric ``demand`` column,
optional known-future covariates (price, promotion, holiday) and past-only
covariates (views, carts, stock), plus a static table with one row per item.
Ground truth that real data never has (true demand, anomaly labels) travels in
``truth`` and is only ever used to score a stage, never to fit one.

:func:`validate_panel` is the one validation every loader calls; its checks live in
:mod:`workbench.data.validation`, the column names and the error type in
:mod:`workbench.data.schema` (both importable from here as well).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from workbench.data.schema import DATE, DEMAND, ITEM, PanelError
from workbench.data.validation import (
    check_columns,
    check_dates,
    check_keys,
    check_static,
    example_row,
    follow_policy,
    is_sorted,
    policy_settings,
    short_series,
    text_as_number,
)

__all__ = ["DATE", "DEMAND", "ITEM", "DemandPanel", "PanelError", "validate_panel"]


@dataclass(frozen=True)
class DemandPanel:
    demand: pl.DataFrame
    static: pl.DataFrame
    keys: tuple[str, ...] = (ITEM,)
    frequency: str = "1d"
    known_future: tuple[str, ...] = ()
    past_covariates: tuple[str, ...] = ()
    # the known-future columns that are codes of text categories (1, 2, ... in sorted order of
    # the text; 0 where missing), encoded by validation; the models that can split them as
    # categories do (LightGBM)
    categorical: tuple[str, ...] = ()
    truth: pl.DataFrame | None = None
    name: str = "panel"
    # what validation and cleaning did, step by step (shown in the data report)
    log: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    # ------------------------------------------------------------------ views
    # distinct series by a group-by: n_unique() and unique() over several key columns encode
    # every row first (1.6 GB more and five times the time over M5's 59 M rows)
    @property
    def n_series(self) -> int:
        return self.demand.group_by(self.keys).len().height

    @property
    def dates(self) -> pl.Series:
        return self.demand.get_column(DATE).unique().sort()

    @property
    def static_keys(self) -> list[str]:
        """Columns the static table is keyed by: ``item_id``, or every series key it holds
        (an item sold in several stores can have per-store attributes)."""
        return [k for k in self.keys if k in self.static.columns] or [ITEM]

    def series_ids(self) -> pl.DataFrame:
        return self.demand.group_by(self.keys).len().select(self.keys).sort(self.keys)

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
            "categorical": list(self.categorical),
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
            categorical=tuple(meta.get("categorical", [])),
            name=meta["name"],
            log=tuple(meta["log"]),
        )


def encode_categories(df: pl.DataFrame, known_future: tuple[str, ...] | list[str],
                      ) -> tuple[pl.DataFrame, list[str], list[dict[str, Any]]]:
    """Known-future columns of text categories (an event type, a weather class) as codes 1, 2, ...
    in the sorted order of their values, 0 where missing; text that reads as numbers stays a
    number. Returns the frame, the encoded columns and one log entry per column."""
    encoded, log = [], []
    for col in known_future:
        if col not in df.columns or df.schema[col] not in (pl.String, pl.Categorical):
            continue
        text = pl.col(col).cast(pl.String).str.strip_chars()
        if df.select((text.is_not_null() & text_as_number(col).is_null()).any()).item():
            values = df.get_column(col).cast(pl.String).str.strip_chars().drop_nulls().unique().sort()
            codes = {v: i + 1 for i, v in enumerate(values.to_list())}
            df = df.with_columns(text.replace_strict(codes, default=0, return_dtype=pl.Float64).fill_null(0.0).alias(col))
            encoded.append(col)
            shown = dict(list(codes.items())[:12])
            log.append({"step": "categorical_covariate", "action": "encoded", "column": col,
                        "categories": len(codes), "codes": shown})
    return df, encoded, log


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
    pol = policy_settings(policy)
    src = source or panel.name
    keys = list(panel.keys)
    covariates = [*panel.known_future, *panel.past_covariates]
    demand, categorical, code_log = encode_categories(panel.demand, panel.known_future)
    panel = replace(panel, categorical=tuple(dict.fromkeys([*panel.categorical, *categorical])))
    df = check_columns(demand, keys, covariates, src)
    check_keys(df, keys, src)
    log: list[dict[str, Any]] = list(code_log)

    min_periods = int(pol.get("min_periods", 0) or 0)
    short = short_series(df, keys, min_periods, src) if min_periods else None
    if short is not None and short.height:
        df = df.join(short.select(keys), on=keys, how="anti")
        if panel.truth is not None:
            panel = replace(panel, truth=panel.truth.join(short.select(keys), on=keys, how="anti"))
        log.append({"step": "short_series", "action": "drop", "series": short.height,
                    "rows": int(short["n"].sum()), "min_periods": min_periods})

    df, demand_log = _fix_demand(df, keys, pol, src)
    log.extend(demand_log)
    df, gap_log = check_dates(df, keys, panel.frequency, pol["missing_dates"], src)
    log.extend(gap_log)
    df, covariate_log = _fill_covariates(df, keys, covariates, pol["missing_covariates"], src)
    log.extend(covariate_log)
    static, n_absent = check_static(panel.static, df, panel.static_keys, src)
    if n_absent:
        log.append({"step": "static_missing", "action": "null attributes", "rows": n_absent})
    if not is_sorted(df, [*keys, DATE]):
        df = df.sort([*keys, DATE])
    return replace(panel, demand=df, static=static, log=(*panel.log, *log))


def _fix_demand(
    df: pl.DataFrame, keys: list[str], pol: dict[str, str], src: str
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Missing demand follows ``data.validation.missing_demand`` (zero or drop), then negative
    demand ``data.validation.negative_demand`` (clip to zero or keep)."""
    log: list[dict[str, Any]] = []
    # counted in one pass each; rows are filtered only to show one in a message
    is_missing = pl.col(DEMAND).is_null() | pl.col(DEMAND).is_nan()
    n_missing = df.select(is_missing.sum()).item()
    if n_missing:
        action = pol["missing_demand"]
        fix = follow_policy("missing_demand", action, {
            "zero": lambda d: d.with_columns(pl.col(DEMAND).fill_nan(None).fill_null(0.0)),
            "drop": lambda d: d.filter(~is_missing),
        }, lambda: (
            f"{src}: column 'demand' has {n_missing} missing values (first row:"
            f" {example_row(df.filter(is_missing).head(1), [*keys, DATE])}); set data.validation.missing_demand=zero"
            " or =drop to accept them"
        ))
        df = fix(df)
        log.append({"step": "missing_demand", "action": action, "rows": n_missing})
    negative = pl.col(DEMAND) < 0
    n_negative, units = df.select(negative.sum().alias("n"), pl.col(DEMAND).filter(negative).sum().alias("units")).row(0)
    if n_negative:
        action = pol["negative_demand"]
        fix = follow_policy("negative_demand", action, {
            "clip": lambda d: d.with_columns(pl.col(DEMAND).clip(lower_bound=0.0)),
            "keep": lambda d: d,
        }, lambda: (
            f"{src}: column 'demand' has {n_negative} negative values (first row:"
            f" {example_row(df.filter(negative).head(1), [*keys, DATE, DEMAND])}); set"
            " data.validation.negative_demand=clip (to zero) or =keep"
        ))
        df = fix(df)
        log.append({"step": "negative_demand", "action": action, "rows": n_negative, "units": float(-units)})
    return df, log


def _fill_covariates(
    df: pl.DataFrame, keys: list[str], covariates: list[str], action: str, src: str
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Missing covariate values follow ``data.validation.missing_covariates``: carried along the
    series (then zero where a series has none), or zero."""
    log: list[dict[str, Any]] = []
    gaps = df.select((pl.col(c).is_null() | pl.col(c).is_nan()).sum() for c in covariates).row(0, named=True) \
        if covariates else {}
    for col in covariates:
        n_null = gaps[col]
        if not n_null:
            continue
        filled = pl.col(col).fill_nan(None)
        fix = follow_policy("missing_covariates", action, {
            "forward_fill": lambda d, f=filled: d.with_columns(
                f.forward_fill().backward_fill().over(keys, order_by=DATE).fill_null(0.0)),
            "zero": lambda d, f=filled: d.with_columns(f.fill_null(0.0)),
        }, lambda col=col, n_null=n_null, frame=df: (
            f"{src}: covariate {col!r} has {n_null} missing values (first row:"
            f" {example_row(frame.filter(pl.col(col).is_null() | pl.col(col).is_nan()), [*keys, DATE])});"
            " set data.validation.missing_covariates=forward_fill or =zero"
        ))
        df = fix(df)
        log.append({"step": "missing_covariate", "column": col, "action": action, "rows": int(n_null)})
    return df, log
