"""Croston and TSB on intermittent demand: accuracy, calibration, volume and time.

    python benchmarks/bench_intermittent.py [--uci PATH] [--models a,b,...]

Two data sets: the default synthetic shop (``experiment=default``, the rolling backtest of
``forecast.n_backtest_windows`` origins and the hold-out) and the 20-day UCI Online Retail
head (``experiment=transactions``; 20 days hold one origin of a 7-day horizon, so
``forecast.horizon=7 forecast.n_backtest_windows=0``). The UCI file is cut in the middle of
its last line; the benchmark reads a copy without that broken line. Scores are the means
over series and origins of MASE, RMSSE, the scaled pinball loss and the [q05, q95]
coverage; ``units`` are the forecast and actual totals; ``fallbacks`` the series that got
a fallback forecast, with the forecaster's own notes printed below the table.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.config import compose, section  # noqa: E402
from workbench.data import load_data  # noqa: E402
from workbench.forecast import backtest, per_series_scores, run_backtest, summarise  # noqa: E402

UCI = ROOT.parent / "shared" / "data" / "online_retail_uci_head" / "online_retail.csv"


def with_points() -> dict:
    """Put each model's own point forecast (``Forecaster.point`` where it has one) into the
    ``mean`` column, as the backtest does for models whose median is not their mean."""
    built: dict = {}
    make, frame = backtest.make_forecaster, backtest.forecasts_frame

    def make_recorded(name, cfg):
        built[name] = make(name, cfg)
        return built[name]

    def frame_with_point(keys, values, start, step, model, cutoff, quantiles, point=None):
        point = getattr(built.get(model), "point", None) if point is None else point
        return frame(keys, values, start, step, model, cutoff, quantiles, point=point)

    backtest.make_forecaster, backtest.forecasts_frame = make_recorded, frame_with_point
    return built


def trimmed_uci(path: Path, folder: Path) -> Path:
    """A copy of the UCI head without its last line, which the published file cuts in two."""
    text = path.read_text(encoding="latin-1")
    out = folder / "online_retail.csv"
    out.write_text(text[: text.rstrip("\n").rfind("\n") + 1], encoding="latin-1")
    return out


def score(name: str, overrides: list[str], models: list[str], built: dict) -> pl.DataFrame:
    """One backtest of ``models`` on the data of ``overrides``, summarised per model."""
    cfg = compose([*overrides, f"forecast.models=[{','.join(models)}]"])
    panel = load_data(section(cfg, "data"))
    fc = section(cfg, "forecast")
    t = time.perf_counter()
    result = run_backtest(panel, fc, progress=False)
    print(f"{name}: {panel.n_series} series, backtest in {time.perf_counter() - t:.1f} s", flush=True)
    for model in models:
        for line in getattr(built.get(model), "notes", []):
            print(f"  {model} (last origin): {line}")
    per = per_series_scores(result.forecasts, panel, fc.season_length, fc.quantiles)
    units = (
        result.forecasts.join(panel.demand.select([*panel.keys, "date", pl.col("demand").alias("actual")]),
                              on=[*panel.keys, "date"], how="left")
        .group_by("model").agg(pl.col("mean").sum().alias("forecast_units"), pl.col("actual").sum().alias("actual_units"))
    )
    timing = result.timings.group_by("model").agg(pl.col("seconds").sum(), pl.col("fallbacks").sum())
    board = summarise(per, ["model"]).select("model", "MASE", "RMSSE", "pinball", "coverage", "n_series")
    return (board.join(units, on="model").join(timing, on="model")
            .with_columns(pl.lit(name).alias("data")).sort("model"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uci", default=str(UCI), help="the UCI Online Retail head (skipped when absent)")
    ap.add_argument("--models", default="seasonal_naive,croston,tsb")
    args = ap.parse_args()
    models = args.models.split(",")
    built = with_points()
    tables = [score("synthetic default", ["experiment=default"], models, built)]
    if Path(args.uci).exists():
        with tempfile.TemporaryDirectory() as tmp:
            path = trimmed_uci(Path(args.uci), Path(tmp))
            tables.append(score("UCI 20 days", ["experiment=transactions", f"data.path={path}",
                                                "forecast.horizon=7", "forecast.n_backtest_windows=0"], models, built))
    table = pl.concat(tables).select("data", "model", "MASE", "RMSSE", "pinball", "coverage", "forecast_units",
                                     "actual_units", "seconds", "fallbacks", "n_series")
    print()
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for row in table.iter_rows():
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
