"""The run a notebook belongs to (the notebook session): the config, the run folder, artifacts, metrics.

A notebook's ``parameters`` cell holds ``cfg = None`` and ``run_dir = None``; the
runner injects the resolved config (a plain dict) and the run folder. Opened by
hand in JupyterLab, :func:`open_run` either reads a finished run (``run_dir`` set:
its ``config.yaml`` and artifacts) or composes the config itself (with the overrides
given) and uses the scratch folder ``reports/lab/<experiment>-<hash>/`` of that exact
config, so the notebooks of one experiment run by hand share it: ``03_inventory``
finds what ``02_forecast`` wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.config import CONF_DIR, compose, section, to_plain
from workbench.headline import Logged
from workbench.runtime import set_threads

PANEL_DIR = "artifacts/panel"  # where the runner saves the validated panel every notebook reads


def new_run_dir(reports_dir: str | Path, experiment: str) -> Path:
    """A fresh folder ``reports/<experiment>/<timestamp>[-n]``; never an existing one."""
    base = Path(reports_dir) / experiment
    base.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        candidate = base / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"could not make a new run folder under {base}")


class Run:
    """The run a notebook belongs to."""

    def __init__(self, cfg: dict[str, Any], run_dir: str | Path) -> None:
        self.cfg = cfg
        self.dir = Path(run_dir)
        self.artifacts = self.dir / "artifacts"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        (self.dir / "metrics").mkdir(exist_ok=True)
        set_threads(cfg["experiment"].get("threads"))

    def section(self, name: str):
        """A typed config group (``run.section("forecast").horizon``)."""
        return section(self.cfg, name)

    # ------------------------------------------------------------- artifacts
    def write_table(self, name: str, frame: pl.DataFrame) -> Path:
        path = self.artifacts / f"{name}.parquet"
        frame.write_parquet(path)
        return path

    def read_table(self, name: str) -> pl.DataFrame:
        path = self.artifacts / f"{name}.parquet"
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist: the notebook that writes '{name}' has not run in {self.dir}"
            )
        return pl.read_parquet(path)

    def log_metrics(self, stage: str, metrics: dict[str, Any]) -> None:
        """Numbers of a stage; the runner gathers them into ``metrics.json``."""
        path = self.dir / "metrics" / f"{stage}.json"
        path.write_text(json.dumps(metrics, indent=2, default=_jsonable))

    def log_headline(self, logged: Logged) -> None:
        """A stage's headline (``workbench.<stage>.headline(...)``): its values go to
        ``metrics.json``, its declaration to ``metrics/headline/`` for the index of runs."""
        self.log_metrics(logged.stage, logged.values)
        folder = self.dir / "metrics" / "headline"
        folder.mkdir(exist_ok=True)
        (folder / f"{logged.stage}.json").write_text(json.dumps(logged.headline.spec(), indent=2))

    def panel(self):
        """The run's demand panel: built from ``data`` once, then read back by later notebooks."""
        from workbench.data import DemandPanel, load_data

        where = self.dir / PANEL_DIR
        if (where / "panel.json").exists():
            return DemandPanel.load(where)
        panel = load_data(self.section("data"))
        panel.save(where)
        return panel


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def scratch_dir(cfg: dict[str, Any]) -> Path:
    """``reports/lab/<experiment>-<hash of the resolved config>``: one folder per exact config,
    shared by the notebooks run by hand with it."""
    digest = hashlib.sha1(json.dumps(cfg, sort_keys=True, default=str).encode()).hexdigest()[:8]
    folder = Path(cfg["experiment"]["reports_dir"]) / "lab" / f"{cfg['experiment']['name']}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    if not config.exists():
        from omegaconf import OmegaConf

        config.write_text(OmegaConf.to_yaml(OmegaConf.create(cfg)))
    return folder


def open_run(cfg: dict[str, Any] | None, run_dir: str | Path | None, overrides: list[str] | None = None) -> Run:
    """The run given by the runner; opened by hand, a finished run (``run_dir`` only, its
    ``config.yaml`` is read) or a composed config in its shared scratch folder."""
    if cfg is None:
        # opened by hand (cwd = notebooks/): resolve relative paths from the project root
        # as the runner does
        os.chdir(CONF_DIR.parent)
        if run_dir is not None:
            config = Path(run_dir) / "config.yaml"
            if not config.exists():
                raise FileNotFoundError(f"run_dir={str(run_dir)!r} holds no config.yaml: expected a run folder"
                                        " such as reports/default/<run-id>")
            from omegaconf import OmegaConf

            return Run(OmegaConf.to_container(OmegaConf.load(config), resolve=True), run_dir)
        cfg = to_plain(compose(overrides or ["experiment=quick"]))
    if run_dir is None:
        run_dir = scratch_dir(cfg)
    return Run(cfg, run_dir)
