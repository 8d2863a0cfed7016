"""Global regression models: one model over the lags and covariates of all series (Darts ``SKLearnModel`` family).

LightGBM gives quantiles natively (one quantile model per level); the linear regression gets
conformal intervals from its own recent errors.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from workbench.forecast.base import GlobalDarts, register
from workbench.forecast.series import SeriesSet


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
        lc = self.cfg.lightgbm  # the longest lag, of the target or of a past covariate, plus one horizon
        return max(self.cfg.season_length, max(lc.lags, lc.lags_past_covariates) + self.cfg.horizon) + 1

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
        lags = max(self.cfg.linear.lags, self.cfg.linear.lags_past_covariates)
        return max(self.cfg.season_length, lags) + self.cfg.conformal.cal_length + self.cfg.horizon + 1

    def build(self, data, horizon):
        from darts.models import LinearRegressionModel

        lc = self.cfg.linear
        return LinearRegressionModel(**_lagged_kwargs(data, lc.lags, lc.lags_past_covariates, horizon))
