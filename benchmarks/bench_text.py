"""What item text is worth on the synthetic shop: new items from text neighbours, and LightGBM with text.

    python benchmarks/bench_text.py [--overrides data.n_items=200 ...] [--seeds 42,7] [--skip-lightgbm]

1. The cold-start study of ``02_forecast`` (:func:`workbench.forecast.coldstart.cold_start_study`)
   on the default shop for each seed: every item held out as new once, its demand after each
   backtest origin forecast from its text neighbours, its category, all items, random items
   and (for scale) its own history.
2. The global LightGBM of ``forecast.models`` by rolling-origin backtest on the same shop with
   the items' text as it is on the main line before names existed (no ``name`` column), with
   ``name`` but no vectors (``data.text.column=null``: the models read the name's ordinal code,
   as they read every text column of the static table), and with the name's vectors
   ``text_0 ..`` (the default).

Prints markdown tables.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from workbench.config import compose, section  # noqa: E402
from workbench.data import load_data  # noqa: E402
from workbench.forecast import leaderboard, per_series_scores, run_backtest  # noqa: E402
from workbench.forecast.coldstart import cold_start_study  # noqa: E402


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def cold_start_rows(overrides: list[str], seeds: list[int]) -> None:
    """The cold-start table per seed (the shop and the folds both drawn from it)."""
    print("| seed | method | MAE | WAPE | bias | MAE / category average | better than category average |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for seed in seeds:
        plain = compose([*overrides, f"experiment.seed={seed}"])
        panel = load_data(section(plain, "data"))
        t = time.perf_counter()
        study = cold_start_study(panel, section(plain, "forecast"))
        seconds = time.perf_counter() - t
        for r in study.scores.iter_rows(named=True):
            print(f"| {seed} | {r['method']} | {r['MAE']:.2f} | {r['WAPE']:.1%} | {r['bias']:+.1%} |"
                  f" {r['MAE / category average']:.3f} | {_share(r['better than category average'])} |")
        print(f"<!-- seed {seed}: {study.scores['new items'][0]} items, {len(study.origins)} origins,"
              f" {seconds:.2f} s -->", flush=True)


def lightgbm_rows(overrides: list[str]) -> None:
    """LightGBM's backtest and hold-out scores without the name, with its code only, with its vectors."""
    plain = compose([*overrides, "forecast.models=[lightgbm]", "forecast.ensembles={}", "forecast.routes={}",
                     "forecast.baseline=lightgbm"])
    fc = section(plain, "forecast")
    data = section(plain, "data")
    with_text = load_data(data)
    name_only = load_data(replace(data, text=replace(data.text, column=None)))
    variants = {
        "no name (the static table before names)": replace(name_only, static=name_only.static.drop("name")),
        "name, no vectors (data.text.column=null)": name_only,
        f"name + {data.text.dims} text vectors (data.text.column=name)": with_text,
    }
    print("| static covariates | backtest MASE | backtest pinball | hold-out MASE | hold-out WAPE |"
          " hold-out pinball | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, panel in variants.items():
        t = time.perf_counter()
        result = run_backtest(panel, fc, progress=False)
        seconds = time.perf_counter() - t
        board = leaderboard(per_series_scores(result.forecasts, panel, fc.season_length, fc.quantiles),
                            result.timings)
        r = board.filter(pl.col("model") == "lightgbm").row(0, named=True)
        print(f"| {label} | {r['MASE']:.4f} | {r['pinball']:.4f} | {r['holdout_MASE']:.4f} |"
              f" {r['holdout_WAPE']:.2%} | {r['holdout_pinball']:.4f} | {seconds:.0f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--overrides", nargs="*", default=[], help="Hydra overrides of the default experiment")
    ap.add_argument("--seeds", default="42,7,2024")
    ap.add_argument("--skip-lightgbm", action="store_true")
    args = ap.parse_args()
    cold_start_rows(args.overrides, [int(s) for s in args.seeds.split(",")])
    if not args.skip_lightgbm:
        print()
        lightgbm_rows(args.overrides)


if __name__ == "__main__":
    main()
