from dataclasses import replace

import polars as pl
import pytest

from workbench.anomaly import DETECTORS, detect, stock_sales_features
from workbench.config import section
from workbench.data import load_data


@pytest.fixture(scope="module")
def labelled(quick):
    cfg = quick.plain("data.n_items=10", "data.n_days=300")
    return load_data(section(cfg, "data")), section(cfg, "anomaly")


def test_detectors_find_the_injected_anomalies(labelled):
    panel, cfg = labelled
    res = detect(panel, cfg)
    m = {r["detector"]: r for r in res.metrics.iter_rows(named=True)}
    assert set(m) == {"iforest", "knn"}
    for r in m.values():
        assert r["roc_auc"] > 0.85
        assert r["labelled"] == int(panel.truth["anomaly"].sum())
    # far better than flagging at random (precision would be the base rate)
    base_rate = panel.truth["anomaly"].mean()
    assert max(r["precision"] for r in m.values()) > 5 * base_rate


def test_alerts_have_reasons_and_scores(labelled):
    panel, cfg = labelled
    res = detect(panel, cfg)
    assert res.alerts.height == cfg.top_k
    assert res.alerts["reason"].str.len_chars().min() > 20
    assert res.alerts["score"].is_sorted(descending=True)
    assert res.alerts["anomaly_type"].is_not_null().mean() > 0.5


def test_features_use_only_the_past_and_reconcile_stock(labelled):
    panel, _ = labelled
    f = stock_sales_features(panel)
    t = f.join(panel.truth.select(["item_id", "channel", "date", "anomaly_type"]), on=["item_id", "channel", "date"])
    shrink = t.filter(pl.col("anomaly_type") == "shrinkage")
    clean = t.filter(pl.col("anomaly_type").is_null())
    assert (shrink["stock_gap"] < 0).all()
    assert (clean["stock_gap"] == 0).all()
    assert (t.filter(pl.col("anomaly_type") == "spike")["ledger_gap"] > 0).all()


def test_panel_without_stock_still_scores(tiny_panel, quick):
    from workbench.data import DemandPanel

    slim = DemandPanel(demand=tiny_panel.demand.select(["item_id", "channel", "date", "demand"]),
                       static=tiny_panel.static, keys=tiny_panel.keys, name="slim")
    cfg = quick.section("anomaly")
    res = detect(slim, cfg)
    assert "roc_auc" not in res.metrics.columns
    assert res.alerts.height == cfg.top_k


def test_unknown_detector_is_named(tiny_panel, quick):
    cfg = quick.section("anomaly", "anomaly.detectors=[iforest,lof2]")
    with pytest.raises(KeyError, match="unknown detector 'lof2'"):
        detect(tiny_panel, cfg)


def test_detectors_take_their_own_settings(labelled, monkeypatch):
    """anomaly.<detector> reaches the PyOD constructor; anomaly.knn.max_rows bounds the rows KNN is fitted on."""
    from pyod.models.knn import KNN

    from workbench.anomaly.detect import DETECTORS

    panel, cfg = labelled
    cfg = replace(cfg, iforest=replace(cfg.iforest, n_estimators=7), knn=replace(cfg.knn, n_neighbors=3, max_rows=500))
    assert DETECTORS["iforest"](cfg).n_estimators == 7
    assert DETECTORS["knn"](cfg).n_neighbors == 3
    fitted, original = [], KNN.fit

    def counting_fit(self, X, y=None):
        fitted.append(X.shape[0])
        return original(self, X, y)

    monkeypatch.setattr(KNN, "fit", counting_fit)
    res = detect(panel, replace(cfg, detectors=["knn"]))
    assert fitted == [500] and res.scores.height == panel.demand.height


@pytest.mark.parametrize("name", list(DETECTORS))
def test_every_registered_detector_scores_a_small_panel(labelled, name):
    """The registry's contract: each detector alone scores every feature row, flags about the
    contamination share, and beats chance on the injected anomalies."""
    panel, cfg = labelled
    res = detect(panel, replace(cfg, detectors=[name]))
    scores = res.scores[name]
    assert scores.len() == res.scores.height and scores.is_finite().all()
    row = res.metrics.row(0, named=True)
    assert row["detector"] == name and row["roc_auc"] > 0.6
    assert res.alerts.height == cfg.top_k and set(res.alerts["detector"]) == {name}
