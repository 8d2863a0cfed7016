"""The runner end to end: the quick experiment, a run in which one notebook fails, runs
stopped by a signal, and bad input caught before any notebook."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from browser import CHROMIUM, open_page

from workbench.session import new_run_dir

ROOT = Path(__file__).resolve().parent.parent
# what the kernels and libraries would say to a terminal, and must not
CHATTER = ("without encryption", "KeyboardInterrupt", "Running HiGHS", "Traceback", "GPU available",
           "TPU available", "LOCAL_RANK")


def run_cli(*overrides: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.run", *overrides], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, env=env)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One run of the quick experiment, shared by the tests that read what it wrote."""
    reports = tmp_path_factory.mktemp("quick") / "reports"
    proc = run_cli("experiment=quick", f"experiment.reports_dir={reports}")
    return proc, reports


@pytest.mark.slow
def test_quick_experiment_end_to_end(quick_run):
    proc, reports = quick_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = list((reports / "quick").iterdir())
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "ok"
    assert [n["status"] for n in info["notebooks"]] == ["ok"] * 7
    min_figures = {"01_data": 3, "02_forecast": 3, "03_inventory": 4, "04_collaboration": 4, "05_anomaly": 2,
                   "06_risk": 6, "07_logistics": 5}
    for name, n_fig in min_figures.items():
        page = (run_dir / f"{name}.html").read_text()
        assert len(re.findall(r'<img[^>]+src="data:image/png;base64', page)) >= n_fig, name
        assert "Traceback" not in page
        nb = nbformat.read(run_dir / f"{name}.ipynb", as_version=4)
        assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["01_data"]["n_series"] == 24
    assert metrics["02_forecast"]["best_mase"] < 1.5
    assert metrics["02_forecast"]["best_model"] in {"seasonal_naive", "auto_ets", "lightgbm", "ensemble"}
    assert 0.5 < metrics["03_inventory"]["best_fill_rate"] <= 1.0
    games = metrics["04_collaboration"]
    assert 0.5 < games["efficiency_wholesale_price"] < 1.0 and games["efficiency_buyback"] == pytest.approx(1.0)
    assert games["bullwhip_ratio_tier4"] > games["bullwhip_ratio_tier4_shared"] > 1.0
    anomaly = metrics["05_anomaly"]
    assert anomaly["event_recall"] > 0.5 and anomaly["alerts_per_1000"] < 60 and anomaly["members"]
    risk = metrics["06_risk"]
    assert 0.8 < risk["on_time_rate"] < 0.95 and risk["late_roc_auc"] > 0.6
    assert 0.5 < risk["fill_rate_assumed"] <= 1.0 and 0.0 <= risk["fast_share"] <= 1.0
    routes = metrics["07_logistics"]
    assert routes["feasible"] and routes["vehicles"] >= 1 and routes["route_cost"] > 0 and routes["distance_km"] > 0
    assert routes["best_frequency"] in (1, 2, 3, 7, 14)
    for artifact in ("panel/panel.parquet", "forecasts.parquet", "leaderboard.parquet", "lp_plan.parquet",
                     "simulation.parquet", "contracts.parquet", "bullwhip.parquet", "alerts.parquet", "alerts.csv",
                     "anomaly/detectors/detector_set.json", "anomaly/tail/panel.json", "lead_times.parquet",
                     "supplier_scorecard.parquet", "sourcing_frontier.parquet", "routes.parquet", "frequency_tradeoff.parquet"):
        assert (run_dir / "artifacts" / artifact).exists(), artifact
    assert "experiment:" in (run_dir / "config.yaml").read_text()
    index = (reports / "index.html").read_text()
    assert run_dir.name in index and "02_forecast.html" in index
    assert "synthetic" in index and "experiment=quick" in index  # the data and the overrides of each run
    # the terminal shows the long steps' progress and nothing the kernels or libraries say
    assert re.search(r"backtest: 100%.*\d+/\d+", proc.stdout)
    said = proc.stdout + proc.stderr
    assert not [c for c in CHATTER if c in said], said[-3000:]
    assert "without encryption" in (run_dir / "kernel.log").read_text()  # kept, out of the way


@pytest.mark.slow
def test_reports_are_self_contained(quick_run):
    """No script, style or image from elsewhere, and no saved widget state (which loads a widget
    manager from a CDN)."""
    _, reports = quick_run
    (run_dir,) = list((reports / "quick").iterdir())
    pages = sorted(run_dir.glob("*.html"))
    assert len(pages) == 7
    for page in [*pages, reports / "index.html"]:
        text = page.read_text()
        external = re.findall(r"""<(?:script|link|img|iframe)[^>]+(?:src|href)=["']?(?:https?:)?//[^>]*>""", text)
        assert external == [], (page.name, external[:3])
        assert "widget-state" not in text and "widget-view" not in text
    for nb in run_dir.glob("*.ipynb"):
        assert "widgets" not in nbformat.read(nb, as_version=4).metadata


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_reports_open_offline_in_a_browser(quick_run):
    _, reports = quick_run
    (run_dir,) = list((reports / "quick").iterdir())
    for page in [*sorted(run_dir.glob("*.html")), reports / "index.html"]:
        seen = open_page(page)
        assert seen == {"requests": [], "errors": []}, page.name


