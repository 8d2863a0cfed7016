"""The detector contract and its registry.

A :class:`Detector` is fitted on the fit window of an :class:`AnomalyData` and scores any
rows of one: one number per series and period, higher meaning more unusual, NaN where it
cannot score (the first periods of a series, a closed day). Three kinds, by what they read
(``kind``): ``features`` (PyOD on the scaled feature matrix), ``series`` (Darts' anomaly
models on the panel's series) and ``ensemble`` (other detectors' scores, combined).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

import numpy as np
import polars as pl

from workbench.data.panel import DemandPanel
from workbench.registry import Registry

# name -> a Detector subclass; built as cls(cfg: AnomalyConfig, forecast: ForecastConfig)
DETECTORS = Registry("detector", setting="anomaly.detectors")
register_detector = DETECTORS.register


@dataclass
class AnomalyData:
    """What detectors see.

    ``rows`` holds one row per series and period, sorted by the keys and the date: the keys,
    ``date``, the feature columns ``features``, the values the evidence quotes, and
    ``context`` (true on a known, scheduled non-event: a closed day). ``X`` is the feature
    matrix (rows x features, robust-scaled). ``panel`` is the panel the rows come from (the
    series detectors read its series). ``start``: the first date to score (``None``: all);
    the rows before it are history that the features and the series models need.
    """

    rows: pl.DataFrame
    features: list[str]
    X: np.ndarray
    keys: list[str]
    panel: DemandPanel
    start: date | None = None


def boolean_mask(rows, n: int, name: str, per: str = "row of data.rows") -> np.ndarray:
    """``rows`` (array-like or polars Series) as a boolean numpy mask of ``n`` rows; the error names
    the setting or argument ``name`` and what one element of the mask stands for."""
    mask = rows.to_numpy() if isinstance(rows, pl.Series) else np.asarray(rows)
    if mask.dtype != bool or mask.shape != (n,):
        raise ValueError(f"{name}: expected a boolean mask of {n} rows (one per {per}), got {mask.dtype}"
                         f" of shape {mask.shape}")
    return mask


class Detector(ABC):
    """One anomaly detector. Subclasses implement :meth:`fit` and :meth:`score`."""

    kind: ClassVar[str] = "features"  # "features" | "series" | "ensemble"

    def __init__(self, cfg, forecast=None) -> None:
        self.cfg = cfg  # AnomalyConfig
        self.forecast = forecast  # ForecastConfig (the series detectors build their model from it)

    @abstractmethod
    def fit(self, data: AnomalyData, fit_rows: np.ndarray) -> Detector:
        """Fit on the rows where ``fit_rows`` (a boolean mask over ``data.rows``) is true."""

    @abstractmethod
    def score(self, data: AnomalyData) -> np.ndarray:
        """One score per row of ``data.rows`` (NaN where not scored, and before ``data.start``)."""

    def evidence(self) -> pl.DataFrame | None:
        """Per-row values the last :meth:`score` can quote (a forecast fan: ``fan_low``,
        ``expected``, ``fan_high``), keyed by the keys and ``date``; ``None`` when it has none."""
        return None
