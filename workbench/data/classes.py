"""Item classifications used across stages: ABC by revenue, Syntetos-Boylan intermittency."""

from __future__ import annotations

import polars as pl


def abc_classes(
    revenue: pl.DataFrame, keys: list[str], value: str = "revenue", cutoffs: tuple[float, float] = (0.8, 0.95)
) -> pl.DataFrame:
    """ABC class by cumulative share of ``value``: A up to ``cutoffs[0]``, B up to ``cutoffs[1]``, C after.

    ``revenue`` has one row per key; returns ``keys, value, share, cum_share, abc``.
    """
    a, b = cutoffs
    if not 0 < a < b <= 1:
        raise ValueError(f"inventory.abc_shares={list(cutoffs)}; expected 0 < A < B <= 1")
    total = revenue.get_column(value).sum()
    return (
        revenue.sort(value, descending=True)
        .with_columns((pl.col(value) / (total if total else 1.0)).alias("share"))
        .with_columns(pl.col("share").cum_sum().alias("cum_share"))
        # an item is A while the share *before* it is still under the cut-off
        .with_columns(
            pl.when(pl.col("cum_share") - pl.col("share") < a)
            .then(pl.lit("A"))
            .when(pl.col("cum_share") - pl.col("share") < b)
            .then(pl.lit("B"))
            .otherwise(pl.lit("C"))
            .alias("abc")
        )
        .select([*keys, value, "share", "cum_share", "abc"])
    )


def intermittency_classes(
    demand: pl.DataFrame, keys: list[str], value: str = "demand", adi_cut: float = 1.32, cv2_cut: float = 0.49
) -> pl.DataFrame:
    """Syntetos-Boylan-Croston classes from the average demand interval (ADI) and the
    squared coefficient of variation of non-zero demand sizes (CV^2):
    smooth (ADI < 1.32, CV^2 < 0.49), erratic (ADI < 1.32), intermittent (CV^2 < 0.49), lumpy.
    """
    stats = demand.group_by(keys).agg(
        pl.len().alias("periods"),
        (pl.col(value) > 0).sum().alias("nonzero"),
        pl.col(value).filter(pl.col(value) > 0).mean().alias("size_mean"),
        pl.col(value).filter(pl.col(value) > 0).std().alias("size_sd"),
    )
    return (
        stats.with_columns(
            (pl.col("periods") / pl.col("nonzero").clip(lower_bound=1)).alias("adi"),
            ((pl.col("size_sd") / pl.col("size_mean")) ** 2).fill_null(0.0).fill_nan(0.0).alias("cv2"),
        )
        .with_columns(
            pl.when(pl.col("nonzero") == 0)
            .then(pl.lit("no demand"))
            .when((pl.col("adi") < adi_cut) & (pl.col("cv2") < cv2_cut))
            .then(pl.lit("smooth"))
            .when(pl.col("adi") < adi_cut)
            .then(pl.lit("erratic"))
            .when(pl.col("cv2") < cv2_cut)
            .then(pl.lit("intermittent"))
            .otherwise(pl.lit("lumpy"))
            .alias("sbc_class")
        )
        .sort(keys)
    )
