"""The forecasting leaderboard on the real Walmart data: accuracy and fit + predict time per model.

    python benchmarks/bench_forecast_walmart.py [--path DIR] [--models a,b,...] [--windows N] [overrides ...]

Store x Dept weekly series with all 143 weeks (2,660 of them), the last 13 weeks held
out, MASE scaled by each series' in-sample seasonal-naive MAE with season 52: the
setting of the published reference runs (seasonal naive 0.934). ``--windows`` adds
rolling backtest origins before the hold-out (0 by default: the hold-out alone).
Extra arguments are Hydra overrides of ``experiment=walmart``. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.config import compose, section  # noqa: E402
from workbench.data import load_data  # noqa: E402
from workbench.forecast import leaderboard, per_series_scores, run_backtest  # noqa: E402

DEFAULT_MODELS = "seasonal_naive,auto_ets,theta,linear,lightgbm,tide,nhits"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", default=str(ROOT.parent / "shared" / "data" / "walmart_recruiting"))
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--windows", type=int, default=0)
    ap.add_argument("--save", help="write the forecasts and timings as parquet files into this folder")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()

    models = args.models.split(",")
    cfg = compose(["experiment=walmart", f"data.path={args.path}", f"forecast.models=[{','.join(models)}]",
                   f"forecast.n_backtest_windows={args.windows}", *args.overrides])
    t = time.perf_counter()
    panel = load_data(section(cfg, "data"))
    print(f"loaded {panel.n_series} series x {panel.dates.len()} weeks in {time.perf_counter() - t:.1f} s", flush=True)
    fc = section(cfg, "forecast")
    result = run_backtest(panel, fc, progress=True)
    if args.save:
        Path(args.save).mkdir(parents=True, exist_ok=True)
        result.forecasts.write_parquet(Path(args.save) / "walmart_forecasts.parquet")
        result.timings.write_parquet(Path(args.save) / "walmart_timings.parquet")
    scores = per_series_scores(result.forecasts, panel, fc.season_length, fc.quantiles)
    board = leaderboard(scores, result.timings)
    seconds = dict(result.timings.group_by("model").agg(pl.col("seconds").sum()).iter_rows())
    hold = board.sort("holdout_MASE")
    base = hold.filter(hold["model"] == "seasonal_naive")
    base_mase = base["holdout_MASE"][0] if base.height else None
    print(f"\nhold-out from {result.origins.holdout} ({fc.horizon} weeks), {panel.n_series} series\n")
    print("| model | MASE | vs seasonal naive | WAPE | scaled pinball | coverage 90% | fit+predict s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in hold.iter_rows(named=True):
        rel = f"{r['holdout_MASE'] / base_mase - 1:+.1%}" if base_mase else ""
        print(f"| {r['model']} | {r['holdout_MASE']:.3f} | {rel} | {r['holdout_WAPE']:.1%} | {r['holdout_pinball']:.3f} "
              f"| {r['holdout_coverage']:.1%} | {seconds[r['model']]:.0f} |")
    if args.windows:
        print("\nbacktest (rolling origins before the hold-out):")
        for r in board.iter_rows(named=True):
            print(f"  {r['model']:16s} MASE {r['MASE']:.3f}  WAPE {r['WAPE']:.1%}")


if __name__ == "__main__":
    main()
