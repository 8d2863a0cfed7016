"""The points of a ``-m`` sweep of ``python -m workbench.run``, and the sweep around them.

Hydra's joblib launcher (``conf/config.yaml``) runs the points in parallel, each in a loky worker
process, in that process's main thread (so :func:`workbench.execution.stop_on_signals` works as in
a single run). Each point (:class:`SweepPoint`):

- knows its sweep from Hydra's config: the sweep folder ``hydra.sweep.dir`` (its name is the sweep
  id), its number ``hydra.job.num``, its task overrides, and the swept parameters: those that take
  more than one value among the points that the sweep's ``multirun.yaml`` expands to;
- writes ``<sweep folder>/<n>/point.json`` as it starts and as it ends (for a point stopped by a bad
  setting or bad data, the only record: it has no run folder), puts its identity into its
  ``run.json`` and rebuilds the sweep's page (:mod:`workbench.report.sweep`) and the index;
- takes its share of the cores: with P points at once on C cores its ``experiment.threads`` is
  ``max(1, C // P)`` unless the user set it, so that P points do not start P x C threads.

In the parent process :class:`SweepCallback` (a Hydra callback) caps the launcher's ``n_jobs`` at
the number of points (an idle worker would die of a Ctrl-C and break the pool), turns SIGINT and
SIGTERM into a stop of the whole sweep (the running points get the signal and mark their runs
interrupted; no further point starts), and after the last point rebuilds the page and the index and
adds the points' exit codes, read from their records, to :data:`workbench.runner.EXIT_CODES`: the
points' own additions to that list stay in their worker processes.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, read_write

from workbench.execution import STOP_SIGNALS
from workbench.report.index import build_index, write_page
from workbench.report.sweep import POINT_FILE, STOP_FILE, build_sweep_page, expand_sweep, swept_keys
from workbench.runner import EXIT_BAD_INPUT, EXIT_CODES
from workbench.runtime import available_cores, joblib_workers

RUNNER_JOB = "runner"  # hydra.job.name of workbench.runner.main (Hydra names a job after its module)
PARENT_ENV = "WORKBENCH_SWEEP_PARENT"  # the sweep's own process id, inherited by the points' workers


def _now() -> str:
    return datetime.now().isoformat(timespec="milliseconds")


def points_at_once(n_jobs: int | None, n_points: int) -> int:
    """How many points run together: joblib's ``n_jobs`` (negative: all cores but ``-n_jobs - 1``)
    and never more than there are points. ``None`` (a launcher without ``n_jobs``): one."""
    if n_jobs is None:
        return 1
    return max(min(joblib_workers(n_jobs, available_cores()), n_points), 1)


def thread_share(threads: int | None, at_once: int) -> int | None:
    """A point's ``experiment.threads``: the user's setting where there is one, else the cores split
    between the points that run at once (``None``, every core, when a point runs alone)."""
    if threads is not None or at_once <= 1:
        return threads
    return max(1, available_cores() // at_once)


@dataclass
class SweepPoint:
    """One point of a sweep, in the process that runs it."""

    sweep_dir: Path
    number: int
    overrides: list[str]
    swept: list[str]
    n_points: int
    reports_dir: Path
    experiment: str
    threads: int | None = None  # experiment.threads of the point's run (its share of the cores)
    started: str = field(default_factory=_now)
    t0: float = field(default_factory=time.perf_counter)

    @classmethod
    def of(cls, hydra_cfg: DictConfig, cfg: DictConfig) -> SweepPoint | None:
        """The point that Hydra's config describes; ``None`` outside a ``-m`` sweep."""
        if hydra_cfg.mode.name != "MULTIRUN":
            return None
        sweep_dir = Path(hydra_cfg.sweep.dir).resolve()
        multirun = sweep_dir / "multirun.yaml"
        points = expand_sweep(OmegaConf.load(multirun)) if multirun.exists() else []
        return cls(sweep_dir, int(hydra_cfg.job.num), list(hydra_cfg.overrides.task), swept_keys(points),
                   max(len(points), 1), Path(cfg.experiment.reports_dir).resolve(), str(cfg.experiment.name))

    def identity(self) -> dict[str, Any]:
        """What the point's ``run.json`` records as ``"sweep"``."""
        return {"id": self.sweep_dir.name, "dir": str(self.sweep_dir), "point": self.number,
                "overrides": self.overrides, "swept": self.swept, "pid": os.getpid()}

    def record(self, status: str, **extra: Any) -> None:
        """Write ``<sweep folder>/<n>/point.json`` (atomically) and rebuild the sweep's page."""
        folder = self.sweep_dir / str(self.number)
        folder.mkdir(parents=True, exist_ok=True)
        info = {"point": self.number, "overrides": self.overrides, "experiment": self.experiment,
                "status": status, "pid": os.getpid(), "threads": self.threads, "started": self.started,
                "seconds": round(time.perf_counter() - self.t0, 1), **extra}
        write_page(folder / POINT_FILE, json.dumps(info, indent=2, default=str))
        build_sweep_page(self.sweep_dir, self.reports_dir)

    def begin(self, cfg: DictConfig, n_jobs: int | None) -> int | None:
        """Record the start and set the point's thread share; when the sweep was stopped before this
        point started, record it as not run and return the sweep's exit code instead."""
        stop = _read_stop(self.sweep_dir)
        if stop is not None:
            self.record("not run", exit_code=stop["exit_code"], finished=_now(),
                        error=f"not run: the sweep was stopped by {stop['signal']} first")
            return int(stop["exit_code"])
        self.threads = thread_share(cfg.experiment.threads, points_at_once(n_jobs, self.n_points))
        if self.threads != cfg.experiment.threads:
            cfg.experiment.threads = self.threads
        self.record("running")
        return None

    def finish(self, code: int, error: str | None) -> None:
        """Record the end; an interrupted point stops the sweep (no further point starts). In a worker
        process, signals are ignored from now on: the parent stops the sweep, and a Ctrl-C that
        reached an idle worker would kill it and break the pool."""
        status = "ok" if code == 0 else "interrupted" if code > 128 else "failed"
        if status == "interrupted":
            write_stop(self.sweep_dir, signal.Signals(code - 128).name, code)
        self.record(status, exit_code=code, error=error, finished=_now())
        build_index(self.reports_dir)
        if os.environ.get(PARENT_ENV, str(os.getpid())) != str(os.getpid()):
            for s in STOP_SIGNALS:
                signal.signal(s, signal.SIG_IGN)


