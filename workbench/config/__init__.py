"""Structured configs: one dataclass schema per Hydra config group.

Every group's YAML files in ``conf/`` extend the schema registered here, so a typo, a
wrong type (``forecast.horizon=abc``) or a value outside a closed choice
(``forecast.deep.accelerator=tpu``) fails at compose time with Hydra's own message.
Closed choices are ``StrEnum`` fields, whose members compare equal to their strings.
Notebooks receive the resolved config as a plain dict (papermill cannot carry OmegaConf
objects); :func:`section` turns one group of it back into its typed object.

One module per group: :mod:`.data` (with the registry of data sources), :mod:`.forecast`,
:mod:`.inventory`, :mod:`.games`, :mod:`.anomaly`, :mod:`.risk`, :mod:`.logistics`, :mod:`.experiment`; and :mod:`.tune`, the
group of the tuning app only. Importing this package imports neither the data layer nor torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from workbench.config.anomaly import ANOMALY_TYPES, AnomalyConfig, IForestConfig, NeighboursConfig
from workbench.config.data import (
    DATA_SOURCES,
    DataConfig,
    DataSource,
    M5DataConfig,
    MarkdownMissing,
    MissingCovariates,
    MissingDates,
    MissingDemand,
    NegativeDemand,
    PanelFileConfig,
    Returns,
    SyntheticDataConfig,
    TextConfig,
    TextMethod,
    TransactionsDataConfig,
    ValidationPolicy,
    WalmartDataConfig,
    register_source,
)
from workbench.config.experiment import ExperimentConfig
from workbench.config.forecast import (
    Accelerator,
    ColdStartConfig,
    ConformalConfig,
    DeepConfig,
    EnsembleMethod,
    ForecastConfig,
    FoundationConfig,
    IntermittentConfig,
    LightGBMConfig,
    LinearConfig,
    LSTMConfig,
    NHiTSConfig,
    Precision,
    TFTConfig,
    TiDEConfig,
)
from workbench.config.games import GamesConfig
from workbench.config.inventory import (
    CostTableConfig,
    Crossing,
    EvaluationConfig,
    Hindsight,
    InventoryConfig,
    LeadTimeConfig,
    LeadTimeVariability,
    LearnedConfig,
    LPConfig,
    MPCConfig,
    Objective,
    Shortage,
    Solver,
    Start,
    StartConfig,
    Terminal,
    TransshipmentConfig,
)
from workbench.config.logistics import LogisticsConfig
from workbench.config.risk import RiskConfig
from workbench.config.tune import TuneConfig

CONF_DIR = Path(__file__).resolve().parent.parent.parent / "conf"


@dataclass
class Config:
    data: Any = MISSING  # the schema of the chosen data source (workbench.config.data.DATA_SOURCES)
    forecast: ForecastConfig = MISSING
    inventory: InventoryConfig = MISSING
    games: GamesConfig = MISSING
    anomaly: AnomalyConfig = MISSING
    risk: RiskConfig = MISSING
    logistics: LogisticsConfig = MISSING
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)


@dataclass
class TuningConfig(Config):
    """The root of ``python -m workbench.tune`` (``conf/tuning.yaml``): the workbench's config
    plus the ``tune`` group. It is merged after ``config.yaml``'s groups, so it sets no value of
    theirs (``experiment`` is left ``MISSING`` here: it keeps the composed one)."""

    experiment: ExperimentConfig = MISSING
    tune: TuneConfig = field(default_factory=TuneConfig)


# every group but data, whose schema depends on data.source
SCHEMAS: dict[str, type] = {
    "forecast": ForecastConfig,
    "inventory": InventoryConfig,
    "games": GamesConfig,
    "anomaly": AnomalyConfig,
    "risk": RiskConfig,
    "logistics": LogisticsConfig,
    "experiment": ExperimentConfig,
}
GROUPS = ("data", *SCHEMAS)


def register_configs() -> None:
    """Register every schema in Hydra's ConfigStore (idempotent); the data sources'
    schemas are stored as they are registered (:func:`register_source`)."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    cs.store(name="tuning_base_config", node=TuningConfig)
    for name in ("forecast", "inventory", "games", "anomaly", "risk", "logistics"):
        cs.store(group=name, name=f"{name}_schema", node=SCHEMAS[name])


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


def schema_of(plain: dict[str, Any], name: str) -> type:
    """The schema of one group of a plain config: the data source's own for ``data``."""
    if name != "data":
        return SCHEMAS[name]
    source = plain[name].get("source")
    if source not in DATA_SOURCES:
        raise ValueError(f"data.source={source!r} is not a known data source; expected one of {list(DATA_SOURCES)}")
    return DATA_SOURCES[source].schema


def section(plain: dict[str, Any] | DictConfig, name: str) -> Any:
    """One group of a plain config, typed and checked against its schema again."""
    if isinstance(plain, DictConfig):
        plain = to_plain(plain)
    merged = OmegaConf.merge(OmegaConf.structured(schema_of(plain, name)), plain[name])
    return OmegaConf.to_object(merged)


__all__ = [
    "CONF_DIR", "DATA_SOURCES", "GROUPS", "SCHEMAS", "Accelerator", "AnomalyConfig", "ColdStartConfig", "Config",
    "ConformalConfig", "CostTableConfig", "Crossing", "EvaluationConfig", "Hindsight", "LearnedConfig", "MPCConfig",
    "Start", "StartConfig", "Terminal", "TransshipmentConfig", "LeadTimeConfig", "LeadTimeVariability", "LogisticsConfig", "RiskConfig",
    "DataConfig", "DataSource", "DeepConfig", "EnsembleMethod", "ExperimentConfig", "ForecastConfig",
    "FoundationConfig", "GamesConfig", "IForestConfig", "IntermittentConfig", "InventoryConfig", "NeighboursConfig", "ANOMALY_TYPES",
    "LPConfig", "LSTMConfig", "LightGBMConfig", "LinearConfig", "M5DataConfig", "MarkdownMissing",
    "MissingCovariates", "MissingDates", "MissingDemand", "NHiTSConfig", "NegativeDemand", "Objective",
    "PanelFileConfig", "Precision", "Returns", "Shortage", "Solver", "SyntheticDataConfig", "TFTConfig", "TextConfig",
    "TextMethod", "TiDEConfig", "TransactionsDataConfig", "TuneConfig", "TuningConfig", "ValidationPolicy",
    "WalmartDataConfig", "compose", "register_configs", "register_source", "schema_of", "section", "to_plain",
]
