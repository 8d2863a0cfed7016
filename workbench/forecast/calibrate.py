"""Conformal calibration of every model's quantiles from its errors at earlier origins only.

A model's quantiles can be too narrow (a point model's intervals from in-sample residuals) or
too wide (seasonal naive's normal intervals on skewed counts): the share of actuals inside
[q05, q95] then misses its nominal 90 %. The backtest forecasts every model at
``forecast.calibration.origins`` extra origins before its first backtest origin; those
forecasts are never scored. Origin ``k`` (a backtest origin or the hold-out) is then calibrated
on the errors of the same model at the origins before ``k`` only, pooled over the series, per
block of ``forecast.calibration.block`` consecutive steps of the horizon (over every step where
a block holds fewer than ``forecast.calibration.min_errors`` errors): each origin's window ends
where the next begins, so every error used was known at ``k``'s cutoff, and the window being
scored never calibrates itself. Combinations (ensembles, routes) are calibrated on their own
errors like any model.

The errors are scaled by each series' in-sample seasonal-naive MAE at its cutoff (the scale of
MASE and the scaled pinball loss), so that one shift per model and block serves every series'
size (normalised conformal prediction; Papadopoulos et al. 2008). With ``n`` earlier errors
``s_1 <= ... <= s_n`` a shift is the ``ceil((n + 1) a)``-th smallest (``floor`` below the
median), the finite-sample conformal quantile (Vovk et al. 2005; Romano et al. 2019 for
quantile regression):

* ``per_quantile`` (the default): each quantile ``q_a`` moves by the ``a``-quantile of
  ``(y - q_a) / scale``, so that the share of actuals below it comes to ``a``;
* ``symmetric``: each pair ``(q_a, q_1-a)`` moves apart by the ``(1 - 2a)``-quantile of
  ``max(q_a - y, y - q_1-a) / scale`` (conformalised quantile regression), the median stays.
  On sparse demand it rarely moves: a zero sale on a lower quantile of zero scores exactly 0,
  so that narrowing would lift the lower quantile off every such sale.

The point forecast (``mean``) is left as the model made it. The quantiles stay non-negative
and sorted (moved quantiles may cross; sorting is the rearrangement of Chernozhukov,
Fernandez-Val and Galichon 2010). Days the panel marks closed are not scored here; the
backtest sets every forecast to zero on them after calibration.

Darts' conformal models (``ConformalNaiveModel``, ``ConformalQRModel``) do the same for one
pre-trained global Darts model, on historical forecasts made without refitting over the end of
the series the model was fitted on. They cannot wrap the local statsforecast models, the
intermittent models or the combinations, and for a model that fits its training data closely
those in-sample errors understate the out-of-sample ones; here every model is calibrated on
the same refitted, out-of-sample backtest forecasts it is scored on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.forecast.metrics import per_series_scores, seasonal_scales, summarise
from workbench.forecast.series import quantile_column

PER_QUANTILE, SYMMETRIC = "per_quantile", "symmetric"
BLOCK = "_block"


def conformal_rank(n: pl.Expr, level: float) -> pl.Expr:
    """The 0-based rank of the conformal ``level``-quantile among ``n`` sorted scores:
    ``ceil((n + 1) level) - 1`` at and above the median, ``floor((n + 1) level) - 1`` below it
    (the conservative side of each tail), within ``[0, n - 1]``."""
    at = (n + 1) * level
    rank = (at.ceil() if level >= 0.5 else at.floor()) - 1
    return rank.clip(0, n - 1).cast(pl.UInt32)


def conformal_shift(score: str, level: float) -> pl.Expr:
    """The shift of one quantile (or pair) over a group of errors: the conformal
    ``level``-quantile of the ``score`` column."""
    return pl.col(score).sort().gather(conformal_rank(pl.len(), level)).first().alias(score)


def adjustments(columns: dict[float, str], scope: str) -> list[tuple[str, pl.Expr, float, dict[str, float]]]:
    """One ``(name, score, level, {quantile column: sign})`` per shift the scope makes: the
    score of a row (an error in units of ``_scale``), the conformal level of its shift, and the
    columns it moves, each by ``sign x shift x scale``."""
    y, scale = pl.col("_actual"), pl.col("_scale")
    if scope == PER_QUANTILE:
        return [(f"_s_{col}", (y - pl.col(col)) / scale, q, {col: 1.0}) for q, col in columns.items()]
    if scope != SYMMETRIC:
        raise ValueError(f"forecast.calibration.scope={scope!r}; expected '{PER_QUANTILE}' or '{SYMMETRIC}'")
    pairs = [(q, 1.0 - q) for q in columns if q < 0.5]
    missing = [hi for _, hi in pairs if not any(abs(hi - q) < 1e-9 for q in columns)]
    if missing:
        raise ValueError(f"forecast.quantiles={sorted(columns)}: the symmetric calibration needs the levels {missing}")
    out = []
    for lo, hi in pairs:
        c_lo, c_hi = columns[lo], next(c for q, c in columns.items() if abs(q - hi) < 1e-9)
        score = pl.max_horizontal(pl.col(c_lo) - y, y - pl.col(c_hi)) / scale
        out.append((f"_s_{c_lo}_{c_hi}", score, 1.0 - 2.0 * lo, {c_lo: -1.0, c_hi: 1.0}))
    return out


def calibrate(forecasts: pl.DataFrame, actuals: pl.DataFrame, scales: pl.DataFrame, keys: list[str],
              quantiles: list[float], scope: str = PER_QUANTILE, block: int = 14,
              min_errors: int = 200) -> pl.DataFrame:
    """Every origin of ``forecasts`` that has an earlier one, calibrated on the errors at the earlier ones.

    ``forecasts`` is the backtest's long table (``keys, date, model, cutoff, mean, q..``, any
    further columns kept); ``actuals`` holds ``keys, date, actual`` (null where a day is not to
    be scored, such as a closed day); ``scales`` ``keys, cutoff, scale``, each series' error
    scale as known at each cutoff. Steps ``1 .. block`` of the horizon share one shift, the
    next ``block`` steps another, and so on, where the earlier origins hold ``min_errors``
    errors of the block; else the block takes the shift of every step pooled (a small panel).
    Each model's first origin only calibrates and is dropped; a row without a positive scale
    or an actual calibrates nothing, and a row without a positive scale is not moved. Returns
    the later origins' rows, their quantiles calibrated, in the columns of ``forecasts``.
    """
    if block < 1:
        raise ValueError(f"forecast.calibration.block={block}; expected 1 or more steps")
    columns = {float(q): quantile_column(q) for q in sorted(quantiles)}
    missing = [c for c in ("model", "cutoff", DATE, *columns.values()) if c not in forecasts.columns]
    if missing:
        raise ValueError(f"the forecasts to calibrate have no columns {missing}")
    rules = adjustments(columns, scope)
    names = [name for name, _, _, _ in rules]
    step = pl.col(DATE).rank("dense").over(["model", "cutoff"])
    rows = (forecasts.with_columns(((step - 1) // block).alias(BLOCK))
            .join(actuals.select([*keys, DATE, pl.col("actual").alias("_actual")]), on=[*keys, DATE], how="left")
            .join(scales.select([*keys, "cutoff", pl.col("scale").alias("_scale")]), on=[*keys, "cutoff"],
                  how="left")
            .with_columns(pl.col("_scale").fill_null(0.0)))
    scored = (rows.filter(pl.col("_actual").is_not_null() & (pl.col("_scale") > 0))
              .select("model", "cutoff", BLOCK, *[score.alias(name) for name, score, _, _ in rules]))
    shift = [conformal_shift(name, level) for name, _, level, _ in rules]
    # each origin's shifts from the origins before it: a handful of origins, each one polars query
    # over every model and block at once
    by_block, pooled = [], []
    for cutoff in rows.get_column("cutoff").unique().sort().to_list():
        earlier = scored.filter(pl.col("cutoff") < cutoff)
        at = pl.lit(cutoff).cast(rows.schema["cutoff"]).alias("cutoff")
        by_block.append(earlier.group_by("model", BLOCK).agg(pl.len().alias("_n"), *shift).with_columns(at))
        pooled.append(earlier.group_by("model").agg(*[s.name.suffix("_all") for s in shift]).with_columns(at))
    later = rows.filter(pl.col("cutoff") > pl.col("cutoff").min().over("model"))
    out = (later.join(pl.concat(by_block, how="vertical_relaxed"), on=["model", "cutoff", BLOCK], how="left")
           .join(pl.concat(pooled, how="vertical_relaxed"), on=["model", "cutoff"], how="left"))
    own = pl.col("_n").fill_null(0) >= min_errors
    # no scored error at all before an origin (every earlier actual missing): the quantiles stay
    out = out.with_columns(*[pl.when(own).then(pl.col(n)).otherwise(pl.col(f"{n}_all")).fill_null(0.0).alias(n)
                             for n in names])
    moves = {col: pl.lit(0.0) for col in columns.values()}
    for name, _, _, signs in rules:
        for col, sign in signs.items():
            moves[col] = moves[col] + sign * pl.col(name) * pl.col("_scale")
    out = out.with_columns(*[(pl.col(col) + moves[col]).alias(col) for col in columns.values()])
    return out.with_columns(sorted_quantiles(out, list(columns.values()))).select(forecasts.columns)


def sorted_quantiles(frame: pl.DataFrame, columns: list[str]) -> list[pl.Series]:
    """The quantile ``columns`` of ``frame``, each row clipped at zero and sorted (non-crossing)."""
    values = np.sort(np.clip(frame.select(columns).to_numpy(), 0.0, None), axis=1)
    return [pl.Series(col, values[:, j]) for j, col in enumerate(columns)]


@dataclass
class BacktestCalibration:
    """What calibrating a backtest's forecasts needs, read from the panel once per backtest:
    the actuals (null on closed days) and each series' scale at every origin."""

    actuals: pl.DataFrame  # keys, date, actual
    scales: pl.DataFrame  # keys, cutoff, scale
    keys: list[str]
    quantiles: list[float]
    scope: str
    block: int
    min_errors: int

    @classmethod
    def of(cls, panel: DemandPanel, cfg, cutoffs: list, closed: pl.DataFrame | None) -> BacktestCalibration | None:
        """The calibration ``cfg.calibration`` asks for over the origins ``cutoffs``; None for none.

        ``closed`` holds the panel's closed ``(series, date)`` rows (or None), which are not scored."""
        if cfg.calibration.method == "none":
            return None
        keys = list(panel.keys)
        actuals = panel.demand.select([*keys, DATE, pl.col(DEMAND).alias("actual")])
        if closed is not None:
            actuals = (actuals.join(closed, on=[*keys, DATE], how="left")
                       .with_columns(pl.when(pl.col("_closed")).then(None).otherwise(pl.col("actual")).alias("actual"))
                       .drop("_closed"))
        scales = seasonal_scales(panel, cutoffs, cfg.season_length).select(
            [*keys, "cutoff", pl.col("scale_mae").alias("scale")])
        c = cfg.calibration
        return cls(actuals, scales, keys, sorted(cfg.quantiles), str(c.scope), c.block, c.min_errors)

    def __call__(self, forecasts: pl.DataFrame) -> pl.DataFrame:
        """The scored origins of ``forecasts`` (windows other than ``calibration``), calibrated."""
        key_types = {k: forecasts.schema[k] for k in self.keys}
        actuals = self.actuals.with_columns([pl.col(k).cast(t) for k, t in key_types.items()])
        scales = self.scales.with_columns([pl.col(k).cast(t) for k, t in key_types.items()])
        out = calibrate(forecasts, actuals, scales, self.keys, self.quantiles, self.scope, self.block,
                        self.min_errors)
        return out.filter(pl.col("window") != "calibration") if "window" in out.columns else out


