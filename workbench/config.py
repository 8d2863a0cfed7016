"""Structured configs: one dataclass schema per Hydra config group.

Every group's YAML files in ``conf/`` extend the schema registered here, so a typo
or a wrong type (``forecast.horizon=abc``) fails at compose time with Hydra's own
message. Notebooks receive the resolved config as a plain dict (papermill cannot
carry OmegaConf objects); :func:`from_container` turns it back into typed objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING, DictConfig, OmegaConf

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"


# --------------------------------------------------------------------------- data
class MissingDemand(StrEnum):
    error = "error"
    zero = "zero"
    drop = "drop"


class NegativeDemand(StrEnum):
    error = "error"
    clip = "clip"  # to zero
    keep = "keep"  # returns stay negative


class MissingDates(StrEnum):
    error = "error"
    zero = "zero"  # absent dates get zero demand


class MissingCovariates(StrEnum):
    error = "error"
    forward_fill = "forward_fill"  # within each series, then backward for a leading gap
    zero = "zero"


@dataclass
class ValidationPolicy:
    """What to do with imperfect input. ``error`` stops with a message naming the rows;
    the other choices are applied and counted in the data report, never silently.
    A value outside the choices fails at compose time."""

    missing_demand: MissingDemand = MissingDemand.error  # drop leaves a gap: missing_dates then applies
    negative_demand: NegativeDemand = NegativeDemand.error
    missing_dates: MissingDates = MissingDates.error
    missing_covariates: MissingCovariates = MissingCovariates.error
    # series observed in fewer periods than this (rows with demand) are dropped, and counted
    min_periods: int = 0


@dataclass
class DataConfig:
    """Fields that every data source has; each source adds its own."""

    source: str = MISSING
    name: str = MISSING
    validation: ValidationPolicy = field(default_factory=ValidationPolicy)
    # named preparation steps, in order: clip_outliers, impute_censored, smooth
    preprocess: list[str] = field(default_factory=list)
    outlier_k: float = 6.0  # robust standard deviations beyond which demand is an outlier
    censoring_alpha: float = 1e-3  # a zero run less likely than this is suspected censoring
    holiday_country: str | None = None  # holidays package country code where the data has no holiday flag
    promo_threshold: float = 0.1  # a price this far below the regular price is a promotion
    regular_price_window: int = 56  # periods of history whose highest price is the regular price


@dataclass
class SyntheticDataConfig(DataConfig):
    """The embedded synthetic e-commerce shop (see :mod:`workbench.data.synthetic`)."""

    source: str = "synthetic"
    name: str = "synthetic-shop"
    seed: int = II("experiment.seed")
    n_items: int = 200
    n_days: int = 1095
    start: str = "2023-01-01"
    n_categories: int = 6
    n_suppliers: int = 12
    channels: list[str] = field(default_factory=lambda: ["online", "store"])
    slow_mover_share: float = 0.35
    country: str = "US"  # whose public holidays shape demand
    # expected events per series and year
    shrinkage_rate: float = 1.5
    spike_rate: float = 1.0
    phantom_rate: float = 0.6


@dataclass
class WalmartDataConfig(DataConfig):
    """Walmart Recruiting (Kaggle 2014) layout: train.csv, features.csv, stores.csv."""

    source: str = "walmart"
    name: str = "walmart"
    path: str = "../shared/data/walmart_recruiting"
    train_file: str = "train.csv"
    features_file: str = "features.csv"
    stores_file: str = "stores.csv"
    # MarkDown1-5 are NA before Nov 2011 and between promotions: zero means "no markdown"
    markdown_missing: str = "zero"  # zero | keep (then data.validation.missing_covariates applies)


@dataclass
class M5DataConfig(DataConfig):
    """M5 competition layout: wide sales_train_*.csv (d_1..d_N), calendar.csv, sell_prices.csv."""

    source: str = "m5"
    name: str = "m5"
    path: str = MISSING  # the folder holding the three files
    sales_file: str = "sales_train_evaluation.csv"
    calendar_file: str = "calendar.csv"
    prices_file: str = "sell_prices.csv"
    max_series: int | None = None  # the first N series of the sales file (counted in the log)
    # before an item's launch M5 records zero sales and no price: start each series at its first price
    trim_before_launch: bool = True


@dataclass
class TransactionsDataConfig(DataConfig):
    """A raw order-line export (one row per order line), aggregated to daily demand.

    Column names default to the UCI Online Retail export; map yours in ``columns``.
    """

    source: str = "transactions"
    name: str = "transactions"
    path: str = MISSING
    encoding: str = "utf-8"
    date_format: str | None = None  # e.g. "%d/%m/%Y %H:%M"; None: detected from the values, and logged
    columns: dict[str, str] = field(
        default_factory=lambda: {
            "order_id": "InvoiceNo",
            "item_id": "StockCode",
            "quantity": "Quantity",
            "timestamp": "InvoiceDate",
            "unit_price": "UnitPrice",
        }
    )
    customer_column: str | None = "CustomerID"
    channel_column: str | None = None  # e.g. Country or a sales-channel column
    cancellation_prefix: str | None = "C"  # order ids starting with it are cancellations
    returns: str = "drop"  # drop: cancellations and negative lines removed (counted); net: subtracted
    frequency: str = "1d"


@dataclass
class PanelFileConfig(DataConfig):
    """A long CSV or parquet panel of the user's, columns mapped by name."""

    source: str = "panel"
    name: str = "panel"
    path: str = MISSING
    static_path: str | None = None
    date_format: str | None = None  # strptime format; None: detected from the values (ISO, day- or month-first), and logged
    encoding: str = "utf-8"  # of CSV files, e.g. latin-1
    frequency: str = "1d"  # polars duration string: 1d, 1w
    # canonical name -> column name in the file
    columns: dict[str, str] = field(
        default_factory=lambda: {"item_id": "item_id", "date": "date", "demand": "demand"}
    )
    channel_column: str | None = None
    known_future: list[str] = field(default_factory=list)
    past_covariates: list[str] = field(default_factory=list)
    static_columns: dict[str, str] = field(default_factory=lambda: {"item_id": "item_id"})


