"""Tuning with Hydra's Optuna sweeper (``python -m workbench.tune``): trials scored on the backtest
windows before the hold-out and never on it, the trial table, the best point and its rerun."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from conftest import tiny_overrides
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from workbench.config import CONF_DIR, compose, section, to_plain
from workbench.forecast import (
    leaderboard,
    make_forecaster,
    origins,
    per_series_scores,
    run_backtest,
)

ROOT = Path(__file__).resolve().parent.parent
# a small space on the command line, so that three trials take seconds; it replaces the
# parameters of conf/tune/lightgbm.yaml of the same names
SPACE = ("forecast.lightgbm.lags=range(7,14,step=7)", "forecast.lightgbm.n_estimators=int(interval(10,30))",
         "forecast.lightgbm.num_leaves=int(tag(log,interval(4,16)))",
         "forecast.lightgbm.learning_rate=tag(log,interval(0.05,0.3))")
PARAMS = [s.split("=")[0] for s in SPACE]


@pytest.fixture(scope="module")
def tuning(tmp_path_factory):
    """Three trials on the tiny quick data, as a researcher would start them."""
    reports = tmp_path_factory.mktemp("reports")
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.tune", "-m", "tune=lightgbm", *tiny_overrides(),
         f"experiment.reports_dir={reports}", "hydra.sweeper.n_trials=3", *SPACE],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "TQDM_DISABLE": "1"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    (folder,) = (reports / "quick" / "tuning").iterdir()
    return folder, proc.stdout


def _full_run(tiny_panel, plain):
    """The tuned model alone as ``python -m workbench.run`` would backtest it, on the whole panel."""
    fc = section(plain, "forecast")
    fc.models, fc.ensembles, fc.routes = ["lightgbm"], {}, {}
    return fc, run_backtest(tiny_panel, fc, progress=False)


def test_tuning_scores_the_backtest_before_the_holdout_and_saves_a_best_point_that_reruns(tuning, tiny_panel):
    folder, stdout = tuning
    table = pl.read_csv(folder / "trials.csv")
    assert table.height == 3 and table["state"].to_list() == ["ok"] * 3
    assert set(PARAMS) <= set(table.columns)
    assert table["forecast.lightgbm.lags"].is_in([7, 14]).all()
    assert table["forecast.lightgbm.n_estimators"].is_between(10, 30).all()
    assert (table["score"] == table["pinball"]).all()  # forecast.selection is the pinball loss by default
    assert table["score"].n_unique() > 1  # the points differ, and so do their scores

    best = yaml.safe_load((folder / "best.yaml").read_text())
    results = yaml.safe_load((folder / "optimization_results.yaml").read_text())
    assert best["score"] == table["score"].min() == results["best_value"]
    assert best["trial"] == table.sort("score")["trial"][0]
    assert best["params"] == results["best_params"]
    assert f"rerun:  {best['command']}" in stdout and best["command"].startswith("python -m workbench.run ")

    # every trial saw the panel up to the hold-out's origin only, and scored the run's backtest origin
    fc = section(to_plain(compose(best["overrides"])), "forecast")
    run_origins = origins(tiny_panel, fc.horizon, fc.n_backtest_windows, make_forecaster("lightgbm", fc).min_history)
    last_date = tiny_panel.dates.max()
    assert (last_date - run_origins.holdout).days == fc.horizon
    for trial in sorted(folder.glob("*/trial.json")):
        record = yaml.safe_load(trial.read_text())
        assert record["last_date_seen"] == record["holdout_origin"] == str(run_origins.holdout)
        assert record["cutoffs"] == [str(c) for c in run_origins.backtest]
        assert "tune=lightgbm" in record["overrides"]

    # best.yaml reruns: its overrides compose the run's config with the best point, and the run's
    # leaderboard gives the tuned model the backtest score the trial had
    plain = to_plain(compose(best["overrides"]))
    for key, value in best["params"].items():
        assert OmegaConf.select(OmegaConf.create(plain), key) == value
    assert not any(o.startswith("tune") for o in best["overrides"])
    fc, result = _full_run(tiny_panel, plain)
    board = leaderboard(per_series_scores(result.forecasts, tiny_panel, fc.season_length, fc.quantiles),
                        result.timings, by=fc.selection)
    row = board.row(0, named=True)
    assert math.isclose(row["pinball"], best["score"], rel_tol=1e-9)
    assert row["holdout_pinball"] is not None and not math.isclose(row["holdout_pinball"], best["score"], rel_tol=1e-3)


def _tuning_config(*overrides: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name="tuning", overrides=list(overrides), return_hydra_config=True)


@pytest.mark.parametrize("option", sorted(p.stem for p in (CONF_DIR / "tune").glob("*.yaml")))
def test_every_search_space_is_one_the_sweeper_takes_over_settings_that_exist(option):
    from hydra_plugins.hydra_optuna_sweeper._impl import create_params_from_overrides

    from workbench.forecast import MODELS

    cfg = _tuning_config(f"tune={option}")
    params = cfg.hydra.sweeper.params
    space, fixed = create_params_from_overrides([f"{k}={v}" for k, v in params.items()])
    assert set(space) == set(params) and not fixed and len(space) >= 3
    missing = object()
    assert [k for k in space if OmegaConf.select(cfg, k, default=missing) is missing] == []
    assert cfg.tune.model == option and option in MODELS
    assert cfg.hydra.sweeper.sampler.seed == cfg.experiment.seed


def test_a_model_the_experiment_does_not_run_is_refused_before_any_trial(capsys):
    from workbench.tune import TuningRecord

    cfg = _tuning_config(*tiny_overrides(), "tune.model=tide")
    with pytest.raises(SystemExit) as stop:
        TuningRecord().on_multirun_start(cfg)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "tune.model='tide' is not in forecast.models" in err and len(err.strip().splitlines()) == 1


def test_an_earlier_tuning_folder_is_never_reused(tmp_path, capsys):
    from workbench.tune import TuningRecord, _load

    cfg = _tuning_config(*tiny_overrides(), f"experiment.reports_dir={tmp_path}")
    earlier = Path(cfg.hydra.sweep.dir)
    earlier.mkdir(parents=True)
    (earlier / "best.yaml").write_text("kept")
    loads = _load.cache_info().misses
    with pytest.raises(SystemExit) as stop:
        TuningRecord().on_multirun_start(cfg)
    assert stop.value.code == 2 and "exists" in capsys.readouterr().err
    assert (earlier / "best.yaml").read_text() == "kept"
    with pytest.raises(SystemExit):  # the data are loaded once per process, not once per check or trial
        TuningRecord().on_multirun_start(cfg)
    assert _load.cache_info().misses - loads <= 1


def test_the_objective_is_given_the_panel_cut_at_the_holdout(monkeypatch, quick):
    import workbench.forecast
    from workbench.tune import load_panel, score_trial

    plain = quick.plain(*tiny_overrides()[1:], "forecast.lightgbm.n_estimators=10")
    plain["tune"] = {"model": "lightgbm"}
    seen = []

    def spy(panel, fc, **kwargs):
        seen.append((panel.demand["date"].max(), fc.models, fc.n_backtest_windows))
        return run_backtest(panel, fc, **kwargs)

    monkeypatch.setattr(workbench.forecast, "run_backtest", spy)
    scores = score_trial(plain)
    panel = load_panel(plain)
    holdout_origin = panel.dates[-1 - plain["forecast"]["horizon"]]
    assert seen == [(holdout_origin, ["lightgbm"], plain["forecast"]["n_backtest_windows"] - 1)]
    assert scores["last_date_seen"] == str(holdout_origin) and scores["score"] == scores["pinball"] > 0
