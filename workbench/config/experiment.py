"""The ``experiment`` group: which notebooks run, where, and with how many threads."""

from __future__ import annotations

from dataclasses import dataclass, field


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
