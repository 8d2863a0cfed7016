"""The ``anomaly`` group: the features' window, the detectors and their hyper-parameters.

Each detector that has settings of its own reads them from ``anomaly.<detector>``
(a dataclass here), so a misspelt key fails at compose time."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import II


@dataclass
class IForestConfig:
    """PyOD ``IForest``."""

    n_estimators: int = 200


@dataclass
class KNNConfig:
    """PyOD ``KNN`` (distance to the k-th neighbour)."""

    n_neighbors: int = 20
    max_rows: int = 50_000  # fitted on a seeded sample of this many feature rows beyond this size


@dataclass
class AnomalyConfig:
    detectors: list[str] = field(default_factory=lambda: ["iforest", "knn"])
    contamination: float = 0.02  # share of scores flagged, and PyOD's contamination
    window: int = 28  # periods of the rolling statistics of the features
    top_k: int = 20  # alerts raised
    iforest: IForestConfig = field(default_factory=IForestConfig)
    knn: KNNConfig = field(default_factory=KNNConfig)
    seed: int = II("experiment.seed")
