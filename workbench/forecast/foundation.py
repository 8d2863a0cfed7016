"""Pre-trained time-series foundation models, used zero-shot from files on disk.

Darts (0.48) wraps them: ``Chronos2Model`` (Amazon's Chronos-2), ``TimesFM2p5Model`` (Google's
TimesFM 2.5) and ``TiRexModel`` (NX-AI's TiRex, through the ``tirex-ts`` package). Each entry
says which files its loader reads from ``forecast.foundation.local_dir/<name>/`` and which
Hugging Face repository they come from, which quantile levels its head emits and how far it
sees and reaches. :meth:`Foundation.check` checks all of that before a model is built, and
the runner calls it before any notebook runs: a missing file is a clear error, never a
download (the loaders would otherwise fetch what they do not find).

Nothing is trained: ``fit`` loads the weights, and each series' last
``forecast.foundation.input_chunk_length`` periods (all it has, where it has fewer) are the
context the model reads.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from abc import abstractmethod
from pathlib import Path
from typing import ClassVar, NamedTuple

from workbench.checks import SettingError
from workbench.forecast.base import GlobalDarts, register

DECILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
LFS_POINTER = b"version https://git-lfs"  # what a clone without Git LFS leaves instead of the weights


class Head(NamedTuple):
    """What a checkpoint can do: the quantile levels it emits, the longest context it reads
    (``None``: any) and the longest horizon it forecasts in one pass."""

    quantiles: tuple[float, ...]
    max_context: int | None
    max_horizon: int


FOUNDATION: dict[str, type[Foundation]] = {}  # name in forecast.models -> entry


def foundation(name: str):
    """Register a :class:`Foundation` subclass as ``name`` in ``forecast.models`` and in :data:`FOUNDATION`."""

    def wrap(cls: type[Foundation]) -> type[Foundation]:
        cls.name = name
        FOUNDATION[name] = cls
        return register(name)(cls)

    return wrap


def weights_dir(local_dir: str | None, name: str) -> Path:
    """``local_dir/<name>`` holding every file model ``name`` loads, or a clear error: nothing is downloaded."""
    model = FOUNDATION[name]
    hint = (f"forecast.models includes {name!r}, a pre-trained model used zero-shot: put {' and '.join(model.files)}"
            f" from the Hugging Face repository {model.hub} in <forecast.foundation.local_dir>/{name}/"
            f" (no download is attempted at run time)")
    if not local_dir:
        raise FileNotFoundError(f"{hint}; forecast.foundation.local_dir is not set")
    folder = Path(local_dir).expanduser() / name
    if not folder.is_dir():
        raise FileNotFoundError(f"{hint}; {folder} does not exist")
    problems = [f"{file} {problem}" for file in model.files if (problem := _unusable(folder / file))]
    if problems:
        raise FileNotFoundError(f"{hint}; in {folder}: {', '.join(problems)}")
    return folder


def _unusable(path: Path) -> str | None:
    """Why ``path`` cannot be loaded (missing, empty, a Git LFS pointer), or ``None``."""
    if not path.is_file():
        return "is missing"
    if path.stat().st_size == 0:
        return "is empty"
    with path.open("rb") as f:
        if f.read(len(LFS_POINTER)) == LFS_POINTER:
            return "is a Git LFS pointer, not the file itself (run git lfs pull)"
    return None


def hub_offline() -> None:
    """Keep the Hugging Face hub client off the network from here on, quietly. It reads
    ``HF_HUB_OFFLINE`` once, when first imported, so a client imported earlier is switched too;
    otherwise even a read of a local file asks the hub (the client's user-agent look-up)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import huggingface_hub.constants

    huggingface_hub.constants.HF_HUB_OFFLINE = True
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # its notes on using the local copy


def check_foundation(cfg) -> None:
    """Every pre-trained model in ``cfg.models`` (the forecast section) can run from the files on disk."""
    for name in cfg.models:
        if name in FOUNDATION:
            FOUNDATION[name](cfg).check(cfg.horizon)


class Foundation(GlobalDarts):
    """A pre-trained model, not fitted to the data: it reads each series' recent history.

    A subclass names its Darts model, the files it loads and where they come from, and
    says what its checkpoint can do (:meth:`head`)."""

    name: ClassVar[str]  # set by the @foundation decorator
    darts_class: ClassVar[str]  # the Darts model
    hub: ClassVar[str]  # the Hugging Face repository the files come from
    files: ClassVar[tuple[str, ...]]  # what the loader reads from local_dir/<name>/
    package: ClassVar[tuple[str, str] | None] = None  # (module, PyPI name) the model needs beyond Darts
    torch_backed = True

    @property
    def min_history(self) -> int:
        return self.cfg.season_length + 1

    @abstractmethod
    def head(self, folder: Path, horizon: int) -> Head:
        """The quantile levels, context and horizon the checkpoint in ``folder`` allows."""

    def darts_kwargs(self, folder: Path, horizon: int) -> dict:
        """Arguments of the Darts model beyond the shared ones."""
        return {}

    def check(self, horizon: int) -> Path:
        """The weights' folder, once all that can be known before loading is right: the package,
        the files, the quantile levels, the context and the horizon."""
        if self.package and importlib.util.find_spec(self.package[0]) is None:
            raise SettingError(f"forecast.models includes {self.name!r}, which needs the package {self.package[1]!r}"
                               f" (module {self.package[0]}), not installed here: pip install {self.package[1]},"
                               f" or leave {self.name} out of forecast.models")
        folder = weights_dir(self.cfg.foundation.local_dir, self.name)
        head = self.head(folder, horizon)
        other = [q for q in self.quantiles if q not in head.quantiles]
        if other:
            raise SettingError(f"{self.name} emits the quantiles {list(head.quantiles)} only; forecast.quantiles="
                               f"{self.quantiles} asks for {other}")
        context, most = self.cfg.foundation.input_chunk_length, head.max_context
        if context < 1 or (most is not None and context > most):
            expected = "1 or more" if most is None else f"1 to {most}"
            raise SettingError(f"forecast.foundation.input_chunk_length={context}; {self.name} reads {expected}"
                               f" periods of context")
        if horizon > head.max_horizon:
            raise SettingError(f"forecast.horizon={horizon}; {self.name} forecasts at most {head.max_horizon}"
                               f" periods at once")
        return folder

    def build(self, data, horizon):
        import darts.models
        from darts.utils.likelihood_models import QuantileRegression

        from workbench.forecast.deep import trainer_kwargs  # here: deep imports this module

        folder = self.check(horizon)
        hub_offline()  # every file is on disk (checked); the loaders have nothing to ask the hub
        longest = self.cfg.foundation.input_chunk_length
        return getattr(darts.models, self.darts_class)(
            # each series gives as much of the context as it has, at least the history the backtest requires
            input_chunk_length=(min(self.min_history, longest), longest),
            output_chunk_length=horizon,
            likelihood=QuantileRegression(quantiles=self.quantiles),
            local_dir=str(folder),
            pl_trainer_kwargs=trainer_kwargs(self.cfg.deep),
            **self.darts_kwargs(folder, horizon),
        )

    def fit(self, model, target, past, future, horizon):
        try:
            model.fit(target)  # loads the weights; nothing is trained
        except RuntimeError as err:  # torch's load_state_dict: other shapes or names than the model's
            if not str(err).startswith("Error(s) in loading state_dict"):
                raise
            lines = str(err).splitlines()  # a title, then what is missing, unexpected or of another shape
            detail = lines[1].strip() if len(lines) > 1 else lines[0]
            detail = detail if len(detail) <= 160 else f"{detail[:157]}..."
            raise ValueError(f"the weights in {model.model_params['local_dir']} do not fit Darts' {self.darts_class}"
                             f" ({detail}); expected {' and '.join(self.files)} of {self.hub}") from err


@foundation("chronos2")
class Chronos2(Foundation):
    """Amazon's Chronos-2 (Darts ``Chronos2Model``): an encoder over patches of the series; its
    quantile levels, context and horizon are those of its ``config.json`` (``chronos_config``)."""

    darts_class, hub, files = "Chronos2Model", "amazon/chronos-2", ("config.json", "model.safetensors")

    def head(self, folder: Path, horizon: int) -> Head:
        path = folder / "config.json"
        try:
            cc = json.loads(path.read_text())["chronos_config"]
            return Head(tuple(float(q) for q in cc["quantiles"]), int(cc["context_length"]),
                        int(cc["output_patch_size"]) * int(cc.get("max_output_patches", 1)))
        except (ValueError, KeyError, TypeError) as err:  # JSON errors are ValueErrors
            raise ValueError(f"{path} is not a Chronos-2 config ({type(err).__name__}: {err}); expected the"
                             f" config.json of {self.hub}, with chronos_config.quantiles, context_length and"
                             f" output_patch_size") from None


@foundation("timesfm")
class TimesFM(Foundation):
    """Google's TimesFM 2.5, 200M parameters (Darts ``TimesFM2p5Model``): a decoder over patches
    of the series, deciles. Darts builds its fixed architecture (``config.json`` is read, its
    values unused); beyond 128 periods the longer quantile head forecasts up to 1024."""

    darts_class, hub, files = "TimesFM2p5Model", "google/timesfm-2.5-200m-pytorch", ("config.json", "model.safetensors")
    context_limit, short_head, long_head = 16384, 128, 1024  # context + horizon; the two heads' horizons

    def head(self, folder: Path, horizon: int) -> Head:
        return Head(DECILES, self.context_limit - horizon, self.long_head)

    def darts_kwargs(self, folder: Path, horizon: int) -> dict:
        return {"use_longer_projection_head": horizon > self.short_head}


@foundation("tirex")
class TiRex(Foundation):
    """NX-AI's TiRex (Darts ``TiRexModel``, over the ``tirex-ts`` package): an xLSTM over patches
    of the series, deciles. Its weights are under the NXAI Community License, which
    ``forecast.foundation.accept_tirex_license=true`` accepts."""

    darts_class, hub, files, package = "TiRexModel", "NX-AI/TiRex", ("model.ckpt",), ("tirex", "tirex-ts")
    max_horizon = 2048

    def head(self, folder: Path, horizon: int) -> Head:
        return Head(DECILES, None, self.max_horizon)

    def check(self, horizon: int) -> Path:
        folder = super().check(horizon)
        if not self.cfg.foundation.accept_tirex_license:
            raise SettingError("forecast.models includes 'tirex', whose weights are under the NXAI Community License"
                               " (https://github.com/NX-AI/tirex/blob/main/LICENSE): set"
                               " forecast.foundation.accept_tirex_license=true to accept it")
        return folder

    def darts_kwargs(self, folder: Path, horizon: int) -> dict:
        # tirex-ts reads model.ckpt through the hub client: from the folder, and told not to ask
        # the hub whether a newer one exists (the client keeps a note in <folder>/.cache/)
        return {"accept_license": True,
                "setup_kwargs": {"hf_kwargs": {"local_dir": str(folder), "local_files_only": True}}}
