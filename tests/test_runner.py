"""The runner end to end: the quick experiment, and a run in which one notebook fails."""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from workbench.report import new_run_dir

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.run", *overrides], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_quick_experiment_end_to_end(tmp_path):
    reports = tmp_path / "reports"
    proc = run_cli("experiment=quick", f"experiment.reports_dir={reports}")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = list((reports / "quick").iterdir())
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "ok"
    assert [n["status"] for n in info["notebooks"]] == ["ok"] * 5
    min_figures = {"01_data": 3, "02_forecast": 3, "03_inventory": 4, "04_games": 1, "05_anomaly": 2}
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
    assert 0 < metrics["04_games"]["efficiency_stackelberg"] <= 1.0
    assert metrics["05_anomaly"]["best_roc_auc"] > 0.8
    for artifact in ("panel/panel.parquet", "forecasts.parquet", "leaderboard.parquet", "lp_plan.parquet",
                     "simulation.parquet", "game_outcomes.parquet", "alerts.parquet"):
        assert (run_dir / "artifacts" / artifact).exists(), artifact
    assert "experiment:" in (run_dir / "config.yaml").read_text()
    index = (reports / "index.html").read_text()
    assert run_dir.name in index and "02_forecast.html" in index


def _notebook(path: Path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("cfg = None\nrun_dir = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.mark.slow
def test_a_failing_notebook_is_reported_and_its_dependants_skipped(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "a_ok.ipynb", "from workbench.report import open_run\nopen_run(cfg, run_dir).log_metrics('a_ok', {'x': 1})")
    _notebook(nbs / "b_fail.ipynb", "raise ValueError('inventory capacity below demand in period 3')")
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
    assert (run_dir / "b_fail.html").exists()  # the failed notebook is rendered with its error
    index = (reports / "index.html").read_text()
    assert "inventory capacity below demand in period 3" in index and "failed" in index


def test_bad_override_and_unknown_model_fail_before_any_notebook(tmp_path):
    proc = run_cli("forecast.horizon=abc", f"experiment.reports_dir={tmp_path}")
    assert proc.returncode != 0 and "horizon" in proc.stderr
    proc = run_cli("experiment=quick", "forecast.models=[seasonal_naive,deepar9]", f"experiment.reports_dir={tmp_path}")
    assert proc.returncode != 0 and "unknown model 'deepar9'" in proc.stderr
    proc = run_cli("experiment=quick", "+forecast.routes.r={smooth:lightgbm}", f"experiment.reports_dir={tmp_path}")
    assert proc.returncode != 0 and "forecast.routes.r routes no model for the classes" in proc.stderr
    proc = run_cli("experiment=quick", "inventory.lp.plan_quantile=0.8", f"experiment.reports_dir={tmp_path}")
    assert proc.returncode != 0 and "inventory.lp.plan_quantile=0.8 is not among the forecast quantiles" in proc.stderr
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
    assert [n["status"] for n in info["notebooks"]] == ["ok"] * 5
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["01_data"]["n_series"] == 6
    assert "best_mase" in metrics["02_forecast"] and "best_fill_rate" in metrics["03_inventory"]
