"""Coverage and pinball loss of every model's quantiles, as the models made them and calibrated.

    python benchmarks/bench_calibration.py [--models a,b,...] [hydra overrides ...]

One backtest of the default experiment (or the overrides') with
``forecast.calibration.method=conformal``: its ``uncalibrated`` forecasts are the models' own
quantiles at the same origins, so one run gives both sides. Each scope of the calibration
(``per_quantile``, ``symmetric``) is applied to those same forecasts. Scores are the backtest
windows' means over series and origins of the [lowest, highest] quantile coverage (nominal 90 %
for q05-q95) and of the scaled pinball loss. Prints a markdown table.
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
from workbench.forecast import run_backtest  # noqa: E402
from workbench.forecast.backtest import closed_days  # noqa: E402
from workbench.forecast.calibrate import BacktestCalibration, calibration_table  # noqa: E402

# the default zoo without the torch models (minutes each on a CPU), and an ensemble of the others
DEFAULT_MODELS = "seasonal_naive,moving_average,drift,auto_ets,theta,croston,tsb,linear,lightgbm"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--ensemble", default="auto_ets,lightgbm", help="members of the ensemble (empty: none)")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    ensembles = f"{{ensemble:[{args.ensemble}]}}" if args.ensemble else "{}"
    cfg = compose([f"forecast.models=[{args.models}]", f"forecast.ensembles={ensembles}",
                   "forecast.calibration.method=conformal", *args.overrides])
    panel = load_data(section(cfg, "data"))
    fc = section(cfg, "forecast")
    t = time.perf_counter()
    result = run_backtest(panel, fc, progress=False)
    print(f"{panel.n_series} series, origins: calibration {result.origins.calibration}, backtest "
          f"{result.origins.backtest}, hold-out {result.origins.holdout}; {time.perf_counter() - t:.0f} s", flush=True)
    made = result.uncalibrated
    cutoffs = made["cutoff"].unique().sort().to_list()
    tables = []
    for scope in ("per_quantile", "symmetric"):
        fc.calibration.scope = scope
        calibrated = BacktestCalibration.of(panel, fc, cutoffs, closed_days(panel))(made)
        tables.append(calibration_table(made, calibrated, panel, fc).with_columns(pl.lit(scope).alias("scope")))
    table = pl.concat(tables).sort("scope", "coverage_made")
    with pl.Config(tbl_formatting="MARKDOWN", tbl_hide_column_data_types=True, tbl_hide_dataframe_shape=True,
                   tbl_rows=-1, float_precision=4, tbl_width_chars=200):
        print(table)


if __name__ == "__main__":
    main()
