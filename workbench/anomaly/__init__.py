"""Anomaly stage: detectors on stock and sales features and on forecast residuals, thresholds,
evaluation against labelled anomalies, incidents a stock controller can act on, the daily monitor."""

from workbench.anomaly.base import DETECTORS, AnomalyData, Detector, register_detector
from workbench.anomaly.types import TYPES, AnomalyType

__all__ = ["DETECTORS", "TYPES", "AnomalyData", "AnomalyType", "Detector", "register_detector"]
