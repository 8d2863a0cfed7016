"""The runner: check everything, execute the notebooks with papermill, render HTML.

``python -m workbench.run [hydra overrides]`` composes the config, checks the settings
(:mod:`workbench.checks`), loads and validates the data once, and only then makes a
fresh run folder ``reports/<experiment>/<run-id>/``. It executes every notebook of
``experiment.notebooks`` in order (parameters: the resolved config as a plain dict
and the run folder; the notebooks read the panel it saved), renders each to a
self-contained HTML page, gathers the stages' headline numbers into
``metrics.json`` and rebuilds ``reports/index.html``.

- A bad setting or bad data stops the run before any notebook, with one line.
- A notebook that fails is reported with its error; notebooks that depend on it
  (``experiment.depends``) are skipped, the others still run, and the command exits 1.
- Ctrl-C (SIGINT) or SIGTERM stops the run at once: the kernel and the worker
  processes it started are ended, ``run.json`` and the index say ``interrupted`` and
  in which notebook, one line is printed, and the exit code is 130 or 143.
- In a ``-m`` sweep each point is such a run, recorded in the sweep folder whatever stops it, and
  compared with the others on ``reports/sweeps/<sweep-id>.html`` (:mod:`workbench.multirun`).

How a notebook is executed so that a signal stops it is :mod:`workbench.execution`;
each kernel's own stderr (connection notices, library banners) goes to ``kernel.log``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from workbench.config import CONF_DIR, DataConfig, ExperimentConfig, section, to_plain
from workbench.engine import engine_session, start_message
from workbench.execution import Interrupted, execute_notebook, stop_on_signals
from workbench.progress import PROGRESS_ENV, ProgressEcho
from workbench.report.html import render_html, strip_widgets
from workbench.report.index import build_index, write_page
from workbench.runtime import thread_env
from workbench.session import PANEL_DIR, new_run_dir

EXIT_FAILED, EXIT_BAD_INPUT = 1, 2


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_page(path, json.dumps(data, indent=2, default=str))


def _gather_metrics(run_dir: Path, folder: str = "metrics") -> dict[str, Any]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((run_dir / folder).glob("*.json"))}


def _render(output: Path, target: Path, entry: dict[str, Any]) -> None:
    """The executed notebook without widget state, and its page; a broken render must not hide
    the run's status."""
    if not output.exists():
        return
    try:
        import nbformat

        nbformat.write(strip_widgets(nbformat.read(output, as_version=4)), output)
        stopped = None if entry["status"] == "ok" else entry["status"]
        render_html(output, target, stopped=stopped, reason=entry.get("error"))
        entry["html"] = target.name
    except Exception as err:
        entry.setdefault("error", f"HTML rendering failed: {err}")


class RunRecord:
    """``run.json`` of one run and the index built from every run's record."""

    def __init__(self, run_dir: Path, reports: Path, info: dict[str, Any]) -> None:
        self.dir, self.reports, self.info = run_dir, reports, info
        self.t_start = time.perf_counter()

    def save(self) -> None:
        self.info["metrics"] = _gather_metrics(self.dir)
        self.info["headlines"] = _gather_metrics(self.dir, "metrics/headline")  # what the index shows
        self.info["seconds"] = round(time.perf_counter() - self.t_start, 1)
        _write_json(self.dir / "run.json", self.info)
        build_index(self.reports)

    def finish(self, status: str, **extra: Any) -> None:
        self.info.update(status=status, finished=datetime.now().isoformat(timespec="seconds"), **extra)
        self.save()
        _write_json(self.dir / "metrics.json", self.info["metrics"])


