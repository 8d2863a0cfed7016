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

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.inventory import tradeoff
from workbench.inventory.cube import Cube, forecast_cube
from workbench.inventory.economics import series_economics
from workbench.inventory.levels import LevelInputs, Levels, make_policies
from workbench.inventory.lp import SHADOW_SCHEMA, PlanResult
from workbench.inventory.plans import make_plans, matrix
from workbench.inventory.settings import check_inventory_config
from workbench.inventory.simulate import Costs, PlanPolicy, Policy, SimResult, simulate
from workbench.risk.leadtime import LeadTimeModel, LeadTimes


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


@dataclass
class HoldOut:
    """The hold-out window as the simulation sees it: actual demand, the start, the pipeline."""

    econ: pl.DataFrame
    defaulted: list[str]
    demand: np.ndarray  # (n, H) actual demand: the true demand where the data has it
    start: np.ndarray | None  # (n,) stock on hand at the origin; None where the data records none
    pipeline: np.ndarray | None  # (n, H) receipts of orders placed before the origin
    costs: Costs


def hold_out(panel: DemandPanel, forecasts: pl.DataFrame, cfg) -> HoldOut:
    """The series' economics (from history up to the origin) and what the window holds."""
    keys = list(panel.keys)
    cutoff = forecasts.get_column("cutoff").min()
    dates = forecasts.get_column(DATE).unique().sort()
    ids = forecasts.select(keys).unique()  # a series that had not started at the origin has none
    econ, defaulted = series_economics(panel, cutoff, cfg)
    econ = econ.join(ids, on=keys, how="semi").sort(keys)
    known = panel.truth is not None and "true_demand" in panel.truth.columns
    actual_src = panel.truth if known else panel.demand
    actual_col = "true_demand" if known else DEMAND
    window = actual_src.filter(pl.col(DATE).is_in(dates.implode())).select([*keys, DATE, actual_col])
    demand = matrix(window.join(ids, on=keys, how="semi"), keys, actual_col)
    start = None
    if "stock_on_hand" in panel.demand.columns:
        start = (panel.demand.filter(pl.col(DATE) == cutoff).join(ids, on=keys, how="semi")
                 .sort(keys).get_column("stock_on_hand").to_numpy().astype(float))
    pipeline = None  # orders placed before the origin are known: receipts inside the first lead time
    if "receipts" in panel.demand.columns:
        got = panel.demand.filter(pl.col(DATE).is_in(dates.implode())).join(ids, on=keys, how="semi")
        lead = econ.get_column("lead_time").to_numpy()
        pipeline = np.where(np.arange(demand.shape[1])[None, :] < lead[:, None],
                            np.nan_to_num(matrix(got, keys, "receipts")), 0.0)
    costs = Costs(holding=econ.get_column("holding_cost").to_numpy(),
                  ordering=econ.get_column("order_cost").to_numpy(),
                  shortage=econ.get_column("shortage_cost").to_numpy())
    return HoldOut(econ, defaulted, demand, start, pipeline, costs)


def window_cube(forecasts: pl.DataFrame, keys: list[str], quantiles: list[float], model: str, w: HoldOut) -> Cube:
    """``model``'s hold-out forecasts as a cube, which must cover every series and date of the window."""
    cube = forecast_cube(forecasts, keys, quantiles, model)
    if cube.mean.shape != w.demand.shape:
        raise ValueError(
            f"forecasts of '{model}' cover {cube.mean.shape[0]} series x {cube.mean.shape[1]} periods; the hold-out"
            f" window has {w.demand.shape[0]} x {w.demand.shape[1]}: every compared model must forecast every"
            " series on every date"
        )
    return cube


