"""Series classifications used across stages: ABC by sales value, Syntetos-Boylan-Croston
intermittency, XYZ by variability, and :func:`series_classes`, all three per series of a panel."""

from __future__ import annotations

from datetime import date

import polars as pl

from workbench.data.contracts import sales_value
from workbench.data.panel import DemandPanel
from workbench.data.schema import DATE, DEMAND


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


def xyz_classes(demand: pl.DataFrame, keys: list[str], cutoffs: tuple[float, float] = (0.5, 1.0)) -> pl.DataFrame:
    """XYZ by the coefficient of variation of demand per period: X below ``cutoffs[0]``,
    Y below ``cutoffs[1]``, Z above (erratic)."""
    x, y = cutoffs
    return (
        demand.group_by(keys)
        .agg((pl.col(DEMAND).std() / pl.col(DEMAND).mean()).fill_nan(None).alias("cv"))
        .with_columns(
            pl.when(pl.col("cv") < x).then(pl.lit("X")).when(pl.col("cv") < y).then(pl.lit("Y"))
            .otherwise(pl.lit("Z")).alias("xyz")
        )
        .sort(keys)
    )


def series_classes(
    panel: DemandPanel,
    abc_shares: tuple[float, float] = (0.8, 0.95),
    xyz_cutoffs: tuple[float, float] = (0.5, 1.0),
    until: date | None = None,
) -> pl.DataFrame:
    """One row per series, sorted by its keys: the SBC class (``adi``, ``cv2``, ``sbc_class``),
    the ABC class by sales value (``revenue``, ``abc``; ``inventory.abc_shares``) and the XYZ
    class (``cv``, ``xyz``), from the panel's history up to ``until`` (all of it by default).
    A series with no demand variation to measure has no XYZ class (null)."""
    keys = list(panel.keys)
    d = panel.demand if until is None else panel.demand.filter(pl.col(DATE) <= until)
    valued, value = sales_value(panel, d)
    abc = abc_classes(valued.group_by(keys).agg(value.sum().alias("revenue")), keys, cutoffs=abc_shares)
    sbc = intermittency_classes(valued, keys)
    return (
        sbc.join(abc.select([*keys, "revenue", "abc"]), on=keys)
        .sort(keys)
        .join(xyz_classes(d, keys, xyz_cutoffs), on=keys)
    )
