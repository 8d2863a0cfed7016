"""Global regression models: one model over the lags and covariates of all series (Darts ``SKLearnModel`` family).

LightGBM gives quantiles natively (one quantile model per level) and its point forecast from
one more, least-squares model (``forecast.lightgbm.point``); it splits the data's categories
(store type, department, day of week, the series itself) as categories. The linear regression
gets conformal intervals from its own recent errors.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from workbench.config.forecast import PointObjective
from workbench.forecast.base import GlobalDarts, register
from workbench.forecast.series import SeriesSet

SERIES_ID = "s_series"  # the static covariate naming each series (LightGBM's series_id)


def _with_column(static, name: str, value: float):
    """A series' static covariates (a one-row pandas frame, or None) with one more column."""
    import pandas as pd

    frame = static.copy() if static is not None else pd.DataFrame(index=[0])
    frame[name] = np.float32(value)
    return frame


def target_lags(lags: int, seasonal: list[int] | tuple[int, ...] = ()) -> int | list[int]:
    """Darts' ``lags``: the last ``lags`` periods, plus the ``seasonal`` ones further back."""
    extra = sorted({int(k) for k in seasonal if int(k) > lags})
    return lags if not extra else [-k for k in [*extra[::-1], *range(lags, 0, -1)]]


def _lagged_kwargs(data: SeriesSet, lags: int | list[int], lags_past: int, horizon: int,
                   strategy: str = "direct", lags_future: int = 0) -> dict:
    """Darts' settings for a ``strategy`` (``forecast.lightgbm.strategy``): ``direct``, one
    model for every step trained to forecast ``horizon`` steps ahead (Darts then feeds each
    step the lags that end ``horizon`` steps before it); ``per_step``, one model per step, each
    with the latest lags, ``horizon`` times the fitting; ``recursive``, one model one step ahead
    (the forecast then feeds itself step by step; no past covariates, unknown after the origin)."""
    # Darts counts future lags from the first step of the chunk, and with one model for all
    # steps shifts each step's features back by horizon - 1: lag horizon - 1 is the step's own
    # value. With one model per step, each sees the whole horizon's known-future values.
    # ``lags_future`` adds the known-future values of the periods before the step (closed
    # yesterday, a promotion that started three days ago).
    recursive = strategy == "recursive"
    chunk = 1 if recursive else horizon
    future_lags = list(range(horizon)) if strategy == "per_step" else list(range(chunk - 1 - lags_future, chunk))
    return dict(
        lags=lags,
        lags_past_covariates=lags_past if (data.past is not None and lags_past > 0 and not recursive) else None,
        lags_future_covariates=future_lags if data.future is not None else None,
        output_chunk_length=chunk,
        multi_models=strategy == "per_step",
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
        lc = self.cfg.lightgbm
        return 0 if lc.strategy == "recursive" else lc.lags_past_covariates

    @property
    def news_later(self) -> bool:
        # direct: the lags of every step end a whole horizon before it, so nothing seen after the
        # origin reaches a date of the window (tests/forecast/test_rolling.py checks the equality)
        return self.cfg.lightgbm.strategy != "direct"

    @property
    def min_history(self) -> int:
        lc = self.cfg.lightgbm  # the longest lag, of the target or of a covariate, plus one horizon
        longest = max(lc.lags, *lc.seasonal_lags, self._lags_past(), lc.lags_future_covariates)
        return max(self.cfg.season_length, longest + self.cfg.horizon) + 1

    def sample_paths(self) -> int:
        lc = self.cfg.lightgbm
        return lc.sample_paths if lc.strategy == "recursive" else 0

    def static(self, data, target):
        if not self.cfg.lightgbm.series_id or data.codes is None:
            return target
        return [s.with_static_covariates(_with_column(s.static_covariates, SERIES_ID, float(code)))
                for s, code in zip(target, data.codes, strict=True)]

    def categories(self, data: SeriesSet) -> dict:
        """Darts' ``categorical_*_covariates``: the data's category codes (:attr:`SeriesSet.categorical`)
        and the series' identity, as LightGBM categories."""
        lc = self.cfg.lightgbm
        names = set(data.categorical) if lc.categorical else set()
        static = data.target[0].static_covariates
        cat_static = [c for c in (static.columns if static is not None else []) if c in names]
        if lc.series_id and data.codes is not None:
            cat_static.append(SERIES_ID)
        future = [c for c in data.future[0].components if c in names] if data.future is not None else []
        return dict(categorical_static_covariates=cat_static or None, categorical_future_covariates=future or None)

    def _lightgbm(self, data, horizon, **objective):
        from darts.models import LightGBMModel

        lc = self.cfg.lightgbm
        return LightGBMModel(
            **_lagged_kwargs(data, target_lags(lc.lags, lc.seasonal_lags), lc.lags_past_covariates, horizon,
                             lc.strategy, lc.lags_future_covariates),
            **objective,
            **self.categories(data),
            n_estimators=lc.n_estimators,
            learning_rate=lc.learning_rate,
            num_leaves=lc.num_leaves,
            random_state=self.cfg.seed,
            n_jobs=self.cfg.n_jobs if self.cfg.n_jobs > 0 else None,
            verbose=-1,
        )

    def build(self, data, horizon):
        return self._lightgbm(data, horizon, likelihood="quantile", quantiles=self.quantiles)

    def point_model(self, data, horizon):
        return self._lightgbm(data, horizon) if self.cfg.lightgbm.point == PointObjective.l2 else None

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
        lags = max(self.cfg.linear.lags, self.cfg.linear.lags_past_covariates)
        return max(self.cfg.season_length, lags) + self.cfg.conformal.cal_length + self.cfg.horizon + 1

    def build(self, data, horizon):
        from darts.models import LinearRegressionModel

        lc = self.cfg.linear
        return LinearRegressionModel(**_lagged_kwargs(data, lc.lags, lc.lags_past_covariates, horizon))
