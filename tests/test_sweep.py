"""Sweeps (``python -m workbench.run -m ...``): the comparison page built from the points' records,
the index's Sweeps section, the points' share of the cores, and a real sweep through the CLI with
its points in parallel, a point with a bad setting, and the exit code."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import psutil
import pytest
from browser import CHROMIUM, open_page
from omegaconf import OmegaConf

from workbench.headline import Headline, Metric
from workbench.multirun import (
    EXIT_CODES,
    SweepCallback,
    points_at_once,
    sweep_exit_codes,
    thread_share,
)
from workbench.report.index import build_index
from workbench.report.sweep import POINT_FILE, build_sweep_page, expand_sweep, swept_keys
from workbench.runtime import available_cores

ROOT = Path(__file__).resolve().parent.parent
SWEEP_ID = "20260101-120000"
BASIC = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
DATA = Headline("01_data", (Metric("n_series", "series", "{:,.0f}", "Series: the demand series."),))
FORECAST = Headline("02_forecast", (Metric("best_model", "best model"), Metric("best_mase", "MASE", "{:.3f}",
                                    "MASE: mean absolute scaled error.")))


def _multirun(task: list[str], sweeper: str = BASIC) -> dict:
    return {"hydra": {"sweeper": {"_target_": sweeper, "params": None}, "overrides": {"task": task}}}


class Links(HTMLParser):
    """The page's links, table rows and header cells."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.rows, self.in_body, self.headers, self._th = 0, False, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.hrefs.append(attrs["href"])
        self.in_body = self.in_body or tag == "tbody"
        self.rows += tag == "tr" and self.in_body
        self._th = tag == "th"

    def handle_endtag(self, tag):
        self.in_body = self.in_body and tag != "tbody"
        self._th = False

    def handle_data(self, data):
        if self._th and self.in_body is False:
            self.headers.append(data)


def _point_run(reports: Path, sweep_dir: Path, n: int, overrides: list[str], mase: float) -> Path:
    """A finished point's run folder: run.json with its sweep identity, headlines and notebook pages."""
    run_dir = reports / "quick" / f"2026010{n + 1}-120000"
    (run_dir / "metrics").mkdir(parents=True)
    for nb in ("01_data", "02_forecast"):
        (run_dir / f"{nb}.html").write_text(f"<html>{nb}</html>")
    info = {"experiment": "quick", "status": "ok", "started": f"2026-01-01T12:00:0{n}", "seconds": 30.0 + n,
            "overrides": overrides,
            "sweep": {"id": sweep_dir.name, "dir": str(sweep_dir), "point": n, "overrides": overrides,
                      "swept": ["forecast.horizon"], "pid": 100 + n},
            "notebooks": [{"name": nb, "status": "ok", "html": f"{nb}.html", "seconds": 10.0}
                          for nb in ("01_data", "02_forecast")],
            "metrics": {"01_data": {"n_series": 24}, "02_forecast": {"best_model": "auto_ets", "best_mase": mase}},
            "headlines": {"01_data": DATA.spec(), "02_forecast": FORECAST.spec()}}
    (run_dir / "run.json").write_text(json.dumps(info))
    return run_dir


@pytest.fixture
def sweep(tmp_path):
    """A three-point sweep over forecast.horizon: two points ran, one stopped on a bad setting."""
    reports = tmp_path / "reports"
    sweep_dir = reports / ".sweeps" / SWEEP_ID
    sweep_dir.mkdir(parents=True)
    OmegaConf.save(OmegaConf.create(_multirun(["experiment=quick", "forecast.horizon=7,14,-3"])),
                   sweep_dir / "multirun.yaml")
    for n, (horizon, mase) in enumerate([(7, 0.81), (14, 0.93)]):
        _point_run(reports, sweep_dir, n, ["experiment=quick", f"forecast.horizon={horizon}"], mase)
    (sweep_dir / "2").mkdir()
    (sweep_dir / "2" / POINT_FILE).write_text(json.dumps({
        "point": 2, "overrides": ["experiment=quick", "forecast.horizon=-3"], "experiment": "quick",
        "status": "failed", "exit_code": 2, "error": "forecast.horizon=-3; expected 1 or more", "seconds": 2.0}))
    return reports, sweep_dir


def _local_targets(page: Path, hrefs: list[str]) -> list[Path]:
    return [(page.parent / unquote(urlparse(h).path)).resolve() for h in hrefs]