def _run_notebooks(record: RunRecord, exp: ExperimentConfig, plain: dict[str, Any]) -> set[str]:
    """Execute and render each notebook in turn; return the names that did not succeed."""
    failed: set[str] = set()
    info, run_dir = record.info, record.dir
    total = len(exp.notebooks)
    for k, entry in enumerate(info["notebooks"], start=1):
        name = entry["name"]
        blockers = [d for d in exp.depends.get(name, []) if d in failed or d not in exp.notebooks]
        if blockers:
            entry.update(status="skipped", error=f"skipped: depends on {', '.join(blockers)}, which did not succeed")
            failed.add(name)
            print(f"[{k}/{total}] {name}: skipped ({entry['error']})", flush=True)
            record.save()
            continue
        print(f"[{k}/{total}] {name}", flush=True)
        output = run_dir / f"{name}.ipynb"
        entry.update(status="running", started=datetime.now().isoformat(timespec="seconds"))
        record.save()
        t0 = time.perf_counter()
        try:
            with ProgressEcho(run_dir / "progress.log"):
                execute_notebook(Path(exp.notebooks_dir) / f"{name}.ipynb", output,
                                 {"cfg": plain, "run_dir": str(run_dir)}, exp.kernel, run_dir / "kernel.log")
            entry["status"] = "ok"
        except Interrupted as stop:
            entry.update(status="interrupted", seconds=round(time.perf_counter() - t0, 1),
                         error=f"interrupted by {stop.name} after {time.perf_counter() - t0:.0f} s")
            _render(output, run_dir / f"{name}.html", entry)
            raise
        except Exception as err:  # papermill's execution error, a dead kernel, an unreadable notebook
            ename, evalue = getattr(err, "ename", type(err).__name__), getattr(err, "evalue", str(err))
            entry.update(status="failed", error=f"{ename}: {evalue}")
        entry["seconds"] = round(time.perf_counter() - t0, 1)
        if entry["status"] != "ok":
            failed.add(name)
            print(f"    failed after {_duration(entry['seconds'])}: {entry['error']}", flush=True)
        else:
            print(f"    ok in {_duration(entry['seconds'])}", flush=True)
        _render(output, run_dir / f"{name}.html", entry)
        record.save()
    return failed


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def prepare(plain: dict[str, Any]):
    """Check the settings, load and validate the data, check the settings that need the data.

    Returns the panel; raises with one clear message on the first problem."""
    from workbench.checks import check_against_data, check_settings
    from workbench.data import load_data

    check_settings(plain)
    panel = load_data(section(plain, "data"))
    check_against_data(plain, panel)
    return panel


def execute(cfg: DictConfig, overrides: list[str] | None = None, sweep: dict[str, Any] | None = None) -> int:
    """Run every notebook of the experiment; return the exit code (0: all succeeded). ``sweep``: the
    identity of a ``-m`` sweep's point (:meth:`workbench.multirun.SweepPoint.identity`), kept in ``run.json``."""
    logging.getLogger("papermill").setLevel(logging.WARNING)
    plain = to_plain(cfg)
    exp: ExperimentConfig = section(plain, "experiment")
    data: DataConfig = section(plain, "data")
    t0 = time.perf_counter()
    print(f"checking settings and loading data ({data.source}) ...", flush=True)
    panel = prepare(plain)
    print(f"    {panel.n_series:,} series x {panel.dates.len():,} periods, checked in "
          f"{_duration(time.perf_counter() - t0)}", flush=True)
    reports = Path(exp.reports_dir)
    run_dir = new_run_dir(reports, exp.name).resolve()
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(plain)))
    (run_dir / "metrics").mkdir(exist_ok=True)
    panel.save(run_dir / PANEL_DIR)  # every notebook reads this one copy
    # kernels inherit the environment: thread pools sized on purpose, third-party progress bars
    # off (they would land in the report), ours to a file this process echoes to the terminal
    os.environ.update(thread_env(exp.threads))
    os.environ["TQDM_DISABLE"] = "1"
    os.environ[PROGRESS_ENV] = str(run_dir / "progress.log")
    record = RunRecord(run_dir, reports, {
        "experiment": exp.name,
        "status": "running",
        "started": datetime.now().isoformat(timespec="seconds"),
        "data": _data_source(data),
        "overrides": list(overrides or []),
        **({"sweep": sweep} if sweep else {}),
        "notebooks": [{"name": nb, "status": "pending"} for nb in exp.notebooks],
        "metrics": {},
        "seconds": 0.0,
    })
    record.save()
    print(f"run folder: {run_dir}", flush=True)
    try:
        with _engine(exp, run_dir):
            failed = _run_notebooks(record, exp, plain)
    except Interrupted as stop:
        running = next((n["name"] for n in record.info["notebooks"] if n["status"] == "interrupted"), None)
        for entry in record.info["notebooks"]:
            if entry["status"] == "pending":
                entry["status"] = "not run"
        record.finish("interrupted", interrupted_in=running, error=f"interrupted by {stop.name}"
                      + (f" during {running}" if running else ""))
        raise
    except BaseException as err:  # the runner itself broke: the run must not stay "running"
        record.finish("failed", error=f"runner stopped: {type(err).__name__}: {err}")
        raise
    total = len(exp.notebooks)
    record.finish("failed" if failed else "ok")
    seconds = record.info["seconds"]
    print(f"failed: {len(failed)} of {total} notebooks did not succeed ({_duration(seconds)})" if failed
          else f"ok: {total} notebooks in {_duration(seconds)}", flush=True)
    print(f"reports: {run_dir}\nindex:   {(reports / 'index.html').resolve()}", flush=True)
    return EXIT_FAILED if failed else 0


