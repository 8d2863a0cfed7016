"""Torch forecasters: deep global models trained over all series.

The deep models (TFT, TiDE, N-HiTS, LSTM) learn the quantiles directly with a
quantile loss. They train on every series at once, each divided by its mean, with
covariates scaled to [0, 1]; the last ``horizon`` periods of each training series
are held back for early stopping. ``forecast.deep.accelerator=auto`` trains on a
GPU where there is one, so the same config runs anywhere.

The pre-trained foundation models (Chronos-2, TimesFM 2.5, TiRex), used zero-shot from
weights on disk, live in :mod:`workbench.forecast.foundation`; importing this module
registers them too.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import ClassVar

import pandas as pd
import polars as pl

from workbench.config import DeepConfig
from workbench.forecast.base import GlobalDarts, register
from workbench.forecast.foundation import FOUNDATION, Foundation, weights_dir  # noqa: F401  (re-exported)


def accelerator(name: str) -> str:
    """``auto`` -> ``gpu`` when torch sees a CUDA device, else ``cpu``; ``gpu`` without one is an error.

    ``name`` is ``forecast.deep.accelerator``, one of :class:`~workbench.config.Accelerator`
    (checked at compose time); whether there is a GPU only this machine can tell."""
    gpu = has_gpu()
    if name == "gpu" and not gpu:
        raise ValueError("forecast.deep.accelerator=gpu, but torch sees no CUDA device; use auto or cpu")
    return "gpu" if (name != "cpu" and gpu) else "cpu"


def has_gpu() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def trainer_kwargs(deep_cfg: DeepConfig, callbacks: list | None = None) -> dict:
    """Lightning trainer settings of every torch model: device from ``forecast.deep``, quiet."""
    import torch

    device = accelerator(deep_cfg.accelerator)
    if device == "gpu":
        torch.set_float32_matmul_precision("high")  # TF32 tensor cores for float32 matrix products
    return {
        "accelerator": device,
        "devices": 1,
        "precision": str(deep_cfg.precision),  # Lightning's own spelling, a plain string
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "logger": False,
        "enable_checkpointing": False,
        "callbacks": callbacks or [],
    }


def _epoch_timer(owner: TorchGlobal):
    """A Lightning callback that records the seconds of every training epoch, and the
    batches in one, on ``owner``."""
    import pytorch_lightning as pl_

    class EpochTimer(pl_.Callback):
        def on_train_epoch_start(self, trainer, module):
            self.t0 = time.perf_counter()

        def on_train_epoch_end(self, trainer, module):
            owner.epoch_seconds.append(time.perf_counter() - self.t0)
            owner.train_device = str(module.device)
            owner.batches_per_epoch = int(trainer.num_training_batches)

    return EpochTimer()


class TorchGlobal(GlobalDarts):
    """Shared set-up of Darts' torch models: quantile loss, trainer, early stopping."""

    key: ClassVar[str]  # the model's own settings: forecast.deep.<key>, a dataclass of Darts arguments
    darts_class: ClassVar[str]  # the Darts model
    extra: ClassVar[dict] = {}
    torch_backed = True
    scale_covariates = True
    batches_per_epoch: int | None = None
    train_device: str | None = None  # where the last fit trained (Lightning moves the module back after)

    def input_length(self, horizon: int) -> int:
        return self.cfg.deep.input_chunk_length or max(2 * horizon, self.cfg.season_length)

    @property
    def min_history(self) -> int:
        return self.input_length(self.cfg.horizon) + self.cfg.horizon + 1

    def common_kwargs(self, horizon: int) -> dict:
        from darts.utils.likelihood_models import QuantileRegression
        from pytorch_lightning.callbacks import EarlyStopping

        dc = self.cfg.deep
        self.epoch_seconds = []
        callbacks = [
            EarlyStopping(monitor="val_loss", patience=dc.patience, min_delta=1e-4, mode="min"),
            _epoch_timer(self),
        ]
        return dict(
            input_chunk_length=self.input_length(horizon),
            output_chunk_length=horizon,
            likelihood=QuantileRegression(quantiles=self.quantiles),
            batch_size=dc.batch_size,
            n_epochs=dc.max_epochs,
            optimizer_kwargs={"lr": dc.learning_rate},
            random_state=self.cfg.seed,
            pl_trainer_kwargs=trainer_kwargs(dc, callbacks),
            **asdict(getattr(dc, self.key)),
        )

    def build(self, data, horizon):
        import darts.models

        return getattr(darts.models, self.darts_class)(**self.common_kwargs(horizon), **self.extra)

    def fit(self, model, target, past, future, horizon):
        need = self.input_length(horizon) + horizon
        long = [len(s) >= need + horizon for s in target]  # room for a training and a validation window
        train = [s[:-horizon] if ok else s for s, ok in zip(target, long, strict=True)]
        val = [s[-need:] for s, ok in zip(target, long, strict=True) if ok]
        if not val:
            raise ValueError(
                f"no series is long enough for a validation window: {self.key} needs {need + horizon} periods"
                f" (forecast.deep.input_chunk_length + 2 x forecast.horizon)"
            )

        def pick(xs):
            return None if xs is None else [x for x, ok in zip(xs, long, strict=True) if ok]

        dc = self.cfg.deep
        model.fit(
            train, past_covariates=past, future_covariates=future,
            val_series=val, val_past_covariates=pick(past), val_future_covariates=pick(future),
            max_samples_per_ts=dc.max_samples_per_ts, dataloader_kwargs={"num_workers": dc.num_workers},
            verbose=False,
        )


