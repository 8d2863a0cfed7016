"""The late-delivery model: the probability that a shipment arrives late and quantiles of its delay,
from what is known when the order is placed.

LightGBM (https://lightgbm.readthedocs.io) fits a binary classifier of ``late`` and one quantile
regression of the delay (days after the scheduled date, early deliveries counted as 0) per level of
``risk.model.delay_quantiles``. The features are ``risk.model.features`` plus the scheduled month;
anything only known after delivery is refused (:func:`check_features`), and so is the year, whose
test values lie beyond every training value.

Shipments are split by scheduled date (:func:`time_split`), never shuffled, and everything the model
learns, the set of category values included, comes from the training shipments only: a vendor first
seen in the test period is a missing value to the model, as it would be on the day of the order.
:func:`evaluate` scores the classifier against the training base rate (Brier skill), the delay
quantiles against the training set's unconditional quantiles (pinball loss), and explains the
classifier with LightGBM's own TreeSHAP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import lightgbm as lgb
import numpy as np
import polars as pl
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss, mean_pinball_loss, roc_auc_score

from workbench.config.risk import LateModelConfig
from workbench.risk.schema import (
    AMOUNTS,
    DELAY,
    DELIVERED,
    FREIGHT,
    INSURANCE,
    LATE,
    LEAD_RATIO,
    LEAD_TIME,
    MODE,
    MONTH,
    NOTE,
    RECORDED,
    SCHEDULED,
    SHIPMENT_ID,
    VENDOR,
    YEAR,
)

# columns whose values exist only once the shipment has arrived (and what was paid for it)
POST_DELIVERY = (DELIVERED, RECORDED, DELAY, LATE, LEAD_TIME, LEAD_RATIO, FREIGHT, INSURANCE,
                 *(f"{amount}{NOTE}" for amount in AMOUNTS))
P_LATE = "p_late"
SET = "set"


def model_features(cfg: LateModelConfig) -> list[str]:
    """``risk.model.features`` and the scheduled month, each once."""
    return list(dict.fromkeys([*cfg.features, MONTH]))


def delay_column(quantile: float) -> str:
    """The column of a delay quantile: ``delay_q50`` for 0.5, ``delay_q97.5`` for 0.975.

    >>> delay_column(0.5), delay_column(0.9), delay_column(0.975)
    ('delay_q50', 'delay_q90', 'delay_q97.5')
    """
    return f"delay_q{round(100 * quantile, 6):g}"


def check_features(features: Sequence[str], frame: pl.DataFrame) -> None:
    """Refuse a feature that is only known after delivery, the year, a column the shipment history
    lacks, or one that is neither text nor a number."""
    for name in features:
        if name in POST_DELIVERY or name.endswith(NOTE):
            raise ValueError(f"risk.model.features: {name!r} is only known after delivery; expected columns known"
                             f" when the order is placed (not {sorted(POST_DELIVERY)})")
        if name == YEAR:
            raise ValueError(f"risk.model.features: {YEAR!r} is not a feature: every test year lies beyond the"
                             " training years, where trees only repeat the last one (the month is added already)")
        if name not in frame.columns:
            raise ValueError(f"risk.model.features: {name!r} is not a column of the shipment history;"
                             f" columns: {frame.columns}")
        dtype = frame.schema[name]
        if not (dtype == pl.String or dtype == pl.Boolean or dtype == pl.Null or dtype.is_numeric()):
            raise ValueError(f"risk.model.features: {name!r} is {dtype}; expected a text (a category) or a number")


def time_split(frame: pl.DataFrame, test_from: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Training shipments (scheduled before ``test_from``) and test shipments (on or after it), each
    in order of scheduled date and shipment id, so the model depends neither on chance nor on the
    order of the file."""
    try:
        cut = date.fromisoformat(test_from)
    except (TypeError, ValueError):
        raise ValueError(f"risk.model.test_from={test_from!r}; expected a date YYYY-MM-DD") from None
    _require_filled(frame, (SHIPMENT_ID, SCHEDULED), "the", "a scheduled date on every shipment")
    order = [SCHEDULED, SHIPMENT_ID]
    train = frame.filter(pl.col(SCHEDULED) < cut).sort(order)
    test = frame.filter(pl.col(SCHEDULED) >= cut).sort(order)
    for side, rows in (("before", train), ("on or after", test)):
        if rows.height == 0:
            raise ValueError(f"risk.model.test_from={test_from}: no shipments scheduled {side} it; scheduled dates"
                             f" run from {frame[SCHEDULED].min()} to {frame[SCHEDULED].max()}")
    return train, test


