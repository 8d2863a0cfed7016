"""The ``forecast`` group: the backtest, the model zoo's settings and the torch models'
hyper-parameters, each a dataclass so that a misspelt key or a value outside a closed
choice fails at compose time."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from omegaconf import II


class Accelerator(StrEnum):
    auto = "auto"  # a GPU where torch sees one, else the CPU
    cpu = "cpu"
    gpu = "gpu"


# Lightning's precision settings. Their values are not Python names, so the members are
# made from strings; Hydra matches a setting against the member names, which are the values.
Precision = StrEnum("Precision", {p: p for p in (
    "64-true", "32-true", "16-true", "16-mixed", "bf16-true", "bf16-mixed",
)}, module=__name__)


class EnsembleMethod(StrEnum):
    mean = "mean"  # of the members' quantiles
    median = "median"


class Selection(StrEnum):
    """The backtest score that ranks the models (the best one drives the inventory stage).
    ``pinball`` (the default) and ``rmsse`` cannot be won by a forecast of zero on
    intermittent data, as ``mase`` can: the median of sparse demand is zero."""

    pinball = "pinball"  # scaled pinball loss over the quantiles: the whole distribution
    rmsse = "rmsse"  # root mean squared scaled error of the mean
    wrmsse = "wrmsse"  # RMSSE weighted by sales value (M5)
    mase = "mase"  # mean absolute scaled error
    wape = "wape"  # weighted absolute percentage error


class LagStrategy(StrEnum):
    """How a lagged-feature model reaches the steps of the horizon."""

    direct = "direct"  # one model for every step: each step's lags end a horizon before it
    per_step = "per_step"  # one model per step, each with the latest lags (horizon x the fitting)
    recursive = "recursive"  # one model one step ahead, fed its own sampled forecasts step by step


class PointObjective(StrEnum):
    """What a quantile model's point forecast (the ``mean`` column, scored by MASE, RMSSE, WAPE) is."""

    l2 = "l2"  # one more model, least squares: the mean
    median = "median"  # the 0.5 quantile model's forecast


class TargetTransform(StrEnum):
    """The global models' target, after scaling each series by its mean: the inverse is applied
    to every quantile (exact: quantiles follow a monotone map) and to the point forecast (which
    is then the inverse of the mean on the transformed scale, not the mean)."""

    none = "none"
    log1p = "log1p"  # log(1 + y / mean): multiplicative effects become additive


@dataclass
class LightGBMConfig:
    lags: int = 28  # the target's lags 1 .. lags
    seasonal_lags: list[int] = field(default_factory=list)  # further lags, e.g. [35, 42, 49, 56, 364]
    lags_past_covariates: int = 7  # not with the recursive strategy: past covariates end at the origin
    # the known-future covariates of the step and of this many periods before it (closed
    # yesterday, a promotion's third day); per_step models see the whole horizon's instead
    lags_future_covariates: int = 7
    n_estimators: int = 150
    learning_rate: float = 0.08
    num_leaves: int = 31
    max_samples_per_ts: int | None = 365
    strategy: LagStrategy = LagStrategy.direct
    sample_paths: int = 200  # recursive: sampled paths whose quantiles are the forecast
    # median: least squares forecasts the mean, which on sparse, skewed demand scores far worse
    # by MASE (default data: backtest MASE 0.77 against 0.61); l2 is better on smooth store
    # sales (Rossmann 0.283 against 0.292), where experiment=rossmann and walmart set it
    point: PointObjective = PointObjective.median
    # text attributes (store type, category), the keys besides the item (store, department) and
    # the calendar's day of week and month split as categories, not as ordered codes
    categorical: bool = True
    series_id: bool = True  # each series' identity as one more categorical static covariate


@dataclass
class LinearConfig:
    lags: int = 28
    lags_past_covariates: int = 7


@dataclass
class ConformalConfig:
    """Intervals for point forecasters, from their own recent errors."""

    cal_length: int = 8  # calibration forecasts per series (Darts' conformal models)
    moving_average_window: int = 28


class CalibrationMethod(StrEnum):
    """How the backtest recalibrates every model's quantiles (``forecast.calibration.method``)."""

    none = "none"  # the models' own quantiles
    conformal = "conformal"  # shifted by the conformal quantile of the errors at earlier origins


class CalibrationScope(StrEnum):
    """Which errors set a quantile's conformal shift."""

    per_quantile = "per_quantile"  # each quantile its own: the share of actuals below it comes to its level
    symmetric = "symmetric"  # each pair (q, 1 - q) widened or narrowed alike around a median left as it is


@dataclass
class CalibrationConfig:
    """Conformal calibration of the quantiles of every model, from its errors at earlier origins
    only (:mod:`workbench.forecast.calibrate`): ``origins`` extra origins before the first
    backtest origin are forecast to calibrate it and are not scored; each later origin is
    calibrated on all the origins before it."""

    method: CalibrationMethod = CalibrationMethod.conformal
    scope: CalibrationScope = CalibrationScope.per_quantile
    origins: int = 1  # calibration-only origins before the first backtest origin (>= 1 with conformal)
    # consecutive steps of the horizon that share one shift (1: each step its own; the horizon
    # or more: one for all); 14 measured best on the default data (README)
    block: int = 14
    # a block is calibrated on its own errors where the earlier origins hold this many of them
    # (series x origins x steps), else on the errors of every step pooled (a small panel)
    min_errors: int = 200


