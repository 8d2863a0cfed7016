"""The anomaly stage's tables and headline, as the ``05_anomaly`` notebook shows and logs them.

Each function reads a :class:`~workbench.anomaly.detect.DetectionResult`: the detectors' scores
against the injected labels (where the data has them), recall per anomaly type, the best
detector, the most alerted series and the days a detector flags. :func:`headline` fills the
stage's :data:`HEADLINE`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from workbench.anomaly.detect import DetectionResult
from workbench.data.panel import DATE
from workbench.headline import Headline, Logged, Metric

HEADLINE = Headline("05_anomaly", (
    Metric("best_roc_auc", "anomaly ROC-AUC", "{:.3f}",
           "ROC-AUC: area under the ROC curve of the best anomaly detector against the injected labels "
           "(1: perfect, 0.5: chance)."),
))

LOGGED_SCORES = ("precision", "recall", "roc_auc")  # per detector in metrics.json


def has_labels(result: DetectionResult) -> bool:
    """Whether the detectors were scored against anomaly labels (the data carries them)."""
    return "roc_auc" in result.metrics.columns


def detector_scores(result: DetectionResult) -> pl.DataFrame:
    """Precision, recall, ROC-AUC, average precision, flagged and labelled days per detector."""
    return result.metrics.rename({"roc_auc": "ROC-AUC"})


def recall_by_type(result: DetectionResult) -> pl.DataFrame:
    """The share of each injected anomaly type's labelled days that each detector flags: one row
    per ``anomaly type``, one column per detector."""
    return (result.by_type.pivot(on="detector", index="anomaly_type", values="recall").sort("anomaly_type")
            .rename({"anomaly_type": "anomaly type"}))


def best_detector(result: DetectionResult) -> dict | None:
    """The scores of the detector with the highest ROC-AUC (a row of ``result.metrics``); ``None``
    without labels."""
    if not has_labels(result):
        return None
    return result.metrics.sort("roc_auc", descending=True).row(0, named=True)


def most_alerted(alerts: pl.DataFrame, keys: list[str], n: int) -> pl.DataFrame:
    """The ``n`` series with the most alerts: their keys and alert count (``len``), most first."""
    return alerts.group_by(keys).len().sort("len", descending=True).head(n)


def flagged(scores: pl.DataFrame, detector: str, contamination: float, keys: list[str]) -> pl.DataFrame:
    """The series and days whose ``detector`` score is in its top ``contamination`` share
    (``anomaly.contamination``): above the score's ``1 - contamination`` quantile."""
    cut = np.quantile(scores[detector].to_numpy(), 1 - contamination)
    return scores.filter(pl.col(detector) > cut).select([*keys, DATE])


def headline(result: DetectionResult, detectors: list[str]) -> Logged:
    """The stage's headline: the best detector's ROC-AUC (``None`` when the data has no labels);
    in the details the detectors run and, with labels, the best one's name, precision and recall
    and every detector's precision, recall and ROC-AUC."""
    best = best_detector(result)
    if best is None:
        return HEADLINE.of(detectors=detectors, best_roc_auc=None)
    return HEADLINE.of(
        detectors=detectors,
        best_detector=best["detector"],
        best_roc_auc=best["roc_auc"],
        best_precision=best["precision"],
        best_recall=best["recall"],
        per_detector={r["detector"]: {k: r[k] for k in LOGGED_SCORES} for r in result.metrics.iter_rows(named=True)},
    )
