"""Local statistical models: one statsforecast model per series, through Darts, fitted in parallel.

Each entry is a factory of a Darts ``StatsForecastModel`` with quantiles that :class:`LocalDarts`
fits per series through :func:`workbench.engine.parallel_map` (joblib on this machine, or Ray
with ``experiment.engine=ray``). The intermittent-demand models (Croston, TSB) are fitted over all
series at once by :class:`~workbench.forecast.intermittent.Intermittent`, with quantiles from
their own occurrence and size distributions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial

import numpy as np

from workbench.engine import parallel_map
from workbench.forecast.base import Forecaster, quiet, register
from workbench.forecast.intermittent import Intermittent
from workbench.forecast.series import SeriesSet


def _fit_predict_local(factory, series, *, horizon: int, n_q: int) -> tuple[np.ndarray, str | None]:
    """Fit one series; a series the model cannot fit (too short, singular) gets its
    last value as a flat forecast, and the reason goes back to the caller, which counts it."""
    quiet()
    model = factory(horizon)
    try:
        model.fit(series)
        pred = model.predict(horizon, predict_likelihood_parameters=True)
        return pred.values(copy=False).reshape(horizon, n_q), None
    except (ValueError, np.linalg.LinAlgError) as err:
        last = float(series.values()[-1, 0])
        reason = str(err).split(" but ")[0] if "Train series only contains" in str(err) else type(err).__name__
        return np.full((horizon, n_q), last), f"{reason} ({len(series)} periods)"


class LocalDarts(Forecaster):
    """One Darts model per series, fitted in parallel on the run's engine, with quantiles.

    ``factory(horizon)`` builds an unfitted model. After each :meth:`forecast`, ``notes``
    says how many series fell back to a flat last-value forecast, and why.
    """

    def __init__(self, cfg, factory: Callable[[int], object]) -> None:
        super().__init__(cfg)
        self.factory = factory
        self.notes: list[str] = []

    @property
    def min_history(self) -> int:
        """A season plus one, and at least what the Darts model fits on (its
        ``min_train_series_length``): a shorter series waits for a later origin instead of
        falling back."""
        return max(super().min_history, int(self.factory(1).min_train_series_length))

    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        n_q = len(self.quantiles)
        fit = partial(_fit_predict_local, self.factory, horizon=horizon, n_q=n_q)
        out = parallel_map(fit, data.target, n_jobs=self.cfg.n_jobs, batch_size=16)
        reasons = Counter(reason for _, reason in out if reason)
        self.fallbacks += sum(reasons.values())
        self.notes = [f"{n} of {len(out)} series fell back to their last value: {reason}"
                      for reason, n in reasons.most_common()]
        return np.stack([values for values, _ in out])


def _statsforecast(cfg, model: str, **kwargs) -> LocalDarts:
    """A statsforecast model with intervals of its own, through Darts' ``StatsForecastModel``."""
    from darts.models import StatsForecastModel

    quantiles = sorted(cfg.quantiles)

    def factory(horizon: int):
        return StatsForecastModel(model=model, model_kwargs=kwargs, quantiles=quantiles)

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
    """Croston with the Syntetos-Boylan bias correction (SBA): smoothed sale size over smoothed
    interval between sales (``forecast.intermittent.alpha_d`` and ``alpha_p``)."""
    return Intermittent(cfg, "croston")


@register("tsb")
def tsb(cfg) -> Forecaster:
    """Teunter-Syntetos-Babai: smooths demand size and demand probability, so an item
    that stops selling decays towards zero."""
    return Intermittent(cfg, "tsb")
