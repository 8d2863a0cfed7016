"""Forecaster registry: thin wrappers around Darts models, chosen by ``forecast.models``.

Every forecaster answers one question: given what is known at a cutoff (a
:class:`~workbench.forecast.series.SeriesSet`), what are the quantiles of demand
over the next ``horizon`` periods? It returns an array ``[series, step, quantile]``.

Adding a model is one registry entry: a local model is a factory of a Darts
model with native quantiles (fitted per series by :class:`LocalDarts`, in parallel
with joblib), a global model subclasses :class:`Forecaster` and fits once on all
series.
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from joblib import Parallel, delayed

from workbench.forecast.series import SeriesSet
from workbench.registry import Registry

MODELS = Registry("model", setting="forecast.models")
register = MODELS.register


def make_forecaster(name: str, cfg) -> Forecaster:
    return MODELS[name](cfg)


def _quiet() -> None:
    """Darts and Lightning talk a lot; keep reports readable."""
    for name in ("darts", "pytorch_lightning", "lightning", "lightning.pytorch", "cmdstanpy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="darts")
    warnings.filterwarnings("ignore", module="statsforecast")


class Forecaster(ABC):
    """A model that maps what is known at a cutoff to demand quantiles.

    Capability flags, in the manner of Darts: ``is_global`` (one model over all
    series), ``uses_covariates`` (past / known-future covariates).
    """

    is_global: ClassVar[bool] = False
    uses_covariates: ClassVar[bool] = False

    def __init__(self, cfg) -> None:
        self.cfg = cfg
        self.quantiles = sorted(cfg.quantiles)
        self.fallbacks = 0  # series that got a flat last-value forecast instead

    @abstractmethod
    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        """Quantiles ``[series, step, quantile]`` for the ``horizon`` periods after the data."""


def _fit_predict_local(factory, series, horizon: int, n_q: int) -> tuple[np.ndarray, bool]:
    """Fit one series; a series the model cannot fit (too short, singular) gets its
    last value as a flat forecast, and the caller counts it."""
    _quiet()
    model = factory()
    try:
        model.fit(series)
        pred = model.predict(horizon, predict_likelihood_parameters=True)
        return pred.values(copy=False).reshape(horizon, n_q), False
    except (ValueError, np.linalg.LinAlgError):
        last = float(series.values()[-1, 0])
        return np.full((horizon, n_q), last), True


class LocalDarts(Forecaster):
    """One Darts model per series, fitted in parallel (joblib), with native quantiles."""

    def __init__(self, cfg, factory: Callable[[], object]) -> None:
        super().__init__(cfg)
        self.factory = factory

    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        n_q = len(self.quantiles)
        jobs = (delayed(_fit_predict_local)(self.factory, s, horizon, n_q) for s in data.target)
        out = Parallel(n_jobs=self.cfg.n_jobs, batch_size=16)(jobs)
        self.fallbacks += sum(failed for _, failed in out)
        return np.stack([values for values, _ in out])


@register("seasonal_naive")
def seasonal_naive(cfg) -> Forecaster:
    """Seasonal naive with normal prediction intervals (statsforecast ``SeasonalNaive`` via Darts)."""
    from darts.models import StatsForecastModel

    def factory():
        return StatsForecastModel(
            model="SeasonalNaive",
            model_kwargs={"season_length": cfg.season_length},
            quantiles=list(cfg.quantiles),
        )

    return LocalDarts(cfg, factory)


@register("auto_ets")
def auto_ets(cfg) -> Forecaster:
    """Automatic exponential smoothing (statsforecast ``AutoETS`` via Darts' ``AutoETS``)."""
    from darts.models import AutoETS

    def factory():
        return AutoETS(season_length=cfg.season_length, quantiles=list(cfg.quantiles))

    return LocalDarts(cfg, factory)


@register("lightgbm")
class LightGBMGlobal(Forecaster):
    """One LightGBM quantile model over all series (Darts ``LightGBMModel``).

    Features: target lags, lags of the past covariates, the known-future covariates
    (price, promotion, holiday and calendar) at the forecast step, and the static
    covariates (codes).
    One model per quantile, ``multi_models=False`` so that one model covers every step.
    Each target series is divided by its mean absolute value before fitting (and the
    forecasts multiplied back), so that one model serves series of any scale.
    """

    is_global = True
    uses_covariates = True

    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        from darts.models import LightGBMModel

        _quiet()
        lc = self.cfg.lightgbm
        model = LightGBMModel(
            lags=lc.lags,
            lags_past_covariates=lc.lags_past_covariates if data.past is not None else None,
            lags_future_covariates=[0] if data.future is not None else None,
            output_chunk_length=horizon,
            multi_models=False,
            likelihood="quantile",
            quantiles=self.quantiles,
            n_estimators=lc.n_estimators,
            learning_rate=lc.learning_rate,
            num_leaves=lc.num_leaves,
            random_state=self.cfg.seed,
            n_jobs=max(1, self.cfg.n_jobs) if self.cfg.n_jobs > 0 else None,
            verbose=-1,
        )
        scales = [max(float(np.abs(s.values(copy=False)).mean()), 1e-6) for s in data.target]
        target = [s / c for s, c in zip(data.target, scales, strict=True)]
        model.fit(
            target,
            past_covariates=data.past,
            future_covariates=data.future,
            max_samples_per_ts=lc.max_samples_per_ts,
        )
        preds = model.predict(
            horizon,
            series=target,
            past_covariates=data.past,
            future_covariates=data.future,
            predict_likelihood_parameters=True,
            show_warnings=False,
        )
        return np.stack([p.values(copy=False) * c for p, c in zip(preds, scales, strict=True)])
