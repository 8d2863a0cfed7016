"""Thresholds on hand-made scores: the fit window's top share, the calibration quantile, and an
incident budget counted by hand."""

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from workbench.anomaly.thresholds import budget_threshold, flagged, incidents_per_1000, threshold
from workbench.config.anomaly import AnomalyConfig, IncidentConfig, ThresholdConfig


def cfg(**threshold_settings) -> AnomalyConfig:
    return AnomalyConfig(threshold=ThresholdConfig(**threshold_settings), seed=0)


def rows(series: int, days: int) -> pl.DataFrame:
    return pl.DataFrame({"item_id": np.repeat([f"s{k}" for k in range(series)], days),
                         "date": [date(2024, 1, 1) + timedelta(days=d) for d in range(days)] * series})


def test_contamination_flags_the_top_share_of_the_fit_window():
    fit = np.arange(100.0)
    t = threshold("contamination", fit, np.zeros(3), rows(1, 3), ["item_id"], cfg(contamination=0.05))
    assert flagged(fit, t).sum() == 5 and flagged(fit, t)[95:].all()
    # NaN scores are neither counted nor flagged
    with_nan = np.concatenate([fit, [np.nan] * 50])
    assert threshold("contamination", with_nan, np.zeros(3), rows(1, 3), ["item_id"], cfg(contamination=0.05)) == t
    assert not flagged(np.array([np.nan, 1e9]), t)[0]


def test_calibration_takes_the_quantile_of_the_calibration_window():
    cal = np.arange(1.0, 11.0)
    t = threshold("calibration", np.array([100.0]), cal, rows(1, 10), ["item_id"], cfg(quantile=0.9))
    assert t == pytest.approx(9.1)
    assert flagged(cal, t).tolist() == [False] * 9 + [True]


def test_budget_counts_incidents_by_hand():
    # three series of ten days; 30 series-periods, so a budget of 1 incident is 33.3 per 1,000
    scores = np.array([
        [0, 0, 9, 9, 9, 0, 0, 0, 0, 0],  # one incident of three days at 9
        [0, 0, 0, 0, 5, 0, 5, 0, 0, 0],  # two days at 5, two days apart: two incidents, or one with max_gap 2
        [0, 7, 0, 0, 0, 0, 0, 0, 0, 1],  # one day at 7, one at 1
    ], dtype=float).ravel()
    frame = rows(3, 10)
    per = 1000 / 30
    assert incidents_per_1000(frame, ["item_id"], flagged(scores, 9), 30, 1) == pytest.approx(per)
    assert incidents_per_1000(frame, ["item_id"], flagged(scores, 5), 30, 1) == pytest.approx(4 * per)
    assert incidents_per_1000(frame, ["item_id"], flagged(scores, 5), 30, 2) == pytest.approx(3 * per)
    settings = cfg(budget=per + 1e-9)
    assert threshold("budget", scores, scores, frame, ["item_id"], settings) == 9.0  # one incident allowed
    settings = cfg(budget=2 * per + 1e-9)
    assert threshold("budget", scores, scores, frame, ["item_id"], settings) == 7.0  # 9 and 7: two
    settings = replace(cfg(budget=3 * per + 1e-9), incidents=IncidentConfig(max_gap=2))
    assert threshold("budget", scores, scores, frame, ["item_id"], settings) == 5.0  # the two 5s join
    # no incident at all allowed: above the top score, nothing flagged
    t = threshold("budget", scores, scores, frame, ["item_id"], cfg(budget=0.0))
    assert t > 9.0 and not flagged(scores, t).any()


def test_budget_ignores_unscored_periods():
    frame = rows(2, 5)
    scores = np.array([np.nan, 3.0, 1.0, 1.0, 1.0, np.nan, np.nan, np.nan, np.nan, np.nan])
    # four scored periods: one incident is 250 per 1,000
    assert budget_threshold(scores, frame, ["item_id"], budget=250.0, max_gap=1) == 1.0
    assert budget_threshold(scores, frame, ["item_id"], budget=249.0, max_gap=1) > 3.0


def test_budget_is_kept_where_a_lower_threshold_joins_incidents():
    # 2 flags 2 and 5 apart (two incidents), 1 flags all four (one): the search keeps the budget
    frame = rows(1, 4)
    scores = np.array([3.0, 1.0, 1.0, 2.0])
    t = budget_threshold(scores, frame, ["item_id"], budget=250.0, max_gap=1)
    assert t in (1.0, 3.0)
    assert incidents_per_1000(frame, ["item_id"], flagged(scores, t), 4, 1) <= 250.0


def test_bad_settings_are_named():
    frame = rows(1, 3)
    with pytest.raises(ValueError, match="anomaly.threshold.method='top'"):
        threshold("top", np.ones(3), np.ones(3), frame, ["item_id"], cfg())
    with pytest.raises(ValueError, match="anomaly.threshold.contamination=1.5"):
        threshold("contamination", np.ones(3), np.ones(3), frame, ["item_id"], cfg(contamination=1.5))
    with pytest.raises(ValueError, match="anomaly.threshold.budget=-1"):
        threshold("budget", np.ones(3), np.ones(3), frame, ["item_id"], cfg(budget=-1.0))
    with pytest.raises(ValueError, match="no score on the calibration window"):
        threshold("calibration", np.ones(3), np.full(3, np.nan), frame, ["item_id"], cfg())
