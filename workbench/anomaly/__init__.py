"""Anomaly stage: stock and sales features, PyOD detectors, alerts with reasons, the report's
tables and headline."""

from workbench.anomaly.detect import (
    DETECTORS,
    DetectionResult,
    detect,
    feature_names,
    register_detector,
    stock_sales_features,
)
from workbench.anomaly.summary import HEADLINE, headline

__all__ = ["DETECTORS", "HEADLINE", "DetectionResult", "detect", "feature_names", "headline", "register_detector",
           "stock_sales_features"]
