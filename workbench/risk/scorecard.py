"""The supplier scorecard: per vendor and shipment mode, how often and how badly deliveries are
late, the tail of the delay (CVaR, :func:`workbench.risk.measures.cvar`) and whether lateness is
rising or falling over the years."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from workbench.config.risk import ScorecardConfig
from workbench.risk import schema as s
from workbench.risk.distributions import MISSING, OTHER
from workbench.risk.measures import cvar

MIN_YEAR_SHIPMENTS = 5  # a year enters the trend with at least this many shipments
MIN_TREND_YEARS = 3  # a slope through fewer years is left null


def _labelled(frame: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    return frame.with_columns(pl.col(c).cast(pl.String).fill_null(MISSING) for c in by)


def yearly_late_rate(frame: pl.DataFrame, by: Sequence[str] = (s.MODE,)) -> pl.DataFrame:
    """Shipments and late rate per year (of the scheduled date) and group: columns ``year, *by,
    shipments, late_rate``; a null group value is ``(missing)``."""
    by = list(by)
    return (_labelled(frame, by).group_by(s.YEAR, *by)
            .agg(pl.len().cast(pl.Int64).alias("shipments"), pl.col(s.LATE).mean().alias("late_rate"))
            .sort(s.YEAR, *by))


def late_rate_trend(yearly: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Least-squares slope of the yearly late rate on the year, per group of ``by``: columns ``*by,
    trend_years, late_rate_trend`` (change of the late rate per year).

    ``slope = cov(year, rate) / var(year)`` over the years with at least ``MIN_YEAR_SHIPMENTS``
    shipments; null where fewer than ``MIN_TREND_YEARS`` such years remain.

    Examples
    --------
    >>> yearly = pl.DataFrame({"year": [2010, 2011, 2012, 2013], "mode": ["Air"] * 4,
    ...                        "shipments": [10, 10, 10, 2], "late_rate": [0.1, 0.2, 0.3, 1.0]})
    >>> round(late_rate_trend(yearly, ["mode"])["late_rate_trend"][0], 6)  # 2013 has too few shipments
    0.1
    """
    year = pl.col(s.YEAR).cast(pl.Float64)
    slope = pl.cov(year, pl.col("late_rate")) / year.var()
    return (yearly.filter(pl.col("shipments") >= MIN_YEAR_SHIPMENTS).group_by(*by)
            .agg(pl.len().cast(pl.Int64).alias("trend_years"), slope.alias("late_rate_trend"))
            .with_columns(pl.when(pl.col("trend_years") >= MIN_TREND_YEARS).then(pl.col("late_rate_trend"))
                          .alias("late_rate_trend")))


def supplier_scorecard(frame: pl.DataFrame, cfg: ScorecardConfig) -> pl.DataFrame:
    """Per vendor and mode, riskiest first: columns ``vendor, mode, shipments, value_share, late_rate,
    mean_delay_when_late, cvar_delay, years, late_rate_trend``.

    Pairs with fewer than ``risk.scorecard.min_shipments`` shipments are pooled per mode into the
    vendor ``other``. ``value_share`` is the pair's share of all line item value (null without a
    value column); ``cvar_delay`` is :func:`~workbench.risk.measures.cvar` at
    ``risk.scorecard.cvar_level`` of the pair's delays with early deliveries counted as 0 (one
    numpy pass per pair); ``years`` spans the first to the last scheduled year; the trend is
    :func:`late_rate_trend`. Sorted by ``cvar_delay``, then ``late_rate``, descending.
    """
    level = cfg.cvar_level
    pairs = _labelled(frame, [s.VENDOR, s.MODE]).with_columns(
        pl.when(pl.len().over(s.VENDOR, s.MODE) < cfg.min_shipments).then(pl.lit(OTHER))
        .otherwise(pl.col(s.VENDOR)).alias(s.VENDOR))
    value = pl.col(s.VALUE).sum() / frame.get_column(s.VALUE).sum() if s.VALUE in frame.columns else pl.lit(None)
    delay = pl.col(s.DELAY)
    card = pairs.group_by(s.VENDOR, s.MODE).agg(
        pl.len().cast(pl.Int64).alias("shipments"),
        value.cast(pl.Float64).alias("value_share"),
        pl.col(s.LATE).mean().alias("late_rate"),
        delay.filter(pl.col(s.LATE)).mean().cast(pl.Float64).alias("mean_delay_when_late"),
        delay.clip(lower_bound=0).cast(pl.Float64).map_batches(
            lambda x: float(cvar(x.to_numpy(), level)), return_dtype=pl.Float64, returns_scalar=True)
        .alias("cvar_delay"),
        pl.format("{}-{}", pl.col(s.YEAR).min(), pl.col(s.YEAR).max()).alias("years"),
    )
    trend = late_rate_trend(yearly_late_rate(pairs, (s.VENDOR, s.MODE)), (s.VENDOR, s.MODE))
    risk_order = ["cvar_delay", "late_rate", "shipments", s.VENDOR, s.MODE]
    return (card.join(trend.select(s.VENDOR, s.MODE, "late_rate_trend"), on=[s.VENDOR, s.MODE], how="left")
            .sort(risk_order, descending=[True, True, True, False, False]))
