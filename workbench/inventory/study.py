"""The inventory study: forecast quantiles -> policy levels and plans -> closed-loop simulation.

Everything is per series (item x channel where the data has channels) and vectorised over
series: one polars query for the economics (:mod:`.economics`), numpy over the (series,
day, quantile) cube of each forecaster (:mod:`.cube`) for the levels of every policy of
the registry (:mod:`.levels`), one cvxpy problem per plan (:mod:`.plans`), one numpy loop
over periods per simulation (:mod:`.simulate`), and the cost-against-service sweep
(:mod:`.tradeoff`). Every policy and plan is priced against actual demand over the
hold-out window, from the stock on hand at the forecast origin. Plans run open-loop.

Lead times are the series' own, or drawn per order from a lead-time model
(:class:`~workbench.risk.leadtime.LeadTimeModel`, ``inventory.lead_time``): then every policy
and plan meets the same drawn supply, and with ``inventory.lead_time.aware`` the policies'
levels account for its variability.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from workbench.data.panel import DemandPanel
from workbench.inventory import tradeoff
from workbench.inventory.evaluation import issued
from workbench.inventory.levels import LevelInputs, Levels
from workbench.inventory.lp import SHADOW_SCHEMA, PlanError, PlanResult
from workbench.inventory.plans import make_plans
from workbench.inventory.settings import check_inventory_config
from workbench.inventory.simulate import PlanPolicy, SimResult
from workbench.inventory.window import HoldOut, Supply, Window, hold_out, window_cube
from workbench.risk.leadtime import LeadTimeModel

__all__ = ["HoldOut", "InventoryStudy", "Supply", "Window", "hold_out", "run_inventory_study", "window_cube"]


@dataclass
class InventoryStudy:
    """What :func:`run_inventory_study` found. Policies and plans are identified by name
    (``workbench.inventory.levels.POLICIES``, ``workbench.inventory.plans.PLANS``); every
    table has ``policy`` and ``forecaster`` columns. A plan that could not be made is absent
    from ``plans``, ``sims``, ``results`` and ``per_series``, with its reason in ``plan_errors``."""

    economics: pl.DataFrame
    defaulted: list[str]
    parameters: pl.DataFrame  # forecaster x series: targets, EOQ, average levels of each policy
    plans: dict[str, PlanResult]  # the plans that could be made ("lp", "scenario_lp", "mip")
    plan_model: str
    shadow_prices: pl.DataFrame  # the deterministic plan's limits, use and dual values; no rows without it
    results: pl.DataFrame  # policy x forecaster: fill rate, service, costs ...
    per_series: pl.DataFrame  # policy x forecaster x series outcomes
    tradeoff: pl.DataFrame  # policy x forecaster x service target -> cost, fill rate
    equal_service: pl.DataFrame  # cost of each policy x forecaster at common fill rates
    sims: dict[tuple[str, str], SimResult]  # (policy or plan, forecaster) -> its simulation
    notes: list[str]
    # plan name -> the message of its PlanError (infeasible, unbounded, solver failed or
    # stopped); empty when every plan was made
    plan_errors: dict[str, str] = field(default_factory=dict)
    lead_times: pl.DataFrame | None = None  # per series: mode, nominal, mean, sd of the drawn lead time
    # the plans re-planned at every review: plan, terminal condition, service, cost, reviews and solve times
    replanned: pl.DataFrame | None = None
    # per policy (best forecaster): fill rate and cost with and without lateral transshipment; None without arcs
    transshipment: pl.DataFrame | None = None


def _parameters(econ: pl.DataFrame, keys: list[str], model: str, x: LevelInputs,
                levels: dict[str, Levels], policies) -> pl.DataFrame:
    columns = {"service_target": x.target, "mean_demand": x.mean_demand, "eoq": x.eoq}
    for p in policies:
        columns.update(p.parameters(levels[p.name]))
    return econ.select([*keys, "abc", "xyz", "lead_time"]).with_columns(
        pl.lit(model).alias("forecaster"), *[pl.Series(name, values) for name, values in columns.items()])


def _outcomes(econ: pl.DataFrame, keys: list[str], sims: dict[tuple[str, str], SimResult]):
    results = pl.DataFrame([{"policy": pol, "forecaster": mod, **sim.summary()} for (pol, mod), sim in sims.items()])
    per_series = pl.concat([
        econ.select([*keys, "abc", "xyz"]).with_columns(
            pl.lit(pol).alias("policy"), pl.lit(mod).alias("forecaster"), pl.Series("fill_rate", sim.fill_rate),
            pl.Series("total_cost", sim.total_cost), pl.Series("lost_sales", sim.lost))
        for (pol, mod), sim in sims.items()
    ])
    return results.sort("total_cost"), per_series


def run_inventory_study(
    panel: DemandPanel, forecasts: pl.DataFrame, models: list[str], quantiles: list[float], cfg,
    lead_model: LeadTimeModel | None = None, rolling: pl.DataFrame | None = None,
) -> InventoryStudy:
    """Price every policy of ``inventory.policies`` driven by each of ``models``, and the plans
    made from the last of them (the best, by the caller's ordering), on the hold-out window.

    ``forecasts`` are the hold-out forecasts (one origin). Actual demand is the true
    demand where the data has it (synthetic), else the recorded demand. ``lead_model`` draws
    each order's lead time (None: every order takes the series' lead time). The plans of
    ``inventory.mpc.plans`` are also re-planned at every review with the forecasts ``rolling`` holds
    for each review of the window (:func:`workbench.forecast.rolling.rolling_forecasts`; None: the
    origin's forecast).
    """
    check_inventory_config(cfg, quantiles)
    keys = list(panel.keys)
    win = Window.of(panel, forecasts, models, quantiles, cfg, lead_model)
    econ, w, inputs, policies = win.econ, win.w, win.inputs, win.policies
    levels = {m: {p.name: p.levels(inputs[m]) for p in policies} for m in models}
    plan_model, notes = models[-1], list(win.notes)
    sims = {(p.name, m): win.run(win.rule(p, inputs[m], levels[m][p.name])) for m in models for p in policies}
    parameters = pl.concat([_parameters(econ, keys, m, inputs[m], levels[m], policies) for m in models])
    made = make_plans(panel, econ, forecasts, inputs[plan_model], plan_model, w.start, w.pipeline, w.costs, cfg)
    notes += made.notes
    pack = econ.get_column("case_pack").to_numpy()
    for name, plan in made.plans.items():
        sims[(name, plan_model)] = win.run(PlanPolicy(plan.orders), case_pack=pack if plan.integer else None)
    replanned = None
    if cfg.mpc.enabled and cfg.mpc.plans:
        replanned = _replan(win, plan_model, issued(win, plan_model, rolling, quantiles, cfg.mpc.horizon), sims, made.errors, notes)
    results, per_series = _outcomes(econ, keys, sims)
    trade = tradeoff.sweep(policies, win.cubes, list(cfg.tradeoff_levels), win.level_inputs, win.price)
    lp_plan = made.plans.get("lp")
    return InventoryStudy(
        economics=econ, defaulted=w.defaulted, parameters=parameters, plans=made.plans, plan_model=plan_model,
        results=results, per_series=per_series, tradeoff=trade, equal_service=tradeoff.equal_service(trade, notes),
        shadow_prices=lp_plan.shadow_prices if lp_plan else pl.DataFrame(schema=SHADOW_SCHEMA),
        sims=sims, notes=notes, plan_errors=made.errors, lead_times=win.supply.table(econ, keys),
        replanned=replanned, transshipment=_transshipment(win, plan_model, sims),
    )


def replanned_name(kind: str) -> str:
    """The name of a re-planned plan in the tables (``lp`` -> ``lp_mpc``)."""
    return f"{kind}_mpc"


def _replan(win: Window, model: str, forecast_at, sims: dict, errors: dict[str, str], notes: list[str]) -> pl.DataFrame:
    """Every plan of ``inventory.mpc.plans`` re-planned at each review (into ``sims``), then the
    re-planned LP under each other terminal condition: one row per run."""
    cfg, rows = win.cfg, []
    pack = win.econ.get_column("case_pack").to_numpy()

    def one(kind: str, planner, terminal: str) -> SimResult | None:
        try:
            sim = win.run(planner, case_pack=pack if kind == "mip" else None)
        except PlanError as err:
            if terminal == str(cfg.mpc.terminal):
                errors[replanned_name(kind)] = f"at a review: {err}"
            else:  # a comparison run: the plan itself may stand
                notes.append(f"The re-planned {kind} with the terminal condition '{terminal}' was not made: {err}")
            return None
        compiled = [r.seconds for r in planner.reviews if r.first]
        again = [r.seconds for r in planner.reviews if not r.first]
        summary = sim.summary()
        rows.append({"plan": kind, "terminal": terminal, **{k: summary[k] for k in
                     ("fill_rate", "fill_rate_after_lead", "total_cost", "holding_cost", "ordering_cost",
                      "shortage_cost", "transfer_cost", "units_transferred")},
                     "reviews": len(planner.reviews),
                     "first_solve_seconds": float(np.mean(compiled)) if compiled else None,
                     "resolve_seconds": float(np.mean(again)) if again else None})
        return sim

    terminal = str(cfg.mpc.terminal)
    for kind, planner in win.planners(model, forecast_at, notes=notes).items():
        sim = one(kind, planner, terminal)
        if sim is not None:
            sims[(replanned_name(kind), model)] = sim
    if "lp" in cfg.mpc.plans:
        for other in (t for t in ("none", "target", "value") if t != terminal):
            changed = replace(cfg, mpc=replace(cfg.mpc, plans=["lp"], terminal=other))
            one("lp", win.planners(model, forecast_at, cfg=changed)["lp"], other)
    return pl.DataFrame(rows)


def _transshipment(win: Window, model: str, sims: dict) -> pl.DataFrame | None:
    """Per policy driven by ``model``: fill rate after lead and cost with the window's lateral
    transshipment (already in ``sims``) and without it; None where the window has no arcs."""
    if win.arcs is None:
        return None
    alone = replace(win, arcs=None)
    rows = []
    for p in win.policies:
        moved, kept = sims[(p.name, model)], alone.run(alone.rule(p, win.inputs[model]))
        a, b = moved.summary(), kept.summary()
        rows.append({"policy": p.name, "fill_rate_without": b["fill_rate_after_lead"],
                     "fill_rate_with": a["fill_rate_after_lead"], "cost_without": b["total_cost"],
                     "cost_with": a["total_cost"], "units_transferred": a["units_transferred"],
                     "transfer_cost": a["transfer_cost"]})
    return pl.DataFrame(rows)


