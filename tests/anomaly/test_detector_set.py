"""The detector set: members fitted for the ensemble but not reported, thresholds within the
budget, closed days never flagged, the newest days from a tail, and save -> load -> the same."""

import json
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from panels import closed_on_sundays

from workbench.anomaly.detector_set import MANIFEST, STATE, DetectorSet
from workbench.anomaly.features import CONTEXT, anomaly_data
from workbench.anomaly.thresholds import incidents_per_1000

KEYS = ["item_id", "channel"]
OVERRIDES = (
    "anomaly.detectors=[hbos,iforest,autoencoder,residual_nll,residual_pyod,ensemble]",
    "anomaly.ensemble.members=[ecod,residual_norm]", "anomaly.ensemble.method=aom", "anomaly.ensemble.n_buckets=2",
    "anomaly.iforest.n_estimators=50", "anomaly.autoencoder.epochs=3", "anomaly.autoencoder.accelerator=cpu",
    "anomaly.residual.num_samples=30", "anomaly.knn.max_rows=2000", "anomaly.threshold.budget=20",
    "forecast.quantiles=[0.05,0.25,0.5,0.75,0.95]",
)


@pytest.fixture(scope="module")
def fitted(quick, tiny_panel):
    cfg, forecast = quick.section("anomaly", *OVERRIDES), quick.section("forecast", *OVERRIDES)
    panel = closed_on_sundays(tiny_panel)
    data = anomaly_data(panel, cfg)
    dates = data.rows["date"]
    fit_rows = (dates < panel.dates[120]).to_numpy()
    cal_rows = ((dates >= panel.dates[120]) & (dates < panel.dates[120 + cfg.split.calibration])).to_numpy()
    return panel, cfg, DetectorSet(cfg, forecast).fit(data, fit_rows, cal_rows), data, cal_rows


def test_members_are_fitted_first_and_only_the_listed_detectors_reported(fitted):
    panel, cfg, detectors, data, _ = fitted
    assert list(detectors.detectors) == ["ecod", "residual_norm", "hbos", "iforest", "autoencoder", "residual_nll",
                                         "residual_pyod", "ensemble"]
    scores = detectors.score(data)
    assert scores.columns == [*KEYS, "date", *cfg.detectors]
    assert all(scores.schema[n] == pl.Float64 for n in cfg.detectors)
    assert set(detectors.thresholds) == set(cfg.detectors)
    # the residual detectors share one forecasting model
    shared = {id(d.shared) for d in detectors.detectors.values() if d.kind == "series"}
    assert len(shared) == 1
    assert detectors.history_needed() >= 28 + cfg.residual.pyod_window - 1


def test_thresholds_keep_the_budget_and_closed_days_are_never_flagged(fitted):
    panel, cfg, detectors, data, cal_rows = fitted
    scores = detectors.score(data)
    flags = detectors.flags(scores)
    assert flags.columns == scores.columns and all(flags.schema[n] == pl.Boolean for n in cfg.detectors)
    closed = data.rows[CONTEXT].to_numpy()
    cal = data.rows.filter(pl.Series(cal_rows)).select(*KEYS, "date")
    for name in cfg.detectors:
        assert not flags[name].to_numpy()[closed].any(), name
        assert np.isnan(scores[name].to_numpy()[closed]).all(), name
        on_cal = flags[name].to_numpy()[cal_rows]
        scored = int(np.isfinite(scores[name].to_numpy()[cal_rows]).sum())
        assert incidents_per_1000(cal, KEYS, on_cal, scored, cfg.incidents.max_gap) <= cfg.threshold.budget, name
        assert flags[name].sum() > 0, name


def test_the_newest_days_from_a_tail_score_as_in_the_batch(fitted):
    panel, cfg, detectors, data, _ = fitted
    newest = 4
    keep = detectors.history_needed() + newest
    tail = replace(panel, demand=panel.demand.filter(pl.int_range(pl.len()).over(KEYS) >= pl.len().over(KEYS) - keep))
    start = panel.dates[-newest]
    monitor = detectors.score(replace(anomaly_data(tail, cfg), start=start))
    batch = detectors.score(data).filter(pl.col("date") >= start)
    assert monitor.filter(pl.col("date") < start).select(cfg.detectors).fill_nan(None).null_count().sum_horizontal()[0] \
        == monitor.filter(pl.col("date") < start).height * len(cfg.detectors)
    new = monitor.filter(pl.col("date") >= start)
    for name in ("hbos", "iforest", "autoencoder", "residual_pyod"):  # the ones that do not sample or rank the batch
        np.testing.assert_allclose(new[name].to_numpy(), batch[name].to_numpy(), rtol=1e-6, err_msg=name)


def test_save_and_load_give_the_same_scores_flags_and_evidence(fitted, tmp_path):
    panel, cfg, detectors, data, _ = fitted
    detectors.save(tmp_path / "set")
    manifest = json.loads((tmp_path / "set" / MANIFEST).read_text())
    assert manifest["detectors"] == list(cfg.detectors) and manifest["window"] == cfg.window
    assert manifest["features"] == data.features and set(manifest["thresholds"]) == set(cfg.detectors)
    assert manifest["libraries"]["pyod"] and manifest["libraries"]["darts"]
    loaded = DetectorSet.load(tmp_path / "set")
    fresh = anomaly_data(panel, cfg)  # a new data object: nothing remembered from the fit
    scores, again = detectors.score(fresh), loaded.score(anomaly_data(panel, cfg))
    assert scores.equals(again)
    assert detectors.flags(scores).equals(loaded.flags(again))
    evidence = loaded.evidence(anomaly_data(panel, cfg))
    assert evidence.columns == [*KEYS, "date", "fan_low", "expected", "fan_high"]
    assert evidence.equals(detectors.evidence(fresh))
    # a saved set is never overwritten, and a file that is not the one written is refused
    with pytest.raises(FileExistsError, match="never overwritten"):
        detectors.save(tmp_path / "set")
    state = tmp_path / "set" / STATE
    state.write_bytes(state.read_bytes() + b"0")
    with pytest.raises(ValueError, match="checksum"):
        DetectorSet.load(tmp_path / "set")


def test_bad_input_is_named(fitted, quick):
    panel, cfg, detectors, data, cal_rows = fitted
    with pytest.raises(ValueError, match="cal_rows selects no row"):
        DetectorSet(cfg, quick.section("forecast")).fit(data, cal_rows, np.zeros_like(cal_rows))
    with pytest.raises(KeyError, match="unknown detector 'lof2'"):
        _ = DetectorSet(replace(cfg, detectors=["iforest", "lof2"])).order
    with pytest.raises(ValueError, match="fitted on the features"):
        detectors.score(replace(data, features=data.features[:-1], X=data.X[:, :-1]))
