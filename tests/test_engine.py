"""The engine of per-series work: the same forecasts on joblib and on Ray, the settings checked,
and a run on Ray that starts and stops its own local instance."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest
from hydra.errors import ConfigCompositionException
from panels import seasonal_panel

from workbench.checks import SettingError, check_engine
from workbench.config import compose
from workbench.config.experiment import Engine, ExperimentConfig, RayConfig
from workbench.engine import (
    ADDRESS_ENV,
    ENGINE_ENV,
    EngineError,
    current_engine,
    engine_session,
    parallel_map,
    use_engine,
)
from workbench.forecast import make_forecaster
from workbench.forecast.series import to_series_set

ROOT = Path(__file__).resolve().parent.parent
HORIZON = 14
RAY_PROCESSES = ("raylet", "gcs_server")


def _ray_pids() -> set[int]:
    """Ray's node processes on this machine (of any session: the caller compares before and after)."""
    return {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in RAY_PROCESSES}


def test_engine_setting_is_named():
    with pytest.raises(ConfigCompositionException, match="experiment.engine=spark") as err:
        compose(["experiment=quick", "experiment.engine=spark"])
    assert "expected one of [local, ray]" in str(err.value.__cause__)
    assert Engine(compose(["experiment=quick", "experiment.engine=ray"]).experiment.engine) is Engine.ray
    with pytest.raises(EngineError, match="experiment.engine='spark'"), use_engine("spark"):
        pass


def test_engine_environment_is_named_and_restored(monkeypatch):
    monkeypatch.setenv(ENGINE_ENV, "dask")
    with pytest.raises(EngineError, match=f"{ENGINE_ENV}='dask'.*experiment.engine"):
        current_engine()
    monkeypatch.delenv(ENGINE_ENV)
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    assert current_engine() is Engine.local
    with use_engine("ray", "10.0.0.1:6379"):
        assert current_engine() is Engine.ray and os.environ[ADDRESS_ENV] == "10.0.0.1:6379"
    assert ENGINE_ENV not in os.environ and ADDRESS_ENV not in os.environ


@pytest.mark.parametrize(("ray", "engine", "message"), [
    (RayConfig(num_cpus=0), Engine.local, r"experiment.ray.num_cpus=0; expected 1 or more"),
    (RayConfig(address=" "), Engine.ray, r"experiment.ray.address=' '; expected null"),
    (RayConfig(address="head-node"), Engine.local, r"experiment.ray.address='head-node'; expected null"),
    (RayConfig(address="auto", num_cpus=4), Engine.ray, r"experiment.ray.num_cpus=4 sizes a local instance"),
])
def test_bad_ray_settings_are_named(ray, engine, message):
    with pytest.raises(SettingError, match=message):
        check_engine(ExperimentConfig(engine=engine, ray=ray))
    check_engine(ExperimentConfig(engine=engine, ray=RayConfig(address="auto")))  # a cluster, its own size


