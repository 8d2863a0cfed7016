"""Forecast-residual detectors: how far each period's sales fall from a one-step forecast.

One global model of the forecasting registry (``anomaly.residual.model``, built by its
:class:`~workbench.forecast.base.GlobalDarts` entry with a horizon of one period, each target
divided by its mean over the fit window as the forecasters do, with the covariates the model
uses: holidays, promotions and closed days are known-future inputs, not anomalies) is trained
on the fit window through Darts' :class:`~darts.ad.ForecastingAnomalyModel`
(``allow_model_training=True``). Its one-step historical forecasts of every period from the
first the model can forecast are the call ``ForecastingAnomalyModel.predict_series`` makes
(``forecast_horizon=1``, ``retrain=False``: Darts' optimised historical forecasts), made here
for the model's quantiles (``predict_likelihood_parameters``: one model call per period, where
sampling calls the trees once per sample, 100 times slower); the samples the NLL scorer needs
are read off the quantile function at stratified levels (:meth:`ResidualDetector.sample_series`). :class:`ResidualForecasts`
holds the model and the forecasts, once per detector set: they dominate the cost, and the three
detectors share them. Scores are in each
series' *residual units* (its mean absolute one-step error over the fit window, at least half a
unit), so a slow mover and a best seller are judged alike:

* ``residual_norm``: Darts' ``NormScorer``, ``|actual - median forecast|``;
* ``residual_nll``: Darts' Laplace NLL scorer on the sampled forecasts. Laplace, because it fits
  both unit counts and store sales: a continuous density (Poisson needs integers, and store
  sales in dollars are not), defined for zero and negative values (Gamma and exponential are
  not: returns make net sales negative), with tails that grow linearly (a Gaussian's quadratic
  tail lets one typo outweigh everything) and a fit in closed form (Cauchy and Gamma fit every
  period by numerical optimisation). Its scale is floored at half the series' typical error:
  a forecast whose samples all agree (a slow mover forecast at zero) is not infinitely sure;
* ``residual_pyod``: Darts' ``PyODScorer`` with PyOD's KNN (``anomaly.knn``: its neighbours, and
  a seeded sample of ``max_rows`` fit windows) on windows of ``anomaly.residual.pyod_window``
  signed residuals, each period scored by the window that ends at it (``window_agg=False``:
  causal, so the daily monitor's newest day scores as in the batch). A window with one residual
  far out is far from every fit window; an Isolation Forest, splitting one of the window's
  periods at a time, ranked such a window below the middle of the pack.

:meth:`~ResidualDetector.evidence` quotes the median forecast (``expected``) and the fan
(``anomaly.residual.fan`` quantiles) in units. Closed periods are never scored.

The shared forecasts and the three scorers that read them are one job, kept in one module
(about 400 lines) so that what they share stays private to it.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd
import polars as pl
from darts.ad.scorers import LaplaceNLLScorer
from pyod.models.knn import KNN

from workbench.anomaly.base import AnomalyData, Detector, register_detector
from workbench.anomaly.features import CONTEXT, after_start
from workbench.data.panel import DATE

UNIT_FLOOR = 0.5  # the smallest typical error of a series, in units: half a unit of a count
NLL_MIN_SCALE = 0.5  # the narrowest Laplace scale of a forecast, in the series' residual units


class FlooredLaplaceNLLScorer(LaplaceNLLScorer):
    """Darts' Laplace NLL scorer with its fitted scale floored at ``min_scale``."""

    def __init__(self, window: int = 1, min_scale: float = NLL_MIN_SCALE) -> None:
        super().__init__(window=window)
        self.min_scale = min_scale

    def _score_core_nllikelihood(self, vals: np.ndarray, pred_vals: np.ndarray) -> np.ndarray:
        from scipy.stats import laplace

        loc = np.median(pred_vals, axis=1)  # the maximum-likelihood fit, as LaplaceNLLScorer's
        scale = np.maximum(np.abs(pred_vals - loc[:, None]).mean(axis=1), self.min_scale)
        return -laplace.logpdf(vals, loc=loc, scale=scale)


class SampledKNN(KNN):
    """PyOD's KNN (distance to the k-th nearest row), fitted on a seeded sample of at most
    ``max_rows`` rows: Darts' PyODScorer hands its model every window of the fit window."""

    def __init__(self, max_rows: int = 20_000, seed: int = 0, n_neighbors: int = 20, contamination: float = 0.1) -> None:
        super().__init__(n_neighbors=n_neighbors, contamination=contamination)
        self.max_rows, self.seed = max_rows, seed

    def fit(self, X, y=None):
        if len(X) > self.max_rows:
            X = X[np.sort(np.random.default_rng(self.seed).choice(len(X), self.max_rows, replace=False))]
        return super().fit(X, y)


