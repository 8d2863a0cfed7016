"""The anomaly study on the default synthetic shop and on Walmart with injected anomalies, and the
daily monitor's throughput on one day of 30,000 series.

    python benchmarks/bench_anomaly.py [--backgrounds default walmart] [--monitor-series 30000]

For each background, prints (as Markdown tables) the time of each step, PR-AUC and event recall of
every detector per anomaly type, and the recommended combination against the targets (event recall
>= 0.9 at <= 5 alerts per 1,000 series-periods, median delay <= 2 periods). Then fits the default
detector set on a synthetic shop of ``--monitor-series`` series and times ``workbench.monitor`` on
one new day of all of them (rows per second).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import polars as pl
from tables import markdown

from workbench.anomaly.monitor_state import save_state, tail_of
from workbench.anomaly.study import run_study, save_study
from workbench.anomaly.summary import against_targets, type_matrix
from workbench.config import compose, section, to_plain
from workbench.data import load_data
from workbench.data.panel import DATE
from workbench.monitor import monitor
from workbench.session import Run

EXPERIMENTS = {"default": [], "walmart": ["experiment=walmart"]}


def background(name: str) -> None:
    plain = to_plain(compose(EXPERIMENTS[name]))
    t0 = time.perf_counter()
    panel = load_data(section(plain, "data"))
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    study = run_study(panel, section(plain, "anomaly"), section(plain, "forecast"))
    total = time.perf_counter() - t0
    print(f"\n## {name}: {panel.n_series:,} series x {panel.dates.len():,} periods; loaded in {loaded:.1f} s, "
          f"study in {total:.1f} s")
    if study.labels.injected is not None:
        print(f"{study.labels.injected.height:,} injected events; skipped: {study.labels.skipped}")
    print("\nseconds per step: " + ", ".join(f"{k} {v:.1f}" for k, v in study.seconds.items()))
    types = study.evaluation.type_table
    print("\n### PR-AUC per detector and anomaly type (evaluation periods)\n")
    print(markdown(type_matrix(types, "pr_auc")))
    print("\n### Event recall per detector and anomaly type, at each detector's threshold\n")
    print(markdown(type_matrix(types, "event_recall")))
    table = study.evaluation.detector_table
    print("\n### Every detector, all types together\n")
    print(markdown(table.select("detector", "pr_auc", "roc_auc", "precision", "event_recall", "delay_median",
                                "incidents_per_1000", "incident_precision")))
    row = table.filter(pl.col("detector") == study.recommended).row(0, named=True)
    print(f"\n### Recommended: {study.recommended} = max of {study.combination.members}\n")
    print(markdown(against_targets(row)))


def monitor_throughput(n_series: int, detectors: list[str] | None) -> None:
    items = n_series // 2
    chosen = [f"anomaly.detectors=[{','.join(detectors)}]"] if detectors else []
    if detectors and "ensemble" in detectors:  # the ensemble's members among the chosen detectors
        members = [d for d in ("ecod", "iforest", "knn", "residual_norm") if d in detectors]
        chosen.append(f"anomaly.ensemble.members=[{','.join(members)}]")
    plain = to_plain(compose([f"data.n_items={items}", "data.n_days=240", "data.text.column=null", *chosen]))
    t0 = time.perf_counter()
    panel = load_data(section(plain, "data"))
    made = time.perf_counter() - t0
    last = panel.demand[DATE].max()
    history = replace(panel, demand=panel.demand.filter(pl.col(DATE) < last))
    t0 = time.perf_counter()
    study = run_study(history, section(plain, "anomaly"), section(plain, "forecast"))
    fitted = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        run = Run(plain, Path(tmp) / "run")
        save_study(study, run)
        save_state(tail_of(history, study.detectors.history_needed()), Path(tmp) / "monitor" / "state")
        day = panel.demand.filter(pl.col(DATE) == last)
        day.write_parquet(Path(tmp) / "day.parquet")
        res = monitor(run.dir, Path(tmp) / "day.parquet", Path(tmp) / "monitor")
    print(f"\n## Monitor: {panel.n_series:,} series; shop made in {made:.0f} s, detector set fitted in {fitted:.0f} s "
          f"({history.dates.len()} days); detectors: {', '.join(study.detectors.reported)}\n")
    print("| series-days | seconds | rows per second | incidents |\n|---:|---:|---:|---:|")
    print(f"| {res.rows:,} | {res.seconds:.1f} | {res.rows / res.seconds:,.0f} | {res.incidents.height} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backgrounds", nargs="*", default=list(EXPERIMENTS), choices=list(EXPERIMENTS))
    ap.add_argument("--monitor-series", type=int, default=30_000, help="0: skip the monitor's benchmark")
    ap.add_argument("--monitor-detectors", nargs="*", default=None,
                    help="the monitor's detectors (default: anomaly.detectors' default)")
    args = ap.parse_args()
    for name in args.backgrounds:
        background(name)
    if args.monitor_series:
        monitor_throughput(args.monitor_series, args.monitor_detectors)


if __name__ == "__main__":
    main()