def test_the_page_has_a_row_per_point_the_swept_column_a_failed_points_error_and_working_links(sweep):
    reports, sweep_dir = sweep
    build_index(reports)
    page = build_sweep_page(sweep_dir, reports)
    assert page == (reports / "sweeps" / f"{SWEEP_ID}.html").resolve()
    text = page.read_text()
    parsed = Links()
    parsed.feed(text)
    assert parsed.rows == 3
    assert parsed.headers[:4] == ["#", "forecast.horizon", "status", "time"]
    assert {"series", "best model", "MASE", "notebooks"} <= set(parsed.headers)
    assert "forecast.horizon=-3; expected 1 or more" in text and "0.810" in text and "0.930" in text
    assert "MASE: mean absolute scaled error." in text  # the legend explains the abbreviations
    targets = _local_targets(page, parsed.hrefs)
    assert len(targets) == 1 + 2 * 3  # the index, and each run: its folder and its two notebook pages
    missing = [t for t in targets if not t.exists()]
    assert missing == []
    assert "<script src" not in text and "http" not in text.split("<svg")[0]  # self-contained
    summary = json.loads((reports / "sweeps" / f"{SWEEP_ID}.json").read_text())
    assert summary["counts"] == {"ok": 2, "failed": 1} and summary["swept"] == ["forecast.horizon"]


def test_plots_put_a_numeric_parameter_on_a_numeric_axis_and_a_categorical_one_on_categories(tmp_path):
    reports = tmp_path / "reports"
    sweep_dir = reports / ".sweeps" / SWEEP_ID
    sweep_dir.mkdir(parents=True)
    OmegaConf.save(OmegaConf.create(_multirun(["forecast.horizon=7,28", "data=alpha,beta"])), sweep_dir / "multirun.yaml")
    for n, (horizon, data) in enumerate([(7, "alpha"), (7, "beta"), (28, "alpha"), (28, "beta")]):
        _point_run(reports, sweep_dir, n, [f"forecast.horizon={horizon}", f"data={data}"], 0.5 + n / 10)
    text = build_sweep_page(sweep_dir, reports).read_text()
    svgs = re.findall(r"<svg.*?</svg>", text, flags=re.S)
    assert len(svgs) == 2 * 2  # (series, MASE) x (forecast.horizon, data); the best model's name is not a number
    by_horizon = [s for s in svgs if ">forecast.horizon<" in s]
    by_data = [s for s in svgs if ">data<" in s]
    assert len(by_horizon) == len(by_data) == 2
    assert any(">20<" in s for s in by_horizon)  # a tick between the values: a numeric axis
    assert all(">alpha<" in s and ">beta<" in s for s in by_data)  # the categories are the ticks


def test_a_point_announced_by_the_sweep_that_has_not_started_is_pending(tmp_path):
    reports = tmp_path / "reports"
    sweep_dir = reports / ".sweeps" / SWEEP_ID
    sweep_dir.mkdir(parents=True)
    OmegaConf.save(OmegaConf.create(_multirun(["forecast.horizon=7,14"])), sweep_dir / "multirun.yaml")
    _point_run(reports, sweep_dir, 0, ["forecast.horizon=7"], 0.8)
    text = build_sweep_page(sweep_dir, reports).read_text()
    assert '<span class="pending">pending</span>' in text and "<code>14</code>" in text


def test_the_index_lists_the_sweep_and_links_its_page(sweep):
    reports, sweep_dir = sweep
    build_sweep_page(sweep_dir, reports)
    index = build_index(reports).read_text()
    section = index.split("<h2>Sweeps</h2>")[1].split("<h2>Runs</h2>")[0]
    assert f'href="sweeps/{SWEEP_ID}.html"' in section and (reports / "sweeps" / f"{SWEEP_ID}.html").exists()
    assert "2 ok" in section and "1 failed" in section and "forecast.horizon" in section
    assert index.count(f'sweeps/{SWEEP_ID}.html"') == 1 + 2  # the section, and each point's run


def test_the_sweep_expands_like_hydras_basic_sweeper():
    points = expand_sweep(OmegaConf.create(_multirun(["a=1,2", "b=x,y", "c=5"])))
    assert points == [["a=1", "b=x", "c=5"], ["a=1", "b=y", "c=5"], ["a=2", "b=x", "c=5"], ["a=2", "b=y", "c=5"]]
    assert swept_keys(points) == ["a", "b"]
    assert expand_sweep(OmegaConf.create(_multirun(["a=1,2"], sweeper="hydra_plugins.x.OptunaSweeper"))) == []


