"""Rolling forecasts: the forecast issued at every review of an evaluation window.

A plan that is re-solved at every review (every ``every`` periods from the window's origin)
needs the forecast that was issued that day. At each origin every model is fitted once, as in
the backtest (:meth:`~workbench.forecast.base.Forecaster.forecast`); at each later review
cutoff ``origin + k x every`` periods (``k = 1, 2, ...`` while ``k x every < horizon``) it
forecasts the rest of the window, ``horizon - k x every`` periods, with
:meth:`~workbench.forecast.base.Forecaster.forecast_later`: a global model predicts from the
longer history without refitting (Darts' ``historical_forecasts(retrain=False)``), a local
model fits its series again (their fits are per series and cheap). A lagged-feature model with
the ``direct`` strategy (``forecast.lightgbm.strategy``) forecasts each date from the lags that
end a horizon before it, all known at the origin: its later forecasts repeat the origin's; the
``per_step`` and ``recursive`` strategies, the conformal wrappers (recalibrated on the errors
before each cutoff) and the torch and naive models read the newer history.

As in the backtest (:mod:`workbench.forecast.backtest`), a series needs the longest
``min_history`` of the models run before an origin, or it is left out of that origin; closed
days are forecast zero; the combinations (``forecast.ensembles``, ``forecast.routes``) are
made from their members' forecasts with the backtest's functions, at every review.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd
import polars as pl

from workbench.config import ForecastConfig
from workbench.data.contracts import period
from workbench.data.panel import DATE, DemandPanel
from workbench.forecast.backtest import closed_days, zero_when_closed
from workbench.forecast.combine import (
    check_combinations,
    classes_at_cutoffs,
    ensemble,
    members,
    route,
)
from workbench.forecast.models import MODELS, make_forecaster
from workbench.forecast.series import forecasts_frame, quantile_column, to_series_set
from workbench.progress import progress as progress_bar

if TYPE_CHECKING:
    from workbench.inventory.cube import Cube


@dataclass
class RollingForecasts:
    """Every review's forecasts over the rest of its window, and what each cost."""

    forecasts: pl.DataFrame  # keys, date, model, origin, cutoff, mean, q..
    timings: pl.DataFrame  # model, origin, cutoff, seconds, refit, series
    notes: list[str]


def review_cutoffs(origin: date, every: int, horizon: int, step: timedelta) -> list[date]:
    """The cutoffs of a window's reviews: ``origin + k x every`` periods while ``k x every < horizon``.

    >>> review_cutoffs(date(2024, 1, 31), 7, 28, timedelta(days=1))
    [datetime.date(2024, 1, 31), datetime.date(2024, 2, 7), datetime.date(2024, 2, 14), datetime.date(2024, 2, 21)]
    """
    if every < 1 or horizon < 1:
        raise ValueError(f"every={every}, horizon={horizon}; expected review intervals and a window of >= 1 period")
    return [origin + step * k for k in range(0, horizon, every)]


def split_models(models: list[str], cfg: ForecastConfig) -> tuple[list[str], dict[str, object]]:
    """The registered models to run (those named, and the members of the combinations named)
    and the combinations named (``forecast.ensembles`` and ``forecast.routes``), by name."""
    if not models:
        raise ValueError("models is empty; expected names of forecast.models entries or of combinations")
    check_combinations(cfg)  # the combinations' own settings, once
    combos = {**cfg.ensembles, **cfg.routes}
    run: list[str] = []
    for i, name in enumerate(models):
        if name not in combos and name not in MODELS:
            raise ValueError(f"models[{i}]={name!r} is neither a registered model ({sorted(MODELS)}) nor a"
                             f" combination of forecast.ensembles or forecast.routes ({sorted(combos)})")
        for m in members(combos[name]) if name in combos else [name]:
            if m not in run:
                run.append(m)
    return run, {name: combos[name] for name in dict.fromkeys(models) if name in combos}


def check_origins(panel: DemandPanel, origins: list[date], horizon: int, step: timedelta) -> None:
    """Each origin is a date of the panel, once, with its whole window inside the panel."""
    if not origins:
        raise ValueError("origins is empty; expected the evaluation windows' origins (dates of the panel)")
    dates = panel.dates
    first, last = dates.min(), dates.max()
    known = set(dates.to_list())
    for i, origin in enumerate(origins):
        if origin not in known:
            raise ValueError(f"origins[{i}]={origin} is not a date of the panel ({first} .. {last})")
        if origin + step * horizon > last:
            raise ValueError(f"origins[{i}]={origin}: its window of horizon={horizon} periods ends at "
                             f"{origin + step * horizon}, after the panel's last date {last}")
    if len(set(origins)) != len(origins):
        raise ValueError(f"origins={origins} names an origin twice")


