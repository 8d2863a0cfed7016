"""Data quality and preparation: what the ``01_data`` study measures and the named,
configurable steps that ``data.preprocess`` applies.

Measures (per series, vectorised with polars window expressions): the longest run of zero demand, runs of zeros that
are too long for the series' usual rate (suspected stock-out censoring), and
outliers beyond ``k`` robust standard deviations (median and MAD).

Steps (each logged with what it changed): ``clip_outliers`` caps demand at
``median + k * 1.4826 * MAD`` of its series; ``impute_censored`` replaces demand on
days with no stock (where the panel records stock) or inside suspected censoring
runs by the series' trailing mean; ``smooth`` replaces demand by a centred
rolling median of 3 periods. Scaling is left to the forecasting stage.
"""

from __future__ import annotations

import math
from dataclasses import replace

import polars as pl

from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.data.schema import CLOSED
from workbench.registry import Registry


def _zero_runs(keys: list[str]) -> list[pl.Expr]:
    """``_zero`` (no demand that period) and ``zero_run``, the length of the run of zeros a
    period lies in (0 off a run), per series in date order."""
    zero = pl.col(DEMAND) == 0
    run_id = (zero != zero.shift(1)).fill_null(True).cum_sum().over(keys, order_by=DATE)
    run_len = pl.len().over([*keys, run_id])
    return [zero.alias("_zero"), pl.when(zero).then(run_len).otherwise(0).alias("zero_run")]


def suspected_censoring(demand: pl.DataFrame, keys: list[str], alpha: float = 1e-3) -> pl.DataFrame:
    """Days inside a run of zeros whose probability under the series' usual rate is below
    ``alpha`` (``P(run) = exp(-rate * length)``, rate = mean demand on non-zero days
    times the share of non-zero days): demand there was likely censored, not absent.

    Closed days (``closed`` = 1 where the panel has that column) are no demand at all: they
    are left out of the rate and the runs (a run of zeros continues across them), and
    they are never censored (``_zero`` is null there, so zero shares count open days only)."""
    df = demand.sort([*keys, DATE])
    has_closed = CLOSED in df.columns
    is_closed = (pl.col(CLOSED) == 1).fill_null(False) if has_closed else pl.lit(False)
    opened = df.filter(~is_closed) if has_closed else df
    rate = pl.col(DEMAND).mean().over(keys)
    min_run = (-math.log(alpha) / rate).ceil()
    flagged = (
        opened.with_columns(_zero_runs(keys))
        .with_columns((pl.col("_zero") & (pl.col("zero_run") >= min_run) & (rate > 0)).alias("censored"))
    )
    if not has_closed:
        return flagged
    shut = df.filter(is_closed).with_columns(pl.lit(None, dtype=pl.Boolean).alias("_zero"),
                                             pl.lit(0, dtype=flagged.schema["zero_run"]).alias("zero_run"),
                                             pl.lit(False).alias("censored"))
    return pl.concat([flagged, shut]).sort([*keys, DATE])


def _robust_centre_scale(keys: list[str]) -> tuple[pl.Expr, pl.Expr]:
    """Per-series median and robust standard deviation (1.4826 x median absolute deviation)."""
    med = pl.col(DEMAND).median().over(keys)
    return med, 1.4826 * (pl.col(DEMAND) - med).abs().median().over(keys)


def outlier_mask(k: float, keys: list[str]) -> pl.Expr:
    """True where demand lies more than ``k`` robust standard deviations from its series' median."""
    med, sd = _robust_centre_scale(keys)
    return (pl.col(DEMAND) - med).abs() > k * (sd + 1e-9)