def test_points_share_the_cores_unless_threads_are_set():
    cores = available_cores()
    assert points_at_once(2, 5) == 2 and points_at_once(8, 3) == 3 and points_at_once(None, 5) == 1
    assert points_at_once(-1, 1000) == cores  # joblib's -1: every core
    assert thread_share(None, 2) == max(1, cores // 2)
    assert thread_share(3, 2) == 3  # the user's setting wins
    assert thread_share(None, 1) is None  # alone: every core, as a single run


def test_the_sweeps_exit_codes_come_from_the_records(tmp_path):
    for n, code in [(0, 0), (1, 2)]:
        (tmp_path / str(n)).mkdir()
        (tmp_path / str(n) / POINT_FILE).write_text(json.dumps({"point": n, "exit_code": code}))
    assert sweep_exit_codes(tmp_path, 3) == [0, 2, 1]  # point 2 left no record: its process died


def _sweep_config(reports: Path, sweep_dir: Path, task: list[str], n_jobs: int) -> OmegaConf:
    """The parts of a sweep's composed config that the callback reads."""
    return OmegaConf.create({
        "experiment": {"reports_dir": str(reports)},
        "hydra": {"job": {"name": "runner"}, "sweep": {"dir": str(sweep_dir)}, "launcher": {"n_jobs": n_jobs},
                  **_multirun(task)["hydra"]}})


def test_the_sweep_callback_caps_the_pool_refuses_a_used_folder_and_collects_the_exit_codes(tmp_path, capsys):
    reports, sweep_dir = tmp_path / "reports", tmp_path / "reports" / ".sweeps" / SWEEP_ID
    config = _sweep_config(reports, sweep_dir, ["experiment=quick", "forecast.horizon=7,14"], n_jobs=-1)
    callback, handlers = SweepCallback(), {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    callback.on_multirun_start(config)
    assert config.hydra.launcher.n_jobs == min(2, available_cores())  # never more workers than points
    assert signal.getsignal(signal.SIGTERM) == callback._stop
    _point_run(reports, sweep_dir, 0, ["experiment=quick", "forecast.horizon=7"], 0.8)
    for n, code in [(0, 0), (1, 2)]:
        (sweep_dir / str(n)).mkdir()
        (sweep_dir / str(n) / POINT_FILE).write_text(json.dumps({
            "point": n, "overrides": ["experiment=quick", f"forecast.horizon={7 * (n + 1)}"], "exit_code": code,
            "status": "ok" if code == 0 else "failed", "error": None if code == 0 else "bad horizon"}))
    before = len(EXIT_CODES)
    try:
        callback.on_multirun_end(config)
        assert EXIT_CODES[before:] == [0, 2]
    finally:
        del EXIT_CODES[before:]
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    assert "bad horizon" in (reports / "sweeps" / f"{SWEEP_ID}.html").read_text()
    assert f"sweeps/{SWEEP_ID}.html" in (reports / "index.html").read_text()
    with pytest.raises(SystemExit) as stop:  # a second sweep in the same second would mix with this one
        SweepCallback().on_multirun_start(_sweep_config(reports, sweep_dir, ["forecast.horizon=1,2"], n_jobs=2))
    assert stop.value.code == 2 and "exists" in capsys.readouterr().err


def test_the_sweep_callback_leaves_other_apps_alone(tmp_path):
    config = _sweep_config(tmp_path, tmp_path / "sweep", ["forecast.horizon=7,14"], n_jobs=-1)
    config.hydra.job.name = "tune"
    SweepCallback().on_multirun_start(config)
    assert config.hydra.launcher.n_jobs == -1 and not (tmp_path / "sweep").exists()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed: apt-get install chromium")
def test_the_page_opens_offline_without_errors_and_sorts_by_a_column(sweep, tmp_path):
    reports, sweep_dir = sweep
    page = build_sweep_page(sweep_dir, reports)
    assert open_page(page) == {"requests": [], "errors": []}
    # click the MASE header twice (descending) and read the order of the points
    header = Links()
    header.feed(page.read_text())
    col = header.headers.index("MASE")
    clicked = page.with_name("clicked.html")
    clicked.write_text(page.read_text().replace(
        "</body>", f"<script>const h = document.querySelectorAll('th')[{col}]; h.click(); h.click();</script></body>"))
    dom = subprocess.run([CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", clicked.as_uri()],
                         capture_output=True, text=True, timeout=60).stdout
    body = dom.split("<tbody>")[1]
    firsts = re.findall(r'<tr><td data-v="(\d+)">', body)
    assert firsts == ["1", "0", "2"]  # MASE 0.93, 0.81, then the failed point without one


def _overlap(a: dict, b: dict) -> bool:
    start = [datetime.fromisoformat(r["started"]) for r in (a, b)]
    end = [datetime.fromisoformat(r["finished"]) for r in (a, b)]
    return start[0] < end[1] and start[1] < end[0]


@pytest.mark.slow
def test_a_sweep_runs_its_points_in_parallel_records_a_bad_one_and_exits_with_the_worst_code(tmp_path):
    reports = tmp_path / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.run", "-m", "experiment=quick", "experiment.notebooks=[01_data]",
         f"experiment.reports_dir={reports}", "hydra.launcher.n_jobs=2", "forecast.horizon=14,28,-3"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "[point 2] error: forecast.horizon=-3; expected 1 or more" in proc.stderr
    assert "Traceback" not in proc.stderr
    (sweep_dir,) = list((reports / ".sweeps").iterdir())
    records = {r["point"]: r for r in (json.loads(p.read_text()) for p in sweep_dir.glob(f"*/{POINT_FILE}"))}
    assert [records[n]["status"] for n in range(3)] == ["ok", "ok", "failed"]
    assert records[0]["pid"] != records[1]["pid"] and _overlap(records[0], records[1])  # side by side
    assert records[0]["threads"] == records[1]["threads"] == max(1, available_cores() // 2)
    runs = [json.loads(p.read_text()) for p in (reports / "quick").glob("*/run.json")]
    assert sorted(r["sweep"]["point"] for r in runs) == [0, 1] and all(r["status"] == "ok" for r in runs)
    assert all(r["sweep"]["id"] == sweep_dir.name and r["sweep"]["swept"] == ["forecast.horizon"] for r in runs)
    page = reports / "sweeps" / f"{sweep_dir.name}.html"
    text = page.read_text()
    assert "forecast.horizon=-3; expected 1 or more" in text and text.count("01_data.html") == 2
    assert f"sweeps/{sweep_dir.name}.html" in (reports / "index.html").read_text()
    if CHROMIUM is not None:
        assert open_page(page) == {"requests": [], "errors": []}


def _sleeper(path: Path) -> None:
    """A notebook that records its kernel's process id in its run folder and sleeps."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("cfg = None\nrun_dir = None")
    params.metadata["tags"] = ["parameters"]
    code = "import os, pathlib, time\npathlib.Path(run_dir, 'kernel.pid').write_text(str(os.getpid()))\ntime.sleep(600)"
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.mark.slow
def test_a_signal_to_the_sweep_stops_its_running_points_and_the_points_not_started(tmp_path):
    nbs, reports = tmp_path / "nbs", tmp_path / "reports"
    nbs.mkdir()
    _sleeper(nbs / "sleep.ipynb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.run", "-m", "experiment=quick", f"experiment.reports_dir={reports}",
         f"experiment.notebooks_dir={nbs}", "experiment.notebooks=[sleep]", "hydra.launcher.n_jobs=2",
         "experiment.seed=1,2,3"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while len(list(reports.glob("quick/*/kernel.pid"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    kernels = [int(p.read_text()) for p in reports.glob("quick/*/kernel.pid")]
    assert len(kernels) == 2, proc.communicate(timeout=60)
    proc.send_signal(signal.SIGTERM)  # the sweep's own process only, as `kill` would
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, out[-2000:] + err[-2000:]
    assert "Traceback" not in err and "interrupted by SIGTERM: stopping the sweep" in err
    (sweep_dir,) = list((reports / ".sweeps").iterdir())
    records = {r["point"]: r for r in (json.loads(p.read_text()) for p in sweep_dir.glob(f"*/{POINT_FILE}"))}
    assert [records[n]["status"] for n in range(3)] == ["interrupted", "interrupted", "not run"]
    runs = [json.loads(p.read_text()) for p in reports.glob("quick/*/run.json")]
    assert [r["status"] for r in runs] == ["interrupted"] * 2
    assert not [k for k in kernels if psutil.pid_exists(k) and psutil.Process(k).status() != psutil.STATUS_ZOMBIE]
    page = (reports / "sweeps" / f"{sweep_dir.name}.html").read_text()
    assert page.count('data-v="interrupted"') == 2 and page.count('data-v="not run"') == 1  # status cells