# ----------------------------------------------------------------------- forecast
@dataclass
class LightGBMConfig:
    lags: int = 28
    lags_past_covariates: int = 7
    n_estimators: int = 150
    learning_rate: float = 0.08
    num_leaves: int = 31
    max_samples_per_ts: int | None = 365
    # one model per forecast step (each sees the latest lags) instead of one for all steps
    multi_models: bool = False


@dataclass
class LinearConfig:
    lags: int = 28
    lags_past_covariates: int = 7


@dataclass
class ConformalConfig:
    """Intervals for point forecasters, from their own recent errors."""

    cal_length: int = 8  # calibration forecasts per series (Darts' conformal models)
    n_windows: int = 2  # cross-validation windows of statsforecast's conformal intervals
    moving_average_window: int = 28


@dataclass
class IntermittentConfig:
    alpha_d: float = 0.1  # TSB smoothing of the demand size
    alpha_p: float = 0.1  # TSB smoothing of the demand probability


@dataclass
class DeepConfig:
    """Training of the torch models (global over all series, quantile loss)."""

    accelerator: str = "auto"  # auto (a GPU where there is one), cpu, gpu
    precision: str = "32-true"
    input_chunk_length: int | None = None  # None: max(2 x horizon, season_length)
    max_epochs: int = 10
    patience: int = 2  # early stopping on the last horizon of each training series
    batch_size: int = 256
    learning_rate: float = 1e-3
    max_samples_per_ts: int | None = 64
    num_workers: int = 0
    tft: dict[str, Any] = field(default_factory=lambda: {
        "hidden_size": 32, "lstm_layers": 1, "num_attention_heads": 4, "dropout": 0.1,
        "hidden_continuous_size": 16,
    })
    nhits: dict[str, Any] = field(default_factory=lambda: {
        "num_stacks": 3, "num_blocks": 1, "num_layers": 2, "layer_widths": 256, "dropout": 0.1,
    })
    tide: dict[str, Any] = field(default_factory=lambda: {
        "num_encoder_layers": 1, "num_decoder_layers": 1, "hidden_size": 128,
        "decoder_output_dim": 16, "temporal_decoder_hidden": 32, "dropout": 0.1,
    })
    lstm: dict[str, Any] = field(default_factory=lambda: {"hidden_dim": 64, "n_rnn_layers": 1, "dropout": 0.0})


@dataclass
class FoundationConfig:
    """Pre-trained time-series foundation models, used zero-shot from weights on disk."""

    local_dir: str | None = None  # folder with the model's config.json and weights; nothing is downloaded
    input_chunk_length: int = 512