@register("tft")
class TFT(TorchGlobal):
    """Temporal Fusion Transformer: static, past and known-future covariates, attention over time."""

    key, darts_class, extra = "tft", "TFTModel", {"use_static_covariates": True}
    uses_past = True
    uses_future = True
    _explain_inputs = None  # a sample of the last fit's inputs: target, past, future

    def explain(self) -> dict[str, pl.DataFrame]:
        """Variable-selection weights of the encoder (past), decoder (future) and statics,
        averaged over the last fit's inputs (Darts ``TFTExplainer``)."""
        if self.model is None or self._explain_inputs is None:
            return {}
        from darts.explainability import TFTExplainer

        target, past, future = self._explain_inputs
        result = TFTExplainer(self.model, background_series=target, background_past_covariates=past,
                              background_future_covariates=future).explain()
        out = {}
        for part, frame in (("encoder", result.get_encoder_importance()),
                            ("decoder", result.get_decoder_importance()),
                            ("static", result.get_static_covariates_importance())):
            frames = frame if isinstance(frame, list) else [frame]  # one frame per series
            frames = [f for f in frames if f is not None and len(f.columns)]
            if not frames:
                continue
            weights = pd.concat(frames).mean(axis=0)
            out[f"{part}_importance"] = pl.DataFrame(
                {"variable": [str(c) for c in weights.index], "weight": weights.to_numpy(dtype=float) / 100.0}
            ).sort("weight", descending=True)
        return out

    def fit(self, model, target, past, future, horizon):
        super().fit(model, target, past, future, horizon)
        k = 64  # a sample of series is enough for average selection weights
        self._explain_inputs = (target[:k], past and past[:k], future and future[:k])


@register("tide")
class TiDE(TorchGlobal):
    """TiDE: an MLP encoder-decoder with past, known-future and static covariates."""

    key, darts_class, extra = "tide", "TiDEModel", {"use_static_covariates": True}
    uses_past = True
    uses_future = True


@register("nhits")
class NHiTS(TorchGlobal):
    """N-HiTS: hierarchical interpolation over several time scales, with past covariates."""

    key, darts_class = "nhits", "NHiTSModel"
    uses_past = True


@register("lstm")
class LSTM(TorchGlobal):
    """An LSTM encoder with a dense head that emits the whole horizon (Darts ``BlockRNNModel``)."""

    key, darts_class, extra = "lstm", "BlockRNNModel", {"model": "LSTM"}
    uses_past = True