def write_stop(sweep_dir: Path, name: str, code: int) -> None:
    """Mark the sweep stopped (the first mark stays): points that have not started will not."""
    path = sweep_dir / STOP_FILE
    if not path.exists():
        sweep_dir.mkdir(parents=True, exist_ok=True)
        write_page(path, json.dumps({"signal": name, "exit_code": code, "at": _now()}))


def _read_stop(sweep_dir: Path) -> dict[str, Any] | None:
    path = sweep_dir / STOP_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def sweep_exit_codes(sweep_dir: Path, n_points: int) -> list[int]:
    """Each point's exit code from its record; 1 for a point without one (its process died)."""
    codes = {}
    for path in sweep_dir.glob(f"*/{POINT_FILE}"):
        record = json.loads(path.read_text())
        codes[record["point"]] = record.get("exit_code")
    return [1 if codes.get(n) is None else int(codes[n]) for n in sorted(set(range(n_points)) | set(codes))]


class SweepCallback(Callback):
    """The sweep in the parent process (``hydra.callbacks`` in ``conf/config.yaml``); inert for
    other apps that compose the same config (``workbench.tune``)."""

    def __init__(self) -> None:
        self.sweep_dir: Path | None = None
        self.reports_dir: Path | None = None
        self.n_points = 0
        self.stopped: int | None = None
        self.previous: dict[int, Any] = {}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if config.hydra.job.name != RUNNER_JOB:
            return
        self.sweep_dir = Path(config.hydra.sweep.dir).resolve()
        self.reports_dir = Path(config.experiment.reports_dir).resolve()
        try:  # the sweeper would reuse it: a sweep started in the same second would mix its points with ours
            self.sweep_dir.mkdir(parents=True)
        except FileExistsError:
            print(f"error: {self.sweep_dir} exists (a sweep started in the same second); start again",
                  file=sys.stderr, flush=True)
            sys.exit(EXIT_BAD_INPUT)
        self.n_points = len(expand_sweep(config))
        launcher = config.hydra.launcher
        if self.n_points and "n_jobs" in launcher:
            with read_write(launcher):
                launcher.n_jobs = points_at_once(launcher.n_jobs, self.n_points)
        os.environ[PARENT_ENV] = str(os.getpid())
        self.previous = {s: signal.signal(s, self._stop) for s in STOP_SIGNALS}

    def _stop(self, signum: int, frame: Any) -> None:
        """Stop the sweep: mark it, and pass the signal on to the workers that run points (a Ctrl-C
        in a terminal reaches them anyway; a ``kill`` of this process does not)."""
        import psutil

        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        self.stopped = signum
        name = signal.Signals(signum).name
        write_stop(self.sweep_dir, name, 128 + signum)
        print(f"interrupted by {name}: stopping the sweep; running points mark their runs interrupted",
              file=sys.stderr, flush=True)
        for child in psutil.Process().children():
            try:
                child.send_signal(signum)
            except psutil.NoSuchProcess:
                pass

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self.sweep_dir is None:
            return
        for s, handler in self.previous.items():
            signal.signal(s, handler)
        page = build_sweep_page(self.sweep_dir, self.reports_dir)
        build_index(self.reports_dir)
        codes = sweep_exit_codes(self.sweep_dir, self.n_points)
        EXIT_CODES.extend(codes + ([128 + self.stopped] if self.stopped else []))
        failed = sum(c != 0 for c in codes)
        print(f"sweep: {len(codes)} points, {failed} did not succeed\npage:  {page}", flush=True)
