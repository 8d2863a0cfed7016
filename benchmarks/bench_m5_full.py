"""The M5 layout at full size (30,490 series x 1,941 days) through the whole pipeline, stage by stage.

    python benchmarks/bench_m5_full.py [--series N] [--days D] [--max-samples-per-ts K] [--keep DIR]

Writes the layout once (the generator the tests use, ``tests/panels.py write_m5``) into a
temporary folder, then runs each stage in a fresh process, so that each peak resident memory
(``ru_maxrss``) is the stage's own, and prints a table: stage, seconds, peak MB and what it
produced. The stages call the workbench's own functions, those notebooks 01-03 call:

(a) ``load``: ``load_data`` (``data=m5``: read, melt, validate, features), then the panel saved
    with ``DemandPanel.save`` as the runner saves it for the notebooks;
(b) ``forecast``: ``run_backtest`` with LightGBM (the global model) and the seasonal naive
    baseline over every series, one hold-out origin of 28 days, scored with
    ``per_series_scores`` and ``summarise`` (MASE, pinball, WRMSSE); forecasts to parquet;
(c) ``policies``: the hold-out ``Window`` and every policy of ``inventory.policies`` turned
    into its levels per series and day from each forecaster's quantiles; levels to npz;
(d) ``simulate``: the closed-loop simulation of those levels against the held-out demand
    (``Window.rule``, ``Window.run``: the existing numpy simulator over all series at once).

Each stage reads what the one before wrote (the saved panel, the forecasts' parquet, the
levels' npz), so a stage's seconds and memory include reading its input. ``--series 300
--days 400`` is a smoke check of a minute or two.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HORIZON = 28
MODELS = ["seasonal_naive", "lightgbm"]  # the baseline first: the last drives the warm-up start
# LightGBM's training rows: the last K windows of every series (K = 365 by default: 11.1 M rows
# of 112 features at full size, 13 times the 854 k rows of K = 28).
MAX_SAMPLES_PER_TS = 28
# the days of history before the hold-out origin that the models see (the panel's last
# TRAIN_DAYS + HORIZON days; LightGBM's lags and K windows need 28 + 28 + K of them). Darts holds
# every series' history as its own TimeSeries: over all 1,941 days the forecast stage took 765 s
# and 16.3 GB at full size, against 573 s and 9.3 GB, for MASE 0.711 against 0.712
TRAIN_DAYS = 364


def overrides(layout: Path, max_samples: int, extra: tuple[str, ...] = ()) -> list[str]:
    """The settings every stage composes: the M5 folder, one hold-out origin, the two models
    (and ``extra`` Hydra overrides)."""
    return [
        "data=m5", f"data.path={layout}",
        f"forecast.horizon={HORIZON}", "forecast.n_backtest_windows=0", "forecast.calibration.method=none",
        f"forecast.models=[{','.join(MODELS)}]", "forecast.ensembles={}", "forecast.routes={}",
        f"forecast.lightgbm.max_samples_per_ts={max_samples}", *extra,
    ]


def stage_load(plain: dict, work: Path, train_days: int) -> dict:
    """(a) load and validate the M5 folder, then save the panel as the runner does."""
    from workbench.config import section
    from workbench.data import load_data

    t0 = time.perf_counter()
    panel = load_data(section(plain, "data"))
    loaded = time.perf_counter() - t0
    panel.save(work / "panel")
    return {"produced": f"{panel.n_series:,} series, {panel.demand.height:,} rows; load + validate"
                        f" {loaded:.1f} s, save {time.perf_counter() - t0 - loaded:.1f} s"}


def stage_forecast(plain: dict, work: Path, train_days: int) -> dict:
    """(b) the backtest's hold-out origin for every series with each model, fitted on the last
    ``train_days`` days before it, scored against the whole history (MASE's scale)."""
    from dataclasses import replace

    import polars as pl

    from workbench.config import section
    from workbench.data import DemandPanel
    from workbench.forecast import per_series_scores, run_backtest
    from workbench.forecast.metrics import summarise

    panel = DemandPanel.load(work / "panel")
    fc = section(plain, "forecast")
    first = panel.dates[-(train_days + fc.horizon)] if panel.dates.len() > train_days + fc.horizon else None
    seen = panel if first is None else replace(panel, demand=panel.demand.filter(pl.col("date") >= first))
    result = run_backtest(seen, fc, progress=False)
    del seen
    result.forecasts.write_parquet(work / "forecasts.parquet")
    board = summarise(per_series_scores(result.forecasts, panel, fc.season_length, fc.quantiles), ["model"])
    seconds = dict(result.timings.select("model", "seconds").iter_rows())
    scored = board.select("model", "n_series", "MASE", "pinball", "WRMSSE").with_columns(
        pl.col("model").replace_strict(seconds, default=None).alias("seconds"))
    return {"produced": "; ".join(
        f"{r['model']} {r['n_series']:,} series: MASE {r['MASE']:.3f}, pinball {r['pinball']:.3f},"
        f" WRMSSE {r['WRMSSE']:.3f} ({r['seconds']:.0f} s)" for r in scored.iter_rows(named=True))}


def window(plain: dict, work: Path):
    """The hold-out window of the saved panel and forecasts, as notebook 03 builds it."""
    import polars as pl

    from workbench.config import section
    from workbench.data import DemandPanel
    from workbench.inventory.window import Window
    from workbench.risk.leadtime import LeadTimeModel

    panel = DemandPanel.load(work / "panel")
    fc, inv, risk = section(plain, "forecast"), section(plain, "inventory"), section(plain, "risk")
    lead_model = LeadTimeModel.of(panel.static, inv.lead_time, risk.shipments, risk.distributions.min_shipments)
    forecasts = pl.read_parquet(work / "forecasts.parquet").filter(pl.col("window") == "holdout")
    return Window.of(panel, forecasts, MODELS, sorted(fc.quantiles), inv, lead_model)


def stage_policies(plain: dict, work: Path, train_days: int) -> dict:
    """(c) every policy's levels per series and day from each forecaster's quantiles."""
    win = window(plain, work)
    levels = {f"{p.name}|{m}|{k}": v for m in MODELS for p in win.policies
              for k, v in p.levels(win.inputs[m]).items()}
    np.savez(work / "levels.npz", **levels)
    return {"produced": f"{len(win.policies)} policies x {len(MODELS)} forecasters for {win.econ.height:,} series"
                        f" x {win.horizon} days ({sum(v.nbytes for v in levels.values()) / 1e6:,.0f} MB of levels)"}


def stage_simulate(plain: dict, work: Path, train_days: int) -> dict:
    """(d) the closed-loop simulation of every policy's levels against the held-out demand."""
    win = window(plain, work)
    saved = np.load(work / "levels.npz")
    rows = []
    for p in win.policies:
        for m in MODELS:
            levels = {key.split("|")[2]: saved[key] for key in saved.files if key.startswith(f"{p.name}|{m}|")}
            summary = win.run(win.rule(p, win.inputs[m], levels)).summary()
            rows.append(f"{p.name}/{m} {summary['fill_rate']:.3f}, {summary['total_cost']:,.0f}")
    return {"produced": f"{len(rows)} simulations of {win.econ.height:,} series x {win.horizon} days"
                        " (policy/forecaster fill rate, total cost): " + "; ".join(rows)}


STAGES = {"load": stage_load, "forecast": stage_forecast, "policies": stage_policies, "simulate": stage_simulate}


def run_stage(name: str, plain: dict, work: Path, train_days: int = TRAIN_DAYS) -> dict:
    """One stage in this process: its seconds, the process's peak resident memory and what it made."""
    t0 = time.perf_counter()
    out = STAGES[name](plain, work, train_days)
    return {"stage": name, "seconds": round(time.perf_counter() - t0, 1),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **out}


def child(name: str, layout: Path, work: Path, max_samples: int, train_days: int) -> dict:
    """Run stage ``name`` in a fresh process; raises with the end of its stderr where it fails."""
    cmd = [sys.executable, __file__, "--stage", name, "--layout", str(layout), "--work", str(work),
           "--max-samples-per-ts", str(max_samples), "--train-days", str(train_days)]
    # this checkout's package first, whatever the environment has installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if out.returncode:
        raise RuntimeError(f"stage {name} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=30_490, help="series (10 stores x series / 10 items)")
    ap.add_argument("--days", type=int, default=1_941)
    ap.add_argument("--max-samples-per-ts", type=int, default=MAX_SAMPLES_PER_TS)
    ap.add_argument("--train-days", type=int, default=TRAIN_DAYS, help="days of history the models see")
    ap.add_argument("--keep", help="a folder to write the layout and the stages' files into (kept)")
    ap.add_argument("--stage", choices=list(STAGES), help=argparse.SUPPRESS)  # the child process's
    ap.add_argument("--layout", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stage:
        from workbench.config import compose, to_plain

        plain = to_plain(compose(overrides(Path(args.layout), args.max_samples_per_ts)))
        print(json.dumps(run_stage(args.stage, plain, Path(args.work), args.train_days)))
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_loaders import write_m5_layout

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        layout, work = base / "m5", base / "work"
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        write_m5_layout(layout, args.series, args.days)
        print(f"wrote the M5 layout ({args.series:,} x {args.days:,}) in {time.perf_counter() - t0:.0f} s;"
              f" the models see the last {args.train_days} days before the origin; LightGBM"
              f" max_samples_per_ts={args.max_samples_per_ts}", flush=True)
        print("\n| stage | seconds | peak MB | produced |\n|---|---:|---:|---|", flush=True)
        for name in STAGES:
            try:
                r = child(name, layout, work, args.max_samples_per_ts, args.train_days)
            except RuntimeError as err:
                print(f"| {name} | | | failed: see below |\n\n{err}", flush=True)
                raise SystemExit(1) from None
            print(f"| {r['stage']} | {r['seconds']:.1f} | {r['peak_mb']:,} | {r['produced']} |", flush=True)


if __name__ == "__main__":
    main()