@dataclass
class Forecasts:
    """One-step forecasts of the series of one :class:`AnomalyData`, per series (fit-time code)."""

    codes: np.ndarray  # the series' codes in the fitted model's series table
    times: list[pd.DatetimeIndex]
    positions: list[np.ndarray]  # the row of data.rows of each forecast period
    actual: list[np.ndarray]  # sales, in units
    quantiles: list[np.ndarray]  # (periods, quantiles) in units, sorted along the quantiles
    samples: list | None = None  # Darts TimeSeries of sampled forecasts in residual units, made once
    evidence: pl.DataFrame | None = None  # the fan per row of the data, made once


def _history(model) -> int:
    """Periods before its first forecast that the Darts model reads (its longest lag)."""
    lags = model.extreme_lags
    return max([-lag for lag in (lags[0], lags[2], lags[4]) if lag is not None and lag < 0] or [0])


def check_residual(cfg) -> None:
    """The ``anomaly.residual`` settings these detectors can work with (checked before a run, too)."""
    fan = list(cfg.residual.fan)
    if len(fan) != 2 or not 0 < fan[0] < 0.5 < fan[1] < 1:
        raise ValueError(f"anomaly.residual.fan={fan}; expected two quantiles, one below 0.5 and one above")
    if cfg.residual.num_samples < 2:
        raise ValueError(f"anomaly.residual.num_samples={cfg.residual.num_samples}; the NLL scorer needs at"
                         " least 2 sampled forecasts per period")