@dataclass
class IntermittentConfig:
    alpha_d: float = 0.1  # smoothing of the sale size (Croston, TSB)
    # smoothing of the gap between sales (Croston; its SBA factor is 1 - alpha_p / 2) and of the
    # sale probability (TSB)
    alpha_p: float = 0.1


@dataclass
class TFTConfig:
    """Darts ``TFTModel``."""

    hidden_size: int = 32
    lstm_layers: int = 1
    num_attention_heads: int = 4
    dropout: float = 0.1
    hidden_continuous_size: int = 16


@dataclass
class NHiTSConfig:
    """Darts ``NHiTSModel``."""

    num_stacks: int = 3
    num_blocks: int = 1
    num_layers: int = 2
    layer_widths: int = 256
    dropout: float = 0.1


@dataclass
class TiDEConfig:
    """Darts ``TiDEModel``."""

    num_encoder_layers: int = 1
    num_decoder_layers: int = 1
    hidden_size: int = 128
    decoder_output_dim: int = 16
    temporal_decoder_hidden: int = 32
    dropout: float = 0.1


@dataclass
class LSTMConfig:
    """Darts ``BlockRNNModel`` with an LSTM cell."""

    hidden_dim: int = 64
    n_rnn_layers: int = 1
    dropout: float = 0.0


@dataclass
class DeepConfig:
    """Training of the torch models (global over all series, quantile loss)."""

    accelerator: Accelerator = Accelerator.auto
    precision: Precision = Precision["32-true"]
    input_chunk_length: int | None = None  # None: max(2 x horizon, season_length)
    max_epochs: int = 10
    patience: int = 2  # early stopping on the last horizon of each training series
    batch_size: int = 256
    learning_rate: float = 1e-3
    max_samples_per_ts: int | None = 64
    num_workers: int = 0
    tft: TFTConfig = field(default_factory=TFTConfig)
    nhits: NHiTSConfig = field(default_factory=NHiTSConfig)
    tide: TiDEConfig = field(default_factory=TiDEConfig)
    lstm: LSTMConfig = field(default_factory=LSTMConfig)


@dataclass
class FoundationConfig:
    """Pre-trained time-series foundation models, used zero-shot from weights on disk."""

    local_dir: str | None = None  # holds <model>/ with that model's files (README); nothing is downloaded
    input_chunk_length: int = 512  # the longest context a series gives the model (its last periods)
    accept_tirex_license: bool = False  # TiRex's weights are under the NXAI Community License: true accepts it


@dataclass
class ColdStartConfig:
    """New items forecast from the items whose text is nearest (:mod:`workbench.forecast.coldstart`),
    scored in ``02_forecast`` on items held out as new where ``data.text.column`` is set."""

    neighbours: int = 10  # nearest items by the cosine of their text vectors
    folds: int = 5  # the items split at random (forecast.seed) into this many sets, each held out as new in turn
    window: int = 28  # periods before the origin whose level (by season position) a known item lends


@dataclass
class ForecastConfig:
    horizon: int = 28
    n_backtest_windows: int = 2  # rolling origins before the hold-out window (at least 1: they rank the models)
    selection: Selection = Selection.pinball  # the backtest score that ranks the models
    target_transform: TargetTransform = TargetTransform.none  # of the global models' target
    season_length: int = 7
    train_window: int | None = 365  # history each local model sees; None = all
    quantiles: list[float] = field(
        default_factory=lambda: [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    )
    # the default zoo keeps the best model of the full one (LightGBM) and one of each kind of
    # the rest; Theta and the torch models (N-HiTS, TiDE: nine tenths of the forecast's time on
    # two CPU cores, none better than LightGBM here) run in experiment=full or experiment=deep
    models: list[str] = field(default_factory=lambda: [
        "seasonal_naive", "moving_average", "drift", "auto_ets", "croston", "tsb", "linear", "lightgbm",
    ])
    baseline: str = "seasonal_naive"
    # combinations of the models' forecasts at each origin, scored like any model:
    # name -> members (quantiles averaged), and name -> model per Syntetos-Boylan class.
    # One runs when all its members are in `models`.
    ensembles: dict[str, list[str]] = field(default_factory=lambda: {
        "ensemble": ["auto_ets", "lightgbm"],
    })
    ensemble_method: EnsembleMethod = EnsembleMethod.mean
    routes: dict[str, dict[str, str]] = field(default_factory=lambda: {
        "by_class": {"smooth": "lightgbm", "erratic": "lightgbm", "intermittent": "tsb", "lumpy": "tsb", "other": "tsb"},
    })
    lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)
    linear: LinearConfig = field(default_factory=LinearConfig)
    conformal: ConformalConfig = field(default_factory=ConformalConfig)
    intermittent: IntermittentConfig = field(default_factory=IntermittentConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    deep: DeepConfig = field(default_factory=DeepConfig)
    foundation: FoundationConfig = field(default_factory=FoundationConfig)
    cold_start: ColdStartConfig = field(default_factory=ColdStartConfig)
    n_jobs: int = -1
    seed: int = II("experiment.seed")
