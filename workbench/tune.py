"""``python -m workbench.tune -m tune=<model> [overrides]``: tune a forecaster's hyper-parameters
with Hydra's Optuna sweeper (``hydra-optuna-sweeper``).

The root config is ``conf/tuning.yaml``: the workbench's own config tree (so every override of
``python -m workbench.run`` works here, and is checked the same way) plus a ``tune`` file of
``conf/tune/`` that names the model (``tune.model``) and its search space
(``hydra.sweeper.params``). A seeded TPE sampler (``experiment.seed``) proposes
``hydra.sweeper.n_trials`` points, one after the other; each is one Hydra job of :func:`main`.

What a trial scores, and what it never sees:

* the panel is loaded and validated once per process, then **cut at the hold-out's origin**:
  the last ``forecast.horizon`` periods, the window ``03_inventory`` simulates against, are
  dropped before the model or the scores see anything;
* on the cut panel the model of ``tune.model`` is backtested alone at the origins of
  ``forecast.n_backtest_windows`` -- exactly the origins on which a run ranks its models
  (the cut panel's last window is the run's last backtest window);
* the trial returns ``forecast.selection`` (the scaled pinball loss unless set; or MASE, RMSSE,
  ...) over those windows, which the sweeper minimises. It is the number a run's leaderboard
  shows for the model in that column.

Everything goes to a new folder ``reports/<experiment>/tuning/<timestamp>/`` (``hydra.sweep.dir``;
an existing one is never reused): ``<trial>/trial.json`` for each trial as it finishes, then
``trials.csv`` (every trial: its parameters, state, score and backtest metrics), ``best.yaml``
(the best trial's overrides, ready for ``python -m workbench.run``, its score and the command)
and the sweeper's own ``optimization_results.yaml``. The command that reruns the best point is
printed last.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
import polars as pl
import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from workbench.config import CONF_DIR, TuneConfig, section, to_plain
from workbench.data.panel import DATE

if TYPE_CHECKING:
    from workbench.config import ForecastConfig
    from workbench.data import DemandPanel
    from workbench.forecast import Origins

log = logging.getLogger("workbench.tune")

TRIAL_FILE = "trial.json"
METRICS = ("MASE", "RMSSE", "WRMSSE", "WAPE", "pinball", "coverage")
EXIT_BAD_INPUT = 2


def tune_section(plain: dict[str, Any]) -> TuneConfig:
    """The ``tune`` group of a plain config, typed and checked against its schema."""
    merged = OmegaConf.merge(OmegaConf.structured(TuneConfig), plain.get("tune") or {})
    return OmegaConf.to_object(merged)


@lru_cache(maxsize=1)
def _load(data_json: str):
    from workbench.data import load_data

    return load_data(section({"data": json.loads(data_json)}, "data"))


def load_panel(plain: dict[str, Any]) -> DemandPanel:
    """The validated panel of ``plain['data']``, loaded once per process and data config."""
    return _load(json.dumps(plain["data"], sort_keys=True, default=str))


def check_tuning(plain: dict[str, Any]) -> DemandPanel:
    """A run's checks of the settings and the data, and the tuned model's own: it must be a
    registered model of ``forecast.models`` (the run that reruns the best point uses it there).
    Returns the full panel."""
    from workbench.checks import SettingError, check_against_data, check_settings

    check_settings(plain)
    model = tune_section(plain).model
    models = list(section(plain, "forecast").models)
    if model not in models:
        raise SettingError(f"tune.model={model!r} is not in forecast.models={models}: a run of the best point"
                           f" would not use it; add it, e.g. 'forecast.models=[{', '.join([*models, model])}]'")
    panel = load_panel(plain)
    check_against_data(plain, panel)
    return panel


def before_holdout(panel: DemandPanel, fc: ForecastConfig) -> tuple[DemandPanel, Origins]:
    """The panel up to and including the hold-out's origin, and the run's origins on the full panel.

    On the cut panel, ``forecast.n_backtest_windows - 1`` backtest windows and its own last
    window are the run's ``forecast.n_backtest_windows`` backtest windows, origin for origin."""
    from workbench.forecast import make_forecaster, origins

    min_train = max(make_forecaster(name, fc).min_history for name in fc.models)
    run_origins = origins(panel, fc.horizon, fc.n_backtest_windows, min_train)
    demand, _ = panel.split(run_origins.holdout)
    truth = panel.truth
    if truth is not None and DATE in truth.columns:
        truth = truth.filter(pl.col(DATE) <= run_origins.holdout)
    return replace(panel, demand=demand, truth=truth), run_origins