def rolling_forecasts(panel: DemandPanel, cfg: ForecastConfig, models: list[str], origins: list[date], every: int,
                      horizon: int, progress: bool = False) -> RollingForecasts:
    """Forecasts of every model issued at every review of every window.

    Parameters
    ----------
    panel
        The demand panel.
    cfg
        The forecast settings (the models' own, ``quantiles``, ``train_window``, the combinations).
    models
        Registered models and combinations (``forecast.ensembles`` / ``forecast.routes`` names).
    origins
        The windows' origins: dates of the panel, each with ``horizon`` periods after it.
    every
        Periods between reviews (``inventory.lp.order_every``).
    horizon
        The window's length: at the review ``k x every`` periods after the origin, the forecast
        covers the ``horizon - k x every`` periods left.

    Returns
    -------
    RollingForecasts
        ``forecasts`` with the panel's keys, ``date``, ``model``, ``origin``, ``cutoff``, ``mean``
        and the quantiles; ``timings`` per model, origin and cutoff (``refit``: the model was
        fitted there); ``notes``.
    """
    quantiles = sorted(cfg.quantiles)
    run, combos = split_models(models, cfg)
    step = period(panel)
    cutoffs_of = {o: review_cutoffs(o, every, horizon, step) for o in origins}
    check_origins(panel, origins, horizon, step)
    forecasters = {name: make_forecaster(name, cfg) for name in run}
    # a model named alone whose later forecasts would repeat its origin's is not run again: a caller
    # reads its origin's forecast from the later day on (members of a combination still run)
    needed = {m for spec in combos.values() for m in members(spec)}
    same = [n for n in run if not forecasters[n].news_later and n not in needed]
    run = [n for n in run if n not in same]
    forecasters = {n: forecasters[n] for n in run}
    if not run:
        return _none_again(panel, quantiles, notes_for_same(same))
    min_train = max(f.min_history for f in forecasters.values())
    data = to_series_set(panel)
    starts = [s.start_time() for s in data.target]
    closed = closed_days(panel)
    notes = _notes(cfg, forecasters) + notes_for_same(same)

    frames, timings = [], []
    tasks = [(name, origin) for name in run for origin in origins]
    bar = progress_bar(tasks, desc="rolling forecasts", disable=not progress, unit="window")
    for name, origin in bar:
        bar.set_postfix_str(f"{name}, origin {origin}", refresh=False)
        model = forecasters[name]
        # a series needs min_train periods before the origin; later starters wait for later origins
        latest_start = pd.Timestamp(origin) - (min_train - 1) * pd.Timedelta(step)
        ready = [i for i, s in enumerate(starts) if s <= latest_start]
        if not ready:
            raise ValueError(f"no series has {min_train} periods of history before the origin {origin}")
        series = data.subset(ready)
        for k, cutoff in enumerate(cutoffs_of[origin]):
            left = horizon - k * every
            # known-future covariates to the end of the models' output chunk, as at the origin
            view = series.until(cutoff, horizon, train_window=None if model.is_global else cfg.train_window)
            t0 = time.perf_counter()
            values = model.forecast(view, left) if k == 0 else model.forecast_later(view, left)
            seconds = time.perf_counter() - t0
            frame = forecasts_frame(view.keys, values, cutoff + step, step, name, cutoff, quantiles,
                                    point=model.point)
            frames.append(zero_when_closed(frame.with_columns(pl.lit(origin).cast(pl.Date).alias("origin")),
                                           closed, quantiles))
            notes.extend(f"{name}, origin {origin}, cutoff {cutoff}: {note}" for note in model.notes)
            timings.append({"model": name, "origin": origin, "cutoff": cutoff, "seconds": seconds,
                            "refit": k == 0 or model.refits_later, "series": len(ready)})
    keys = list(panel.keys)
    made = pl.concat(frames)
    timings = pl.DataFrame(timings)
    made, timings = _combinations(made, timings, combos, panel, cfg, quantiles)
    columns = [*keys, DATE, "model", "origin", "cutoff", "mean", *[quantile_column(q) for q in quantiles]]
    forecasts = made.filter(pl.col("model").is_in(list(dict.fromkeys(models)))).select(columns)
    return RollingForecasts(forecasts.sort(["model", "origin", "cutoff", *keys, DATE]),
                            timings.sort(["model", "origin", "cutoff"]), notes)


def notes_for_same(same: list[str]) -> list[str]:
    """The note on the models not forecast again at the reviews (:attr:`Forecaster.news_later`)."""
    if not same:
        return []
    return [f"not forecast again at the reviews: {', '.join(same)}, whose forecast from a later day equals its"
            " origin's forecast read from that day on (every input of the window is known at the origin)"]


