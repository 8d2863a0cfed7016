"""What the inventory report shows, as tables computed from an :class:`InventoryStudy`, and
the stage's headline metrics.

Tables keep policy and plan names (``sS_normal``, ``lp``); :func:`labelled` turns them into
the labels a reader knows (``(s,S) normal``, ``LP plan``) for display.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from workbench.headline import Headline, Metric
from workbench.inventory.levels import label
from workbench.inventory.plans import PLANS
from workbench.inventory.study import InventoryStudy

BINDING = 1e-7  # a shadow price above this marks a binding limit

HEADLINE = Headline("03_inventory", (
    Metric("best_policy", "best policy"),
    Metric("best_fill_rate", "fill rate", "{:.1%}",
           "Fill rate: share of demand served from stock in the simulation against real demand."),
    Metric("best_total_cost", "cost", "{:,.0f}",
           "Cost: the best policy's holding, ordering and shortage cost over the hold-out window."),
    Metric("best_regret", "regret", "{:.1%}",
           "Regret: the cost of the best policy over the evaluation windows above the hindsight plan's, as a share."),
    Metric("forecast_saving", "forecast saving", "{:.1%}",
           "Forecast saving: what the best forecaster's best policy saves at equal fill rate against the baseline"
           " forecaster with (s,S) normal, mean over the evaluation windows."),
))
# the re-planned plans' labels (workbench.inventory.study.replanned_name)
REPLANNED = {f"{k}_mpc": f"{v} re-planned" for k, v in PLANS.items()}
LEARNED = {"ppo": "PPO (learned)"}  # workbench.inventory.learned


def display_name(name: str) -> str:
    """The label of a policy or a plan."""
    return PLANS.get(name) or REPLANNED.get(name) or LEARNED.get(name) or label(name)


def labelled(frame: pl.DataFrame, column: str = "policy") -> pl.DataFrame:
    """``frame`` with policy and plan names replaced by their labels, for display."""
    names = frame.get_column(column).unique().to_list()
    return frame.with_columns(pl.col(column).replace_strict({n: display_name(n) for n in names}))


def class_parameters(study: InventoryStudy, forecaster: str) -> pl.DataFrame:
    """Totals per ABC x XYZ class for one forecaster: the service target, demand per period and
    each policy's average levels (summed over the class's series). A policy's parameter named
    ``*_service`` is a service level and is averaged instead."""
    p = study.parameters.filter(pl.col("forecaster") == forecaster)
    levels = [c for c in p.columns if c not in
              {*study.economics.columns, "forecaster", "service_target", "mean_demand", "eoq", "sd_lead_time"}]
    shares = [c for c in levels if c.endswith("_service")]
    return p.group_by("abc", "xyz").agg(
        pl.len().alias("series"),
        pl.col("service_target").first(),
        *[pl.col(c).mean().alias("cost_optimal_service" if c == "newsvendor_service" else c) for c in shares],
        pl.col("lead_time").mean().alias("mean_lead_time"),
        pl.col("mean_demand").sum().alias("demand_per_period"),
        pl.col("eoq").sum().alias("EOQ"),
        *[pl.col(c).sum() for c in levels if c not in shares],
    ).sort("abc", "xyz").rename({"abc": "ABC", "xyz": "XYZ"})


def policy_grid(study: InventoryStudy, models: list[str]) -> pl.DataFrame:
    """Policy x forecaster: total cost (fill rate) as text, one column per forecaster."""
    pol = labelled(study.results.filter(pl.col("forecaster").is_in(models)))
    cell = pl.struct("total_cost", "fill_rate").map_elements(
        lambda r: f"{round(r['total_cost']):,} ({r['fill_rate']:.1%})", return_dtype=pl.String)
    return pol.with_columns(cell.alias("cell")).pivot(on="forecaster", index="policy", values="cell")


def equal_service_wide(study: InventoryStudy) -> pl.DataFrame:
    """Total cost at equal fill rate after the first lead time, one column per policy | forecaster."""
    eq = labelled(study.equal_service)
    return (eq.with_columns((pl.col("policy") + " | " + pl.col("forecaster")).alias("curve"))
            .pivot(on="curve", index="fill_rate", values="total_cost").rename({"fill_rate": "fill rate"}))


def plans_table(study: InventoryStudy) -> pl.DataFrame:
    """One row per plan made: solver status, objective against simulated cost, units, timings."""
    simulated = {r["policy"]: r["total_cost"] for r in study.results.iter_rows(named=True) if r["policy"] in study.plans}
    return pl.DataFrame([
        {"plan": PLANS[name], "status": plan.status, "objective": plan.objective, "simulated_cost": simulated.get(name),
         "expected_cost": plan.expected_cost, "CVaR": plan.cvar, "units_ordered": float(plan.orders.sum()),
         "units_transferred": float(plan.transfers.sum()), "scenarios": plan.scenario_cost.size,
         "build_seconds": plan.build_seconds, "solve_seconds": plan.solve_seconds}
        for name, plan in study.plans.items()
    ])


def shadow_summary(shadow: pl.DataFrame) -> pl.DataFrame:
    """Per limit: mean limit, peak use, binding periods, mean and largest shadow price, excess."""
    return shadow.group_by("family", "name").agg(
        pl.col("limit").mean().alias("mean_limit"),
        pl.col("used").max().alias("peak_use"),
        (pl.col("shadow_price") > BINDING).sum().alias("binding_periods"),
        pl.col("shadow_price").mean().alias("mean_shadow_price"),
        pl.col("shadow_price").max().alias("max_shadow_price"),
        pl.col("excess").sum().alias("excess"),
    ).sort("max_shadow_price", descending=True)


def binding_limits(shadow: pl.DataFrame) -> pl.DataFrame:
    """The (limit, period) pairs with a positive shadow price, dearest first."""
    return shadow.filter(pl.col("shadow_price") > BINDING).sort("shadow_price", descending=True)


def lp_orders(study: InventoryStudy, keys: list[str]) -> pl.DataFrame:
    """The LP plan's orders, arrivals and planned stock per series and period (rows with an
    order or an arrival); an empty table with the same columns when no LP plan was made."""
    econ, plan = study.economics, study.plans.get("lp")
    schema = {**{k: econ.schema[k] for k in keys}, "period": pl.Int64, "order": pl.Float64,
              "arrival": pl.Float64, "planned_stock": pl.Float64}
    if plan is None:
        return pl.DataFrame(schema=schema)
    T = plan.orders.shape[1]
    return pl.DataFrame({
        **{k: np.repeat(econ[k].to_numpy(), T) for k in keys},
        "period": np.tile(np.arange(T), econ.height),
        "order": plan.orders.reshape(-1),
        "arrival": plan.arrivals.reshape(-1),
        "planned_stock": plan.stock.reshape(-1),
    }).filter((pl.col("order") > 0) | (pl.col("arrival") > 0))


def largest_series(study: InventoryStudy, k: int = 3) -> np.ndarray:
    """Row numbers of the ``k`` series with the most revenue."""
    return np.argsort(-study.economics["revenue"].to_numpy())[:k]


def headline(study: InventoryStudy, regret: pl.DataFrame | None = None, worth: pl.DataFrame | None = None,
             best: str | None = None):
    """The policy or plan with the lowest simulated cost, and every pair's cost and fill rate; with
    the evaluation's ``regret`` and ``worth`` tables (:mod:`.evaluation`), the regret of the policy
    with the lowest mean cost over the windows and the largest saving at equal service of the
    forecaster ``best``."""
    top = study.results.row(0, named=True)
    policies: dict[str, dict] = {}
    for r in study.results.iter_rows(named=True):
        policies.setdefault(r["policy"], {})[r["forecaster"]] = {"fill_rate": r["fill_rate"],
                                                                 "total_cost": r["total_cost"]}
    best_regret = None
    if regret is not None and regret.height and "regret_share" in regret.columns:
        best_regret = regret.sort("mean_cost").row(0, named=True)["regret_share"]
    saving = None
    if worth is not None and best is not None:
        mine = worth.filter(pl.col("forecaster") == best)
        saving = float(mine["mean_saving"].max()) if mine.height else None
    return HEADLINE.of(
        best_regret=best_regret,
        forecast_saving=saving,
        best_policy=f"{display_name(top['policy'])} | {top['forecaster']}",
        best_fill_rate=top["fill_rate"],
        best_total_cost=top["total_cost"],
        policies=policies,
        plans={name: {"objective": p.objective, "solve_seconds": p.solve_seconds} for name, p in study.plans.items()},
        plan_errors=dict(study.plan_errors),
        binding_limits=int((study.shadow_prices["shadow_price"] > BINDING).sum()) if study.shadow_prices.height else 0,
    )