def calibration_origins(cfg) -> int:
    """The calibration-only origins a backtest with forecast config ``cfg`` forecasts before its first."""
    return 0 if cfg.calibration.method == "none" else cfg.calibration.origins


def calibration_note(cfg, origins) -> str:
    """One paragraph for a page: whether the quantiles are calibrated, how, and on which origins
    (``cfg`` the forecast config, ``origins`` the backtest's :class:`~workbench.forecast.backtest.Origins`)."""
    if cfg.calibration.method == "none":
        return ("Quantiles as the models made them: no calibration (`forecast.calibration.method=none`; "
                "`conformal` would recalibrate them on the errors at earlier origins).")
    scored = [*origins.backtest, origins.holdout]
    steps = "; ".join(f"{c} on {', '.join(str(e) for e in [*origins.calibration, *scored[:k]])}"
                      for k, c in enumerate(scored))
    how = ("each quantile moved so that the share of actuals below it comes to its level"
           if cfg.calibration.scope == PER_QUANTILE else
           "each pair of quantiles around the median widened or narrowed alike, the median kept")
    return (f"Quantiles calibrated (`forecast.calibration.method=conformal`, `scope={cfg.calibration.scope}`): "
            f"{how}, by the conformal quantile of the same model's errors (scaled by each series' in-sample "
            f"seasonal-naive MAE) per block of {cfg.calibration.block} steps of the horizon (every step pooled "
            f"where a block holds fewer than {cfg.calibration.min_errors} errors), at earlier origins only. The origin"
            f"{'s' if len(origins.calibration) > 1 else ''} {', '.join(str(c) for c in origins.calibration)} "
            f"{'are' if len(origins.calibration) > 1 else 'is'} forecast only to calibrate and never scored; "
            f"then each origin is calibrated on those before it ({steps}). The point forecasts are the models' own.")


def calibration_table(made: pl.DataFrame, calibrated: pl.DataFrame, panel: DemandPanel, cfg,
                      window: str = "backtest") -> pl.DataFrame:
    """Per model, the coverage of the outermost quantiles and the scaled pinball loss over ``window``,
    of the forecasts as the models made them and calibrated."""

    def scores(frame: pl.DataFrame, tag: str) -> pl.DataFrame:
        per = per_series_scores(frame.filter(pl.col("window") == window), panel, cfg.season_length, cfg.quantiles)
        return summarise(per, ["model"]).select(
            "model", pl.col("coverage").alias(f"coverage_{tag}"), pl.col("pinball").alias(f"pinball_{tag}"))

    both = scores(made, "made").join(scores(calibrated, "calibrated"), on="model")
    return both.select("model", "coverage_made", "coverage_calibrated", "pinball_made", "pinball_calibrated")