def starting_stock(w: HoldOut, x: LevelInputs, notes: list[str]) -> np.ndarray:
    """The stock on hand at the origin; where the data records none, the (R,S) quantile level of
    the forecaster of ``x`` (said in ``notes``)."""
    if w.start is not None:
        return w.start
    notes.append("The data records no stock: every policy starts at the best forecaster's (R,S) level.")
    return make_policies(["RS_quantile"])[0].levels(x)["S"][:, 0]


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
    lead_model: LeadTimeModel | None = None,
) -> InventoryStudy:
    """Price every policy of ``inventory.policies`` driven by each of ``models``, and the plans
    made from the last of them (the best, by the caller's ordering), on the hold-out window.

    ``forecasts`` are the hold-out forecasts (one origin). Actual demand is the true
    demand where the data has it (synthetic), else the recorded demand. ``lead_model`` draws
    each order's lead time (None: every order takes the series' lead time).
    """
    check_inventory_config(cfg, quantiles)
    keys, review = list(panel.keys), int(cfg.review_days)
    w = hold_out(panel, forecasts, cfg)
    econ, horizon = w.econ, w.demand.shape[1]
    cubes = {m: window_cube(forecasts, keys, quantiles, m, w) for m in models}
    policies = make_policies(list(cfg.policies))
    supply = Supply.of(lead_model, econ, horizon, cfg.lead_time)

    def level_inputs(cube, service=None) -> LevelInputs:
        return LevelInputs.from_economics(cube, econ, review, cfg.error_correlation, service=service,
                                          lead_times=supply.aware, samples=cfg.lead_time.samples)

    inputs = {m: level_inputs(cubes[m]) for m in models}
    levels = {m: {p.name: p.levels(inputs[m]) for p in policies} for m in models}
    plan_model, notes = models[-1], []
    start = starting_stock(w, inputs[plan_model], notes)

    lead = econ.get_column("lead_time").to_numpy()
    notes += supply.notes

    def run(policy: Policy, case_pack: np.ndarray | None = None) -> SimResult:
        return simulate(w.demand, start, lead, policy, w.costs, pipeline=w.pipeline,
                        backorders=cfg.shortage == "backorder", case_pack=case_pack,
                        lead_draws=supply.draws, crossing=supply.crossing)

    sims = {(p.name, m): run(p.rule(levels[m][p.name], inputs[m])) for m in models for p in policies}
    parameters = pl.concat([_parameters(econ, keys, m, inputs[m], levels[m], policies) for m in models])
    made = make_plans(panel, econ, forecasts, inputs[plan_model], plan_model, start, w.pipeline, w.costs, cfg)
    notes += made.notes
    pack = econ.get_column("case_pack").to_numpy()
    for name, plan in made.plans.items():
        sims[(name, plan_model)] = run(PlanPolicy(plan.orders), case_pack=pack if plan.integer else None)
    results, per_series = _outcomes(econ, keys, sims)
    trade = tradeoff.sweep(policies, cubes, list(cfg.tradeoff_levels), level_inputs, run)
    lp_plan = made.plans.get("lp")
    return InventoryStudy(
        economics=econ, defaulted=w.defaulted, parameters=parameters, plans=made.plans, plan_model=plan_model,
        results=results, per_series=per_series, tradeoff=trade, equal_service=tradeoff.equal_service(trade, notes),
        shadow_prices=lp_plan.shadow_prices if lp_plan else pl.DataFrame(schema=SHADOW_SCHEMA),
        sims=sims, notes=notes, plan_errors=made.errors, lead_times=supply.table(econ, keys),
    )


@dataclass
class Supply:
    """The lead times the simulation draws for one study: per order (``draws``, None when
    fixed), whether orders may cross, and the model the levels account for (``aware``)."""

    lead_times: LeadTimes | None
    draws: np.ndarray | None
    crossing: np.ndarray | bool
    aware: LeadTimes | None
    notes: list[str]

    @classmethod
    def of(cls, model: LeadTimeModel | None, econ: pl.DataFrame, horizon: int, cfg) -> Supply:
        lt = model.for_series(econ) if model is not None else None
        if lt is None or lt.fixed:
            return cls(lt, None, True, None, [])
        aware = lt if cfg.aware else None
        notes = [f"Lead times are drawn per order: {lt.description}; the policies' levels "
                 + ("account for their variability." if aware else "assume the item's fixed lead time."), *lt.notes]
        return cls(lt, lt.draws(horizon), lt.crossing, aware, notes)

    def table(self, econ: pl.DataFrame, keys: list[str]) -> pl.DataFrame | None:
        return None if self.lead_times is None else self.lead_times.table(econ.select(keys))
