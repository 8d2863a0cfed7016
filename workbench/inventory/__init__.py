"""Inventory stage: textbook policies from forecast quantiles (a registry of small classes
whose levels are the closed forms of :mod:`.policies`), replenishment plans in cvxpy, and
closed-loop simulation against real demand.

Modules by job: :mod:`.policies` closed forms, :mod:`.economics` costs and service targets,
:mod:`.cube` forecasts as arrays, :mod:`.levels` the policy registry, :mod:`.lp` the plan's
cvxpy model, :mod:`.plans` the study's plans, :mod:`.simulate` the simulator,
:mod:`.tradeoff` cost against service, :mod:`.study` the orchestration, :mod:`.summary`
the report's tables and headline, :mod:`.settings` the stage's checks.
"""

from workbench.inventory.cube import Cube, demand_scenarios, forecast_cube
from workbench.inventory.economics import DEFAULTS, series_economics, service_table
from workbench.inventory.levels import (
    POLICIES,
    InventoryPolicy,
    LevelInputs,
    make_policies,
    register_policy,
)
from workbench.inventory.lp import (
    SHADOW_SCHEMA,
    Limits,
    PlanError,
    PlanInfeasible,
    PlanItems,
    PlanResult,
    PlanSolverFailed,
    PlanUnbounded,
    Transfers,
    plan_replenishment,
)
from workbench.inventory.plans import PLANS
from workbench.inventory.policies import (
    correlated_sum_sd,
    cost_service_level,
    critical_fractile,
    eoq,
    newsvendor_normal,
    newsvendor_quantile,
    normal_level,
    normal_sd_from_quantiles,
    order_up_to_level,
    quantile_at,
    reorder_order_up_to,
    reorder_point,
    reorder_quantity,
    safety_stock,
)
from workbench.inventory.settings import check_inventory_config
from workbench.inventory.simulate import (
    Costs,
    OrderUpToPolicy,
    PlanPolicy,
    ReorderPolicy,
    ReorderQuantityPolicy,
    SimResult,
    simulate,
)
from workbench.inventory.study import InventoryStudy, run_inventory_study
from workbench.inventory.summary import headline

__all__ = [
    "DEFAULTS",
    "PLANS",
    "POLICIES",
    "SHADOW_SCHEMA",
    "Costs",
    "Cube",
    "InventoryPolicy",
    "InventoryStudy",
    "LevelInputs",
    "Limits",
    "OrderUpToPolicy",
    "PlanError",
    "PlanInfeasible",
    "PlanItems",
    "PlanPolicy",
    "PlanResult",
    "PlanSolverFailed",
    "PlanUnbounded",
    "ReorderPolicy",
    "ReorderQuantityPolicy",
    "SimResult",
    "Transfers",
    "check_inventory_config",
    "correlated_sum_sd",
    "cost_service_level",
    "critical_fractile",
    "demand_scenarios",
    "eoq",
    "forecast_cube",
    "headline",
    "make_policies",
    "newsvendor_normal",
    "newsvendor_quantile",
    "normal_level",
    "normal_sd_from_quantiles",
    "order_up_to_level",
    "plan_replenishment",
    "quantile_at",
    "register_policy",
    "reorder_order_up_to",
    "reorder_point",
    "reorder_quantity",
    "run_inventory_study",
    "safety_stock",
    "series_economics",
    "service_table",
    "simulate",
]
