"""Daily retail data the workbench was not tuned on: the Rossmann store files.

    python benchmarks/bench_forecast_rossmann.py [--path DIR] [--variants a,b,...] [--windows N]

Loaded as ``experiment=rossmann`` loads it (a ``data=panel`` config, ``conf/data/rossmann.yaml``):
the 83 stores with a full history (``data.validation.min_periods``), ``Promo``,
``SchoolHoliday`` and the ``StateHoliday`` flags as known-future covariates, the store
attributes as static ones, and closed days (``Open = 0``) as the ``closed`` column, on which
every forecast is zero. The
last 42 days are held out; MASE is scaled by each series' in-sample seasonal-naive MAE
with season 7, the setting of the reference numbers in ``../shared/data/README.md``
(seasonal naive 0.635, a plain global LightGBM 0.269). Each variant is a LightGBM
configuration (``VARIANTS``); ``--windows`` backtest origins before the hold-out rank
them. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.config import compose, section  # noqa: E402
from workbench.data import load_data  # noqa: E402
from workbench.forecast import leaderboard, per_series_scores, run_backtest  # noqa: E402


def overrides(path: str) -> list[str]:
    """``experiment=rossmann`` (a ``data=panel`` config: ``conf/data/rossmann.yaml``) with every
    series' whole history for the global models."""
    return [
        "experiment=rossmann", f"data.path={path}/train.csv", f"data.static_path={path}/store.csv",
        "forecast.train_window=null", "forecast.lightgbm.max_samples_per_ts=null",
        "forecast.lightgbm.lags_past_covariates=0",
    ]


SEASONAL = "[21,28,35,42,49,56]"
PLAIN = ["forecast.lightgbm.point=median", "forecast.lightgbm.categorical=false", "forecast.lightgbm.series_id=false",
         "forecast.lightgbm.lags_future_covariates=0"]
NO_WINDOW = PLAIN[3:]
LGB = ["forecast.models=[lightgbm]"]
DEFAULTS = ["forecast.lightgbm.lags=28", "forecast.lightgbm.n_estimators=150", "forecast.lightgbm.learning_rate=0.08"]
VARIANTS = {
    "seasonal_naive": ["forecast.models=[seasonal_naive]"],
    "lightgbm direct; lags 28; median & codes (the defaults before)": [*LGB, *DEFAULTS, *PLAIN],
    "lightgbm direct; lags 56 & 400 trees; median & codes": [*LGB, *PLAIN],
    "lightgbm direct; lags 56 & 400 trees; least squares & codes": [*LGB, *PLAIN[1:]],
    "lightgbm direct; lags 56 & 400 trees; median & categories": [*LGB, PLAIN[0], *NO_WINDOW],
    "lightgbm direct; lags 56 & 400 trees; least squares & categories": [*LGB, *NO_WINDOW],
    "lightgbm direct; lags 56 & 400 trees; least squares & categories & 7-day window (experiment=rossmann)": LGB,
    "lightgbm direct; lags 28; least squares & categories & 7-day window (the defaults with point=l2)": [
        *LGB, *DEFAULTS],
    "lightgbm recursive; lags 14 + weekly to 56; least squares & categories & 7-day window": [
        *LGB, "forecast.lightgbm.lags=14", f"forecast.lightgbm.seasonal_lags={SEASONAL}",
        "forecast.lightgbm.strategy=recursive"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", default=str(ROOT.parent / "shared" / "data" / "rossmann_subset_100stores"))
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names of VARIANTS")
    ap.add_argument("--windows", type=int, default=2)
    args = ap.parse_args()
    base = overrides(args.path) + [f"forecast.n_backtest_windows={args.windows}"]
    panel = load_data(section(compose(base), "data"))
    print(f"{panel.n_series} stores x {panel.dates.len()} days", flush=True)
    rows = []
    for name in args.variants.split(","):
        fc = section(compose([*base, *VARIANTS[name]]), "forecast")
        t = time.perf_counter()
        result = run_backtest(panel, fc, progress=False)
        seconds = time.perf_counter() - t
        board = leaderboard(per_series_scores(result.forecasts, panel, fc.season_length, fc.quantiles),
                            result.timings)
        r = board.row(0, named=True)
        rows.append((name, r["MASE"], r["holdout_MASE"], r["holdout_WAPE"], r["holdout_pinball"],
                     r["holdout_coverage"], seconds))
        print(f"done {name}: hold-out MASE {r['holdout_MASE']:.3f}", flush=True)
    print(f"\nhold-out: the last {fc.horizon} days; backtest: {args.windows} origins before it\n")
    print("| configuration | backtest MASE | hold-out MASE | WAPE | scaled pinball | coverage 90% | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, back, mase, wape, pin, cov, sec in rows:
        print(f"| {name} | {back:.3f} | {mase:.3f} | {wape:.1%} | {pin:.3f} | {cov:.1%} | {sec:.0f} |")


if __name__ == "__main__":
    main()
