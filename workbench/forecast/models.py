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
``ConformalNaiveModel``; Croston and TSB's from the sale probability and pooled sale sizes).

The models live by job: the contract, the registry and the global base class in
:mod:`~workbench.forecast.base`, the per-series statistical models in
:mod:`~workbench.forecast.local`, the naive global baselines in
:mod:`~workbench.forecast.baselines`, the lagged-feature regressions in
:mod:`~workbench.forecast.regression`, the torch models in :mod:`workbench.forecast.deep`.
This module gathers them, so that importing it registers every non-torch model.
"""

from __future__ import annotations

from workbench.forecast.base import (
    MODELS,
    Forecaster,
    GlobalDarts,
    make_forecaster,
    mean_scales,
    quiet,
    register,
)
from workbench.forecast.baselines import ConformalBaseline, Drift, MovingAverage
from workbench.forecast.local import (
    LocalDarts,
    auto_arima,
    auto_ets,
    croston,
    seasonal_naive,
    theta,
    tsb,
)
from workbench.forecast.regression import LaggedFeatures, LightGBMGlobal, LinearGlobal

__all__ = [
    "MODELS",
    "ConformalBaseline",
    "Drift",
    "Forecaster",
    "GlobalDarts",
    "LaggedFeatures",
    "LightGBMGlobal",
    "LinearGlobal",
    "LocalDarts",
    "MovingAverage",
    "auto_arima",
    "auto_ets",
    "croston",
    "make_forecaster",
    "mean_scales",
    "quiet",
    "register",
    "seasonal_naive",
    "theta",
    "tsb",
]