class ResidualForecasts:
    """The forecasting model, its series table and the forecasts of the last data, shared by the
    residual detectors of one set."""

    def __init__(self, cfg, forecast_cfg) -> None:
        if forecast_cfg is None:
            raise ValueError("the residual detectors need the forecast config (forecast.*): pass it to the detector")
        check_residual(cfg)
        self.cfg, self.forecast_cfg = cfg, forecast_cfg
        fan = list(cfg.residual.fan)
        # the fan, the median and the quartiles: enough for the samples, and each quantile is one model to fit
        self.quantiles = sorted({*fan, 0.25, 0.5, 0.75})
        self.model = None
        self.fit_key = None
        self._last: tuple | None = None  # (panel, start, Forecasts) of the last data forecast
        self._series: tuple | None = None  # (panel, SeriesSet) of the last panel converted

    def __getstate__(self) -> dict:  # the last data's series and forecasts are rebuilt on demand
        return {**self.__dict__, "_last": None, "_series": None}

    def series_set(self, panel):
        """The panel as Darts series (:func:`workbench.forecast.to_series_set`), converted once per panel."""
        from workbench.forecast import to_series_set

        if self._series is None or self._series[0] is not panel:
            self._series = (panel, to_series_set(panel))
        return self._series[1]

    def forecaster(self):
        from workbench.forecast import make_forecaster
        from workbench.forecast.base import GlobalDarts

        name = self.cfg.residual.model
        forecaster = make_forecaster(name, replace(self.forecast_cfg, quantiles=self.quantiles))
        if not isinstance(forecaster, GlobalDarts):
            raise ValueError(f"anomaly.residual.model={name}: a per-series model; expected a global model of the"
                             " forecasting registry with quantiles (lightgbm)")
        if forecaster.scale_covariates:
            # its covariates are scaled over all the periods it is given: the evaluation periods in the
            # batch, the tail in the daily monitor; the scores would read the future and differ
            raise ValueError(f"anomaly.residual.model={name} scales its covariates over the whole panel; expected"
                             " a model that reads them as they are (lightgbm)")
        return forecaster

    def fit(self, data: AnomalyData, fit_rows: np.ndarray) -> None:
        """Train the model on the fit window's dates (once per panel and window)."""
        from darts.ad import ForecastingAnomalyModel, NormScorer

        from workbench.forecast.base import mean_scales, quiet

        dates = data.rows.get_column(DATE).filter(pl.Series(np.asarray(fit_rows, dtype=bool)))
        if dates.is_empty():
            raise ValueError("fit_rows selects no row: the residual model has no fit window")
        key = (id(data.panel), dates.min(), dates.max())
        if key == self.fit_key:
            return
        quiet()
        self.forecaster_ = forecaster = self.forecaster()
        series = self.series_set(data.panel)
        self.model = model = forecaster.build(series, 1)
        first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
        self.need = _history(model)
        fit_part = [s.slice(first, last) if s.end_time() >= first and s.start_time() <= last else None
                    for s in series.target]
        kept = [i for i, s in enumerate(fit_part) if s is not None and len(s) > self.need + 1]
        if not kept:
            raise ValueError(f"no series has more than {self.need + 1} periods in the fit window: the residual model"
                             f" anomaly.residual.model={self.cfg.residual.model} reads {self.need} periods of lags")
        means = mean_scales([fit_part[i] for i in kept])
        self.series = series.keys[kept].with_columns(pl.Series("_code", np.arange(len(kept))),
                                                     pl.Series("_mean", means))
        view = replace(series.subset(kept), codes=np.arange(len(kept)))
        target, past, future = self._inputs(forecaster, view)
        fam = ForecastingAnomalyModel(model, NormScorer())
        fit_kwargs = {}
        section = getattr(self.forecast_cfg, self.cfg.residual.model, None)
        if hasattr(section, "max_samples_per_ts"):  # the model's own cap on training windows per series
            fit_kwargs["max_samples_per_ts"] = section.max_samples_per_ts
        fam.fit([t.slice(first, last) for t in target], past_covariates=past, future_covariates=future,
                allow_model_training=True, show_warnings=False, **fit_kwargs)
        self.fam, self.fit_end, self.fit_key, self._last = fam, last, key, None
        # each series' residual unit: its mean absolute one-step error over the fit window
        fc = self.forecasts(data)
        median = self.quantiles.index(0.5)
        mae = np.full(len(kept), np.nan)
        for code, times, actual, q in zip(fc.codes, fc.times, fc.actual, fc.quantiles, strict=True):
            inside = times <= last
            if inside.any():
                mae[code] = np.abs(actual[inside] - q[inside, median]).mean()
        self.series = self.series.with_columns(
            pl.Series("_unit", np.maximum(np.nan_to_num(mae, nan=UNIT_FLOOR), UNIT_FLOOR)))

    def _inputs(self, forecaster, view) -> tuple[list, list | None, list | None]:
        """The scaled targets (with the model's static covariates) and the covariates it uses."""
        means = self.series.get_column("_mean").to_numpy()[view.codes]
        target = [(s / m).astype(np.float32) for s, m in zip(view.target, means, strict=True)]
        past, future = forecaster.covariates(view)
        return forecaster.static(view, target), past, future

    def forecasts(self, data: AnomalyData) -> Forecasts:
        """One-step forecasts of every period of ``data`` from ``data.start`` (or the first the model
        can forecast); the series the model was not fitted on are left out. Made once per data."""
        if self.model is None:
            raise ValueError("the residual model is not fitted: call fit() first")
        if self._last is not None and self._last[0] is data.panel and self._last[1] == data.start:
            return self._last[2]
        series = self.series_set(data.panel)
        known = series.keys.with_row_index("_i").join(self.series.select([*data.keys, "_code"]), on=data.keys)
        start = pd.Timestamp(data.start) if data.start is not None else None
        index = [i for i in known.get_column("_i").to_list()
                 if len(series.target[i]) > self.need and (start is None or series.target[i].end_time() >= start)]
        if start is not None:  # a windowed scorer's first window at start needs the forecasts before it
            start -= (self.windows() - 1) * pd.tseries.frequencies.to_offset(series.freq)
        codes = known.filter(pl.col("_i").is_in(index)).sort("_i").get_column("_code").to_numpy()
        view = replace(series.subset(index), codes=codes)
        target, past, future = self._inputs(self.forecaster_, view)
        preds = self.fam.model.historical_forecasts(
            target, past_covariates=past, future_covariates=future, forecast_horizon=1, start=start, retrain=False,
            last_points_only=True, predict_likelihood_parameters=True, show_warnings=False,
        ) if index else []
        means = self.series.get_column("_mean").to_numpy()[codes]
        times = [p.time_index for p in preds]
        actual = [series.target[i].slice_intersect(p).values(copy=False)[:, 0].astype(np.float64)
                  for i, p in zip(index, preds, strict=True)]
        quantiles = [np.sort(p.values(copy=False).astype(np.float64), axis=1) * m for p, m in zip(preds, means, strict=True)]
        fc = Forecasts(codes, times, self._positions(data, codes, times), actual, quantiles)
        self._last = (data.panel, data.start, fc)
        return fc

    def _positions(self, data: AnomalyData, codes: np.ndarray, times: list[pd.DatetimeIndex]) -> list[np.ndarray]:
        """The row of ``data.rows`` of every forecast period (one join over all series)."""
        lengths = np.array([len(t) for t in times], dtype=np.int64)
        if not lengths.sum():
            return [np.zeros(0, dtype=np.int64) for _ in times]
        long = pl.DataFrame({
            "_code": np.repeat(codes, lengths), "_k": np.arange(lengths.sum()),
            DATE: pl.Series(np.concatenate([t.values for t in times])).cast(pl.Date),
        })
        # the series table's keys are text (as Darts' series ids are): match the rows' keys as text
        rows = data.rows.select(*[pl.col(k).cast(pl.String) for k in data.keys], DATE).with_row_index("_row").join(
            self.series.select([*data.keys, "_code"]), on=data.keys)
        found = long.join(rows.select("_code", DATE, "_row"), on=["_code", DATE], how="left").sort("_k")
        return np.split(found.get_column("_row").fill_null(-1).to_numpy().astype(np.int64), np.cumsum(lengths)[:-1])

    def windows(self) -> int:
        """The longest window of the scorers: periods of forecasts one score reads."""
        return max(self.cfg.residual.window, self.cfg.residual.pyod_window, 1)

    def units(self, fc: Forecasts) -> np.ndarray:
        return self.series.get_column("_unit").to_numpy()[fc.codes]

    def residual_series(self, fc: Forecasts) -> tuple[list, list]:
        """Actuals and median forecasts as Darts series, in residual units."""
        from darts import TimeSeries

        median = self.quantiles.index(0.5)
        actual, pred = [], []
        for t, a, q, u in zip(fc.times, fc.actual, fc.quantiles, self.units(fc), strict=True):
            actual.append(TimeSeries(times=t, values=(a / u)[:, None], copy=False))
            pred.append(TimeSeries(times=t, values=(q[:, median] / u)[:, None], copy=False))
        return actual, pred

    def sample_series(self, fc: Forecasts) -> list:
        """Forecast samples (``anomaly.residual.num_samples`` per period) in residual units: the
        forecast's quantile function, linear between the model's quantiles and flat beyond them, at
        the stratified levels ``(k + 1/2) / n``. Stratified rather than random draws, so that a
        period's samples are the same whichever periods are scored with it (the daily monitor
        scores a day alone) and need no generator state."""
        if fc.samples is not None:
            return fc.samples
        from darts import TimeSeries

        n = self.cfg.residual.num_samples
        levels = (np.arange(n) + 0.5) / n
        known = np.asarray(self.quantiles)
        right = np.clip(np.searchsorted(known, levels, side="right"), 1, len(known) - 1)
        weight = np.clip((levels - known[right - 1]) / (known[right] - known[right - 1]), 0.0, 1.0)
        flat = np.concatenate([q / u for q, u in zip(fc.quantiles, self.units(fc), strict=True)]
                              or [np.zeros((0, len(known)))])
        draws = flat[:, right - 1] + (flat[:, right] - flat[:, right - 1]) * weight
        bounds = np.cumsum([len(t) for t in fc.times])[:-1]
        fc.samples = [TimeSeries(times=t, values=d[:, None, :], copy=False)
                      for t, d in zip(fc.times, np.split(draws, bounds), strict=True)]
        return fc.samples

    def to_rows(self, data: AnomalyData, fc: Forecasts, scores: list) -> np.ndarray:
        """Scores (one Darts series per forecast series, ending with its forecasts) as one number per
        row of ``data.rows``: NaN where not scored, on context rows and before ``data.start``."""
        out = np.full(data.rows.height, np.nan)
        for pos, s in zip(fc.positions, scores, strict=True):
            if s is None:
                continue
            values = s.values(copy=False)[:, 0]
            tail = pos[len(pos) - len(values):]  # a windowed scorer drops the first window - 1 periods
            ok = tail >= 0
            out[tail[ok]] = values[ok]
        out[data.rows.get_column(CONTEXT).to_numpy() | ~after_start(data)] = np.nan
        out[~np.isfinite(out)] = np.nan
        return out

    def evidence(self, data: AnomalyData, fc: Forecasts) -> pl.DataFrame:
        """``expected`` (the median forecast) and the fan, in units, per row (null where not forecast);
        made once per forecasts, which every residual detector quotes."""
        if fc.evidence is not None:
            return fc.evidence
        fan = [self.quantiles.index(q) for q in sorted(self.cfg.residual.fan)]
        cols = {"fan_low": fan[0], "expected": self.quantiles.index(0.5), "fan_high": fan[1]}
        values = {c: np.full(data.rows.height, np.nan) for c in cols}
        hidden = data.rows.get_column(CONTEXT).to_numpy()
        for pos, q in zip(fc.positions, fc.quantiles, strict=True):
            ok = pos >= 0
            for c, j in cols.items():
                values[c][pos[ok]] = q[ok, j]
        fc.evidence = data.rows.select([*data.keys, DATE]).with_columns(
            pl.Series(c, np.where(hidden, np.nan, v)).fill_nan(None) for c, v in values.items())
        return fc.evidence


