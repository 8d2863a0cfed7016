"""The ``ensemble`` detector: members' scores rank-normalised and combined by PyOD.

Each member's score is mapped to its empirical CDF over that member's own scores on the fit
rows (a stored sorted array, so a new day normalises exactly as in the batch run), then the
members are combined by :mod:`pyod.models.combination` (``anomaly.ensemble.method``: average,
maximization, aom or moa). A member that did not score a row (NaN: its first periods, a closed
day) is left out of that row: the row combines the members it has.

In a detector set the members are the set's own fitted detectors (:meth:`Ensemble.attach`);
alone, :meth:`Ensemble.fit` builds and fits them.
"""

from __future__ import annotations

import numpy as np

from workbench.anomaly.base import DETECTORS, AnomalyData, Detector, register_detector


def ecdf(reference: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Share of ``reference`` (sorted) at or below each score; NaN stays NaN. Beyond the reference's
    largest score the rank goes on growing with the score, ``1 + (score - max) / (max - median)``:
    the rows beyond anything the fit window saw (the anomalies, mostly) stay ordered instead of
    tying at 1, so a threshold can still pick the most unusual of them.

    >>> ecdf(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 2.0, 4.0, 6.0, np.nan]))
    array([0. , 0.5, 1. , 3. , nan])
    """
    scores = np.asarray(scores, dtype=float)
    out = np.searchsorted(reference, scores, side="right") / max(len(reference), 1)
    if len(reference):
        top = reference[-1]
        spread = top - reference[len(reference) // 2]
        if not spread > 0:  # half the reference at its top: the whole range, else the score's own size
            spread = max(top - reference[0], abs(top), 1e-12)
        beyond = scores > top
        out[beyond] = 1.0 + (scores[beyond] - top) / spread
    return np.where(np.isnan(scores), np.nan, out)


def reference(scores: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
    """A detector's finite scores on the fit rows, sorted: what :func:`ecdf` ranks its scores against."""
    values = np.asarray(scores, dtype=float)[np.asarray(fit_rows, dtype=bool)]
    return np.sort(values[np.isfinite(values)])


def buckets(n_members: int, n_buckets: int) -> int:
    """Buckets for PyOD's static aom/moa over ``n_members``: the most, up to ``n_buckets``, that split
    them evenly (PyOD requires it); one member per bucket where none does.

    >>> buckets(4, 2), buckets(6, 4), buckets(3, 2)
    (2, 3, 3)
    """
    return next((b for b in range(min(n_buckets, n_members), 1, -1) if n_members % b == 0), n_members)


@register_detector("ensemble")
class Ensemble(Detector):
    """Rank-normalised members (``anomaly.ensemble.members``) combined by PyOD's combination functions."""

    kind = "ensemble"

    def __init__(self, cfg, forecast=None) -> None:
        super().__init__(cfg, forecast)
        self.members: dict[str, Detector] = {}
        self.reference: dict[str, np.ndarray] = {}

    def member_names(self) -> list[str]:
        names = list(self.cfg.ensemble.members)
        if not names:
            raise ValueError("anomaly.ensemble.members is empty; expected the detectors to combine")
        bad = [n for n in names if n == "ensemble" or n not in DETECTORS]
        if bad:
            raise ValueError(f"anomaly.ensemble.members: {bad[0]!r} cannot be a member; registered detectors:"
                             f" {[n for n in DETECTORS if n != 'ensemble']}")
        if self.cfg.ensemble.method in ("aom", "moa") and self.cfg.ensemble.n_buckets < 2:
            raise ValueError(f"anomaly.ensemble.n_buckets={self.cfg.ensemble.n_buckets}; aom and moa need at"
                             " least 2 buckets")
        return names

    def attach(self, members: dict[str, Detector]) -> None:
        """Use already fitted ``members`` (the detector set's own), keyed by name."""
        missing = [n for n in self.member_names() if n not in members]
        if missing:
            raise ValueError(f"anomaly.ensemble.members: {missing} not among the fitted detectors {list(members)}")
        self.members = {n: members[n] for n in self.member_names()}

    def fit(self, data: AnomalyData, fit_rows: np.ndarray) -> Ensemble:
        if not self.members:
            from workbench.anomaly.residual import ResidualForecasts

            shared = None
            for name in self.member_names():
                member = DETECTORS[name](self.cfg, self.forecast)
                if member.kind == "series":  # one forecasting model for every residual member
                    shared = shared or ResidualForecasts(self.cfg, self.forecast)
                    member.shared = shared
                self.members[name] = member.fit(data, fit_rows)
        return self.fit_from({n: m.score(data) for n, m in self.members.items()}, fit_rows)

    def fit_from(self, scores: dict[str, np.ndarray], fit_rows: np.ndarray) -> Ensemble:
        """Store each member's sorted scores on the fit rows (its reference distribution)."""
        self.reference = {}
        for name in self.member_names():
            values = reference(scores[name], fit_rows)
            if not values.size:
                raise ValueError(f"ensemble member {name!r} scored no row of the fit window")
            self.reference[name] = values
        return self

    def score(self, data: AnomalyData) -> np.ndarray:
        return self.combine({n: m.score(data) for n, m in self.members.items()})

    def combine(self, scores: dict[str, np.ndarray]) -> np.ndarray:
        """The combined score of members' raw ``scores`` (NaN where no member scored the row)."""
        from pyod.models import combination

        names = self.member_names()
        ranks = np.column_stack([ecdf(self.reference[n], np.asarray(scores[n], dtype=float)) for n in names])
        present = ~np.isnan(ranks)
        out = np.full(len(ranks), np.nan)
        method, n_buckets = str(self.cfg.ensemble.method), self.cfg.ensemble.n_buckets
        # one call per pattern of members present (a handful: the first periods, closed days)
        patterns, which = np.unique(present, axis=0, return_inverse=True)
        for k, pattern in enumerate(patterns):
            rows = which.ravel() == k
            if not pattern.any():
                continue
            block = ranks[np.ix_(rows, pattern)]
            if block.shape[1] == 1 or method in ("average", "maximization"):
                out[rows] = getattr(combination, method)(block) if block.shape[1] > 1 else block[:, 0]
            else:
                out[rows] = getattr(combination, method)(block, n_buckets=buckets(block.shape[1], n_buckets),
                                                         random_state=self.cfg.seed)
        return out
