"""Local statistical models: one statsforecast model per series, through Darts, fitted in parallel.

Each entry is a factory of a Darts ``StatsForecastModel`` with quantiles that :class:`LocalDarts`
fits per series with joblib. Models without intervals of their own (Croston, TSB) get
statsforecast's conformal intervals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from joblib import Parallel, delayed

from workbench.forecast.base import Forecaster, quiet, register
from workbench.forecast.series import SeriesSet


def _fit_predict_local(factory, series, horizon: int, n_q: int) -> tuple[np.ndarray, bool]:
    """Fit one series; a series the model cannot fit (too short, singular) gets its
    last value as a flat forecast, and the caller counts it."""
    quiet()
    model = factory(horizon)
    try:
        model.fit(series)
        pred = model.predict(horizon, predict_likelihood_parameters=True)
        return pred.values(copy=False).reshape(horizon, n_q), False
    except (ValueError, np.linalg.LinAlgError):
        last = float(series.values()[-1, 0])
        return np.full((horizon, n_q), last), True


class LocalDarts(Forecaster):
    """One Darts model per series, fitted in parallel (joblib), with quantiles.

    ``factory(horizon)`` builds an unfitted model.
    """

    def __init__(self, cfg, factory: Callable[[int], object]) -> None:
        super().__init__(cfg)
        self.factory = factory

    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        n_q = len(self.quantiles)
        jobs = (delayed(_fit_predict_local)(self.factory, s, horizon, n_q) for s in data.target)
        out = Parallel(n_jobs=self.cfg.n_jobs, batch_size=16)(jobs)
        self.fallbacks += sum(failed for _, failed in out)
        return np.stack([values for values, _ in out])


def _statsforecast(cfg, model: str, conformal: bool = False, **kwargs) -> LocalDarts:
    """A statsforecast model through Darts' ``StatsForecastModel``; ``conformal`` adds
    statsforecast's conformal intervals for models without their own."""
    from darts.models import StatsForecastModel

    quantiles = sorted(cfg.quantiles)

    def factory(horizon: int):
        extra = {}
        if conformal:
            from statsforecast.utils import ConformalIntervals

            extra["prediction_intervals"] = ConformalIntervals(h=horizon, n_windows=cfg.conformal.n_windows)
        return StatsForecastModel(model=model, model_kwargs={**kwargs, **extra}, quantiles=quantiles)

    return LocalDarts(cfg, factory)


@register("seasonal_naive")
def seasonal_naive(cfg) -> Forecaster:
    """Seasonal naive with normal prediction intervals (statsforecast ``SeasonalNaive``)."""
    return _statsforecast(cfg, "SeasonalNaive", season_length=cfg.season_length)


@register("auto_ets")
def auto_ets(cfg) -> Forecaster:
    """Automatic exponential smoothing (statsforecast ``AutoETS``), model intervals."""
    return _statsforecast(cfg, "AutoETS", season_length=cfg.season_length)


@register("auto_arima")
def auto_arima(cfg) -> Forecaster:
    """Automatic (seasonal) ARIMA (statsforecast ``AutoARIMA``), model intervals."""
    return _statsforecast(cfg, "AutoARIMA", season_length=cfg.season_length)


@register("theta")
def theta(cfg) -> Forecaster:
    """Automatic Theta (statsforecast ``AutoTheta``: standard, optimised, dynamic), model intervals."""
    return _statsforecast(cfg, "AutoTheta", season_length=cfg.season_length)


@register("croston")
def croston(cfg) -> Forecaster:
    """Croston with the Syntetos-Boylan bias correction (SBA), conformal intervals."""
    return _statsforecast(cfg, "CrostonSBA", conformal=True)


@register("tsb")
def tsb(cfg) -> Forecaster:
    """Teunter-Syntetos-Babai: smooths demand size and demand probability, so an item
    that stops selling decays towards zero; conformal intervals."""
    ic = cfg.intermittent
    return _statsforecast(cfg, "TSB", conformal=True, alpha_d=ic.alpha_d, alpha_p=ic.alpha_p)
