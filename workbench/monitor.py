"""``python -m workbench.monitor``: score the new periods of a panel with the detectors a run fitted.

    python -m workbench.monitor --run reports/default/<run-id> --new new_days.csv

The run's ``05_anomaly`` notebook saved its fitted detector set and the tail of history the
features need (``artifacts/anomaly/``). The monitor keeps its own state in ``<run>/monitor/``
(or ``--monitor``): the tail, rolled forward after each increment, and the alert log, which only
grows (:mod:`workbench.anomaly.monitor_state`). Each call reads only the increment, computes the
features from the stored tail, scores, groups the alerts of the recommended detector into
incidents and appends them. A malformed increment stops it with exit code 2 and one message.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from workbench.anomaly.monitor_state import (
    IncrementError,
    append_log,
    commit_state,
    continue_incidents,
    increment_name,
    open_incidents,
    read_increment,
    recover_state,
    stage_state,
    tail_of,
)
from workbench.data.contracts import period
from workbench.data.panel import DATE, DemandPanel

DETECTORS_DIR = "artifacts/anomaly/detectors"  # the run's fitted detector set
TAIL_DIR = "artifacts/anomaly/tail"  # the history the run ended with


@dataclass(frozen=True)
class MonitorResult:
    scores: pl.DataFrame  # keys, date, one score column per detector: the increment's periods
    flags: pl.DataFrame  # the same, True where a detector's score reaches its threshold
    incidents: pl.DataFrame  # the recommended detector's incidents, as appended to the log
    rows: int  # series-periods scored
    seconds: float


def start_state(run_dir: Path, monitor_dir: Path) -> Path:
    """The monitor's state folder, made from the run's tail on first use, recovered after a crash."""
    state = monitor_dir / "state"
    recover_state(state, monitor_dir)
    if not state.exists():
        source = run_dir / TAIL_DIR
        if not (source / "panel.json").exists():
            raise FileNotFoundError(f"{source} holds no saved tail: run the 05_anomaly notebook in {run_dir} first")
        monitor_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, state)
    return state


@contextmanager
def locked(monitor_dir: Path):
    """One monitor at a time per folder: ``monitor.lock`` is made exclusively and removed at the end."""
    monitor_dir.mkdir(parents=True, exist_ok=True)
    lock = monitor_dir / "monitor.lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        raise IncrementError(f"{lock} exists: another monitor is running on {monitor_dir} (if none is, one was"
                             " killed: remove the file)") from None
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


def monitor(run_dir: str | Path, increment: str | Path, monitor_dir: str | Path | None = None) -> MonitorResult:
    """Score ``increment`` (CSV or parquet of the panel's columns) with the detector set of ``run_dir``."""
    run_dir = Path(run_dir)
    monitor_dir = Path(monitor_dir) if monitor_dir is not None else run_dir / "monitor"
    with locked(monitor_dir):
        return _monitor(run_dir, Path(increment), monitor_dir)


def _monitor(run_dir: Path, increment: Path, monitor_dir: Path) -> MonitorResult:
    from workbench.anomaly.detector_set import DetectorSet
    from workbench.anomaly.features import anomaly_data
    from workbench.anomaly.incidents import incidents
    from workbench.anomaly.study import fan, recommended_detector

    began = time.perf_counter()
    detectors = DetectorSet.load(run_dir / DETECTORS_DIR)
    state = start_state(run_dir, monitor_dir)
    tail = DemandPanel.load(state)
    new = read_increment(increment, tail)
    first, last = new.get_column(DATE).min(), new.get_column(DATE).max()
    panel = replace(tail, demand=pl.concat([tail.demand, new]).sort([*tail.keys, DATE]))
    data = anomaly_data(panel, detectors.cfg, start=first)
    keys = list(panel.keys)
    scored = data.rows.get_column(DATE) >= first
    scores = detectors.score(data).filter(scored)
    flags = detectors.flags(scores)
    cfg = detectors.cfg
    found = incidents(data.rows.filter(scored), scores, flags, recommended_detector(detectors), keys,
                      evidence=fan(detectors, data, scored.to_numpy()), max_gap=cfg.incidents.max_gap,
                      frequency=panel.frequency)
    found, still_open = continue_incidents(found, open_incidents(state, tail), keys, period(panel),
                                           cfg.incidents.max_gap, last)
    # the next state is staged before the log is written and swapped in after: a crash in between is
    # finished or undone by recover_state on the next call
    name = increment_name(new)
    stage_state(tail_of(panel, detectors.history_needed()), still_open, name, state)
    append_log(monitor_dir, name, found, scores)
    commit_state(state)
    return MonitorResult(scores, flags, found, new.height, time.perf_counter() - began)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.monitor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="a run folder whose 05_anomaly notebook finished")
    parser.add_argument("--new", required=True, help="the new periods: CSV or parquet with the panel's columns")
    parser.add_argument("--monitor", default=None, help="the monitor's folder (default: <run>/monitor)")
    args = parser.parse_args(argv)
    try:
        res = monitor(args.run, args.new, args.monitor)
    except (ValueError, FileNotFoundError) as err:  # IncrementError is a ValueError
        print(f"workbench.monitor: {err}", file=sys.stderr)
        return 2
    where = Path(args.monitor) if args.monitor else Path(args.run) / "monitor"
    print(f"scored {res.rows:,} series-periods in {res.seconds:.1f} s ({res.rows / res.seconds:,.0f} per second); "
          f"{res.incidents.height} incident(s) appended to {where / 'alerts.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
