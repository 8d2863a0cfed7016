"""The ``anomaly`` group: features, detectors, thresholds, injection, incidents and the monitor.

Each detector that has settings of its own reads them from ``anomaly.<detector>`` (a dataclass
here), so a misspelt key fails at compose time. Time is counted in the panel's periods (days
for daily data, weeks for weekly data).

The study splits each series' history by date: the detectors are fitted on the first
``split.fit_share`` of the dates, the thresholds are set on the next ``split.calibration``
periods (scored out of sample) and every metric is measured on the periods after them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from omegaconf import II

from workbench.config.forecast import Accelerator

# the labelled anomaly types, in the order the reports list them (workbench.anomaly.types says
# what each is and what a stock controller should do about it)
ANOMALY_TYPES = (
    "shrinkage", "phantom", "spike", "price_typo", "level_shift", "frozen_feed", "duplicate_order", "returns_wave",
)


class ThresholdMethod(StrEnum):
    """How a detector's score becomes a yes/no alert (``anomaly.threshold.method``)."""

    contamination = "contamination"  # the top `contamination` share of the fit window's scores (PyOD's own rule)
    calibration = "calibration"  # the `quantile` of the scores on the calibration window
    budget = "budget"  # as many incidents per 1,000 series-periods on the calibration window as `budget`


class CombineMethod(StrEnum):
    """PyOD's combination of rank-normalised scores (``pyod.models.combination``)."""

    average = "average"
    maximization = "maximization"
    aom = "aom"  # average of maximum over random buckets of members
    moa = "moa"  # maximum of average


class InjectMode(StrEnum):
    auto = "auto"  # inject into data that carries no anomaly labels (real data)
    on = "on"  # also into data that has labels (adds to them)
    off = "off"


@dataclass
class SplitConfig:
    """The dates the detectors are fitted on, the calibration window and the evaluation periods."""

    fit_share: float = 0.5  # the first share of the panel's dates: detectors and the residual model are fitted here
    calibration: int = 56  # periods after the fit window whose (out-of-sample) scores set the thresholds


@dataclass
class ThresholdConfig:
    method: ThresholdMethod = ThresholdMethod.budget
    contamination: float = 0.005  # share of the fit window's series-periods flagged
    quantile: float = 0.995  # of the calibration window's scores
    budget: float = 5.0  # incidents per 1,000 series-periods on the calibration window


@dataclass
class IForestConfig:
    """PyOD ``IForest``."""

    n_estimators: int = 200
    max_rows: int = 200_000  # fitted on a seeded sample of this many rows of the fit window beyond this size


@dataclass
class NeighboursConfig:
    """PyOD ``KNN`` (distance to the k-th neighbour) and ``LOF`` (local outlier factor)."""

    n_neighbors: int = 20
    max_rows: int = 5_000  # fitted on a seeded sample of this many rows beyond this size


@dataclass
class OCSVMConfig:
    """PyOD ``OCSVM`` (one-class support vector machine, RBF kernel)."""

    nu: float = 0.05
    max_rows: int = 5_000  # the kernel grows with the square of the rows it is fitted on


@dataclass
class HBOSConfig:
    """PyOD ``HBOS`` (histogram-based outlier score)."""

    n_bins: int = 20


@dataclass
class AutoEncoderConfig:
    """PyOD ``AutoEncoder`` (torch): the reconstruction error of a small dense network."""

    hidden: list[int] = field(default_factory=lambda: [16, 8])
    epochs: int = 10
    batch_size: int = 1024
    learning_rate: float = 1e-3
    max_rows: int = 50_000
    accelerator: Accelerator = Accelerator.auto  # a GPU where torch sees one, as the forecasters


@dataclass
class EnsembleConfig:
    """Rank-normalised scores of several detectors combined by PyOD's combination functions."""

    members: list[str] = field(default_factory=lambda: ["ecod", "iforest", "residual_norm"])
    method: CombineMethod = CombineMethod.maximization
    n_buckets: int = 2  # aom / moa only


@dataclass
class ResidualConfig:
    """Forecast-residual detectors (Darts' ``ForecastingAnomalyModel``): one-step forecasts of a
    model of the forecasting registry, fitted on the fit window over all series at once, and
    Darts' scorers on the actuals against them."""

    model: str = "lightgbm"  # a forecast.models entry with a Darts model (Forecaster.build)
    num_samples: int = 100  # sampled forecasts per period (the NLL scorer and the fan)
    fan: list[float] = field(default_factory=lambda: [0.05, 0.95])  # forecast quantiles quoted as the fan
    window: int = 1  # periods per scoring window (Darts scorers' `window`)
    pyod_window: int = 7  # periods per window of the `residual_pyod` detector (Darts' PyODScorer)


@dataclass
class InjectConfig:
    """Labelled anomalies injected into a panel (real data has no labels): seeded, recorded."""

    mode: InjectMode = InjectMode.auto
    types: list[str] = field(default_factory=lambda: list(ANOMALY_TYPES))  # types the data cannot carry are skipped
    per_1000: float = 0.4  # events of each type per 1,000 series-periods
    seed: int = II("experiment.seed")


@dataclass
class IncidentConfig:
    """Alerts grouped into incidents: one per series and run of flagged periods."""

    max_gap: int = 1  # flagged periods this far apart belong to one incident
    grace: int = 1  # periods after an event's end in which an alert still counts as catching it
    top: int = 20  # incidents shown in the report's table
    plots: int = 4  # incidents plotted


@dataclass
class AnomalyConfig:
    detectors: list[str] = field(default_factory=lambda: [
        "iforest", "knn", "lof", "ecod", "copod", "hbos", "ocsvm", "autoencoder",
        "residual_norm", "residual_nll", "residual_pyod", "ensemble",
    ])
    # the detector whose incidents are the alerts: one of `detectors`, or auto: with labels, the combination
    # chosen on the calibration window (workbench.anomaly.combine), without them the ensemble
    recommended: str = "auto"
    window: int = 28  # periods of the rolling statistics of the features
    top_k: int = 100  # precision@k: the k highest scores of the evaluation periods
    split: SplitConfig = field(default_factory=SplitConfig)
    threshold: ThresholdConfig = field(default_factory=ThresholdConfig)
    iforest: IForestConfig = field(default_factory=IForestConfig)
    knn: NeighboursConfig = field(default_factory=NeighboursConfig)
    lof: NeighboursConfig = field(default_factory=NeighboursConfig)
    ocsvm: OCSVMConfig = field(default_factory=OCSVMConfig)
    hbos: HBOSConfig = field(default_factory=HBOSConfig)
    autoencoder: AutoEncoderConfig = field(default_factory=AutoEncoderConfig)
    ensemble: EnsembleConfig = field(default_factory=EnsembleConfig)
    residual: ResidualConfig = field(default_factory=ResidualConfig)
    inject: InjectConfig = field(default_factory=InjectConfig)
    incidents: IncidentConfig = field(default_factory=IncidentConfig)
    seed: int = II("experiment.seed")