def quality_table(panel: DemandPanel, k: float = 6.0, alpha: float = 1e-3) -> pl.DataFrame:
    """One row per series: zero share (of open days), longest zero run, suspected censored days,
    outliers, and closed days where the panel has a ``closed`` column."""
    keys = list(panel.keys)
    flagged = suspected_censoring(panel.demand, keys, alpha).with_columns(outlier_mask(k, keys).alias("outlier"))
    closed = [(pl.col(CLOSED) == 1).sum().alias("closed_days")] if CLOSED in flagged.columns else []
    out = flagged.group_by(keys).agg(
        pl.len().alias("periods"),
        *closed,
        pl.col("_zero").mean().alias("zero_share"),
        pl.col("zero_run").max().alias("longest_zero_run"),
        pl.col("censored").sum().alias("censored_days"),
        pl.col("outlier").sum().alias("outliers"),
    )
    if "stock_on_hand" in panel.demand.columns:
        stockouts = panel.demand.group_by(keys).agg((pl.col("stock_on_hand") <= 0).sum().alias("stockout_days"))
        out = out.join(stockouts, on=keys)
    return out.sort(keys)


# ------------------------------------------------------------------ the steps
# Each step takes the panel and the data config and returns the new demand rows (the same
# rows and columns) and what it changed, for the log; adding a step is one entry here.
STEPS = Registry("preprocessing step", setting="data.preprocess")
step = STEPS.register


@step("clip_outliers")
def clip_outliers(panel: DemandPanel, cfg) -> tuple[pl.DataFrame, dict]:
    """Cap demand at ``median + data.outlier_k x robust sd`` of its series; logs the rows capped
    and the units removed."""
    keys = list(panel.keys)
    med, sd = _robust_centre_scale(keys)
    cap = med + cfg.outlier_k * sd
    df = panel.demand.with_columns(cap.alias("_cap"))
    hit = df.filter(pl.col(DEMAND) > pl.col("_cap"))
    units = float((hit[DEMAND] - hit["_cap"]).sum()) if hit.height else 0.0
    out = df.with_columns(pl.min_horizontal(DEMAND, "_cap").alias(DEMAND)).drop("_cap")
    return out, {"rows": hit.height, "units": units}


@step("impute_censored")
def impute_censored(panel: DemandPanel, cfg) -> tuple[pl.DataFrame, dict]:
    """Replace demand on censored periods (a suspected censoring run at ``data.censoring_alpha``,
    or no stock and no sale where the panel records stock) by the series' trailing 28-period
    mean (at least 7 periods of history; earlier periods stay); logs the rows and units filled."""
    keys = list(panel.keys)
    df = suspected_censoring(panel.demand, keys, cfg.censoring_alpha)
    censored = pl.col("censored")
    if "stock_on_hand" in df.columns:
        censored = censored | ((pl.col("stock_on_hand") <= 0) & (pl.col(DEMAND) == 0))
    trailing = pl.col(DEMAND).shift(1).rolling_mean(28, min_samples=7).over(keys, order_by=DATE)
    df = df.with_columns(censored.alias("_cens"), trailing.alias("_fill"))
    mask = pl.col("_cens") & pl.col("_fill").is_not_null()
    changed = df.filter(mask)
    out = df.with_columns(pl.when(mask).then(pl.col("_fill")).otherwise(pl.col(DEMAND)).alias(DEMAND))
    return out.drop(["_cens", "_fill", "_zero", "zero_run", "censored"]), {
        "rows": changed.height, "units": float(changed["_fill"].sum()) if changed.height else 0.0,
    }


@step("smooth")
def smooth(panel: DemandPanel, cfg) -> tuple[pl.DataFrame, dict]:
    """Replace demand by the centred rolling median of 3 periods of its series; logs the rows changed."""
    keys = list(panel.keys)
    smoothed = pl.col(DEMAND).rolling_median(3, center=True, min_samples=1).over(keys, order_by=DATE)
    df = panel.demand.with_columns(smoothed.alias("_s"))
    changed = df.filter(pl.col("_s") != pl.col(DEMAND))
    return df.with_columns(pl.col("_s").alias(DEMAND)).drop("_s"), {"rows": changed.height}


def preprocess(panel: DemandPanel, cfg) -> DemandPanel:
    """Apply ``cfg.preprocess`` in order; each step's effect goes into the panel log."""
    for name in cfg.preprocess:
        before = float(panel.demand[DEMAND].sum())
        df, effect = STEPS[name](panel, cfg)
        panel = replace(panel, demand=df.sort([*panel.keys, DATE])).with_log(
            step=f"preprocess:{name}", demand_before=before, demand_after=float(df[DEMAND].sum()), **effect
        )
    return panel
