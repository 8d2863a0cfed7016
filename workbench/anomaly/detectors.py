"""PyOD detectors on the stock and sales features: one registry entry each.

:class:`PyODDetector` does the shared work once: it fits a PyOD model on the scored fit rows of
the (robust-scaled) feature matrix, on a seeded sample of ``anomaly.<name>.max_rows`` rows
where the setting exists and the window is larger, and scores with the model's
``decision_function`` (higher = more unusual), NaN on context rows, on the first periods of a
series and before ``data.start``. An entry only says which PyOD model to build from its
settings (https://pyod.readthedocs.io/en/latest/pyod.models.html).

PyOD's ECOD and COPOD are transductive (they rank the rows they score together with the training
rows): :class:`TailDetector` scores each row as PyOD scores a call of that one row, so the daily
monitor and the batch run agree exactly.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import numpy as np

from workbench.anomaly.base import AnomalyData, Detector, boolean_mask, register_detector
from workbench.anomaly.features import scored_rows


def fit_mask(data: AnomalyData, fit_rows: np.ndarray) -> np.ndarray:
    """The rows of ``fit_rows`` (a boolean mask over ``data.rows``) a detector can learn from."""
    usable = boolean_mask(fit_rows, data.rows.height, "fit_rows") & scored_rows(data, from_start=False)
    if not usable.any():
        raise ValueError("no scored row in the fit window: every fit row is a context row or in the first periods"
                         " of its series (their rolling statistics, anomaly.window); lengthen the fit window"
                         " (anomaly.split.fit_share) or the data")
    return usable


class PyODDetector(Detector):
    """A PyOD model on the feature matrix. Subclasses implement :meth:`build`."""

    kind = "features"
    name: ClassVar[str]  # the registry entry, and anomaly.<name> where it has settings

    @property
    def settings(self):
        """``anomaly.<name>`` (``None`` where the detector has no settings of its own)."""
        return getattr(self.cfg, self.name, None)

    @abstractmethod
    def build(self):
        """An unfitted PyOD detector."""

    def fit(self, data: AnomalyData, fit_rows: np.ndarray) -> PyODDetector:
        rows = np.flatnonzero(fit_mask(data, fit_rows))
        max_rows = getattr(self.settings, "max_rows", None)
        if max_rows is not None and max_rows < 1:
            raise ValueError(f"anomaly.{self.name}.max_rows={max_rows}; expected a positive number of rows")
        if max_rows and rows.size > max_rows:
            rng = np.random.default_rng(self.cfg.seed)
            rows = np.sort(rng.choice(rows, max_rows, replace=False))
        self.features = list(data.features)
        self.n_train = int(rows.size)
        self.model = self.build().fit(data.X[rows])
        return self

    def score(self, data: AnomalyData) -> np.ndarray:
        if list(data.features) != self.features:
            raise ValueError(f"detector {self.name!r} was fitted on the features {self.features}; the data has"
                             f" {list(data.features)} (the panel's columns differ)")
        out = np.full(data.rows.height, np.nan)
        mask = scored_rows(data)
        if mask.any():
            out[mask] = self.decide(data.X[mask])
        return out

    def decide(self, X: np.ndarray) -> np.ndarray:
        """PyOD's ``decision_function``."""
        return self.model.decision_function(X)


class TailDetector(PyODDetector):
    """ECOD and COPOD: the tail probabilities of each feature, from its empirical CDF.

    PyOD's ``decision_function`` of these two is transductive: it ranks the rows it is given
    together with the training rows, so a row's score depends on the other rows of the call, and
    a day scored alone by the daily monitor would differ from the same day in the batch. Here each
    row is scored as PyOD scores a call of that one row: its left and right tail probabilities among
    the training rows and itself, ``(#{train <= x} + 1) / (n + 1)`` and ``(#{train >= x} + 1) / (n + 1)``
    (PyOD's ``column_ecdf``), combined by the model's own rule with the sign of the training rows'
    skewness (one row does not move it). Vectorised with ``searchsorted`` on the sorted training columns.
    """

    def fit(self, data: AnomalyData, fit_rows: np.ndarray) -> TailDetector:
        from scipy.stats import skew

        super().fit(data, fit_rows)
        train = np.asarray(self.model.X_train, dtype=float)
        self.sorted = np.sort(train, axis=0)
        self.skew_sign = np.sign(skew(train, axis=0))
        del self.model.X_train  # the sorted copy is all the scores need: one copy in memory and on disk
        return self

    def decide(self, X: np.ndarray) -> np.ndarray:
        n = self.sorted.shape[0]
        below = np.column_stack([np.searchsorted(self.sorted[:, j], X[:, j], side="right") for j in range(X.shape[1])])
        above = n - np.column_stack([np.searchsorted(self.sorted[:, j], X[:, j], side="left")
                                     for j in range(X.shape[1])])
        left, right = -np.log((below + 1) / (n + 1)), -np.log((above + 1) / (n + 1))
        skewed = left * -np.sign(self.skew_sign - 1) + right * np.sign(self.skew_sign + 1)
        return self.combine(left, right, skewed).sum(axis=1)

    @staticmethod
    @abstractmethod
    def combine(left: np.ndarray, right: np.ndarray, skewed: np.ndarray) -> np.ndarray:
        """Each feature's outlyingness from its tail scores, as the PyOD model combines them."""