@dataclass
class ForecastConfig:
    horizon: int = 28
    n_backtest_windows: int = 2  # rolling origins before the hold-out window
    season_length: int = 7
    train_window: int | None = 365  # history each local model sees; None = all
    quantiles: list[float] = field(
        default_factory=lambda: [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    )
    models: list[str] = field(default_factory=lambda: [
        "seasonal_naive", "moving_average", "drift", "auto_ets", "theta", "croston", "tsb",
        "linear", "lightgbm", "nhits", "tide",
    ])
    baseline: str = "seasonal_naive"
    # combinations of the models' forecasts at each origin, scored like any model:
    # name -> members (quantiles averaged), and name -> model per Syntetos-Boylan class.
    # One runs when all its members are in `models`.
    ensembles: dict[str, list[str]] = field(default_factory=lambda: {
        "ensemble": ["auto_ets", "lightgbm", "nhits"],
    })
    ensemble_method: str = "mean"  # mean | median of the members' quantiles
    routes: dict[str, dict[str, str]] = field(default_factory=lambda: {
        "by_class": {"smooth": "lightgbm", "erratic": "lightgbm", "intermittent": "tsb", "lumpy": "tsb", "other": "tsb"},
    })
    lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)
    linear: LinearConfig = field(default_factory=LinearConfig)
    conformal: ConformalConfig = field(default_factory=ConformalConfig)
    intermittent: IntermittentConfig = field(default_factory=IntermittentConfig)
    deep: DeepConfig = field(default_factory=DeepConfig)
    foundation: FoundationConfig = field(default_factory=FoundationConfig)
    n_jobs: int = -1
    seed: int = II("experiment.seed")


# ---------------------------------------------------------------------- inventory
@dataclass
class LPConfig:
    """The replenishment plan (``workbench.inventory.lp``) as the study sets it up."""

    solver: str = "HIGHS"
    objective: str = "cost"  # cost | profit
    order_every: int = 7  # orders only every this many periods
    plan_quantile: float = 0.9  # forecast quantile the deterministic plan meets
    # limits, in periods of mean demand (null: no such limit)
    warehouse_cover: float | None = 10.0  # volume per location
    supplier_cover: float | None = 10.0  # units a supplier ships per period
    budget_cover: float | None = 10.0  # purchasing spend per period
    min_service: float = 0.0  # share of each period's demand the plan must serve
    # soft limits: cost per unit beyond the limit (volume unit, unit, money) and period
    penalty: dict[str, float] = field(default_factory=lambda: {"warehouse": 0.05})
    # key or static column naming the locations (one warehouse each, transfers between them);
    # null: the last key where the panel has two (the channel of the default data), else one warehouse
    location: str | None = None
    transfers: bool = True  # move stock between the locations of an item
    transfer_cost_share: float = 0.03  # cost per unit moved, as a share of its unit cost
    scenarios: int = 20  # demand scenarios for the stochastic plan (0: none)
    cvar_alpha: float = 0.9
    cvar_weight: float = 1.0  # weight of CVaR_alpha of cost next to the expected cost
    mip: bool = True  # also solve the mixed-integer plan (case packs, MOQ, fixed order cost)
    case_pack: float = 1.0  # where the static table has no case_pack column
    moq: float = 0.0  # where the static table has no moq column
    mip_gap: float = 0.01
    time_limit: float = 120.0  # seconds per solve


@dataclass
class InventoryConfig:
    # target cycle service level per ABC class (by revenue), or per ABC x XYZ class ("AX");
    # a two-letter key wins over its one-letter class
    service_levels: dict[str, float] = field(
        default_factory=lambda: {
            "AX": 0.99, "AY": 0.98, "AZ": 0.97,
            "BX": 0.97, "BY": 0.95, "BZ": 0.93,
            "CX": 0.93, "CY": 0.90, "CZ": 0.85,
        }
    )
    abc_shares: list[float] = field(default_factory=lambda: [0.8, 0.95])  # cumulative revenue cut-offs
    xyz_cutoffs: list[float] = field(default_factory=lambda: [0.5, 1.0])  # CV of demand per period
    shortage: str = "lost_sales"  # lost_sales | backorder
    shortage_penalty: float = 1.0  # lost-sale cost = margin * (1 + penalty)
    # backorders: a unit waiting this many days costs as much as a lost sale (charged per period waited)
    backorder_days: float = 7.0
    # the replenishment policies compared, by name (workbench.inventory.levels.POLICIES)
    policies: list[str] = field(default_factory=lambda: ["sS_normal", "RS_quantile", "rQ_quantile", "RS_newsvendor", "base_stock"])
    review_days: int = 7  # review period R of the (R, S) policies, in periods
    # correlation between the forecast errors of the days in a lead time (0: independent)
    error_correlation: float = 1.0
    tradeoff_levels: list[float] = field(default_factory=lambda: [0.8, 0.9, 0.95, 0.98, 0.995])
    lp: LPConfig = field(default_factory=LPConfig)
    seed: int = II("experiment.seed")


