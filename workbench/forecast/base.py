"""The forecaster contract, its registry and the shared machinery of the global models.

:class:`Forecaster` is the contract every entry of :data:`MODELS` fulfils: given what is known
at a cutoff (a :class:`~workbench.forecast.series.SeriesSet`), the quantiles of demand over the
next ``horizon`` periods as an array ``[series, step, quantile]``. :class:`GlobalDarts` is the
base of every model fitted once over all series (the baselines and regressions here, the torch
models of :mod:`workbench.forecast.deep`): scaling by each series' mean, covariates, conformal
wrapping and unscaling live once, in it.

:meth:`Forecaster.forecast` fits and forecasts; :meth:`Forecaster.forecast_later` forecasts from a
later cutoff of the same series with the model as last fitted, which is how a plan re-forecasts
at every review. A global model predicts on the longer history without refitting (what Darts'
``historical_forecasts(retrain=False)`` does for a global model); a local model's fit is per
series and cheap, so by default it fits again.
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import Any, ClassVar

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
    refits_later: ClassVar[bool] = True  # forecast_later() fits again (False: the last fit predicts)

    @property
    def news_later(self) -> bool:
        """Whether a forecast from a later cutoff can differ from the origin's forecast read from that
        day on: False for a model whose inputs for every date of the window are all known at the origin
        (a direct multi-horizon regression whose lags end a horizon before each date), which then need
        not forecast again."""
        return True

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

    def forecast_later(self, data: SeriesSet, horizon: int) -> np.ndarray:
        """Quantiles ``[series, step, quantile]`` for the ``horizon`` periods after a later cutoff
        of the series last given to :meth:`forecast`, from the model as fitted there.

        A local model's fit is per series and cheap: here it simply fits again at the new
        cutoff (:attr:`refits_later`). ``point`` and ``notes`` are set as :meth:`forecast` sets them."""
        return self.forecast(data, horizon)

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

    refits_later = False

    def __init__(self, cfg) -> None:
        super().__init__(cfg)
        self.model = None  # the last fitted model, for explain()
        self.fitted: Fitted | None = None  # what the last forecast() fitted, which forecast_later() reuses
        self._scalers: dict[str, Any] = {}  # the covariates' scalers, fitted on the last forecast()'s view

    @abstractmethod
    def build(self, data: SeriesSet, horizon: int):
        """An unfitted Darts model."""

    def covariates(self, data: SeriesSet) -> tuple[list | None, list | None]:
        """The covariates the model uses; scaled when it needs it, by a scaler fitted on what the
        view of the last :meth:`forecast` held, which is known at its cutoff (the known-future ones
        up to the horizon's end); :meth:`forecast_later` scales the later view with the same scaler."""
        past = data.past if self.uses_past else None
        future = data.future if self.uses_future else None
        if not self.scale_covariates:
            return past, future
        from darts.dataprocessing.transformers import Scaler

        def scale(xs, kind: str):
            if xs is None:
                return None
            if kind not in self._scalers:  # forecast() empties them: fitted once per fit
                self._scalers[kind] = Scaler(global_fit=True).fit(xs)
            return [x.astype(np.float32) for x in self._scalers[kind].transform(xs)]

        return scale(past, "past"), scale(future, "future")

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

    def inputs(self, data: SeriesSet, scales: np.ndarray) -> tuple[list, list | None, list | None]:
        """The model's inputs: each target divided by its scale and transformed
        (``forecast.target_transform``), with its static covariates, and the covariates."""
        forward, _ = TRANSFORMS[self.cfg.target_transform]
        target = [(s / c).astype(np.float32) for s, c in zip(data.target, scales, strict=True)]
        if forward is not _identity:
            target = [s.map(forward) for s in target]
        past, future = self.covariates(data)
        return self.static(data, target), past, future

    def forecast(self, data: SeriesSet, horizon: int) -> np.ndarray:
        quiet()
        scales = mean_scales(data.target)
        self._scalers = {}
        target, past, future = self.inputs(data, scales)
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
        self.fitted = Fitted(data.keys, scales, model, point, horizon)
        return self.predict(target, past, future, horizon)

    def forecast_later(self, data: SeriesSet, horizon: int) -> np.ndarray:
        """The last fit's forecast from a later cutoff of the same series, not fitted again.

        The fitted model (with its point model and conformal wrapper) predicts on each series up
        to the new cutoff, scaled by the scales and covariate scalers of the fit: for a global
        model, what Darts' ``historical_forecasts(retrain=False)`` does at that cutoff."""
        if self.fitted is None:
            raise ValueError(f"{type(self).__name__}.forecast_later() needs a fit: call forecast() first")
        if not data.keys.equals(self.fitted.keys):
            raise ValueError(f"{type(self).__name__}.forecast_later() got {data.keys.height} series, not the"
                             f" {self.fitted.keys.height} of the last forecast() in the same order: a later cutoff"
                             " forecasts the series the model was fitted for")
        quiet()
        data, held = self.reach(data)
        self.notes = [] if not held else [
            f"known-future covariates held at their last values for {held} periods past their end, which the"
            f" output chunk of {self.fitted.horizon} periods reaches (read only by models that see the whole"
            " chunk's covariates at every step: per-step regressions, torch models)"]
        target, past, future = self.inputs(data, self.fitted.scales)
        return self.predict(target, past, future, horizon)

    def reach(self, data: SeriesSet) -> tuple[SeriesSet, int]:
        """``data`` with its known-future covariates reaching the end of the fitted output chunk
        (``forecast()``'s horizon) after the cutoff, as Darts requires even for a shorter forecast;
        where they end sooner (the panel's last date), held at their last values. Returns the
        periods held at most."""
        if data.future is None or not self.uses_future:
            return data, 0
        freq = data.target[0].freq
        ends = [t.end_time() + self.fitted.horizon * freq for t in data.target]
        short = [max(0, (end - f.end_time()) // freq) for f, end in zip(data.future, ends, strict=True)]
        if not any(short):
            return data, 0
        future = [f if k == 0 else f.append_values(np.repeat(f.values(copy=False)[-1:], k, axis=0))
                  for f, k in zip(data.future, short, strict=True)]
        return replace(data, future=future), int(max(short))

    def predict(self, target: list, past: list | None, future: list | None, horizon: int) -> np.ndarray:
        """Quantiles ``[series, step, quantile]`` of the fitted model on ``target`` (scaled), unscaled
        by the fit's scales; sets :attr:`point`."""
        fitted = self.fitted
        _, inverse = TRANSFORMS[self.cfg.target_transform]
        paths, self.point = self.sample_paths(), None
        preds = fitted.model.predict(
            horizon, series=target, past_covariates=past, future_covariates=future,
            show_warnings=False, **self.predict_kwargs(),
            **({"num_samples": paths} if paths else {"predict_likelihood_parameters": True}),
        )
        scales = fitted.scales
        if paths or fitted.point is not None:
            # the point forecast: the point model's, or else the path the median model makes
            # when fed its own medians (Darts' one-sample prediction of a quantile model), free
            # of the sampling noise
            median = (fitted.model if fitted.point is None else fitted.point).predict(
                horizon, series=target, past_covariates=past, future_covariates=future, num_samples=1,
                show_warnings=False, **self.predict_kwargs())
            self.point = inverse(np.stack([m.values(copy=False)[:, 0] for m in median])) * scales[:, None]
        if paths:  # (time, component, sample) -> (time, quantile)
            values = np.stack([np.quantile(p.all_values(copy=False)[:, 0, :], self.quantiles, axis=1).T for p in preds])
        else:
            values = np.stack([p.values(copy=False) for p in preds])
        # a monotone transform's inverse maps each quantile to the same quantile of demand
        return inverse(values) * scales[:, None, None]


@dataclass
class Fitted:
    """What :meth:`GlobalDarts.forecast` fitted and :meth:`GlobalDarts.forecast_later` reuses."""

    keys: pl.DataFrame  # the series, in order
    scales: np.ndarray  # each series' mean level at the fit (:func:`mean_scales`)
    model: Any  # the fitted Darts model of the quantiles (wrapped in ConformalNaiveModel where conformal)
    point: Any  # the fitted Darts point model, or None
    horizon: int  # the fit's horizon: the models' output chunk
