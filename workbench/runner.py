"""The runner: compose the config, execute the notebooks with papermill, render HTML.

``python -m workbench.run [hydra overrides]`` makes a fresh run folder
``reports/<experiment>/<run-id>/``, writes ``config.yaml``, executes every notebook
of ``experiment.notebooks`` in order (parameters: the resolved config as a plain
dict and the run folder), renders each to HTML with the code hidden, gathers the
stages' headline numbers into ``metrics.json`` and rebuilds ``reports/index.html``.
A notebook that fails is reported with its error; notebooks that depend on it
(``experiment.depends``) are skipped, the others still run, and the command exits
non-zero.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from workbench.config import CONF_DIR, section, to_plain
from workbench.report.index import build_index
from workbench.report.run import new_run_dir


def check_config(plain: dict[str, Any]) -> None:
    """Fail before any notebook runs when a setting cannot work (unknown model, missing notebook)."""
    from workbench.anomaly import DETECTORS
    from workbench.data import LOADERS
    from workbench.forecast import MODELS

    for name in ("data", "forecast", "inventory", "games", "anomaly", "experiment"):
        section(plain, name)
    # a registry lookup raises a KeyError that names the setting and the known entries
    LOADERS[plain["data"]["source"]]
    for model in plain["forecast"]["models"]:
        MODELS[model]
    from workbench.forecast.backtest import check_forecast_config

    check_forecast_config(section(plain, "forecast"))
    if plain["forecast"]["baseline"] not in plain["forecast"]["models"]:
        raise ValueError(
            f"forecast.baseline={plain['forecast']['baseline']!r} is not in forecast.models={plain['forecast']['models']}"
        )
    from workbench.inventory.study import check_inventory_config

    check_inventory_config(section(plain, "inventory"), plain["forecast"]["quantiles"])
    for det in plain["anomaly"]["detectors"]:
        DETECTORS[det]
    exp = plain["experiment"]
    for nb in exp["notebooks"]:
        path = Path(exp["notebooks_dir"]) / f"{nb}.ipynb"
        if not path.exists():
            raise FileNotFoundError(f"experiment.notebooks: {path} does not exist")


def render_html(notebook: Path, target: Path) -> None:
    """HTML with the code hidden; figures are embedded as PNG."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    exporter = HTMLExporter(
        template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    exporter.log.setLevel(logging.ERROR)  # figure alt-text notices, one per image
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": notebook.stem}})
    target.write_text(body, encoding="utf-8")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)


def _gather_metrics(run_dir: Path) -> dict[str, Any]:
    metrics = {}
    for path in sorted((run_dir / "metrics").glob("*.json")):
        metrics[path.stem] = json.loads(path.read_text())
    return metrics


def _run_notebooks(info, exp, plain, run_dir: Path, run_json: Path, reports: Path, t_start: float) -> set[str]:
    """Execute and render each notebook in turn; return the names that did not succeed."""
    import papermill as pm

    failed: set[str] = set()
    total = len(exp["notebooks"])
    for k, entry in enumerate(info["notebooks"], start=1):
        name = entry["name"]
        blockers = [d for d in exp["depends"].get(name, []) if d in failed or d not in exp["notebooks"]]
        if blockers:
            entry.update(status="skipped", error=f"skipped: depends on {', '.join(blockers)}, which did not succeed")
            failed.add(name)
            print(f"[{k}/{total}] {name}: skipped ({entry['error']})", flush=True)
            _write_json(run_json, info)
            continue
        print(f"[{k}/{total}] {name}", flush=True)
        source = Path(exp["notebooks_dir"]) / f"{name}.ipynb"
        output = run_dir / f"{name}.ipynb"
        t0 = time.perf_counter()
        try:
            pm.execute_notebook(
                str(source),
                str(output),
                parameters={"cfg": plain, "run_dir": str(run_dir)},
                kernel_name=exp["kernel"],
                progress_bar=sys.stderr.isatty() or "JPY_PARENT_PID" in os.environ,
                cwd=os.getcwd(),
            )
            entry["status"] = "ok"
        except pm.PapermillExecutionError as err:
            entry.update(status="failed", error=f"{err.ename}: {err.evalue}")
        except Exception as err:  # kernel died, notebook unreadable, ...
            entry.update(status="failed", error=f"{type(err).__name__}: {err}")
        entry["seconds"] = round(time.perf_counter() - t0, 1)
        if entry["status"] != "ok":
            failed.add(name)
            print(f"    failed after {entry['seconds']} s: {entry['error']}", flush=True)
        else:
            print(f"    ok in {entry['seconds']} s", flush=True)
        if output.exists():
            try:
                render_html(output, run_dir / f"{name}.html")
                entry["html"] = f"{name}.html"
            except Exception as err:  # a broken render must not hide the run's status
                entry.setdefault("error", f"HTML rendering failed: {err}")
        info["metrics"] = _gather_metrics(run_dir)
        info["seconds"] = round(time.perf_counter() - t_start, 1)
        _write_json(run_json, info)
        build_index(reports)
    return failed


