"""Rolling-origin backtests.

The last ``horizon`` periods of the panel are the hold-out window (the one the
inventory stage simulates against). Before it, ``n_backtest_windows`` origins,
``horizon`` apart, are the backtest that ranks the models; the hold-out forecasts
are made from the last origin with exactly the same code. At every origin a model
sees the target and past covariates up to the cutoff only, and known-future
covariates up to the end of the window. With ``forecast.calibration.method=conformal`` the
models also forecast ``forecast.calibration.origins`` origins before the first backtest
origin, which are never scored, and every scored origin's quantiles are calibrated on the
errors at the origins before it (:mod:`workbench.forecast.calibrate`).

Where the panel marks closed days (a 0/1 ``closed`` column, known in advance), every
model's forecast on a closed day is zero: demand is known to be zero there. Given a
folder, each model's forecasts are written to it as soon as its last origin is done, so
that a later failure does not lose them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import polars as pl

from workbench.config import ForecastConfig
from workbench.data.contracts import period
from workbench.data.panel import DATE, DemandPanel
from workbench.forecast.calibrate import BacktestCalibration, calibration_origins
from workbench.forecast.combine import (
    check_combinations,
    classes_at_cutoffs,
    ensemble,
    members,
    route,
    runnable,
)
from workbench.forecast.models import Forecaster, make_forecaster
from workbench.forecast.series import forecasts_frame, quantile_column, to_series_set
from workbench.progress import progress as progress_bar


@dataclass
class Origins:
    backtest: list[date]
    holdout: date
    calibration: list[date] = field(default_factory=list)  # forecast only to calibrate the later ones

    @property
    def all(self) -> list[tuple[str, date]]:
        return ([("calibration", c) for c in self.calibration] + [("backtest", c) for c in self.backtest]
                + [("holdout", self.holdout)])


def origins(panel: DemandPanel, horizon: int, n_windows: int, min_train: int, n_calibration: int = 0) -> Origins:
    """Cutoff dates: the hold-out origin is ``horizon`` periods before the last date,
    the backtest origins step back from it by ``horizon`` each, and ``n_calibration``
    calibration origins (:mod:`workbench.forecast.calibrate`) step back from the first of them."""
    dates = panel.dates
    n = dates.len()
    needed = horizon * (n_windows + n_calibration + 1) + min_train
    if horizon < 1 or n_windows < 0 or n_calibration < 0:
        raise ValueError(f"forecast.horizon={horizon}, forecast.n_backtest_windows={n_windows}; expected >= 1 and >= 0")
    if n < needed:
        calibrating = f" + forecast.calibration.origins={n_calibration}" if n_calibration else ""
        raise ValueError(
            f"the panel has {n} periods; forecast.horizon={horizon} x (forecast.n_backtest_windows={n_windows}"
            f"{calibrating} + 1) plus {min_train} periods of training history needs {needed}"
        )
    idx = [n - 1 - horizon * k for k in range(n_windows + n_calibration + 1, 0, -1)]
    cut = [dates[i] for i in idx]
    return Origins(backtest=cut[n_calibration:-1], holdout=cut[-1], calibration=cut[:n_calibration])


@dataclass
class BacktestResult:
    forecasts: pl.DataFrame  # keys, date, model, cutoff, window, mean, q..
    timings: pl.DataFrame  # model, cutoff, window, seconds, fallbacks, epochs, seconds_per_epoch
    origins: Origins
    models: dict[str, Forecaster]  # as fitted at the last origin (the hold-out), for explain()
    notes: list[str]  # combinations left out, and why
    # with forecast.calibration.method=conformal: every origin's forecasts (the calibration
    # origins' too) as the models made them, before calibration; None without calibration
    uncalibrated: pl.DataFrame | None = None


CLOSED = "closed"  # a known-future 0/1 column of the panel: 1 where the shop is closed


def closed_days(panel: DemandPanel) -> pl.DataFrame | None:
    """The (series, date) rows the panel marks closed, once per backtest; ``None`` without a
    ``closed`` column."""
    if CLOSED not in panel.demand.columns:
        return None
    keys = list(panel.keys)
    return panel.demand.filter(pl.col(CLOSED) == 1).select([*keys, DATE]).with_columns(pl.lit(True).alias("_closed"))


def zero_when_closed(frame: pl.DataFrame, closed: pl.DataFrame | None, quantiles: list[float]) -> pl.DataFrame:
    """``frame``'s mean and quantiles set to zero on the ``closed`` days (:func:`closed_days`)."""
    if closed is None:
        return frame
    keys = [c for c in closed.columns if c not in (DATE, "_closed")]
    closed = closed.with_columns(*[pl.col(k).cast(frame.schema[k]) for k in keys])
    values = ["mean", *[quantile_column(q) for q in quantiles]]
    return (frame.join(closed, on=[*keys, DATE], how="left")
            .with_columns([pl.when(pl.col("_closed")).then(0.0).otherwise(pl.col(c)).alias(c) for c in values])
            .drop("_closed"))


