"""The ``experiment`` group: which notebooks run, where, with how many threads, and on which
engine the per-series work runs (:mod:`workbench.engine`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Engine(StrEnum):
    """Where the per-series fan-out runs: joblib's process pool on this machine, or Ray."""

    local = "local"
    ray = "ray"


@dataclass
class RayConfig:
    """The Ray instance of ``experiment.engine=ray``.

    ``address``: null starts a local instance for the run and stops it at the end; ``auto``
    joins the cluster running on this machine (``ray start --head``); ``host:6379`` or
    ``ray://host:10001`` join that cluster. ``num_cpus`` is the local instance's size
    (null: every core); a cluster's size is its own.
    """

    address: str | None = None
    num_cpus: int | None = None


@dataclass
class ExperimentConfig:
    name: str = "default"
    seed: int = 42
    reports_dir: str = "reports"
    notebooks_dir: str = "notebooks"
    notebooks: list[str] = field(
        default_factory=lambda: [
            "01_data",
            "02_forecast",
            "03_inventory",
            "04_collaboration",
            "05_anomaly",
            "06_risk",
            "07_logistics",
        ]
    )
    # a notebook runs only when the notebooks it depends on succeeded
    depends: dict[str, list[str]] = field(
        default_factory=lambda: {"03_inventory": ["02_forecast"], "06_risk": ["02_forecast"],
                                 "07_logistics": ["02_forecast"]}
    )
    kernel: str = "python3"
    # threads of torch, LightGBM, OpenMP and BLAS in each notebook (null: every core this process
    # may use; -1: all but one); idle threads sleep rather than spin (see workbench.runtime)
    threads: int | None = None
    # where the per-series work runs (workbench.engine): local (joblib) or ray
    engine: Engine = Engine.local
    ray: RayConfig = field(default_factory=RayConfig)
