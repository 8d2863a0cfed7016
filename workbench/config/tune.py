"""The ``tune`` group of ``python -m workbench.tune``: which model Hydra's Optuna sweeper tunes.

A file of ``conf/tune/`` names the model here and its search space under
``hydra.sweeper.params`` (the sweeper's own syntax: ``range()``, ``interval()``,
``choice()``, ``tag(log, ...)``); the trials are scored on the backtest windows before the
hold-out by ``forecast.selection`` (see :mod:`workbench.tune`). The group exists only in the
tuning app's root config (``conf/tuning.yaml``), so ``python -m workbench.run`` never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import MISSING


@dataclass
class TuneConfig:
    # the registered forecaster (forecast.models) that every trial backtests alone
    model: str = MISSING
