"""The anomaly study end to end on the tiny shop, the daily monitor against the batch run, and the headline."""

from dataclasses import replace
from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from workbench.anomaly.monitor_state import recover_state, save_state, tail_of
from workbench.anomaly.study import has_labels, run_study, save_study
from workbench.anomaly.summary import (
    HEADLINE,
    against_targets,
    best_by_type,
    detector_overview,
    headline,
)
from workbench.config import section
from workbench.data.panel import DATE
from workbench.monitor import main, monitor
from workbench.session import Run


@pytest.fixture(scope="module")
def studied(quick_cfg, tiny_panel):
    an = section(quick_cfg, "anomaly")
    return run_study(tiny_panel, an, section(quick_cfg, "forecast")), quick_cfg


def test_the_study_scores_every_detector_and_recommends_a_combination(studied):
    study, cfg = studied
    an = section(cfg, "anomaly")
    names = [*an.detectors, "recommended"]
    assert study.scores.columns == [*study.keys, DATE, *names]
    table = study.evaluation.detector_table
    assert table["detector"].to_list() == names
    assert set(study.combination.members) <= set(an.detectors) and study.combination.members
    assert study.recommended == "recommended"
    # the combination is chosen on the calibration window; judged after it, it is far above guessing
    base = study.panel.truth.filter(pl.col(DATE) > study.split.calibration_end)["anomaly"].mean()
    rec = table.filter(pl.col("detector") == "recommended").row(0, named=True)
    assert rec["pr_auc"] > 1.5 * base and rec["event_recall"] > 0.1
    # the incidents are the recommended detector's, on the evaluation periods only
    assert (study.incidents["detector"] == "recommended").all()
    assert study.incidents["start"].min() > study.split.calibration_end
    assert {"type_guess", "evidence", "action", "label"} <= set(study.incidents.columns)
    assert best_by_type(study.evaluation.type_table).height == study.evaluation.type_table["anomaly_type"].n_unique()
    assert detector_overview(table).columns[:3] == ["detector", "PR-AUC", "ROC-AUC"]


def test_real_data_gets_injected_labels(quick_cfg, tiny_panel):
    """Without labels the study injects them (anomaly.inject.mode=auto), seeded and recorded."""
    plain = {**quick_cfg, "anomaly": {**quick_cfg["anomaly"], "detectors": ["ecod", "iforest"], "inject": {
        **quick_cfg["anomaly"]["inject"], "per_1000": 3.0}}}
    an, fc = section(plain, "anomaly"), section(plain, "forecast")
    bare = replace(tiny_panel, truth=None)
    one, two = run_study(bare, an, fc), run_study(bare, an, fc)
    assert has_labels(one.panel) and one.labels.injected.height > 10
    assert one.labels.injected.equals(two.labels.injected)
    assert one.scores.equals(two.scores)  # the same config gives the same numbers
    assert one.evaluation is not None and "recommended" in one.scores.columns


def test_the_monitor_scores_new_days_as_the_batch_did(studied, tmp_path):
    study, cfg = studied
    run = Run(cfg, tmp_path / "run")
    save_study(study, run)
    with pytest.raises(FileExistsError):  # a run's alerts are never overwritten
        save_study(study, run)
    panel = study.panel
    last = panel.demand[DATE].max()
    cut = last - timedelta(days=2)
    clean = replace(panel, demand=panel.demand.filter(pl.col(DATE) <= cut))
    folder = tmp_path / "monitor"
    save_state(tail_of(clean, study.detectors.history_needed()), folder / "state")
    new = panel.demand.filter(pl.col(DATE) > cut)
    new.write_csv(tmp_path / "new.csv")
    res = monitor(run.dir, tmp_path / "new.csv", folder)
    assert res.rows == new.height
    batch = study.scores.filter(pl.col(DATE) > cut).sort([*study.keys, DATE])
    got = res.scores.sort([*study.keys, DATE])
    assert got.select(*study.keys, DATE).equals(batch.select(*study.keys, DATE))
    for name in study.detectors.reported:
        np.testing.assert_allclose(got[name].to_numpy(), batch[name].to_numpy(), rtol=1e-6, atol=1e-9,
                                   equal_nan=True, err_msg=name)
    assert (folder / "alerts.csv").exists() and (folder / "scores").is_dir()
    # the state rolled forward: the same days again are refused, and the refusal changes nothing
    assert main(["--run", str(run.dir), "--new", str(tmp_path / "new.csv"), "--monitor", str(folder)]) == 2
    assert len(list((folder / "scores").iterdir())) == 1