def test_an_address_where_nothing_answers_is_named(monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    exp = ExperimentConfig(engine=Engine.ray, ray=RayConfig(address="127.0.0.1:1"))  # nothing listens on port 1
    with pytest.raises(EngineError, match=r"experiment.ray.address='127.0.0.1:1': nothing answers there"), \
            engine_session(exp):
        pass
    assert ENGINE_ENV not in os.environ


def test_ray_without_an_address_is_named(monkeypatch):
    pytest.importorskip("ray")
    import ray

    if ray.is_initialized():
        pytest.skip("this process is connected to Ray already")
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    with use_engine(Engine.ray), pytest.raises(EngineError, match=f"{ADDRESS_ENV} is not set"):
        parallel_map(abs, [-1, 2])


def _forecast_run(reports: Path, engine: str) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.run", "experiment=quick", f"experiment.reports_dir={reports}",
         "experiment.notebooks=[01_data,02_forecast]", "forecast.models=[seasonal_naive,auto_ets]",
         f"experiment.engine={engine}", "experiment.ray.num_cpus=2"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = list((reports / "quick").iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())["02_forecast"]
    for scores in metrics["models"].values():
        scores.pop("seconds")  # how long a fit took is the one number that may differ
    return proc, metrics


# before the module's Ray instance starts (ray_address), so that this process is not connected yet
@pytest.mark.slow
def test_a_run_on_ray_gives_the_local_numbers_and_leaves_no_ray_behind(tmp_path):
    ray = pytest.importorskip("ray")
    _, local = _forecast_run(tmp_path / "local", "local")
    before = _ray_pids()
    proc, on_ray = _forecast_run(tmp_path / "ray", "ray")
    assert "engine: ray, a local instance at" in proc.stdout and "with 2 CPUs" in proc.stdout
    assert on_ray == local and on_ray["models"].keys() == {"seasonal_naive", "auto_ets"}
    assert not _ray_pids() - before, "the run's raylet or GCS is still running"
    assert not ray.is_initialized()  # the run started Ray in its own process, not in this one
    said = proc.stdout + proc.stderr
    assert "Traceback" not in said and "WARNING" not in said and "INFO" not in said, said[-3000:]


@pytest.fixture(scope="module")
def ray_address():
    """A local Ray instance of 2 CPUs, started and stopped as the runner does; on the way out,
    Ray is left, the environment restored and the instance's processes gone."""
    ray = pytest.importorskip("ray")
    before = _ray_pids()
    saved = {key: os.environ.get(key) for key in (ENGINE_ENV, ADDRESS_ENV)}
    session = engine_session(ExperimentConfig(engine=Engine.ray, ray=RayConfig(num_cpus=2)))
    try:
        address = session.__enter__()
    except EngineError as err:
        pytest.skip(f"Ray cannot start here: {err}")
    started = _ray_pids() - before
    try:
        yield address
    finally:
        session.__exit__(None, None, None)
    assert not ray.is_initialized()
    assert {key: os.environ.get(key) for key in (ENGINE_ENV, ADDRESS_ENV)} == saved
    assert started and not (started & _ray_pids()), "the instance's raylet or GCS outlived the session"


@pytest.mark.slow
def test_parallel_map_runs_on_ray_workers_in_order(ray_address):
    # defined here, so that they travel by value: Ray's workers cannot import this test module
    def _square_and_pid(x: int) -> tuple[int, int, str | None]:
        return x * x, os.getpid(), os.environ.get("OMP_NUM_THREADS")

    def _fails_on_seven(x: int) -> int:
        if x == 7:
            raise ValueError("series 7 cannot be fitted")
        return x

    with use_engine(Engine.ray, ray_address):
        out = parallel_map(_square_and_pid, range(23), n_jobs=16, batch_size=3)  # more jobs than CPUs: capped
        assert [v for v, _, _ in out] == [x * x for x in range(23)]
        assert os.getpid() not in {pid for _, pid, _ in out}
        assert {threads for _, _, threads in out} == {"1"}  # one thread per one-CPU task, not this process's pools
        with pytest.raises(ValueError, match="series 7 cannot be fitted"):
            parallel_map(_fails_on_seven, range(10), n_jobs=-1, batch_size=4)
    with use_engine(Engine.local):
        assert parallel_map(_square_and_pid, range(5), n_jobs=1)[4][:2] == (16, os.getpid())


@pytest.mark.slow
@pytest.mark.parametrize("model", ["auto_ets", "seasonal_naive"])
def test_local_darts_forecasts_are_the_same_on_ray(ray_address, quick, model):
    fcfg = quick.section("forecast", "forecast.n_jobs=2", f"forecast.horizon={HORIZON}")
    panel = seasonal_panel(n_series=5, n_days=150)
    data = to_series_set(panel).until(panel.dates[-HORIZON - 1], HORIZON, train_window=fcfg.train_window)
    forecasts = {}
    for engine in (Engine.local, Engine.ray):
        with use_engine(engine, ray_address if engine is Engine.ray else None):
            forecaster = make_forecaster(model, fcfg)
            forecasts[engine] = forecaster.forecast(data, HORIZON)
            assert forecaster.notes == []
    assert forecasts[Engine.local].shape == (5, HORIZON, len(fcfg.quantiles))
    assert np.array_equal(forecasts[Engine.local], forecasts[Engine.ray])