def execute(cfg: DictConfig, overrides: list[str] | None = None) -> int:
    """Run every notebook of the experiment; return the exit code (0: all succeeded)."""
    logging.getLogger("papermill").setLevel(logging.WARNING)
    # kernels inherit the environment: no in-notebook progress bars in batch runs (the runner
    # shows progress per notebook); in JupyterLab they show as widgets
    os.environ.setdefault("TQDM_DISABLE", "1")
    plain = to_plain(cfg)
    check_config(plain)
    exp = plain["experiment"]
    reports = Path(exp["reports_dir"])
    run_dir = new_run_dir(reports, exp["name"]).resolve()
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(plain)))
    (run_dir / "metrics").mkdir(exist_ok=True)
    info: dict[str, Any] = {
        "experiment": exp["name"],
        "status": "running",
        "started": datetime.now().isoformat(timespec="seconds"),
        "overrides": list(overrides or []),
        "notebooks": [{"name": nb, "status": "pending"} for nb in exp["notebooks"]],
        "metrics": {},
        "seconds": 0.0,
    }
    run_json = run_dir / "run.json"
    _write_json(run_json, info)
    build_index(reports)
    print(f"run folder: {run_dir}", flush=True)
    t_start = time.perf_counter()
    try:
        failed = _run_notebooks(info, exp, plain, run_dir, run_json, reports, t_start)
    except BaseException as err:  # interrupted or broken: the run must not stay "running"
        info.update(status="failed", error=f"runner stopped: {type(err).__name__}: {err}")
        _write_json(run_json, info)
        build_index(reports)
        raise
    total = len(exp["notebooks"])
    info["status"] = "failed" if failed else "ok"
    info["finished"] = datetime.now().isoformat(timespec="seconds")
    info["metrics"] = _gather_metrics(run_dir)
    info["seconds"] = round(time.perf_counter() - t_start, 1)
    _write_json(run_dir / "metrics.json", info["metrics"])
    _write_json(run_json, info)
    index = build_index(reports)
    print(f"{info['status']}: {len(failed)} of {total} notebooks did not succeed" if failed
          else f"ok: {total} notebooks in {info['seconds']:.0f} s", flush=True)
    print(f"reports: {run_dir}\nindex:   {index.resolve()}", flush=True)
    return 1 if failed else 0


# exit codes of the runs of this process (several in a -m sweep); run.py exits with the worst
EXIT_CODES: list[int] = []


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> int:
    from hydra.core.hydra_config import HydraConfig

    hydra_cfg = HydraConfig.get()
    code = execute(cfg, list(hydra_cfg.overrides.task))
    EXIT_CODES.append(code)
    if code and hydra_cfg.mode.name == "RUN":
        sys.exit(code)
    return code