@register_detector("iforest")
class IForestDetector(PyODDetector):
    """Isolation Forest: rows that few random splits isolate."""

    name = "iforest"

    def build(self):
        from pyod.models.iforest import IForest

        return IForest(n_estimators=self.settings.n_estimators, contamination=self.cfg.threshold.contamination,
                       random_state=self.cfg.seed, n_jobs=1)


@register_detector("knn")
class KNNDetector(PyODDetector):
    """Distance to the k-th nearest fit row."""

    name = "knn"

    def build(self):
        from pyod.models.knn import KNN

        return KNN(n_neighbors=self.settings.n_neighbors, contamination=self.cfg.threshold.contamination, method="largest")


@register_detector("lof")
class LOFDetector(PyODDetector):
    """Local outlier factor: density against the neighbours' density."""

    name = "lof"

    def build(self):
        from pyod.models.lof import LOF

        return LOF(n_neighbors=self.settings.n_neighbors, contamination=self.cfg.threshold.contamination, novelty=True)


@register_detector("ecod")
class ECODDetector(TailDetector):
    """Empirical-CDF outlier detection: how far in the tails of each feature a row lies."""

    name = "ecod"

    @staticmethod
    def combine(left, right, skewed):
        return np.maximum(np.maximum(left, right), skewed)  # pyod.models.ecod.ECOD.decision_function

    def build(self):
        from pyod.models.ecod import ECOD

        return ECOD(contamination=self.cfg.threshold.contamination)


@register_detector("copod")
class COPODDetector(TailDetector):
    """Copula-based outlier detection: the empirical copula's tail probability of a row."""

    name = "copod"

    @staticmethod
    def combine(left, right, skewed):
        return np.maximum(skewed, (left + right) / 2)  # pyod.models.copod.COPOD.decision_function

    def build(self):
        from pyod.models.copod import COPOD

        return COPOD(contamination=self.cfg.threshold.contamination)


@register_detector("hbos")
class HBOSDetector(PyODDetector):
    """Histogram-based outlier score: features taken as independent histograms."""

    name = "hbos"

    def build(self):
        from pyod.models.hbos import HBOS

        return HBOS(n_bins=self.settings.n_bins, contamination=self.cfg.threshold.contamination)


@register_detector("ocsvm")
class OCSVMDetector(PyODDetector):
    """One-class SVM with an RBF kernel."""

    name = "ocsvm"

    def build(self):
        from pyod.models.ocsvm import OCSVM

        return OCSVM(nu=self.settings.nu, contamination=self.cfg.threshold.contamination)


def torch_device(accelerator: str) -> str:
    """``anomaly.autoencoder.accelerator`` as a torch device: ``auto`` is CUDA where torch sees it."""
    import torch

    gpu = torch.cuda.is_available()
    if accelerator == "gpu" and not gpu:
        raise ValueError("anomaly.autoencoder.accelerator=gpu, but torch sees no CUDA device; use auto or cpu")
    return "cuda" if accelerator != "cpu" and gpu else "cpu"


@register_detector("autoencoder")
class AutoEncoderDetector(PyODDetector):
    """PyOD's torch AutoEncoder: the reconstruction error of a small dense network.

    Saved as the network's weights on the CPU (not a pickled CUDA module), so a set fitted on
    a GPU loads on any machine, on the device its accelerator setting finds there."""

    name = "autoencoder"

    def build(self):
        from pyod.models.auto_encoder import AutoEncoder

        s = self.settings
        # PyOD drops the last partial batch: fewer rows than a batch would train on nothing
        batch = min(s.batch_size, self.n_train)
        return AutoEncoder(hidden_neuron_list=list(s.hidden), epoch_num=s.epochs, batch_size=batch, lr=s.learning_rate,
                           contamination=self.cfg.threshold.contamination, device=torch_device(s.accelerator),
                           random_state=self.cfg.seed, verbose=0)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        model = state.get("model")
        if model is not None and getattr(model, "model", None) is not None:
            import copy

            shell = copy.copy(model)
            state["weights"] = {k: v.detach().cpu() for k, v in model.model.state_dict().items()}
            shell.model, shell.optimizer, shell.device = None, None, "cpu"
            state["model"] = shell
        return state

    def __setstate__(self, state: dict) -> None:
        weights = state.pop("weights", None)
        self.__dict__.update(state)
        if weights is not None:
            import torch

            self.model.device = torch.device(torch_device(self.settings.accelerator))
            self.model.build_model()
            self.model.model.load_state_dict(weights)
            self.model.model.to(self.model.device)
            self.model.model.eval()