def save_forecasts(frame: pl.DataFrame, folder: Path, model: str) -> None:
    """One model's forecasts as ``<folder>/<model>.parquet``, written whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{model}.parquet"
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    frame.write_parquet(tmp)
    tmp.replace(target)


def run_backtest(panel: DemandPanel, cfg: ForecastConfig, progress: bool = True,
                 save_dir: str | Path | None = None) -> BacktestResult:
    """Forecast every origin with every model of ``cfg.models``.

    The settings are checked before a run starts (:func:`workbench.checks.check_settings`);
    the combinations whose members are not all in ``cfg.models`` are left out and noted.
    With ``save_dir``, each model's forecasts (all origins) are saved there as soon as they
    exist, the combinations' at the end. With ``forecast.calibration.method=conformal`` the
    models also forecast ``forecast.calibration.origins`` origins before the backtest's, and
    every scored origin's quantiles are calibrated on the origins before it
    (:mod:`workbench.forecast.calibrate`); the result keeps the forecasts as made in
    ``uncalibrated``."""
    quantiles = sorted(cfg.quantiles)
    notes = check_combinations(cfg)
    forecasters = {name: make_forecaster(name, cfg) for name in cfg.models}
    min_train = max(f.min_history for f in forecasters.values())
    orig = origins(panel, cfg.horizon, cfg.n_backtest_windows, min_train, calibration_origins(cfg))
    data = to_series_set(panel)
    step = period(panel)
    starts = [s.start_time() for s in data.target]
    closed = closed_days(panel)
    calibration = BacktestCalibration.of(panel, cfg, [c for _, c in orig.all], closed)

    def scored(frame: pl.DataFrame) -> pl.DataFrame:
        """The scored origins of ``frame``: calibrated (and zero again on closed days) when asked for."""
        return frame if calibration is None else zero_when_closed(calibration(frame), closed, quantiles)

    frames, timings = [], []
    tasks = [(name, window, cutoff) for name in cfg.models for window, cutoff in orig.all]
    bar = progress_bar(tasks, desc="backtest", disable=not progress, unit="fit")
    for name, window, cutoff in bar:
        bar.set_postfix_str(f"{name}, {window} origin {cutoff}", refresh=False)
        model = forecasters[name]
        window_size = None if model.is_global else cfg.train_window
        # a series needs min_train periods before the cutoff; later starters wait for later origins
        latest_start = pd.Timestamp(cutoff) - (min_train - 1) * pd.Timedelta(step)
        ready = [i for i, s in enumerate(starts) if s <= latest_start]
        if not ready:
            raise ValueError(f"no series has {min_train} periods of history before the cutoff {cutoff}")
        # each model takes the covariates it uses (Forecaster.uses_past / uses_future)
        view = data.subset(ready).until(cutoff, cfg.horizon, train_window=window_size)
        before = model.fallbacks
        t0 = time.perf_counter()
        values = model.forecast(view, cfg.horizon)
        seconds = time.perf_counter() - t0
        frame = forecasts_frame(
            view.keys, values, cutoff + step, step, name, cutoff, quantiles, point=model.point
        ).with_columns(pl.lit(window).alias("window"))
        notes.extend(f"{name}, {window} origin {cutoff}: {note}" for note in model.notes)
        frames.append(zero_when_closed(frame, closed, quantiles))
        if save_dir is not None and (window, cutoff) == orig.all[-1]:  # the model's last origin
            save_forecasts(scored(pl.concat(frames[-len(orig.all):])), Path(save_dir), name)
        timings.append(
            {"model": name, "cutoff": cutoff, "window": window, "seconds": seconds,
             "fallbacks": model.fallbacks - before, "series": len(ready),
             "not_yet_started": len(starts) - len(ready), "epochs": len(model.epoch_seconds),
             "seconds_per_epoch": (sum(model.epoch_seconds) / len(model.epoch_seconds)
                                   if model.epoch_seconds else None)}
        )
    timings = pl.DataFrame(timings, infer_schema_length=None)
    # combinations from the members' forecasts as made, then calibrated on their own errors
    made, timings = add_combinations(pl.concat(frames), timings, panel, cfg, quantiles)
    forecasts = scored(made)
    if save_dir is not None:
        for name in set(forecasts["model"].unique()) - set(cfg.models):
            save_forecasts(forecasts.filter(pl.col("model") == name), Path(save_dir), name)
    order = ["model", "cutoff", *panel.keys, DATE]
    return BacktestResult(forecasts.sort(order), timings, orig, forecasters, notes,
                          uncalibrated=None if calibration is None else made.sort(order))


def add_combinations(forecasts: pl.DataFrame, timings: pl.DataFrame, panel: DemandPanel, cfg: ForecastConfig,
                     quantiles: list[float]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Append the configured ensembles and routes as models of their own; each costs its members' seconds."""
    keys = list(panel.keys)
    combos: list[tuple[str, list[str], pl.DataFrame]] = []
    for name, spec in runnable(cfg.ensembles, cfg.models).items():
        combos.append((name, members(spec), ensemble(forecasts, name, members(spec), keys, quantiles,
                                                     cfg.ensemble_method)))
    routes_run = runnable(cfg.routes, cfg.models)
    if routes_run:
        cutoffs = forecasts.get_column("cutoff").unique().sort().to_list()
        classes = classes_at_cutoffs(panel.demand, keys, cutoffs).with_columns(
            [pl.col(k).cast(forecasts.schema[k]) for k in keys]
        )
        for name, routes in routes_run.items():
            combos.append((name, sorted(set(members(routes))), route(forecasts, name, dict(routes), classes, keys)))
    extra_f, extra_t = [forecasts], [timings]
    for name, used, frame in combos:
        extra_f.append(frame)
        extra_t.append(
            timings.filter(pl.col("model").is_in(used))
            .group_by(["cutoff", "window"], maintain_order=True)
            .agg(pl.col("seconds").sum(), pl.col("series").max(), pl.col("not_yet_started").min())
            .with_columns(pl.lit(name).alias("model"), pl.lit(0).alias("fallbacks"),
                          pl.lit(0).alias("epochs"), pl.lit(None, dtype=pl.Float64).alias("seconds_per_epoch"))
            .select(timings.columns)
        )
    return pl.concat(extra_f), pl.concat(extra_t, how="vertical_relaxed")
