"""Anomaly stage: detectors on stock and sales features and on forecast residuals, thresholds,
evaluation against labelled anomalies, incidents a stock controller can act on, the daily monitor.

Importing the package fills the detector registry: PyOD's detectors
(:mod:`~workbench.anomaly.detectors`), Darts' forecast-residual detectors
(:mod:`~workbench.anomaly.residual`) and the ensemble (:mod:`~workbench.anomaly.ensemble`).
"""

from workbench.anomaly import detectors, ensemble, residual  # noqa: F401 - the registry's entries
from workbench.anomaly.base import DETECTORS, AnomalyData, Detector, register_detector
from workbench.anomaly.detector_set import DetectorSet
from workbench.anomaly.features import FEATURES, anomaly_data
from workbench.anomaly.types import TYPES, AnomalyType

__all__ = ["DETECTORS", "FEATURES", "TYPES", "AnomalyData", "AnomalyType", "Detector", "DetectorSet",
           "anomaly_data", "register_detector"]
