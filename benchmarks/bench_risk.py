"""The supply-risk study on the real shipment history, and its inventory side on a finished run.

    python benchmarks/bench_risk.py [--run reports/default/<run-id>] [--sizes 30x10 60x20 100x20 200x10]

Prints (as Markdown tables) the time of each step of the shipment study with its headline numbers
(delivery performance by mode, the late-delivery model against the base rate), then, on the run's
hold-out forecasts of its best model, the service every policy delivers with lead times fixed,
drawn with levels that assume them fixed, and drawn with lead-aware levels, and the dual-sourcing
frontier's solve time at several sizes (series x scenarios). Without ``--run`` the newest run of
``reports/default`` that has forecasts is used.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import polars as pl
from tables import markdown

from workbench.config import compose, section
from workbench.risk.distributions import (
    crossing_share,
    delivery_stats,
    goodness_of_fit,
    lead_ratios,
)
from workbench.risk.late_model import run_late_model
from workbench.risk.scorecard import supplier_scorecard
from workbench.risk.shipments import load_shipments
from workbench.risk.sourcing import solve_sourcing
from workbench.risk.stock import AWARE, lead_time_effect, lead_time_summary
from workbench.risk.study import run_supply_study, sourcing_inputs
from workbench.session import open_run


def timed(label: str, times: list, fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    times.append({"step": label, "seconds": time.perf_counter() - t0})
    return out


def shipment_study(risk):
    """The shipment study's steps, timed and printed; returns the history and its lead ratios."""
    times: list[dict] = []
    history = timed("load and repair the history", times, load_shipments, risk.shipments)
    frame = history.frame
    stats = timed("delivery statistics (4 groupings)", times, lambda: [
        delivery_stats(frame, by, risk.distributions) for by in risk.distributions.group_by])
    timed("distribution fits per mode", times, goodness_of_fit, frame, "mode", risk.distributions)
    _, ratios = timed("crossing and lead ratios", times,
                      lambda: (crossing_share(frame), lead_ratios(frame, risk.distributions.min_shipments)))
    late = timed("late-delivery model (fit, score, SHAP)", times, run_late_model, frame, risk.model)
    timed("supplier scorecard", times, supplier_scorecard, frame, risk.scorecard)
    print("## Shipment study\n")
    print(markdown(digits=3, frame=pl.DataFrame(times)), "\n")
    print("### Delivery performance by mode\n")
    print(markdown(digits=3, frame=stats[0].select("group", "shipments", "on_time_rate", "late_share", "exact_share",
                                   "delay_when_late_mean", "delay_when_late_q90", "lead_time_median")), "\n")
    print("### Late-delivery model (trained before risk.model.test_from)\n")
    print(markdown(digits=3, frame=late.scores), "\n")
    return history, ratios


def newest_run() -> Path:
    runs = sorted(p.parent.parent for p in Path("reports/default").glob("*/artifacts/forecasts.parquet"))
    if not runs:
        raise SystemExit("no run of reports/default has forecasts: run `make report` first or give --run")
    return runs[-1]


def supply(run_dir: Path, risk, history, ratios: dict, sizes: list[str]) -> None:
    run = open_run(None, run_dir)
    inv = run.section("inventory")
    quantiles = run.section("forecast").quantiles
    forecasts = run.read_table("forecasts")
    best = run.read_table("leaderboard")["model"][0]
    panel = run.panel()
    t0 = time.perf_counter()
    study = run_supply_study(panel, forecasts, best, quantiles, inv, risk, history)
    print(f"## Stock decisions on {run_dir} ({best}, {study.bench.econ.height} series, "
          f"{study.bench.horizon} periods): {time.perf_counter() - t0:.1f} s for the supply study\n")
    print(markdown(digits=3, frame=study.lead_summary.select("policy", "world", "fill_rate_after_lead", "cycle_service_level",
                                             "mean_stock", "total_cost", "total_cost_sd")), "\n")
    t0 = time.perf_counter()
    lead_time_summary(lead_time_effect(study.bench, risk.replications), study.bench.target())
    print(f"{risk.replications} replications of the three worlds: {time.perf_counter() - t0:.2f} s; cheapest with"
          f" lead-aware levels: {study.lead_summary.filter(pl.col('world') == AWARE).sort('total_cost')['policy'][0]}\n")
    rows = []
    for size in sizes:
        n, s = (int(x) for x in size.split("x"))
        cfg = replace(risk, sourcing=replace(risk.sourcing, max_series=n, scenarios=s))
        inputs, _ = sourcing_inputs(study.bench, inv, cfg, ratios)
        t0 = time.perf_counter()
        result = solve_sourcing(inputs, cfg.sourcing.lambdas, cfg.sourcing.cvar_alpha)
        seconds = time.perf_counter() - t0
        f = result.frontier
        rows.append({"series": n, "scenarios": s, "lambdas": f.height, "frontier seconds": seconds,
                     "first solve": float(f["solve_seconds"][0]), "fast share at 0": f["fast_share"][0],
                     "fast share at max": f["fast_share"][-1],
                     "expected cost rise": float(f["expected_cost"][-1] / f["expected_cost"][0] - 1),
                     "CVaR fall": float(1 - f["cvar_exact"][-1] / f["cvar_exact"][0])})
    print("## Dual-sourcing frontier by size\n")
    print(markdown(digits=3, frame=pl.DataFrame(rows)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, default=None)
    parser.add_argument("--sizes", nargs="*", default=["30x10", "60x20", "100x20", "200x10"])
    args = parser.parse_args()
    risk = section(compose(), "risk")
    history, ratios = shipment_study(risk)
    supply(args.run or newest_run(), risk, history, ratios, args.sizes)


if __name__ == "__main__":
    main()