def _none_again(panel: DemandPanel, quantiles: list[float], notes: list[str]) -> RollingForecasts:
    """No model forecasts again: empty tables with the columns a caller reads."""
    keys = {k: panel.demand.schema[k] for k in panel.keys}
    forecasts = pl.DataFrame(schema={**keys, DATE: pl.Date, "model": pl.String, "origin": pl.Date, "cutoff": pl.Date,
                                     "mean": pl.Float64, **{quantile_column(q): pl.Float64 for q in quantiles}})
    timings = pl.DataFrame(schema={"model": pl.String, "origin": pl.Date, "cutoff": pl.Date, "seconds": pl.Float64,
                                   "refit": pl.Boolean, "series": pl.Int64})
    return RollingForecasts(forecasts, timings, notes)


def _notes(cfg: ForecastConfig, forecasters: dict) -> list[str]:
    """What a reader of the rolling forecasts should know beside the numbers."""
    refit = [n for n, f in forecasters.items() if f.refits_later]
    notes = [f"fitted once per origin, then forecast from each later review without refitting: {fixed}"
             for fixed in [", ".join(n for n in forecasters if n not in refit)] if fixed]
    if refit:
        notes.append(f"fitted again at every review (per-series models, cheap to fit): {', '.join(refit)}")
    if str(cfg.calibration.method) == "conformal":
        notes.append("forecast.calibration.method=conformal: the backtest calibrates its scored quantiles on the"
                     " errors at earlier origins; the rolling forecasts are the models' own quantiles, not calibrated")
    return notes


def _combinations(forecasts: pl.DataFrame, timings: pl.DataFrame, combos: dict, panel: DemandPanel,
                  cfg: ForecastConfig, quantiles: list[float]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The combinations' forecasts at every review, one origin at a time (two windows' reviews may
    share a cutoff, each with its own fit), with the backtest's :func:`~workbench.forecast.combine.ensemble`
    and :func:`~workbench.forecast.combine.route`; each costs its members' seconds."""
    if not combos:
        return forecasts, timings
    keys = list(panel.keys)
    classes = None
    if any(name in cfg.routes for name in combos):
        cutoffs = forecasts.get_column("cutoff").unique().sort().to_list()
        classes = classes_at_cutoffs(panel.demand, keys, cutoffs).with_columns(
            [pl.col(k).cast(forecasts.schema[k]) for k in keys])
    out, costs = [forecasts], [timings]
    for origin in forecasts.get_column("origin").unique().sort().to_list():
        at = forecasts.filter(pl.col("origin") == origin).drop("origin")
        for name, spec in combos.items():
            if name in cfg.ensembles:
                made = ensemble(at, name, members(spec), keys, quantiles, cfg.ensemble_method)
            else:
                made = route(at, name, dict(spec), classes, keys)
            out.append(made.with_columns(pl.lit(origin).cast(pl.Date).alias("origin")).select(forecasts.columns))
    for name, spec in combos.items():
        costs.append(timings.filter(pl.col("model").is_in(members(spec)))
                     .group_by(["origin", "cutoff"], maintain_order=True)
                     .agg(pl.col("seconds").sum(), pl.col("refit").any(), pl.col("series").max())
                     .with_columns(pl.lit(name).alias("model")).select(timings.columns))
    return pl.concat(out), pl.concat(costs)


def cube_at(forecasts: pl.DataFrame, keys: list[str], quantiles: list[float], model: str, origin: date,
            t: int) -> Cube:
    """The forecast of ``model`` issued ``t`` periods after ``origin`` (a review cutoff), as arrays
    ``mean (n, h)`` and ``values (n, h, Q)`` over the series in key order and the ``h`` periods
    left in the window (:func:`workbench.inventory.cube.forecast_cube` on its rows)."""
    from workbench.inventory.cube import forecast_cube

    rows = forecasts.filter((pl.col("model") == model) & (pl.col("origin") == origin))
    if rows.is_empty():
        raise ValueError(f"no rolling forecasts of model={model!r} from origin={origin}")
    # one period: the origin's own forecast starts the period after it
    step = rows.filter(pl.col("cutoff") == origin).get_column(DATE).min() - origin
    cutoff = origin + step * t
    at = rows.filter(pl.col("cutoff") == cutoff)
    if at.is_empty():
        offered = sorted((c - origin) // step for c in rows.get_column("cutoff").unique().to_list())
        raise ValueError(f"t={t}: model={model!r} has no forecast issued {t} periods after origin={origin};"
                         f" expected one of {offered}")
    return forecast_cube(at, keys, quantiles, model)