def score_trial(plain: dict[str, Any], progress: bool = False) -> dict[str, Any]:
    """Backtest ``tune.model`` alone on the windows before the hold-out; its ``forecast.selection``
    score, the other backtest metrics, the origins scored and the last date the trial saw."""
    from workbench.forecast import per_series_scores, run_backtest, summarise
    from workbench.forecast.metrics import SELECTION_COLUMNS

    full = check_tuning(plain)
    fc = replace(section(plain, "forecast"), models=[tune_section(plain).model], ensembles={}, routes={})
    panel, run_origins = before_holdout(full, fc)
    t0 = time.perf_counter()
    result = run_backtest(panel, replace(fc, n_backtest_windows=fc.n_backtest_windows - 1), progress=progress)
    seconds = time.perf_counter() - t0
    board = summarise(per_series_scores(result.forecasts, panel, fc.season_length, fc.quantiles), ["model"])
    row = board.row(0, named=True)
    column = SELECTION_COLUMNS[str(fc.selection)]
    if row[column] is None:
        raise ValueError(f"forecast.selection={fc.selection}: no series has a {column} on the backtest windows"
                         " (every in-sample seasonal difference is zero); choose another forecast.selection")
    return {
        "selection": str(fc.selection),
        "score": row[column],
        **{m: row[m] for m in METRICS},
        "seconds": round(seconds, 2),
        "cutoffs": [str(c) for c in result.forecasts.get_column("cutoff").unique().sort().to_list()],
        "last_date_seen": str(panel.demand.get_column(DATE).max()),
        "holdout_origin": str(run_origins.holdout),
    }


def bad_input(err: Exception) -> str | None:
    """The one-line message of a bad setting or bad data, as ``workbench.run`` reports them;
    ``None`` for any other error."""
    from omegaconf.errors import OmegaConfBaseException

    from workbench.checks import SettingError
    from workbench.data import PanelError

    if isinstance(err, KeyError):  # a registry's unknown name
        return str(err.args[0]) if err.args else str(err)
    if isinstance(err, (SettingError, PanelError, OmegaConfBaseException, FileNotFoundError, ValueError)):
        return str(err)
    return None


