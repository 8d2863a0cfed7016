"""Anomaly stage: stock and sales features, PyOD detectors, alerts with reasons."""

from workbench.anomaly.detect import (
    DETECTORS,
    DetectionResult,
    detect,
    feature_names,
    register_detector,
    stock_sales_features,
)

__all__ = ["DETECTORS", "DetectionResult", "detect", "feature_names", "register_detector", "stock_sales_features"]
