"""The anomaly stage's tables and headline, on detection results made by hand."""

from datetime import date, timedelta

import polars as pl
import pytest

from workbench.anomaly.detect import DetectionResult
from workbench.anomaly.summary import (
    HEADLINE,
    best_detector,
    detector_scores,
    flagged,
    has_labels,
    headline,
    most_alerted,
    recall_by_type,
)

DAYS = [date(2024, 1, 1) + timedelta(days=k) for k in range(5)]


def scores() -> pl.DataFrame:
    return pl.DataFrame({
        "item_id": ["A"] * 5 + ["B"] * 5, "date": DAYS * 2,
        "iforest": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
        "knn": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
    })


def labelled() -> DetectionResult:
    metrics = pl.DataFrame({
        "detector": ["iforest", "knn"], "precision": [0.5, 1.0], "recall": [0.25, 0.5], "roc_auc": [0.7, 0.9],
        "average_precision": [0.4, 0.8], "flagged": [2, 2], "labelled": [4, 4],
    })
    by_type = pl.DataFrame({
        "anomaly_type": ["theft", "typo", "theft", "typo"], "recall": [0.5, 0.0, 1.0, 0.25], "n": [2, 2, 2, 2],
        "detector": ["iforest", "iforest", "knn", "knn"],
    })
    alerts = pl.DataFrame({"item_id": ["B", "A", "B"], "date": DAYS[:3], "score": [0.9, 0.8, 0.7],
                           "detector": ["knn"] * 3, "reason": ["r"] * 3})
    return DetectionResult(scores=scores(), metrics=metrics, by_type=by_type, alerts=alerts)


def unlabelled() -> DetectionResult:
    result = labelled()
    return DetectionResult(scores=result.scores, metrics=pl.DataFrame({"detector": ["iforest", "knn"]}),
                           by_type=pl.DataFrame(), alerts=result.alerts)


def test_labels_and_the_scores_table():
    assert has_labels(labelled()) and not has_labels(unlabelled())
    table = detector_scores(labelled())
    assert table.columns == ["detector", "precision", "recall", "ROC-AUC", "average_precision", "flagged", "labelled"]


def test_recall_by_type_is_one_column_per_detector():
    assert recall_by_type(labelled()).to_dicts() == [
        {"anomaly type": "theft", "iforest": 0.5, "knn": 1.0},
        {"anomaly type": "typo", "iforest": 0.0, "knn": 0.25},
    ]


def test_best_detector_has_the_highest_roc_auc():
    assert best_detector(labelled())["detector"] == "knn"
    assert best_detector(unlabelled()) is None


def test_most_alerted_series_first():
    assert most_alerted(labelled().alerts, ["item_id"], 1).to_dicts() == [{"item_id": "B", "len": 2}]


def test_flagged_days_are_above_the_contamination_quantile():
    # the 0.8 quantile of 0.1 ... 1.0 is 0.82: two days of B
    got = flagged(scores(), "iforest", 0.2, ["item_id"])
    assert got.columns == ["item_id", "date"]
    assert got.to_dicts() == [{"item_id": "B", "date": DAYS[3]}, {"item_id": "B", "date": DAYS[4]}]


def test_headline_with_labels():
    logged = headline(labelled(), ["iforest", "knn"])
    assert logged.headline is HEADLINE and logged.stage == "05_anomaly"
    assert [m.key for m in HEADLINE.metrics] == ["best_roc_auc"]
    assert logged.values == {
        "detectors": ["iforest", "knn"], "best_detector": "knn", "best_roc_auc": 0.9, "best_precision": 1.0,
        "best_recall": 0.5,
        "per_detector": {"iforest": {"precision": 0.5, "recall": 0.25, "roc_auc": 0.7},
                         "knn": {"precision": 1.0, "recall": 0.5, "roc_auc": 0.9}},
    }


@pytest.mark.parametrize("detectors", [["iforest"], ["iforest", "knn"]])
def test_headline_without_labels_has_no_roc_auc(detectors):
    assert headline(unlabelled(), detectors).values == {"detectors": detectors, "best_roc_auc": None}
