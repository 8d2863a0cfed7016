"""Inventory stage: textbook policies, the replenishment LP, closed-loop simulation."""

from workbench.inventory.lp import PlanResult, replenishment_lp
from workbench.inventory.policies import (
    eoq,
    newsvendor_normal,
    newsvendor_quantile,
    normal_sd_from_quantiles,
    reorder_point,
    safety_stock,
)
from workbench.inventory.simulate import Costs, PlanPolicy, ReorderPolicy, SimResult, simulate
from workbench.inventory.study import (
    InventoryStudy,
    policy_parameters,
    run_inventory_study,
    series_economics,
)

__all__ = [
    "Costs",
    "InventoryStudy",
    "PlanPolicy",
    "PlanResult",
    "ReorderPolicy",
    "SimResult",
    "eoq",
    "newsvendor_normal",
    "newsvendor_quantile",
    "normal_sd_from_quantiles",
    "policy_parameters",
    "reorder_point",
    "replenishment_lp",
    "run_inventory_study",
    "safety_stock",
    "series_economics",
    "simulate",
]