class ResidualDetector(Detector):
    """A Darts scorer on the shared one-step forecasts. Subclasses implement :meth:`darts_scores`."""

    kind = "series"
    name: ClassVar[str]

    def __init__(self, cfg, forecast=None) -> None:
        super().__init__(cfg, forecast)
        self.shared: ResidualForecasts | None = None  # the detector set hands every residual detector one
        self._evidence: pl.DataFrame | None = None

    def fit(self, data: AnomalyData, fit_rows: np.ndarray) -> ResidualDetector:
        if self.shared is None:
            self.shared = ResidualForecasts(self.cfg, self.forecast)
        self.shared.fit(data, fit_rows)
        self.fit_scorer(data)
        return self

    def fit_scorer(self, data: AnomalyData) -> None:
        """Fit the scorer on the fit window's forecasts (only the trainable scorers do)."""

    @abstractmethod
    def darts_scores(self, fc: Forecasts) -> list:
        """One Darts score series per forecast series (``None`` where a series has none)."""

    def score(self, data: AnomalyData) -> np.ndarray:
        if self.shared is None or self.shared.model is None:
            raise ValueError(f"detector {self.name!r} is not fitted: call fit() first")
        fc = self.shared.forecasts(data)
        scores = self.darts_scores(fc) if fc.times else []
        self._evidence = self.shared.evidence(data, fc)
        return self.shared.to_rows(data, fc, scores)

    def evidence(self) -> pl.DataFrame | None:
        return self._evidence

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_evidence": None}


