"""The demand panel (the contract), its validation, the loaders and the data study with its headline."""

from workbench.data.classes import abc_classes, intermittency_classes
from workbench.data.loaders import LOADERS, load_data, register_loader
from workbench.data.panel import DemandPanel, PanelError, validate_panel
from workbench.data.study import HEADLINE, headline

# loaders of real-data layouts register themselves on import
from workbench.data import m5, transactions, walmart  # noqa: E402,F401  isort: skip

__all__ = [
    "HEADLINE",
    "LOADERS",
    "DemandPanel",
    "PanelError",
    "abc_classes",
    "headline",
    "intermittency_classes",
    "load_data",
    "register_loader",
    "validate_panel",
]
