"""Forecaster registry: thin wrappers around Darts models, chosen by ``forecast.models``.

Every forecaster answers one question: given what is known at a cutoff (a
:class:`~workbench.forecast.series.SeriesSet`), what are the quantiles of demand
over the next ``horizon`` periods? It returns an array ``[series, step, quantile]``.

Adding a model is one registry entry:

* a *local* model is a factory of a Darts model with quantiles, fitted per series by
  :class:`LocalDarts` (in parallel, with joblib);
* a *global* model subclasses :class:`GlobalDarts`, builds one Darts model and fits
  it once over all series (each divided by its mean, so one model serves every scale).

Every model is probabilistic: natively (statistical intervals, quantile
regression), or through conformal prediction around a point model (Darts'
``ConformalNaiveModel``, statsforecast's conformal intervals for Croston and TSB).
The torch models live in :mod:`workbench.forecast.deep`.
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import polars as pl
from joblib import Parallel, delayed

from workbench.forecast.series import SeriesSet
from workbench.registry import Registry

MODELS = Registry("model", setting="forecast.models")
register = MODELS.register


def make_forecaster(name: str, cfg) -> Forecaster:
    return MODELS[name](cfg)


def quiet() -> None:
    """Darts and Lightning talk a lot; keep reports readable."""
    for name in ("darts", "pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric", "cmdstanpy",
                 "pytorch_lightning.utilities.rank_zero", "lightning.pytorch.utilities.rank_zero",
                 "pytorch_lightning.accelerators.cuda", "lightning.pytorch.accelerators.cuda"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for module in ("darts", "statsforecast", "pytorch_lightning", "lightning", "sklearn"):
        warnings.filterwarnings("ignore", module=module)
    warnings.filterwarnings("ignore", message=".*pin_memory.*")


class Forecaster(ABC):
    """A model that maps what is known at a cutoff to demand quantiles.

    Capability flags, in the manner of Darts: ``is_global`` (one model over all
    series, which sees their whole history), ``uses_past`` / ``uses_future``
    (past and known-future covariates).
    """

    is_global: ClassVar[bool] = False
    uses_past: ClassVar[bool] = False
    uses_future: ClassVar[bool] = False

    def __init__(self, cfg) -> None:
        self.cfg = cfg
        self.quantiles = sorted(cfg.quantiles)
        self.fallbacks = 0  # series that got a flat last-value forecast instead
        self.epoch_seconds: list[float] = []  # torch models: seconds per training epoch

    @property
    def min_history(self) -> int:
        """Periods of history a series needs before a cutoff to be forecast."""
        return self.cfg.season_length + 1

    @abstractmethod
    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        """Quantiles ``[series, step, quantile]`` for the ``horizon`` periods after the data."""

    def explain(self) -> dict[str, pl.DataFrame]:
        """What drove the last fit (feature importances, attention weights); empty when the model has none."""
        return {}


# ------------------------------------------------------------------- local models
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


# ------------------------------------------------------------------ global models
def mean_scales(target: list) -> np.ndarray:
    """Mean absolute level of each series (one model then serves every scale)."""
    return np.array([max(float(np.abs(s.values(copy=False)).mean()), 1e-6) for s in target])


class GlobalDarts(Forecaster):
    """One Darts model fitted over all series at once.

    Subclasses say how to :meth:`build` the model; fitting, scaling by each series'
    mean and unscaling the quantiles are shared here.
    """

    is_global = True
    conformal: ClassVar[bool] = False  # wrap the fitted point model in Darts' ConformalNaiveModel
    scale_covariates: ClassVar[bool] = False  # to [0, 1] over all series (neural and linear models)
    torch_backed: ClassVar[bool] = False  # Darts runs it through Lightning (progress bars to silence)

    def __init__(self, cfg) -> None:
        super().__init__(cfg)
        self.model = None  # the last fitted model, for explain()

    @abstractmethod
    def build(self, data: SeriesSet, horizon: int):
        """An unfitted Darts model."""

    def covariates(self, data: SeriesSet) -> tuple[list | None, list | None]:
        """The covariates the model uses; scaled when it needs it, fitted on what the view
        holds, which is known at the cutoff (the known-future ones up to the horizon's end)."""
        past = data.past if self.uses_past else None
        future = data.future if self.uses_future else None
        if not self.scale_covariates:
            return past, future
        from darts.dataprocessing.transformers import Scaler

        def scale(xs):
            if xs is None:
                return None
            return [x.astype(np.float32) for x in Scaler(global_fit=True).fit_transform(xs)]

        return scale(past), scale(future)

    def fit(self, model, target: list, past: list | None, future: list | None, horizon: int) -> None:
        model.fit(target, past_covariates=past, future_covariates=future)

    def predict_kwargs(self) -> dict:
        # Darts' torch-backed models (the global naive ones under the conformal wrapper too)
        return {"verbose": False} if self.conformal or self.torch_backed else {}

    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        quiet()
        scales = mean_scales(data.target)
        target = [(s / c).astype(np.float32) for s, c in zip(data.target, scales, strict=True)]
        past, future = self.covariates(data)
        model = self.build(data, horizon)
        self.fit(model, target, past, future, horizon)
        self.model = model
        if self.conformal:
            from darts.models import ConformalNaiveModel

            model = ConformalNaiveModel(
                model, quantiles=self.quantiles, cal_length=self.cfg.conformal.cal_length,
                random_state=self.cfg.seed,
            )
        preds = model.predict(
            horizon, series=target, past_covariates=past, future_covariates=future,
            predict_likelihood_parameters=True, show_warnings=False, **self.predict_kwargs(),
        )
        return np.stack([p.values(copy=False) * c for p, c in zip(preds, scales, strict=True)])


class ConformalBaseline(GlobalDarts):
    """A naive rule over the last ``window`` periods (nothing to fit), with conformal
    intervals from its errors over the last ``forecast.conformal.cal_length`` origins."""

    conformal = True
    window: int

    @property
    def min_history(self) -> int:
        return self.window + self.cfg.conformal.cal_length + self.cfg.horizon


@register("moving_average")
class MovingAverage(ConformalBaseline):
    """Mean of the last ``forecast.conformal.moving_average_window`` periods, flat over the
    horizon (Darts ``GlobalNaiveAggregate``), with conformal intervals."""

    @property
    def window(self) -> int:
        return self.cfg.conformal.moving_average_window

    def build(self, data, horizon):
        from darts.models import GlobalNaiveAggregate

        return GlobalNaiveAggregate(input_chunk_length=self.window, output_chunk_length=horizon, agg_fn="mean")


@register("drift")
class Drift(ConformalBaseline):
    """The line through the first and last values of the last whole seasons, extended
    (Darts ``GlobalNaiveDrift``), with conformal intervals."""

    @property
    def window(self) -> int:
        """Whole seasons plus one, so that the first and last points are in the same phase."""
        m = self.cfg.season_length
        return m * max(1, self.cfg.conformal.moving_average_window // m) + 1

    def build(self, data, horizon):
        from darts.models import GlobalNaiveDrift

        return GlobalNaiveDrift(input_chunk_length=self.window, output_chunk_length=horizon)


def _lagged_kwargs(data: SeriesSet, lags: int, lags_past: int, horizon: int, multi_models: bool = False) -> dict:
    """``multi_models=False``: one model for every step, trained to forecast ``horizon``
    steps ahead (Darts then feeds each step the lags that end ``horizon`` steps before it);
    ``True``: one model per step, each with the latest lags, ``horizon`` times the fitting."""
    # Darts counts future lags from the first step of the chunk, and with one model for all
    # steps shifts each step's features back by horizon - 1: lag horizon - 1 is the step's own
    # value. With one model per step, each sees the whole horizon's known-future values.
    future_lags = list(range(horizon)) if multi_models else [horizon - 1]
    return dict(
        lags=lags,
        lags_past_covariates=lags_past if (data.past is not None and lags_past > 0) else None,
        lags_future_covariates=future_lags if data.future is not None else None,
        output_chunk_length=horizon,
        multi_models=multi_models,
    )


class LaggedFeatures(GlobalDarts):
    """A regression on lags of the target and past covariates, the known-future
    covariates at the forecast step (price, promotion, holiday, calendar) and the
    static codes: Darts' ``SKLearnModel`` family."""

    uses_past = True
    uses_future = True

    def covariates(self, data):
        past, future = super().covariates(data)
        if self._lags_past() <= 0:
            past = None
        return past, future

    def explain(self) -> dict[str, pl.DataFrame]:
        """Split gain of every lagged feature in the median model (LightGBM), or the
        absolute coefficients (linear regression)."""
        if self.model is None:
            return {}
        estimator = self.model.get_estimator(horizon=0, target_dim=0)
        if hasattr(estimator, "booster_"):
            values = estimator.booster_.feature_importance(importance_type="gain")
        else:
            values = np.abs(np.ravel(estimator.coef_))
        names = list(self.model.lagged_feature_names)
        frame = pl.DataFrame({"feature": names, "importance": np.asarray(values, dtype=float)})
        total = frame["importance"].sum()
        frame = frame.with_columns((pl.col("importance") / (total if total > 0 else 1.0)).alias("share"))
        return {"feature_importance": frame.sort("importance", descending=True)}


@register("lightgbm")
class LightGBMGlobal(LaggedFeatures):
    """One LightGBM quantile model per quantile over all series (Darts ``LightGBMModel``)."""

    def _lags_past(self) -> int:
        return self.cfg.lightgbm.lags_past_covariates

    @property
    def min_history(self) -> int:
        return max(self.cfg.season_length, self.cfg.lightgbm.lags + self.cfg.horizon) + 1

    def build(self, data, horizon):
        from darts.models import LightGBMModel

        lc = self.cfg.lightgbm
        return LightGBMModel(
            **_lagged_kwargs(data, lc.lags, lc.lags_past_covariates, horizon, lc.multi_models),
            likelihood="quantile",
            quantiles=self.quantiles,
            n_estimators=lc.n_estimators,
            learning_rate=lc.learning_rate,
            num_leaves=lc.num_leaves,
            random_state=self.cfg.seed,
            n_jobs=self.cfg.n_jobs if self.cfg.n_jobs > 0 else None,
            verbose=-1,
        )

    def fit(self, model, target, past, future, horizon):
        model.fit(target, past_covariates=past, future_covariates=future,
                  max_samples_per_ts=self.cfg.lightgbm.max_samples_per_ts)


@register("linear")
class LinearGlobal(LaggedFeatures):
    """One least-squares regression over all series (Darts ``LinearRegressionModel``),
    with conformal intervals from its own recent errors."""

    conformal = True
    scale_covariates = True

    def _lags_past(self) -> int:
        return self.cfg.linear.lags_past_covariates

    @property
    def min_history(self) -> int:
        return max(self.cfg.season_length, self.cfg.linear.lags) + self.cfg.conformal.cal_length + self.cfg.horizon + 1

    def build(self, data, horizon):
        from darts.models import LinearRegressionModel

        lc = self.cfg.linear
        return LinearRegressionModel(**_lagged_kwargs(data, lc.lags, lc.lags_past_covariates, horizon))