# -------------------------------------------------------------------------- games
@dataclass
class GamesConfig:
    category: str | None = None  # None: the category with most revenue
    period_days: int = 28
    n_prices: int = 12
    n_quantities: int = 15
    salvage_share: float = 0.3  # salvage value of leftover stock, as a share of unit cost


# ------------------------------------------------------------------------ anomaly
@dataclass
class AnomalyConfig:
    detectors: list[str] = field(default_factory=lambda: ["iforest", "knn"])
    contamination: float = 0.02
    window: int = 28
    top_k: int = 20
    n_neighbors: int = 20
    max_rows_knn: int = 50_000  # KNN is fitted on a seeded sample beyond this size
    seed: int = II("experiment.seed")


# --------------------------------------------------------------------- experiment
@dataclass
class ExperimentConfig:
    name: str = "default"
    seed: int = 42
    reports_dir: str = "reports"
    notebooks_dir: str = "notebooks"
    notebooks: list[str] = field(
        default_factory=lambda: [
            "01_data",
            "02_forecast",
            "03_inventory",
            "04_games",
            "05_anomaly",
        ]
    )
    # a notebook runs only when the notebooks it depends on succeeded
    depends: dict[str, list[str]] = field(
        default_factory=lambda: {"03_inventory": ["02_forecast"]}
    )
    kernel: str = "python3"
    # threads of torch, LightGBM, OpenMP and BLAS in each notebook (null: every core this process
    # may use; -1: all but one); idle threads sleep rather than spin (see workbench.runtime)
    threads: int | None = None


@dataclass
class Config:
    data: Any = MISSING
    forecast: ForecastConfig = MISSING
    inventory: InventoryConfig = MISSING
    games: GamesConfig = MISSING
    anomaly: AnomalyConfig = MISSING
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)


DATA_SCHEMAS: dict[str, type[DataConfig]] = {
    "synthetic": SyntheticDataConfig,
    "walmart": WalmartDataConfig,
    "transactions": TransactionsDataConfig,
    "m5": M5DataConfig,
    "panel": PanelFileConfig,
}


def register_configs() -> None:
    """Register every schema in Hydra's ConfigStore (idempotent)."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    for source, schema in DATA_SCHEMAS.items():
        cs.store(group="data", name=f"{source}_schema", node=schema)
    cs.store(group="forecast", name="forecast_schema", node=ForecastConfig)
    cs.store(group="inventory", name="inventory_schema", node=InventoryConfig)
    cs.store(group="games", name="games_schema", node=GamesConfig)
    cs.store(group="anomaly", name="anomaly_schema", node=AnomalyConfig)


register_configs()


def compose(overrides: list[str] | None = None, config_name: str = "config") -> DictConfig:
    """Compose the config as ``python -m workbench.run`` would, for notebooks and tests."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name=config_name, overrides=list(overrides or []))


def to_plain(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as plain dicts and lists (what papermill can carry)."""
    plain = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True, enum_to_str=True)
    plain.pop("hydra", None)
    return plain


def section(plain: dict[str, Any] | DictConfig, name: str) -> Any:
    """One group of a plain config, typed and checked against its schema again."""
    if isinstance(plain, DictConfig):
        plain = to_plain(plain)
    node = plain[name]
    if name == "data":
        schema = DATA_SCHEMAS.get(node.get("source"))
        if schema is None:
            raise ValueError(
                f"data.source={node.get('source')!r} is not a known data source; "
                f"expected one of {sorted(DATA_SCHEMAS)}"
            )
    else:
        schema = {
            "forecast": ForecastConfig,
            "inventory": InventoryConfig,
            "games": GamesConfig,
            "anomaly": AnomalyConfig,
            "experiment": ExperimentConfig,
        }[name]
    merged = OmegaConf.merge(OmegaConf.structured(schema), node)
    return OmegaConf.to_object(merged)