@register_detector("residual_norm")
class ResidualNorm(ResidualDetector):
    """``|actual - median forecast|`` in residual units (Darts ``NormScorer``)."""

    name = "residual_norm"

    def darts_scores(self, fc):
        from darts.ad import NormScorer

        actual, pred = self.shared.residual_series(fc)
        return NormScorer().score_from_prediction(actual, pred)


@register_detector("residual_nll")
class ResidualNLL(ResidualDetector):
    """Negative log-likelihood of the actual under a Laplace fitted to the sampled forecasts."""

    name = "residual_nll"

    def darts_scores(self, fc):
        actual, _ = self.shared.residual_series(fc)
        scorer = FlooredLaplaceNLLScorer(window=self.cfg.residual.window)
        return scorer.score_from_prediction(actual, self.shared.sample_series(fc))


@register_detector("residual_pyod")
class ResidualPyOD(ResidualDetector):
    """KNN on windows of signed residuals (Darts ``PyODScorer``)."""

    name = "residual_pyod"

    def fit_scorer(self, data):
        from darts import metrics
        from darts.ad import PyODScorer

        window = self.cfg.residual.pyod_window
        if window < 1:
            raise ValueError(f"anomaly.residual.pyod_window={window}; expected at least 1 period")
        shared = self.shared
        actual, pred = shared.residual_series(shared.forecasts(data))
        pairs = [(a.slice(a.start_time(), shared.fit_end), p.slice(p.start_time(), shared.fit_end))
                 for a, p in zip(actual, pred, strict=True) if a.start_time() <= shared.fit_end]
        pairs = [(a, p) for a, p in pairs if len(a) >= window]
        if not pairs:
            raise ValueError(f"no series has {window} forecast periods in the fit window"
                             " (anomaly.residual.pyod_window); lengthen the fit window or shorten the window")
        model = SampledKNN(max_rows=self.cfg.knn.max_rows, seed=self.cfg.seed, n_neighbors=self.cfg.knn.n_neighbors,
                           contamination=self.cfg.threshold.contamination)
        self.scorer = PyODScorer(model, window=window, window_agg=False, diff_fn=metrics.err)
        self.scorer.fit_from_prediction([a for a, _ in pairs], [p for _, p in pairs])

    def darts_scores(self, fc):
        actual, pred = self.shared.residual_series(fc)
        long = [i for i, a in enumerate(actual) if len(a) >= self.scorer.window]  # a shorter one has no window
        out: list = [None] * len(actual)
        if long:
            scores = self.scorer.score_from_prediction([actual[i] for i in long], [pred[i] for i in long])
            for i, s in zip(long, scores, strict=True):
                out[i] = s
        return out
