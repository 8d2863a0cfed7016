"""The replenishment plans of the study, set up from the series' economics and one
forecaster: the LP against one forecast quantile, the scenario LP (expected cost plus
CVaR) against demand paths drawn from the quantiles, and the mixed-integer plan with case
packs, MOQs and the fixed cost per order (:func:`workbench.inventory.lp.plan_replenishment`).

A plan that cannot be made (infeasible, unbounded, stopped by the solver) is left out with
its reason; the policies and everything else still run. :func:`make_planners` sets up the same
plans as closed-loop re-planning policies (:class:`~workbench.inventory.mpc.RollingPlanner`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.data.panel import DATE, DemandPanel
from workbench.forecast.series import quantile_column
from workbench.inventory.cube import Cube, demand_scenarios
from workbench.inventory.levels import LevelInputs
from workbench.inventory.lp import (
    Limits,
    PlanError,
    PlanItems,
    PlanResult,
    Transfers,
    plan_replenishment,
)
from workbench.inventory.mpc import RollingPlanner
from workbench.inventory.policies import quantile_at
from workbench.inventory.simulate import Costs
from workbench.inventory.transship import location_pairs

# plan name -> the label a report shows
PLANS = {"lp": "LP plan", "scenario_lp": "scenario LP", "mip": "MIP plan"}


@dataclass
class PlanSet:
    """The plans that could be made, and why the others could not."""

    plans: dict[str, PlanResult] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # plan name -> the message of its PlanError
    notes: list[str] = field(default_factory=list)


def matrix(frame: pl.DataFrame, keys: list[str], value: str) -> np.ndarray:
    """``value`` as an (n series, periods) array, series in key order."""
    wide = frame.sort([*keys, DATE]).group_by(keys, maintain_order=True).agg(pl.col(value))
    return np.array(wide.get_column(value).to_list(), dtype=float)


def _locations(panel: DemandPanel, econ: pl.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.array(["all"] * econ.height)
    if column not in econ.columns:
        raise ValueError(
            f"inventory.lp.location='{column}' is neither a key nor a static column of the data "
            f"(keys {list(panel.keys)}, static {panel.static.columns}); set it to one of them or to null"
        )
    return econ.get_column(column).cast(pl.String).to_numpy()


def _limits(econ: pl.DataFrame, wh: np.ndarray, warehouses: np.ndarray, sup: np.ndarray,
            suppliers: np.ndarray | None, mu: np.ndarray, lp_cfg) -> Limits:
    """Warehouse volume per location, supplier capacity and the purchasing budget, each in
    periods of mean forecast demand (``inventory.lp.*_cover``)."""
    volume = econ.get_column("volume").to_numpy()
    unit_cost = econ.get_column("unit_cost").to_numpy()
    supplier_cap = None if suppliers is None else np.bincount(sup, weights=mu, minlength=suppliers.size) * lp_cfg.supplier_cover
    return Limits(
        warehouse=None if lp_cfg.warehouse_cover is None
        else np.bincount(wh, weights=volume * mu, minlength=warehouses.size) * lp_cfg.warehouse_cover,
        supplier=supplier_cap,
        budget=None if lp_cfg.budget_cover is None else float(unit_cost @ mu) * lp_cfg.budget_cover,
        min_service=lp_cfg.min_service,
        penalty=dict(lp_cfg.penalty),
        warehouse_names=[str(x) for x in warehouses],
        supplier_names=None if suppliers is None else [str(x) for x in suppliers],
    )


@dataclass
class _SetUp:
    """What every plan and planner shares: the series' inputs, the limits and the arcs."""

    items: PlanItems
    limits: Limits
    purchase: np.ndarray  # unit purchase cost in the objective (profit), else zeros
    location: str | None
    loc: np.ndarray


