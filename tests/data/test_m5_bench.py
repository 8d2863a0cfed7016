"""The stages of benchmarks/bench_m5_full.py on a tiny M5 layout, in this process: each reads what
the one before wrote and covers every series."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from workbench.config import compose, to_plain

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench_m5_full", ROOT / "benchmarks" / "bench_m5_full.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stages_run_in_order_over_every_series(bench, tmp_path):
    from bench_loaders import write_m5_layout

    layout, work = write_m5_layout(tmp_path / "m5", 30, 200), tmp_path / "work"
    work.mkdir()
    plain = to_plain(compose(bench.overrides(layout, 5, ("forecast.lightgbm.n_estimators=5",))))
    load = bench.run_stage("load", plain, work, train_days=100)
    assert load["peak_mb"] > 0 and "30 series" in load["produced"]
    assert (work / "panel" / "panel.parquet").exists()

    forecast = bench.run_stage("forecast", plain, work, train_days=100)  # the models see the last 128 days
    assert all(m in forecast["produced"] for m in bench.MODELS)
    fc = pl.read_parquet(work / "forecasts.parquet")
    per_model = fc.group_by("model").agg(pl.struct("item_id", "store").n_unique().alias("series"),
                                         pl.col("date").n_unique().alias("days"))
    assert per_model["series"].to_list() == [30] * len(bench.MODELS)
    assert per_model["days"].to_list() == [bench.HORIZON] * len(bench.MODELS)
    assert fc["window"].unique().to_list() == ["holdout"]

    bench.run_stage("policies", plain, work)
    levels = np.load(work / "levels.npz")
    assert levels.files and all(levels[k].shape[0] == 30 for k in levels.files)
    simulate = bench.run_stage("simulate", plain, work)
    policies = len(plain["inventory"]["policies"])
    assert simulate["produced"].startswith(f"{policies * len(bench.MODELS)} simulations of 30 series x {bench.HORIZON} days")