def _notebook(path: Path, code: str, after: str | None = None) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("cfg = None\nrun_dir = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), params, nbformat.v4.new_code_cell(code)]
    if after:
        nb.cells += [nbformat.v4.new_markdown_cell(after), nbformat.v4.new_code_cell("print('after')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.mark.slow
def test_a_failing_notebook_is_reported_and_its_dependants_skipped(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "a_ok.ipynb", "from workbench.session import open_run\nopen_run(cfg, run_dir).log_metrics('a_ok', {'x': 1})")
    _notebook(nbs / "b_fail.ipynb", "raise ValueError('inventory capacity below demand in period 3')",
              "## Never reached")
    _notebook(nbs / "c_needs_b.ipynb", "print('never runs')")
    _notebook(nbs / "d_ok.ipynb", "print('independent')")
    reports = tmp_path / "reports"
    proc = run_cli(
        "experiment=quick", f"experiment.reports_dir={reports}", f"experiment.notebooks_dir={nbs}",
        "experiment.notebooks=[a_ok,b_fail,c_needs_b,d_ok]", "+experiment.depends.c_needs_b=[b_fail]",
    )
    assert proc.returncode == 1
    (run_dir,) = list((reports / "quick").iterdir())
    info = json.loads((run_dir / "run.json").read_text())
    status = {n["name"]: n["status"] for n in info["notebooks"]}
    assert status == {"a_ok": "ok", "b_fail": "failed", "c_needs_b": "skipped", "d_ok": "ok"}
    errors = {n["name"]: n.get("error", "") for n in info["notebooks"]}
    assert "ValueError: inventory capacity below demand in period 3" in errors["b_fail"]
    assert "b_fail" in errors["c_needs_b"]
    assert info["status"] == "failed"
    assert json.loads((run_dir / "metrics.json").read_text()) == {"a_ok": {"x": 1}}
    # the failed notebook's page: one box that says where and why, no library traceback, no banner,
    # no headings of sections that never ran
    page = (run_dir / "b_fail.html").read_text()
    assert "This study stopped with an error" in page
    assert "ValueError: inventory capacity below demand in period 3" in page
    assert "Traceback" not in page and "An Exception was encountered" not in page
    assert "Never reached" not in page
    index = (reports / "index.html").read_text()
    assert "inventory capacity below demand in period 3" in index and "failed" in index


def test_bad_override_and_unknown_model_fail_before_any_notebook(tmp_path):
    proc = run_cli("forecast.horizon=abc", f"experiment.reports_dir={tmp_path}")
    assert proc.returncode != 0 and "horizon" in proc.stderr
    proc = run_cli("forecast.deep.accelerator=tpu", f"experiment.reports_dir={tmp_path}")
    assert proc.returncode != 0 and "expected one of [auto, cpu, gpu]" in proc.stderr
    assert "full_key: forecast.deep.accelerator" in proc.stderr
    proc = run_cli("experiment=quick", "forecast.models=[seasonal_naive,deepar9]", f"experiment.reports_dir={tmp_path}")
    assert proc.returncode != 0 and "unknown model 'deepar9'" in proc.stderr
    proc = run_cli("experiment=quick", "+forecast.routes.r={smooth:lightgbm}", f"experiment.reports_dir={tmp_path}")
    assert proc.returncode != 0 and "forecast.routes.r routes no model for the classes" in proc.stderr
    proc = run_cli("experiment=quick", "inventory.lp.plan_quantile=0.8", f"experiment.reports_dir={tmp_path}")
    assert proc.returncode != 0 and "inventory.lp.plan_quantile=0.8 is not among the forecast quantiles" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not any(tmp_path.glob("*/*/run.json"))


def test_run_folders_are_never_reused(tmp_path):
    first = new_run_dir(tmp_path, "exp")
    second = new_run_dir(tmp_path, "exp")
    assert first != second and first.exists() and second.exists()


@pytest.mark.slow
def test_transaction_log_experiment_runs_every_notebook(tmp_path):
    from panels import write_transactions

    path = write_transactions(tmp_path / "orders.csv", n_items=6, n_days=150)
    reports = tmp_path / "reports"
    proc = run_cli("experiment=transactions", f"data.path={path}", f"experiment.reports_dir={reports}",
                   "forecast.n_backtest_windows=1", "forecast.lightgbm.n_estimators=30",
                   "forecast.models=[seasonal_naive,tsb,lightgbm]")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = list((reports / "transactions").iterdir())
    info = json.loads((run_dir / "run.json").read_text())
    assert [n["status"] for n in info["notebooks"]] == ["ok"] * 6
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["01_data"]["n_series"] == 6
    assert "best_mase" in metrics["02_forecast"] and "best_fill_rate" in metrics["03_inventory"]


SLEEPER = """
import json, os, time
from joblib import Parallel, delayed
# a pool of worker processes, as the local models start; loky keeps them for minutes when idle
workers = Parallel(n_jobs=2, backend="loky")(delayed(os.getpid)() for _ in range(4))
with open(os.environ["WORKBENCH_TEST_PIDS"], "w") as f:
    json.dump({"kernel": os.getpid(), "workers": sorted(set(workers))}, f)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_run_and_everything_it_started(tmp_path, signum):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "a_ok.ipynb", "print('first')")
    _notebook(nbs / "b_long.ipynb", SLEEPER, "## Later")
    _notebook(nbs / "c_next.ipynb", "print('never')")
    pids_file = tmp_path / "pids.json"
    reports = tmp_path / "reports"
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.run", "experiment=quick", f"experiment.reports_dir={reports}",
         f"experiment.notebooks_dir={nbs}", "experiment.notebooks=[a_ok,b_long,c_next]"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "WORKBENCH_TEST_PIDS": str(pids_file)},
    )
    deadline = time.monotonic() + 240
    while not pids_file.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pids_file.exists(), proc.communicate(timeout=60)
    time.sleep(0.5)
    pids = json.loads(pids_file.read_text())
    t0 = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 30
    assert proc.returncode == 128 + signum, out + err
    name = signal.Signals(signum).name
    # one line, no traceback
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    assert f"interrupted by {name}" in err
    assert all(_gone(p) for p in [pids["kernel"], *pids["workers"]]), pids
    (run_dir,) = list((reports / "quick").iterdir())
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "interrupted" and info["interrupted_in"] == "b_long"
    status = {n["name"]: n["status"] for n in info["notebooks"]}
    assert status == {"a_ok": "ok", "b_long": "interrupted", "c_next": "not run"}
    assert "interrupted" in (reports / "index.html").read_text()
    assert "This study was interrupted" in (run_dir / "b_long.html").read_text()


def _bad_panel(path: Path) -> Path:
    path.write_text("item_id,date,demand\n" + "".join(
        f"A,2024-01-{d:02d},{'abc' if d == 17 else 3}\n" for d in range(1, 29)))
    return path


@pytest.mark.parametrize("case", ["missing_file", "missing_column", "bad_value"])
def test_bad_data_stops_the_run_once_before_any_notebook(tmp_path, case):
    if case == "missing_file":
        args, expected = [f"data.path={tmp_path / 'nope.csv'}"], "nope.csv"
    elif case == "missing_column":
        args = [f"data.path={_bad_panel(tmp_path / 'sales.csv')}", "data.columns.demand=units"]
        expected = "'units'"
    else:
        args, expected = [f"data.path={_bad_panel(tmp_path / 'sales.csv')}"], "abc"
    proc = run_cli("experiment=quick", "data=panel", *args, f"experiment.reports_dir={tmp_path / 'reports'}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert expected in proc.stderr and "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("reports/*/*")), "no run folder for a run that cannot start"


@pytest.mark.parametrize("overrides,message", [
    (["forecast.horizon=-3"], "forecast.horizon=-3; expected 1 or more"),
    (["forecast.horizon=200"], "the panel has 400 periods; forecast.horizon=200"),
    (["anomaly.knn.n_neighbors=1000000"], "anomaly.knn.n_neighbors=1000000"),
    (["+forecast.deep.tft.hidden=8"], "hidden"),
    (["games.category=no_such"], "games.category='no_such' is not a category"),
    (["data=panel"], "Missing mandatory value: path"),
    (["risk.shipments.path=/no/such/shipments.csv"], "risk.shipments.path='/no/such/shipments.csv': no such file"),
    (["risk.sourcing.fast.mode=Rail"], "risk.sourcing.fast.mode: shipment mode 'Rail' has fewer than"),
    (["inventory.lead_time.distribution=nope", "inventory.lead_time.variability=distribution"],
     "inventory.lead_time.distribution='nope' is not a continuous scipy.stats distribution"),
])
def test_settings_that_a_stage_would_reject_stop_the_run_first(tmp_path, overrides, message):
    proc = run_cli("experiment=quick", *overrides, f"experiment.reports_dir={tmp_path}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not list(tmp_path.glob("*/*/run.json"))