@contextmanager
def _engine(exp: ExperimentConfig, run_dir: Path) -> Iterator[None]:
    """The run's engine around its notebooks (:mod:`workbench.engine`): with ``experiment.engine=ray``
    a local Ray instance is started (or the cluster joined) before the first and stopped (left)
    after the last, also when the run fails or is interrupted; Ray's chatter goes to kernel.log."""
    t0 = time.perf_counter()
    with engine_session(exp, run_dir / "kernel.log") as address:
        if address is not None:
            print(start_message(exp, address, time.perf_counter() - t0), flush=True)
        yield


def _data_source(data: DataConfig) -> str:
    """The data a run read, in a few words: the source and its path where it has one."""
    path = getattr(data, "path", None)
    return f"{data.source}: {path}" if path else data.source


# exit codes of the runs of this process (several in a -m sweep); run.py exits with the worst
EXIT_CODES: list[int] = []


def _attempt(cfg: DictConfig, overrides: list[str], sweep: dict[str, Any] | None = None) -> tuple[int, str | None]:
    """Run once, stopping at the first signal; return the exit code and the one line to print when
    the run stopped early (bad input, a signal) instead of exiting, so that a sweep's point can record it."""
    from workbench.checks import SettingError
    from workbench.data import PanelError

    with stop_on_signals():
        try:
            return execute(cfg, overrides, sweep), None
        except Interrupted as stop:
            return stop.exit_code, (f"interrupted by {stop.name}: the kernel and its workers were stopped; the run"
                                    " is marked interrupted")
        except (SettingError, PanelError, OmegaConfBaseException, FileNotFoundError) as err:
            return EXIT_BAD_INPUT, f"error: {err}"
        except (KeyError, ValueError) as err:  # a registry's unknown name, a stage's own check
            if os.environ.get("WORKBENCH_TRACEBACK"):
                raise
            return EXIT_BAD_INPUT, f"error: {err.args[0] if isinstance(err, KeyError) and err.args else err}"


def _run_point(cfg: DictConfig, point) -> int:
    """One point of a -m sweep: recorded in the sweep folder as it starts and ends, whatever stops
    it, and its exit code returned rather than exited with (the other points go on)."""
    from hydra.core.hydra_config import HydraConfig

    skipped = point.begin(cfg, OmegaConf.select(HydraConfig.get().launcher, "n_jobs", default=None))
    if skipped is not None:
        return skipped
    try:
        code, message = _attempt(cfg, point.overrides, point.identity())
    except BaseException as err:  # the runner itself broke: the point must not stay "running"
        point.finish(EXIT_FAILED, f"runner stopped: {type(err).__name__}: {err}")
        raise
    if message:
        sys.stderr.write(f"[point {point.number}] {message}\n")  # one write: points print in parallel
        sys.stderr.flush()
    EXIT_CODES.append(code)
    point.finish(code, message.removeprefix("error: ") if message else None)
    return code


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> int:
    from hydra.core.hydra_config import HydraConfig

    from workbench.multirun import SweepPoint

    hydra_cfg = HydraConfig.get()
    point = SweepPoint.of(hydra_cfg, cfg)  # None outside a -m sweep
    if point is not None:
        return _run_point(cfg, point)
    code, message = _attempt(cfg, list(hydra_cfg.overrides.task))
    if message:
        print(message, file=sys.stderr, flush=True)
    EXIT_CODES.append(code)
    if code:
        sys.exit(code)
    return code
