"""The forecaster contract, its registry and the shared machinery of the global models.

:class:`Forecaster` is the contract every entry of :data:`MODELS` fulfils: given what is known
at a cutoff (a :class:`~workbench.forecast.series.SeriesSet`), the quantiles of demand over the
next ``horizon`` periods as an array ``[series, step, quantile]``. :class:`GlobalDarts` is the
base of every model fitted once over all series (the baselines and regressions here, the torch
models of :mod:`workbench.forecast.deep`): scaling by each series' mean, covariates, conformal
wrapping and unscaling live once, in it.
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import polars as pl

from workbench.forecast.series import SeriesSet
from workbench.registry import Registry

MODELS = Registry("model", setting="forecast.models")
register = MODELS.register


def make_forecaster(name: str, cfg) -> Forecaster:
    """The forecaster registered as ``name`` (a ``forecast.models`` entry), built from the forecast config."""
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
        # set by each forecast(): the model's own point forecast [series, step] (None: the
        # median quantile stands for it), and what the fit did that a reader should know
        self.point: np.ndarray | None = None
        self.notes: list[str] = []

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


def mean_scales(target: list) -> np.ndarray:
    """Mean absolute level of each series (one model then serves every scale)."""
    return np.array([max(float(np.abs(s.values(copy=False)).mean()), 1e-6) for s in target])


def _identity(x: np.ndarray) -> np.ndarray:
    return x


# forecast.target_transform: applied to each series after scaling by its mean, inverted on
# every quantile and on the point forecast
TRANSFORMS = {"none": (_identity, _identity), "log1p": (np.log1p, np.expm1)}


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

    def static(self, data: SeriesSet, target: list) -> list:
        """The scaled targets with the static covariates the model uses (as they come by default)."""
        return target

    def point_model(self, data: SeriesSet, horizon: int):
        """An unfitted Darts model of the point forecast, fitted and run beside the quantile
        model (LightGBM's least squares); ``None``: the median quantile is the point forecast."""
        return None

    def sample_paths(self) -> int:
        """Forecast paths to sample (their quantiles are the forecast); 0: the model's own
        quantiles. A one-step model run recursively over the horizon samples."""
        return 0

    def predict_kwargs(self) -> dict:
        # Darts' torch-backed models (the global naive ones under the conformal wrapper too)
        return {"verbose": False} if self.conformal or self.torch_backed else {}

    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        quiet()
        scales = mean_scales(data.target)
        forward, inverse = TRANSFORMS[self.cfg.target_transform]
        target = [(s / c).astype(np.float32) for s, c in zip(data.target, scales, strict=True)]
        if forward is not _identity:
            target = [s.map(forward) for s in target]
        target = self.static(data, target)
        past, future = self.covariates(data)
        model = self.build(data, horizon)
        self.fit(model, target, past, future, horizon)
        self.model = model
        point = self.point_model(data, horizon)
        if point is not None:
            self.fit(point, target, past, future, horizon)
        if self.conformal:
            from darts.models import ConformalNaiveModel

            model = ConformalNaiveModel(
                model, quantiles=self.quantiles, cal_length=self.cfg.conformal.cal_length,
                random_state=self.cfg.seed,
            )
        paths, self.point = self.sample_paths(), None
        preds = model.predict(
            horizon, series=target, past_covariates=past, future_covariates=future,
            show_warnings=False, **self.predict_kwargs(),
            **({"num_samples": paths} if paths else {"predict_likelihood_parameters": True}),
        )
        if paths or point is not None:
            # the point forecast: the point model's, or else the path the median model makes
            # when fed its own medians (Darts' one-sample prediction of a quantile model), free
            # of the sampling noise
            median = (model if point is None else point).predict(
                horizon, series=target, past_covariates=past, future_covariates=future, num_samples=1,
                show_warnings=False, **self.predict_kwargs())
            self.point = inverse(np.stack([m.values(copy=False)[:, 0] for m in median])) * scales[:, None]
        if paths:  # (time, component, sample) -> (time, quantile)
            values = np.stack([np.quantile(p.all_values(copy=False)[:, 0, :], self.quantiles, axis=1).T for p in preds])
        else:
            values = np.stack([p.values(copy=False) for p in preds])
        # a monotone transform's inverse maps each quantile to the same quantile of demand
        return inverse(values) * scales[:, None, None]