class LateModel:
    """LightGBM classifier of ``late`` and quantile regressions of the delay on order-time features.

    Text features are categories numbered by the sorted values seen in training; any other value,
    and a null, is LightGBM's missing value.
    """

    def __init__(self) -> None:
        self.features: list[str] = []
        self.categories: dict[str, list[str]] = {}  # text feature -> the values seen in training
        self.quantiles: list[float] = []
        self.classifier: lgb.LGBMClassifier | None = None
        self.regressors: list[lgb.LGBMRegressor] = []

    def fit(self, train: pl.DataFrame, cfg: LateModelConfig) -> LateModel:
        """Fit the classifier and the delay quantiles on ``train`` alone (categories, bins and trees)."""
        _check_config(cfg)
        self.features = model_features(cfg)
        check_features(self.features, train)
        _check_labels(train, "training")
        late = train[LATE].cast(pl.Int8).to_numpy()
        if late.min() == late.max():
            raise ValueError(f"risk.model.test_from={cfg.test_from}: the {train.height} training shipments are all"
                             f" {'late' if late[0] else 'on time'}; expected both outcomes")
        self.categories = {name: train[name].drop_nulls().unique().sort().to_list()
                           for name in self.features if train.schema[name] == pl.String}
        self.quantiles = sorted(cfg.delay_quantiles)
        x = self.matrix(train)
        fit_args = {"categorical_feature": list(self.categories)}
        params = {"n_estimators": cfg.n_estimators, "learning_rate": cfg.learning_rate, "num_leaves": cfg.num_leaves,
                  "min_child_samples": cfg.min_child_samples, "random_state": cfg.seed, "n_jobs": 1,
                  "deterministic": True, "force_col_wise": True, "verbose": -1}
        self.classifier = lgb.LGBMClassifier(**params).fit(x, late, **fit_args)
        delay = _delay_target(train)
        self.regressors = [lgb.LGBMRegressor(objective="quantile", alpha=q, **params).fit(x, delay, **fit_args)
                           for q in self.quantiles]
        return self

    def matrix(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The features of ``frame`` as LightGBM reads them (``Float64``): category codes of training,
        null (LightGBM's missing) for a value not seen in training."""
        if not self.features:
            raise ValueError("the late-delivery model is not fitted; call fit first")
        check_features(self.features, frame)
        columns = []
        for name in self.features:
            if name in self.categories:
                if frame.schema[name] != pl.String:
                    raise ValueError(f"risk.model.features: {name!r} is {frame.schema[name]} here but was a text in"
                                     " training; expected a text")
                cats = self.categories[name]
                columns.append(pl.col(name).replace_strict(cats, list(range(len(cats))), default=None,
                                                           return_dtype=pl.Float64))
            else:
                columns.append(pl.col(name).cast(pl.Float64))
        return frame.select(columns)

    def predict_late(self, frame: pl.DataFrame) -> np.ndarray:
        """The probability that each shipment is late."""
        x = self.matrix(frame)
        return self.classifier.predict_proba(x)[:, 1]

    def predict_delay(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Delay quantiles in days (``delay_q50``, ``delay_q90``, ...), at least 0 and non-decreasing
        across levels on every row (each level is a separate model, so their predictions may cross)."""
        x = self.matrix(frame)
        predicted = np.column_stack([r.predict(x) for r in self.regressors])
        predicted = np.sort(np.maximum(predicted, 0.0), axis=1)
        return pl.DataFrame(predicted, schema=[delay_column(q) for q in self.quantiles], orient="row")


@dataclass
class LateModelResult:
    """A fitted late-delivery model and its scores.

    ``scores``: set, shipments, late_share, roc_auc, brier, brier_base, brier_skill, log_loss (one row
    for train, one for test; the base predicts the training late share for everyone).
    ``delay_scores``: quantile, column, pinball, pinball_base, pinball_skill, coverage, coverage_base on
    the test set (the base is the training set's unconditional quantile).
    ``calibration``: bin, mean_predicted, observed_late, shipments (test set, bins of equal counts).
    ``importance``: feature, mean_abs_shap (log-odds, test set), gain, splits; largest first.
    ``predictions``: shipment_id, scheduled_date, vendor, mode, p_late, the delay quantiles, late,
    delay_days of every test shipment.
    """

    model: LateModel
    scores: pl.DataFrame
    delay_scores: pl.DataFrame
    calibration: pl.DataFrame
    importance: pl.DataFrame
    predictions: pl.DataFrame


def evaluate(model: LateModel, train: pl.DataFrame, test: pl.DataFrame, cfg: LateModelConfig) -> LateModelResult:
    """Score a fitted model on its training shipments and on the later test shipments."""
    _check_labels(test, "test")
    base_rate = float(train[LATE].mean())
    p_train, p_test = model.predict_late(train), model.predict_late(test)
    scores = pl.DataFrame([_probability_scores("train", train[LATE].to_numpy(), p_train, base_rate),
                           _probability_scores("test", test[LATE].to_numpy(), p_test, base_rate)])
    quantiles = model.predict_delay(test)
    return LateModelResult(
        model=model,
        scores=scores,
        delay_scores=_delay_scores(model.quantiles, quantiles, _delay_target(train), _delay_target(test)),
        calibration=_calibration(test[LATE].to_numpy(), p_test, cfg.calibration_bins),
        importance=_importance(model, test),
        predictions=test.select(SHIPMENT_ID, SCHEDULED, VENDOR, MODE)
        .with_columns(pl.Series(P_LATE, p_test))
        .hstack(quantiles)
        .with_columns(test[LATE], test[DELAY]),
    )


def run_late_model(frame: pl.DataFrame, cfg: LateModelConfig) -> LateModelResult:
    """Split the shipment history at ``risk.model.test_from``, fit on the earlier shipments, score both."""
    train, test = time_split(frame, cfg.test_from)
    return evaluate(LateModel().fit(train, cfg), train, test, cfg)


def _probability_scores(name: str, late: np.ndarray, p: np.ndarray, base_rate: float) -> dict[str, object]:
    y = late.astype(np.int8)
    brier = brier_score_loss(y, p, labels=[0, 1])
    brier_base = brier_score_loss(y, np.full_like(p, base_rate), labels=[0, 1])
    both = 0 < y.sum() < y.size  # ROC-AUC needs both outcomes
    return {SET: name, "shipments": y.size, "late_share": float(y.mean()),
            "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
            "brier": float(brier), "brier_base": float(brier_base),
            "brier_skill": 1.0 - brier / brier_base if brier_base > 0 else float("nan"),
            "log_loss": float(log_loss(y, p, labels=[0, 1]))}


def _delay_scores(levels: list[float], predicted: pl.DataFrame, train_delay: np.ndarray,
                  test_delay: np.ndarray) -> pl.DataFrame:
    rows = []
    for q in levels:
        column = delay_column(q)
        pred = predicted[column].to_numpy()
        base = np.full_like(test_delay, np.quantile(train_delay, q))
        pinball = mean_pinball_loss(test_delay, pred, alpha=q)
        pinball_base = mean_pinball_loss(test_delay, base, alpha=q)
        rows.append({"quantile": q, "column": column, "pinball": pinball, "pinball_base": pinball_base,
                     "pinball_skill": 1.0 - pinball / pinball_base if pinball_base > 0 else float("nan"),
                     "coverage": float(np.mean(test_delay <= pred)), "coverage_base": float(np.mean(test_delay <= base))})
    return pl.DataFrame(rows)


def _calibration(late: np.ndarray, p: np.ndarray, bins: int) -> pl.DataFrame:
    observed, predicted = calibration_curve(late.astype(np.int8), p, n_bins=bins, strategy="quantile")
    # calibration_curve drops empty bins and does not return counts: count with its own edges
    # (percentiles of p, rows assigned by searchsorted on the inner edges), keeping the non-empty bins
    edges = np.percentile(p, np.linspace(0.0, 100.0, bins + 1))
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=bins)
    counts = counts[counts > 0]
    return pl.DataFrame({"bin": np.arange(1, counts.size + 1), "mean_predicted": predicted,
                         "observed_late": observed, "shipments": counts})


def _importance(model: LateModel, test: pl.DataFrame) -> pl.DataFrame:
    booster = model.classifier.booster_
    # TreeSHAP contributions in log-odds, one column per feature and a last one for the expected value
    contributions = booster.predict(model.matrix(test), pred_contrib=True)
    return pl.DataFrame({
        "feature": model.features,
        "mean_abs_shap": np.abs(contributions[:, :-1]).mean(axis=0),
        "gain": booster.feature_importance(importance_type="gain"),
        "splits": booster.feature_importance(importance_type="split"),
    }).sort(["mean_abs_shap", "gain"], descending=True)


def _delay_target(frame: pl.DataFrame) -> np.ndarray:
    """Days late: the delay with early deliveries counted as on time (0)."""
    return frame[DELAY].clip(lower_bound=0).cast(pl.Float64).to_numpy()


def _check_labels(frame: pl.DataFrame, name: str) -> None:
    _require_filled(frame, (LATE, DELAY), name, "delivered shipments")


def _require_filled(frame: pl.DataFrame, columns: Sequence[str], name: str, expected: str) -> None:
    """Every one of ``columns`` in ``frame`` (the ``name`` shipments) and filled on every row; an
    error names the column and the first shipment ids without it."""
    for column in columns:
        if column not in frame.columns:
            raise ValueError(f"shipment history: no column {column!r} in the {name} shipments; columns: {frame.columns}")
        missing = frame.filter(pl.col(column).is_null())
        if missing.height:
            ids = missing[SHIPMENT_ID].head(5).to_list() if SHIPMENT_ID in frame.columns else []
            raise ValueError(f"shipment history: {missing.height} {name} shipments without {column!r}"
                             f" (shipment_id {ids}); expected {expected}")


def _check_config(cfg: LateModelConfig) -> None:
    if not isinstance(cfg.seed, int):
        raise ValueError(f"risk.model.seed={cfg.seed!r}; expected an integer (a resolved config)")
    levels = list(cfg.delay_quantiles)
    if not levels or any(not 0.0 < q < 1.0 for q in levels) or len(set(map(delay_column, levels))) < len(levels):
        raise ValueError(f"risk.model.delay_quantiles={levels}; expected distinct levels strictly between 0 and 1")
    if cfg.calibration_bins < 2:
        raise ValueError(f"risk.model.calibration_bins={cfg.calibration_bins}; expected at least 2")
