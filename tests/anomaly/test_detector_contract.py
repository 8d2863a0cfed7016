"""One contract over every registered detector: fit and score a small labelled shop with closed
days; finite scores where a score is due, NaN on closed days, the same numbers twice, and the
labelled periods scoring above the normal ones."""

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

import workbench.anomaly.detectors  # noqa: F401  (registers the PyOD detectors)
import workbench.anomaly.ensemble  # noqa: F401
import workbench.anomaly.residual  # noqa: F401
from workbench.anomaly.base import DETECTORS
from workbench.anomaly.features import CONTEXT, anomaly_data
from workbench.config import section
from workbench.data import DemandPanel, load_data

KEYS = ["item_id", "channel"]
# what a one-step sales forecast can see: recorded sales unlike any customer's demand in one period
# (a forecast that reads yesterday's sales follows a longer fault, and stock faults leave sales alone)
SALES_TYPES = ("spike", "duplicate_order")
# small and quick: every detector with few trees, epochs and samples
OVERRIDES = ("data.n_items=10", "data.n_days=300", "anomaly.iforest.n_estimators=50", "anomaly.autoencoder.epochs=4",
             "anomaly.residual.num_samples=30", "forecast.quantiles=[0.05,0.25,0.5,0.75,0.95]")


def closed_twice_a_month(panel: DemandPanel) -> DemandPanel:
    """The shop closed on the 1st and the 15th: nothing sold, a known-future flag."""
    shut = pl.col("date").dt.day().is_in([1, 15])
    df = panel.demand.with_columns(shut.cast(pl.Float64).alias("closed")).with_columns(
        pl.when(shut).then(0.0).otherwise(pl.col(c)).alias(c) for c in ("demand", "purchases"))
    return replace(panel, demand=df, known_future=(*panel.known_future, "closed"))


@pytest.fixture(scope="module")
def shop(quick):
    cfg = quick.plain(*OVERRIDES)
    panel = closed_twice_a_month(load_data(section(cfg, "data")))
    anomaly, forecast = section(cfg, "anomaly"), section(cfg, "forecast")
    data = anomaly_data(panel, anomaly)
    # the detectors see robust-scaled features, as the detector set gives them
    from sklearn.preprocessing import RobustScaler

    fit_rows = (data.rows["date"] < panel.dates[150]).to_numpy()
    usable = fit_rows & np.isfinite(data.X).all(axis=1)
    data = replace(data, X=np.clip(RobustScaler(quantile_range=(5.0, 95.0)).fit(data.X[usable]).transform(data.X), -50, 50))
    labels = data.rows.join(panel.truth.select([*KEYS, "date", "anomaly_type"]), on=[*KEYS, "date"], how="left")
    return data, fit_rows, labels["anomaly_type"], anomaly, forecast


def test_every_detector_is_registered():
    assert set(DETECTORS) >= {"iforest", "knn", "lof", "ecod", "copod", "hbos", "ocsvm", "autoencoder",
                              "residual_norm", "residual_nll", "residual_pyod", "ensemble"}


@pytest.mark.parametrize("name", list(DETECTORS))
def test_detector_contract(shop, name):
    data, fit_rows, types, cfg, forecast = shop
    first = DETECTORS[name](cfg, forecast).fit(data, fit_rows).score(data)
    again = DETECTORS[name](cfg, forecast).fit(data, fit_rows).score(data)
    assert first.shape == (data.rows.height,) and first.dtype == np.float64
    np.testing.assert_array_equal(first, again)  # same seed, same numbers (NaN where NaN)

    context = data.rows[CONTEXT].to_numpy()
    assert context.sum() > 100 and np.isnan(first[context]).all()
    period = data.rows.select(pl.int_range(pl.len()).over(KEYS)).to_series().to_numpy()
    due = ~context & (period >= 60)  # past every warm-up: the features' windows, the forecasts' lags
    assert np.isfinite(first[due]).all()

    # the feature detectors against every labelled type; the forecast-residual ones (and an ensemble
    # of them) against the types a one-step sales forecast can see, the other types left out
    labelled = types.is_not_null().to_numpy()
    scored = np.isfinite(first)
    if DETECTORS[name].kind == "series":
        labelled = types.is_in(SALES_TYPES).fill_null(False).to_numpy()
        scored &= labelled | types.is_null().to_numpy()
    assert labelled[scored].sum() >= 5
    auc = roc_auc_score(labelled[scored], first[scored])
    assert auc > 0.6, f"{name}: ROC-AUC {auc:.3f}"


def test_a_detector_refuses_what_it_cannot_use(shop):
    data, fit_rows, _, cfg, forecast = shop
    with pytest.raises(ValueError, match="fit_rows: expected a boolean mask"):
        DETECTORS["ecod"](cfg, forecast).fit(data, fit_rows.astype(int))
    with pytest.raises(ValueError, match="no scored row in the fit window"):
        DETECTORS["ecod"](cfg, forecast).fit(data, data.rows[CONTEXT].to_numpy())
    fitted = DETECTORS["hbos"](cfg, forecast).fit(data, fit_rows)
    with pytest.raises(ValueError, match="fitted on the features"):
        fitted.score(replace(data, features=data.features[:-1], X=data.X[:, :-1]))
    with pytest.raises(ValueError, match="anomaly.knn.max_rows=0"):
        DETECTORS["knn"](replace(cfg, knn=replace(cfg.knn, max_rows=0)), forecast).fit(data, fit_rows)


def test_max_rows_bounds_the_rows_a_detector_learns_from(shop, monkeypatch):
    data, fit_rows, _, cfg, forecast = shop
    from pyod.models.knn import KNN

    seen, original = [], KNN.fit

    def counting_fit(self, X, y=None):
        seen.append(X.shape[0])
        return original(self, X, y)

    monkeypatch.setattr(KNN, "fit", counting_fit)
    small = replace(cfg, knn=replace(cfg.knn, max_rows=500))
    DETECTORS["knn"](small, forecast).fit(data, fit_rows)
    assert seen == [500]


@pytest.mark.parametrize("name", ["ecod", "copod"])
def test_tail_detectors_score_a_row_as_pyod_scores_it_alone(name):
    """Each row's score equals PyOD's decision_function on a call of that one row (up to the
    skewness of the training rows with and without it, which the data here keeps the same)."""
    from types import SimpleNamespace

    from scipy.stats import skew

    rng = np.random.default_rng(3)
    train, new = rng.normal(size=(500, 3)), rng.normal(size=(6, 3)) * 3
    det = DETECTORS[name](SimpleNamespace(threshold=SimpleNamespace(contamination=0.05), seed=0, **{name: None}))
    det.model = det.build().fit(train)
    det.sorted, det.skew_sign = np.sort(train, axis=0), np.sign(skew(train, axis=0))
    alone = np.array([det.model.decision_function(row[None, :])[0] for row in new])
    np.testing.assert_allclose(det.decide(new), alone, rtol=1e-9)
    # and a day's rows score the same alone or with others
    np.testing.assert_allclose(det.decide(new[:2]), det.decide(new)[:2])