@pytest.mark.parametrize("change,message", [
    (lambda f: f.drop("stock_on_hand"), "missing column"),
    (lambda f: f.filter(pl.col("date") != pl.col("date").min()), "missing, e.g."),
    (lambda f: f.with_columns(pl.col("demand").cast(pl.String).replace({"0.0": "n/a"})), "holds 'n/a'"),
    (lambda f: pl.concat([f, f.head(1)]), "duplicated rows"),
])
def test_a_malformed_increment_is_refused_with_a_clear_message(studied, tmp_path, capsys, change, message):
    study, cfg = studied
    run = Run(cfg, tmp_path / "run")
    save_study(study, run)
    panel = study.panel
    cut = panel.demand[DATE].max() - timedelta(days=3)
    folder = tmp_path / "monitor"
    save_state(tail_of(replace(panel, demand=panel.demand.filter(pl.col(DATE) <= cut)), 80), folder / "state")
    bad = change(panel.demand.filter(pl.col(DATE) > cut))
    bad.write_csv(tmp_path / "bad.csv")
    assert main(["--run", str(run.dir), "--new", str(tmp_path / "bad.csv"), "--monitor", str(folder)]) == 2
    said = capsys.readouterr().err
    assert message in said and "bad.csv" in said
    assert not (folder / "alerts.csv").exists()


def test_the_headline(studied):
    study, _ = studied
    logged = headline(study)
    assert logged.headline is HEADLINE and logged.stage == "05_anomaly"
    assert [m.key for m in HEADLINE.metrics] == ["event_recall", "alerts_per_1000", "delay_median"]
    row = study.evaluation.detector_table.filter(pl.col("detector") == "recommended").row(0, named=True)
    assert logged.values["event_recall"] == row["event_recall"]
    assert logged.values["members"] == study.combination.members
    targets = against_targets({"event_recall": 0.95, "incidents_per_1000": 6.0, "delay_median": 1.0})
    assert targets["met"].to_list() == ["yes", "no", "yes"]


def test_incidents_go_on_across_increments_and_a_crash_is_recovered(studied, tmp_path):
    study, cfg = studied
    run = Run(cfg, tmp_path / "run")
    save_study(study, run)
    panel, keys = study.panel, study.keys
    last = panel.demand[DATE].max()
    days = [last - timedelta(days=k) for k in (3, 2, 1, 0)]
    folder = tmp_path / "monitor"
    save_state(tail_of(replace(panel, demand=panel.demand.filter(pl.col(DATE) < days[0])),
                       study.detectors.history_needed()), folder / "state")
    parts = []
    for k, day in enumerate(days):
        path = tmp_path / f"day{k}.csv"
        panel.demand.filter(pl.col(DATE) == day).write_csv(path)
        parts.append(monitor(run.dir, path, folder).incidents)
    log = pl.read_csv(folder / "alerts.csv")
    assert log.height == sum(p.height for p in parts) and log["incident_id"].n_unique() <= log.height
    # a series flagged on consecutive days: the later day's incident continues the earlier one
    flagged = study.flags.filter(pl.col(DATE).is_in(days)).filter(pl.col("recommended"))
    runs = flagged.group_by(keys).agg(pl.col(DATE).sort()).filter(pl.col(DATE).list.len() > 1)
    for row in runs.iter_rows(named=True):
        ids = log.filter(pl.all_horizontal([pl.col(k) == row[k] for k in keys]))["incident_id"]
        consecutive = all((b - a).days == 1 for a, b in zip(row[DATE], row[DATE][1:], strict=False))
        assert not consecutive or ids.n_unique() == 1, (row, ids.to_list())
    # a crash after the log but before the state swap: the next call finishes the swap
    assert not (folder / "state.new").exists() and not (folder / "monitor.lock").exists()
    (folder / "state").rename(folder / "state.new")
    recover_state(folder / "state", folder)
    assert (folder / "state" / "panel.json").exists() and not (folder / "state.new").exists()
