"""The recommended combination: the detectors whose alerts together catch the most events within the budget.

No single detector wins on every anomaly type (the stock features catch shrinkage and phantom
stock, the forecast residuals the level shifts, the copulas the returns), so the study chooses a
combination on the calibration window, where the labels are known but no metric is reported:

* each detector's score is rank-normalised against its own scores on the fit window (its
  empirical CDF, :func:`workbench.anomaly.ensemble.ecdf`), so "in the top 0.1 % of what this
  detector usually says" means the same for every member;
* a combination's score is the members' maximum (PyOD's ``maximization``): it alerts when any
  member is far out, and one threshold set by the alert budget
  (:func:`~workbench.anomaly.thresholds.budget_threshold`) shares the budget among the members
  instead of giving each a budget of its own;
* greedy forward selection adds, one at a time, the detector that raises the calibration
  window's event recall the most (ties: fewer incidents), and stops when none raises it.

The chosen combination becomes the ``recommended`` detector of the set
(:meth:`~workbench.anomaly.detector_set.DetectorSet.add_combination`): an ensemble of the chosen
members by maximisation, thresholded at the budget, which the incidents and the daily monitor use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.anomaly.ensemble import ecdf, reference
from workbench.anomaly.evaluate import ALL, flag_metrics, label_rows
from workbench.anomaly.thresholds import budget_threshold, flagged
from workbench.data.panel import DATE

RECOMMENDED = "recommended"  # the combination's name among the set's detectors


def normalised(scores: pl.DataFrame, names: Sequence[str], fit_rows: np.ndarray) -> dict[str, np.ndarray]:
    """Each detector's scores as their empirical CDF over its own finite scores on the fit rows."""
    out = {}
    for name in names:
        s = scores.get_column(name).cast(pl.Float64).to_numpy()
        out[name] = ecdf(reference(s, fit_rows), s)
    return out


def combined(ranks: dict[str, np.ndarray], members: Sequence[str]) -> np.ndarray:
    """The members' maximum rank per row (NaN where none scored the row)."""
    stack = np.column_stack([ranks[m] for m in members])
    out = np.full(stack.shape[0], np.nan)
    any_scored = ~np.isnan(stack).all(axis=1)
    out[any_scored] = np.nanmax(stack[any_scored], axis=1)
    return out


@dataclass(frozen=True)
class Combination:
    members: list[str]  # in the order chosen
    threshold: float  # on the combined rank, set by the budget on the calibration window
    path: pl.DataFrame  # one row per step: the member added and the calibration window's metrics


def select_combination(scores: pl.DataFrame, truth: pl.DataFrame, keys: Sequence[str], fit_rows: np.ndarray,
                       cal_rows: np.ndarray, cfg, candidates: Sequence[str]) -> Combination:
    """Greedy selection of the module docstring over ``candidates`` (score columns of ``scores``) on
    the ``cal_rows``, with ``anomaly.threshold.budget`` and ``anomaly.incidents``' gap and grace."""
    keys = list(keys)
    ranks = normalised(scores, candidates, fit_rows)
    cal = scores.filter(pl.Series(cal_rows)).select(*keys, DATE)
    lab = label_rows(cal, truth, keys, cfg.incidents.grace)
    if lab.events.is_empty():
        raise ValueError("the calibration window holds no labelled event: no combination can be chosen on it"
                         " (lengthen anomaly.split.calibration)")

    def trial(members: list[str]) -> tuple[float, dict]:
        c = combined(ranks, members)[cal_rows]
        t = budget_threshold(c, cal, keys, cfg.threshold.budget, cfg.incidents.max_gap)
        return t, flag_metrics(lab, flagged(c, t), np.isfinite(c), cfg.incidents.max_gap)[ALL]

    members: list[str] = []
    best_threshold, steps, caught = float("nan"), [], -1
    while len(members) < len(candidates):
        tried = {n: trial([*members, n]) for n in candidates if n not in members}
        name = min(tried, key=lambda n: (-tried[n][1]["caught"], tried[n][1]["incidents_per_1000"], n))
        t, metrics = tried[name]
        if metrics["caught"] <= caught:
            break
        members.append(name)
        best_threshold, caught = t, metrics["caught"]
        steps.append({"step": len(members), "added": name, **{k: metrics[k] for k in (
            "events", "caught", "event_recall", "delay_median", "incidents_per_1000", "incident_precision")}})
    return Combination(members, best_threshold, pl.DataFrame(steps))