def _stop(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(EXIT_BAD_INPUT)


@hydra.main(config_path=str(CONF_DIR), config_name="tuning", version_base="1.3")
def main(cfg: DictConfig) -> float:
    """One trial: score the point the sweeper chose, record it in the trial's folder, return the score."""
    from hydra.core.hydra_config import HydraConfig

    from workbench.runtime import set_threads

    hc = HydraConfig.get()
    plain = to_plain(cfg)
    set_threads(plain["experiment"]["threads"])
    record: dict[str, Any] = {"trial": hc.job.num, "overrides": list(hc.overrides.task)}
    target = Path(hc.runtime.output_dir) / TRIAL_FILE
    try:
        scores = score_trial(plain)
    except Exception as err:
        record.update(state="failed", error=f"{type(err).__name__}: {err}")
        target.write_text(json.dumps(record, indent=2))
        message = bad_input(err)
        if message is not None:  # a point the settings or the data cannot take: the search space is wrong
            _stop(f"trial {hc.job.num} ({' '.join(record['overrides'])}): {message}")
        raise  # the sweeper decides (hydra.sweeper.max_failure_rate)
    record.update(state="ok", **scores)
    target.write_text(json.dumps(record, indent=2))
    log.info("trial %s: %s %.4f (MASE %.3f) in %.0f s", hc.job.num, scores["selection"], scores["score"],
             scores["MASE"], scores["seconds"])
    return float(scores["score"])


def _is_tune_override(override) -> bool:
    """``tune=...``, ``tune.model=...``: the tuning app's own group, unknown to ``workbench.run``."""
    return override.key_or_group.split("/")[0].split(".")[0] == "tune"


def trial_records(sweep_dir: Path) -> list[dict[str, Any]]:
    """The ``trial.json`` of every trial of the sweep in ``sweep_dir``, by trial number."""
    records = [json.loads(p.read_text()) for p in sweep_dir.glob(f"*/{TRIAL_FILE}")]
    if not records:
        raise FileNotFoundError(f"{sweep_dir} holds no {TRIAL_FILE}: no trial of this tuning finished")
    return sorted(records, key=lambda r: r["trial"])


def trials_table(records: list[dict[str, Any]], params: list[str]) -> pl.DataFrame:
    """One row per trial: its sampled ``params``, state, score, backtest metrics and seconds."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    rows = []
    for rec in records:
        values = {o.key_or_group: o.value() for o in parser.parse_overrides(rec["overrides"])}
        rows.append({"trial": rec["trial"], "state": rec["state"], "selection": rec.get("selection"),
                     "score": rec.get("score"), **{m: rec.get(m) for m in METRICS},
                     "seconds": rec.get("seconds"), **{p: values.get(p) for p in params},
                     "error": rec.get("error")})
    return pl.DataFrame(rows, infer_schema_length=None)


def rerun_overrides(record: dict[str, Any]) -> list[str]:
    """A trial's overrides less the tuning app's own (``tune=...``): what ``workbench.run`` takes."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(record["overrides"])
    return [o.input_line for o in parsed if not _is_tune_override(o)]


def _without_hydra(config: DictConfig) -> dict[str, Any]:
    """The plain config of the sweep itself: its ``hydra`` node names a job that has not run yet."""
    return to_plain(OmegaConf.masked_copy(config, [k for k in config if k != "hydra"]))


class TuningRecord(Callback):
    """Hydra callback of the sweep: checks everything and claims a fresh folder before the first
    trial; writes the trial table and the best point after the last."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            plain = _without_hydra(config)
            panel = check_tuning(plain)
        except Exception as err:
            message = bad_input(err)
            if message is None:
                raise
            _stop(message)
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            sweep_dir.mkdir(parents=True)
        except FileExistsError:
            _stop(f"{sweep_dir} exists (a tuning started in the same second); start again")
        fc = section(plain, "forecast")
        log.info("tuning %s on %s series x %s periods: %s trials scored by %s on %s backtest window(s) of %s"
                 " periods; the hold-out after %s is left out; results in %s", tune_section(plain).model,
                 f"{panel.n_series:,}", f"{panel.dates.len():,}", config.hydra.sweeper.n_trials, fc.selection,
                 fc.n_backtest_windows, fc.horizon, before_holdout(panel, fc)[1].holdout, sweep_dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        results = OmegaConf.load(sweep_dir / "optimization_results.yaml")
        params = list(results.best_params)
        records = trial_records(sweep_dir)
        table = trials_table(records, params)
        table.write_csv(sweep_dir / "trials.csv")
        best = table.filter(pl.col("state") == "ok").sort(["score", "trial"]).row(0, named=True)
        overrides = rerun_overrides(next(r for r in records if r["trial"] == best["trial"]))
        command = " ".join(["python -m workbench.run", *map(shlex.quote, overrides)])
        plain = _without_hydra(config)
        summary = {
            "experiment": plain["experiment"]["name"],
            "model": tune_section(plain).model,
            "selection": best["selection"],
            "score": best["score"],
            "trial": best["trial"],
            "n_trials": table.height,
            "params": {p: best[p] for p in params},
            "backtest": {m: best[m] for m in METRICS},
            "overrides": overrides,
            "command": command,
        }
        header = ("# The best point of this tuning: its backtest score before the hold-out, and the overrides\n"
                  "# that rerun it (python -m workbench.run <overrides>, or the command below).\n")
        (sweep_dir / "best.yaml").write_text(header + yaml.safe_dump(summary, sort_keys=False, width=1 << 16))
        print(f"best of {table.height} trials: trial {best['trial']}, {best['selection']} {best['score']:.4f}"
              f" (backtest before the hold-out)\ntrials: {sweep_dir / 'trials.csv'}\nbest:   {sweep_dir / 'best.yaml'}"
              f"\nrerun:  {command}", flush=True)


if __name__ == "__main__":
    main()
