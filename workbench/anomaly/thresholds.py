"""A detector's threshold: where its score becomes an alert (``anomaly.threshold.method``).

* ``contamination``: the top ``anomaly.threshold.contamination`` share of the fit window's
  scores are flagged (PyOD's own rule, on the window the detector was fitted on);
* ``calibration``: the ``anomaly.threshold.quantile`` of the calibration window's scores
  (scored out of sample);
* ``budget``: the lowest threshold at which the flagged periods of the calibration window make
  at most ``anomaly.threshold.budget`` incidents per 1,000 scored series-periods, incidents being
  runs of flagged periods (:func:`workbench.anomaly.incidents.incident_runs`,
  ``anomaly.incidents.max_gap``), found by bisection over the sorted calibration scores. The
  count of incidents falls as the threshold rises, apart from incidents that a lower threshold
  joins into one (the flags between them fill the gap): there the search may stop at a higher
  threshold than the lowest, which still keeps the budget.

A row is flagged where its score is at or above the threshold; a NaN score never is.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from workbench.anomaly.incidents import incident_runs

FLAG = "_flag"


def flagged(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Rows at or above ``threshold`` (never a NaN score)."""
    scores = np.asarray(scores, dtype=float)
    return np.where(np.isnan(scores), False, scores >= threshold)


def incidents_per_1000(rows: pl.DataFrame, keys: list[str], flags: np.ndarray, scored: int, max_gap: int) -> float:
    """Incidents (runs of flags at most ``max_gap`` periods apart) per 1,000 ``scored`` series-periods."""
    if not flags.any():
        return 0.0
    runs = incident_runs(rows.select(*keys, "date").with_columns(pl.Series(FLAG, flags)), keys, FLAG, max_gap)
    return 1000.0 * runs.drop_nulls().n_unique() / max(scored, 1)


def budget_threshold(scores: np.ndarray, rows: pl.DataFrame, keys: list[str], budget: float, max_gap: int) -> float:
    """The lowest of the sorted ``scores`` whose flags make at most ``budget`` incidents per 1,000
    scored series-periods of ``rows`` (sorted by ``keys`` and date); above the top score where
    even the top score alone exceeds it.

    Two series of four days, at most one incident (125 per 1,000 of 8): 0.8 flags two days of
    ``a`` two days apart (two incidents), 0.1 flags both series (two), 0.9 one day (one).

    >>> from datetime import date
    >>> rows = pl.DataFrame({"item_id": ["a"] * 4 + ["b"] * 4, "date": [date(2024, 1, d) for d in range(1, 5)] * 2})
    >>> scores = np.array([0.1, 0.9, 0.1, 0.8, 0.1, 0.1, 0.1, 0.1])
    >>> budget_threshold(scores, rows, ["item_id"], budget=125.0, max_gap=1)
    0.9
    """
    scores = np.asarray(scores, dtype=float)
    scored = int(np.isfinite(scores).sum())
    candidates = np.unique(scores[np.isfinite(scores)])
    if not candidates.size:
        return float("inf")

    def within(i: int) -> bool:
        rate = incidents_per_1000(rows, keys, flagged(scores, candidates[i]), scored, max_gap)
        return rate <= budget

    if not within(len(candidates) - 1):
        return float(np.nextafter(candidates[-1], np.inf))  # nothing flagged on the calibration window
    lo, hi = 0, len(candidates) - 1  # the answer lies in [lo, hi]; within(hi) holds
    while lo < hi:
        mid = (lo + hi) // 2
        if within(mid):
            hi = mid
        else:
            lo = mid + 1
    return float(candidates[lo])


def threshold(method: str, fit_scores: np.ndarray, cal_scores: np.ndarray, cal_rows: pl.DataFrame,
              keys: list[str], cfg) -> float:
    """The threshold of one detector by ``method`` (:class:`~workbench.config.anomaly.ThresholdMethod`).

    ``fit_scores``: its scores on the fit window; ``cal_scores``: on the calibration window, one
    per row of ``cal_rows`` (keys and ``date``, sorted by them); ``cfg``: the
    :class:`~workbench.config.AnomalyConfig` (``threshold``, ``incidents.max_gap``).
    """
    t = cfg.threshold
    fit_scores = np.asarray(fit_scores, dtype=float)
    cal_scores = np.asarray(cal_scores, dtype=float)
    if method == "contamination":
        if not 0 < t.contamination < 1:
            raise ValueError(f"anomaly.threshold.contamination={t.contamination}; expected a share in (0, 1)")
        return _quantile(fit_scores, 1.0 - t.contamination, "the fit window")
    if method == "calibration":
        if not 0 < t.quantile < 1:
            raise ValueError(f"anomaly.threshold.quantile={t.quantile}; expected a quantile in (0, 1)")
        return _quantile(cal_scores, t.quantile, "the calibration window (anomaly.split.calibration)")
    if method == "budget":
        if t.budget < 0:
            raise ValueError(f"anomaly.threshold.budget={t.budget}; expected incidents per 1,000 series-periods >= 0")
        if len(cal_scores) != cal_rows.height:
            raise ValueError(f"cal_scores has {len(cal_scores)} values for {cal_rows.height} calibration rows")
        if not np.isfinite(cal_scores).any():
            raise ValueError("no score on the calibration window (anomaly.split.calibration): the budget needs some")
        return budget_threshold(cal_scores, cal_rows, keys, t.budget, cfg.incidents.max_gap)
    raise ValueError(f"anomaly.threshold.method={method!r}; expected contamination, calibration or budget")


def _quantile(scores: np.ndarray, q: float, where: str) -> float:
    finite = scores[np.isfinite(scores)]
    if not finite.size:
        raise ValueError(f"no score on {where}: the threshold needs some")
    return float(np.quantile(finite, q))
