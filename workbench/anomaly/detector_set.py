"""A fitted set of detectors with their thresholds: what a run saves and the daily monitor loads.

:class:`DetectorSet` robust-scales the feature matrix once (scikit-learn's ``RobustScaler`` on
the fit rows, 5 %-95 % range, clipped to +-50 so that one typo of a million does not flatten
every other row), fits every detector of ``anomaly.detectors`` (the ensemble's members first,
the ensemble last; a member not listed is fitted for the ensemble but not reported), sharing
one forecasting model among the residual detectors, and sets each reported detector's
threshold on the calibration rows (:mod:`workbench.anomaly.thresholds`).

:meth:`DetectorSet.save` writes the fitted objects with joblib (the autoencoder as CPU weights)
and a JSON manifest (detectors, thresholds, features, window, library versions, the files'
checksums); :meth:`DetectorSet.load` reads back only the files its manifest names, after
checking their checksums.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import polars as pl

from workbench.anomaly import detectors as _pyod  # noqa: F401  (registers the detectors)
from workbench.anomaly import ensemble as _ensemble  # noqa: F401
from workbench.anomaly import residual as _residual  # noqa: F401
from workbench.anomaly.base import DETECTORS, AnomalyData, Detector, boolean_mask
from workbench.anomaly.features import history_needed
from workbench.anomaly.thresholds import flagged, threshold
from workbench.data.panel import DATE
from workbench.progress import progress

FORMAT = "workbench.detector_set/1"
MANIFEST = "detector_set.json"
STATE = "detector_set.joblib"
LIBRARIES = ("numpy", "polars", "scikit-learn", "pyod", "darts", "lightgbm", "torch", "joblib")
CLIP = 50.0  # scaled features beyond +-CLIP are clipped


def _versions() -> dict[str, str | None]:
    out = {}
    for lib in LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = None
    return out


def _mask(rows: np.ndarray, n: int, name: str) -> np.ndarray:
    rows = boolean_mask(rows, n, name)
    if not rows.any():
        raise ValueError(f"{name} selects no row")
    return rows


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class DetectorSet:
    """Every detector of ``anomaly.detectors``, fitted once, with a threshold each."""

    def __init__(self, cfg, forecast_cfg=None) -> None:
        self.cfg = cfg  # AnomalyConfig
        self.forecast_cfg = forecast_cfg  # ForecastConfig (the residual detectors' model)
        self.detectors: dict[str, Detector] = {}
        self.thresholds: dict[str, float] = {}
        self.seconds: dict[str, float] = {}  # fit and first scoring of each detector
        self.scaler = None
        self.features: list[str] = []
        self.combinations: list[str] = []  # detectors added after fitting (add_combination)
        self._memo: tuple | None = None  # (data, scores) of the last data scored

    # ------------------------------------------------------------------ order
    @property
    def reported(self) -> list[str]:
        """The detectors whose scores and flags the set reports (``anomaly.detectors``)."""
        names = list(self.cfg.detectors)
        if not names:
            raise ValueError("anomaly.detectors is empty; expected at least one detector")
        for name in names:
            DETECTORS[name]  # an unknown name raises, listing the registered ones
        return names + self.combinations

    @property
    def order(self) -> list[str]:
        """Fitting order: the ensemble's members, the other detectors, the ensemble last."""
        reported = [n for n in self.reported if n not in self.combinations]
        members = list(self.cfg.ensemble.members) if "ensemble" in reported else []
        for name in members:
            DETECTORS[name]
        rest = [n for n in reported if n != "ensemble"]
        return (list(dict.fromkeys([*members, *rest])) + (["ensemble"] if "ensemble" in reported else [])
                + self.combinations)

    def history_needed(self) -> int:
        """Periods before a period that the set reads to score it (features and forecasts)."""
        periods = history_needed(self.cfg.window)
        shared = next((d.shared for d in self.detectors.values() if d.kind == "series"), None)
        if shared is not None:
            periods = max(periods, shared.need + shared.windows() - 1)
        return periods

    # ---------------------------------------------------------------- fitting
    def scale(self, data: AnomalyData) -> AnomalyData:
        """``data`` with its feature matrix robust-scaled by the fitted scaler and clipped."""
        if self.scaler is None:
            raise ValueError("the detector set is not fitted: call fit() first")
        if list(data.features) != self.features:
            raise ValueError(f"the detector set was fitted on the features {self.features}; the data has"
                             f" {list(data.features)} (the panel's columns differ)")
        return replace(data, X=np.clip(self.scaler.transform(data.X), -CLIP, CLIP))

    def fit(self, data: AnomalyData, fit_rows: np.ndarray, cal_rows: np.ndarray) -> DetectorSet:
        """Fit the scaler and every detector on ``fit_rows``, then each reported detector's threshold
        on ``cal_rows`` (boolean masks over ``data.rows``)."""
        from sklearn.preprocessing import RobustScaler

        from workbench.anomaly.residual import ResidualForecasts

        n = data.rows.height
        self.combinations = []
        fit_rows, cal_rows = _mask(fit_rows, n, "fit_rows"), _mask(cal_rows, n, "cal_rows")
        order = self.order
        usable = fit_rows & np.isfinite(data.X).all(axis=1)
        if data.X.shape[1] and not usable.any():
            raise ValueError("no fit row has every feature: the fit window is shorter than the features' warm-up"
                             " (anomaly.window); lengthen anomaly.split.fit_share or the data")
        self.features = list(data.features)
        self.scaler = RobustScaler(quantile_range=(5.0, 95.0)).fit(data.X[usable])
        scaled = self.scale(data)
        shared = ResidualForecasts(self.cfg, self.forecast_cfg) if any(
            DETECTORS[n].kind == "series" for n in order) else None
        self.detectors, scores = {}, {}
        for name in progress(order, desc="fitting detectors"):
            t0 = time.perf_counter()
            detector = DETECTORS[name](self.cfg, self.forecast_cfg)
            if detector.kind == "series":
                detector.shared = shared
            if detector.kind == "ensemble":
                detector.attach(self.detectors)
                scores[name] = detector.fit_from(scores, fit_rows).combine(scores)
            else:
                scores[name] = detector.fit(scaled, fit_rows).score(scaled)
            self.detectors[name] = detector
            self.seconds[name] = time.perf_counter() - t0
        cal = data.rows.filter(pl.Series(cal_rows)).select([*data.keys, DATE])
        method = str(self.cfg.threshold.method)
        self.thresholds = {name: threshold(method, scores[name][fit_rows], scores[name][cal_rows], cal, data.keys,
                                           self.cfg) for name in self.reported}
        self._memo = (data, scores)
        return self

    def add_combination(self, name: str, members: list[str], threshold: float, fit_rows: np.ndarray) -> None:
        """Add ``name``: the maximum of ``members``' rank-normalised scores (an ensemble by
        maximisation of already fitted detectors), flagged at ``threshold``; it is scored, saved
        and loaded like the others (:mod:`workbench.anomaly.combine` chooses the members)."""
        from workbench.anomaly.ensemble import Ensemble

        if self._memo is None:
            raise ValueError("add_combination: fit the set first")
        if name in self.detectors:
            raise ValueError(f"add_combination: {name!r} is a detector of the set already")
        cfg = replace(self.cfg, ensemble=replace(self.cfg.ensemble, members=list(members), method="maximization"))
        combo = Ensemble(cfg, self.forecast_cfg)
        combo.attach(self.detectors)
        data, scores = self._memo
        scores[name] = combo.fit_from(scores, fit_rows).combine(scores)
        self.detectors[name] = combo
        self.thresholds[name] = float(threshold)
        self.combinations.append(name)

    # ---------------------------------------------------------------- scoring
    def _scores(self, data: AnomalyData) -> dict[str, np.ndarray]:
        if self._memo is not None and self._memo[0] is data:
            return self._memo[1]
        scaled = self.scale(data)
        scores: dict[str, np.ndarray] = {}
        for name in progress(self.order, desc="scoring detectors"):
            detector = self.detectors[name]
            scores[name] = detector.combine(scores) if detector.kind == "ensemble" else detector.score(scaled)
        self._memo = (data, scores)
        return scores

    def score(self, data: AnomalyData) -> pl.DataFrame:
        """Keys, ``date`` and one Float64 score column per reported detector (NaN: not scored)."""
        scores = self._scores(data)
        return data.rows.select([*data.keys, DATE]).with_columns(
            pl.Series(name, scores[name], dtype=pl.Float64) for name in self.reported)

    def flags(self, scores: pl.DataFrame) -> pl.DataFrame:
        """The same keys and dates with one Boolean column per detector: its score at or above its threshold."""
        missing = [n for n in self.reported if n not in scores.columns]
        if missing:
            raise ValueError(f"scores lacks the columns {missing} of the set's detectors")
        keys = [c for c in scores.columns if c not in self.detectors]
        return scores.select(keys).with_columns(
            pl.Series(name, flagged(scores.get_column(name).to_numpy(), self.thresholds[name]))
            for name in self.reported)

    def evidence(self, data: AnomalyData) -> pl.DataFrame:
        """Keys, ``date`` and the evidence columns of the detectors that quote some (the forecast fan)."""
        self._scores(data)
        out = data.rows.select([*data.keys, DATE])
        for detector in self.detectors.values():
            extra = detector.evidence()
            if extra is None:
                continue
            new = [c for c in extra.columns if c not in out.columns]
            out = out.with_columns(extra.select(new))
        return out

    # ------------------------------------------------------------------- disk
    def save(self, folder: str | Path) -> Path:
        """Write the fitted set to ``folder`` (refused where a set is already saved there)."""
        import joblib

        if self.scaler is None:
            raise ValueError("the detector set is not fitted: call fit() first")
        folder = Path(folder)
        if (folder / MANIFEST).exists():
            raise FileExistsError(f"{folder / MANIFEST} exists: a detector set is saved there already; choose a new"
                                  " folder (a saved set is never overwritten)")
        folder.mkdir(parents=True, exist_ok=True)
        state = {"cfg": self.cfg, "forecast_cfg": self.forecast_cfg, "detectors": self.detectors,
                 "thresholds": self.thresholds, "scaler": self.scaler, "features": self.features,
                 "combinations": self.combinations}
        joblib.dump(state, folder / STATE)
        manifest = {
            "format": FORMAT,
            "detectors": self.reported,
            "fitted": list(self.detectors),
            "thresholds": {n: (t if np.isfinite(t) else None) for n, t in self.thresholds.items()},
            "threshold_method": str(self.cfg.threshold.method),
            "features": self.features,
            "window": self.cfg.window,
            "history_needed": self.history_needed(),
            "libraries": _versions(),
            "files": {STATE: _sha256(folder / STATE)},
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
        return folder / MANIFEST

    @classmethod
    def load(cls, folder: str | Path) -> DetectorSet:
        """A set saved by :meth:`save`: reads its manifest and only the files it names, checksums checked."""
        import joblib

        folder = Path(folder)
        path = folder / MANIFEST
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: expected a folder written by DetectorSet.save")
        manifest = json.loads(path.read_text())
        if manifest.get("format") != FORMAT:
            raise ValueError(f"{path}: format {manifest.get('format')!r}; expected {FORMAT!r}")
        files = manifest.get("files", {})
        if set(files) != {STATE}:
            raise ValueError(f"{path}: names the files {sorted(files)}; expected {[STATE]}")
        if _sha256(folder / STATE) != files[STATE]:
            raise ValueError(f"{folder / STATE} does not match the checksum in {path}: not the file the set wrote")
        changed = {k: (v, _versions().get(k)) for k, v in manifest.get("libraries", {}).items()
                   if v != _versions().get(k)}
        if changed:
            warnings.warn(f"the detector set in {folder} was saved with other library versions (saved, now):"
                          f" {changed}", stacklevel=2)
        state = joblib.load(folder / STATE)
        out = cls(state["cfg"], state["forecast_cfg"])
        out.detectors, out.thresholds = state["detectors"], state["thresholds"]
        out.scaler, out.features = state["scaler"], state["features"]
        out.combinations = state["combinations"]
        return out
