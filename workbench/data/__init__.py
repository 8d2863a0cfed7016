"""The demand panel (the contract), its validation, the loaders and the data study with its headline.

Which loader reads which ``data.source`` is :data:`workbench.config.DATA_SOURCES`; each
layout module is imported when its data is first loaded."""

from workbench.data.classes import abc_classes, intermittency_classes
from workbench.data.loaders import load_data
from workbench.data.panel import DemandPanel, PanelError, validate_panel
from workbench.data.study import HEADLINE, headline

__all__ = [
    "HEADLINE",
    "DemandPanel",
    "PanelError",
    "abc_classes",
    "headline",
    "intermittency_classes",
    "load_data",
    "validate_panel",
]