def _set_up(panel: DemandPanel, econ: pl.DataFrame, x: LevelInputs, demand: np.ndarray, start: np.ndarray,
            pipeline: np.ndarray | None, costs: Costs, cfg, notes: list[str]) -> _SetUp:
    lp_cfg, keys = cfg.lp, list(panel.keys)
    n = econ.height
    location = lp_cfg.location or (keys[-1] if len(keys) > 1 else None)
    loc = _locations(panel, econ, location)
    warehouses, wh = np.unique(loc, return_inverse=True)
    unit_cost = econ.get_column("unit_cost").to_numpy()
    suppliers, sup = None, np.zeros(n, dtype=int)
    if lp_cfg.supplier_cover is not None:
        if "supplier" not in econ.columns:
            notes.append("The data names no suppliers: the plan has no supplier capacity.")
        else:
            suppliers, sup = np.unique(econ.get_column("supplier").cast(pl.String).to_numpy(), return_inverse=True)
    limits = _limits(econ, wh, warehouses, sup, suppliers, x.mean_demand, lp_cfg)
    # the fixed cost per order spread over the EOQ batch keeps the LP linear (the MIP charges it per order)
    spread = costs.ordering / np.maximum(x.eoq, 1.0)
    purchase, shortage_cost = np.zeros(n), costs.shortage
    if lp_cfg.objective == "profit":
        # revenue counts the lost margin already: buying costs the unit cost, a lost sale only its goodwill
        purchase = unit_cost
        margin = (econ.get_column("price") - econ.get_column("unit_cost")).clip(lower_bound=0.0).to_numpy()
        shortage_cost = np.maximum(costs.shortage - margin, 0.0)
    items = PlanItems(
        demand=demand, start_stock=start, lead_time=x.lead, pipeline=pipeline, holding_cost=costs.holding,
        shortage_cost=shortage_cost, unit_order_cost=purchase + spread, order_cost=costs.ordering,
        unit_cost=unit_cost, price=econ.get_column("price").to_numpy(), volume=econ.get_column("volume").to_numpy(),
        warehouse=wh, supplier=sup, moq=econ.get_column("moq").to_numpy(),
        case_pack=econ.get_column("case_pack").to_numpy(),
        names=[" / ".join(map(str, r)) for r in econ.select(keys).iter_rows()],
    )
    return _SetUp(items, limits, purchase, location, loc)


def _arcs(panel: DemandPanel, econ: pl.DataFrame, setup: _SetUp, cost_share: float, lead_time: int,
          notes: list[str]) -> Transfers | None:
    """The arcs between the locations of each item (``inventory.lp.transfers``), None where there are none."""
    if setup.location is None:
        return None
    src, dst = location_pairs(econ, list(panel.keys), setup.location)
    if not src.size:
        notes.append(f"No item is held at two values of '{setup.location}': the plan has no transfers.")
        return None
    return Transfers(src, dst, cost=cost_share * econ.get_column("unit_cost").to_numpy()[src], lead_time=lead_time)


def make_plans(panel: DemandPanel, econ: pl.DataFrame, forecasts: pl.DataFrame, x: LevelInputs, model: str,
               start: np.ndarray, pipeline: np.ndarray | None, costs: Costs, cfg) -> PlanSet:
    """Every plan ``inventory.lp`` asks for, from the forecasts of ``model`` (whose level
    inputs are ``x``), starting from ``start`` with the orders already in ``pipeline``."""
    lp_cfg, keys, out = cfg.lp, list(panel.keys), PlanSet()
    demand = matrix(forecasts.filter(pl.col("model") == model), keys, quantile_column(lp_cfg.plan_quantile))
    setup = _set_up(panel, econ, x, demand, start, pipeline, costs, cfg, out.notes)
    items, limits, purchase = setup.items, setup.limits, setup.purchase
    arcs = _arcs(panel, econ, setup, lp_cfg.transfer_cost_share, 0, out.notes) if lp_cfg.transfers else None
    opts = dict(objective=lp_cfg.objective, shortage=cfg.shortage, order_every=lp_cfg.order_every,
                solver=lp_cfg.solver, time_limit=lp_cfg.time_limit)

    def make(name: str, plan_items: PlanItems, **kwargs) -> None:
        # each plan stands alone: one that cannot be made is reported, not the end of the study
        try:
            out.plans[name] = plan_replenishment(plan_items, limits, **opts, **kwargs)
        except PlanError as err:
            out.errors[name] = str(err)

    make("lp", items, transfers=arcs)
    if lp_cfg.scenarios:
        scen = demand_scenarios(x.cube, lp_cfg.scenarios, cfg.error_correlation, cfg.seed)
        # without transfers: arcs x scenarios would make it many times larger
        make("scenario_lp", PlanItems(**{**items.__dict__, "demand": scen}),
             cvar_alpha=lp_cfg.cvar_alpha, cvar_weight=lp_cfg.cvar_weight)
    if lp_cfg.mip:
        make("mip", PlanItems(**{**items.__dict__, "unit_order_cost": purchase}),
             transfers=arcs, integer=True, mip_gap=lp_cfg.mip_gap)
    return out


