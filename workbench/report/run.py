"""What a notebook needs from its run: the config, the run folder, artifacts, metrics.

A notebook's ``parameters`` cell holds ``cfg = None`` and ``run_dir = None``; the
runner injects the resolved config (a plain dict) and the run folder. Opened by
hand in JupyterLab, :func:`open_run` composes the config itself (with the
overrides given) and makes a scratch run folder under ``reports/lab/``.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.config import CONF_DIR, compose, section, to_plain


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
        """Headline numbers of a stage; the runner gathers them into ``metrics.json``."""
        path = self.dir / "metrics" / f"{stage}.json"
        path.write_text(json.dumps(metrics, indent=2, default=_jsonable))

    def panel(self):
        """The run's demand panel: built from ``data`` once, then read back by later notebooks."""
        from workbench.data import DemandPanel, load_data

        where = self.artifacts / "panel"
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


def open_run(cfg: dict[str, Any] | None, run_dir: str | None, overrides: list[str] | None = None) -> Run:
    """The run given by the runner, or (opened by hand) a composed config and a scratch folder."""
    if cfg is None:
        # opened by hand (cwd = notebooks/): resolve relative paths from the project root
        # as the runner does
        os.chdir(CONF_DIR.parent)
        cfg = to_plain(compose(overrides or ["experiment=quick"]))
    if run_dir is None:
        run_dir = new_run_dir(Path(cfg["experiment"]["reports_dir"]) / "lab", cfg["experiment"]["name"])
    return Run(cfg, run_dir)