def make_planners(panel: DemandPanel, econ: pl.DataFrame, x: LevelInputs, costs: Costs, cfg,
                  forecast_at: Callable[[int], Cube], window: int, quantile: float | None = None,
                  notes: list[str] | None = None) -> dict[str, RollingPlanner]:
    """The re-planning policies of ``inventory.mpc.plans``, set up as :func:`make_plans` sets up the
    plans (items, limits, transfers), for a simulation of ``window`` periods.

    ``forecast_at(t)`` is the forecast issued at the end of period t (day 0 is period t + 1);
    ``quantile`` is the forecast quantile the LP and the MIP meet (default ``inventory.lp.plan_quantile``).
    Transfers follow ``inventory.transshipment`` (its lead time and cost, as the simulation executes
    them) where ``inventory.lp.transfers`` asks for them. ``notes`` collects what the set-up left out.
    """
    lp_cfg, mpc = cfg.lp, cfg.mpc
    notes = [] if notes is None else notes
    demand = quantile_at(x.cube.levels, x.cube.values, lp_cfg.plan_quantile if quantile is None else quantile)
    setup = _set_up(panel, econ, x, demand, np.zeros(econ.height), None, costs, cfg, notes)
    move = cfg.transshipment
    arcs = _arcs(panel, econ, setup, move.cost_share, move.lead_time, notes) \
        if lp_cfg.transfers and move.enabled else None
    common = dict(limits=setup.limits, transfers=arcs, quantile=lp_cfg.plan_quantile if quantile is None else quantile,
                  scenarios=lp_cfg.scenarios, correlation=cfg.error_correlation, seed=cfg.seed, horizon=mpc.horizon,
                  order_every=lp_cfg.order_every, terminal=str(mpc.terminal), terminal_value=mpc.terminal_value,
                  objective=str(lp_cfg.objective), shortage=str(cfg.shortage), cvar_alpha=lp_cfg.cvar_alpha,
                  cvar_weight=lp_cfg.cvar_weight, solver=str(lp_cfg.solver), mip_gap=lp_cfg.mip_gap,
                  time_limit=lp_cfg.time_limit)
    planners = {}
    # the plans that are made (a scenario LP needs scenarios, the MIP inventory.lp.mip) are re-planned
    made = {"lp": True, "scenario_lp": lp_cfg.scenarios > 0, "mip": lp_cfg.mip}
    left = [n for n in mpc.plans if not made[n]]
    if left:
        notes.append(f"Not re-planned: {', '.join(left)} (inventory.mpc.plans), which inventory.lp does not make"
                     " (inventory.lp.scenarios=0 or inventory.lp.mip=false).")
    for name in (n for n in mpc.plans if made[n]):
        items = setup.items if name != "mip" else PlanItems(**{**setup.items.__dict__,
                                                                "unit_order_cost": setup.purchase})
        planners[name] = RollingPlanner(items, forecast_at, window, kind=name, **common)
    return planners
