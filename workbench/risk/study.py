"""The supply-risk study: what the shipment history says about supply, and what that supply does
to the inventory stage's decisions.

:func:`run_shipment_study` reads the history once and measures it: the loader's repairs and the
data's own quality problems, delivery performance and lead times per shipment mode, vendor,
country and route, fitted distributions, orders that cross, the late-delivery model and the
supplier scorecard. :func:`run_supply_study` carries it into stock decisions for one
forecaster's hold-out forecasts: variable lead times against every policy, supplier outages, and
dual sourcing under CVaR. Each step is a call into the module that does it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.config.risk import RiskConfig
from workbench.data.panel import DemandPanel
from workbench.inventory.cube import Cube, demand_scenarios
from workbench.risk.distributions import (
    crossing_share,
    delivery_stats,
    goodness_of_fit,
    lead_ratios,
)
from workbench.risk.late_model import LateModelResult, run_late_model
from workbench.risk.leadtime import LeadTimeModel
from workbench.risk.schema import LATE
from workbench.risk.scorecard import supplier_scorecard, yearly_late_rate
from workbench.risk.shipments import Shipments, load_shipments, quality_by_mode, quality_table
from workbench.risk.sourcing import SourcingInputs, SourcingResult, lead_scenarios, solve_sourcing
from workbench.risk.stock import Bench, Disruption, disruption, lead_time_effect, lead_time_summary


@dataclass
class ShipmentStudy:
    history: Shipments
    quality: pl.DataFrame  # check, rows, share, note
    quality_by_mode: pl.DataFrame
    stats: pl.DataFrame  # delivery performance per group, for every column of risk.distributions.group_by
    fits: pl.DataFrame  # goodness of fit per mode, quantity and distribution
    crossing: pl.DataFrame  # per mode: orders that arrived before an earlier one
    ratios: dict[str, np.ndarray]  # per mode: actual / scheduled lead time
    late: LateModelResult
    scorecard: pl.DataFrame
    yearly: pl.DataFrame  # late rate per mode and year

    @property
    def on_time_rate(self) -> float:
        return float(1.0 - self.history.frame.get_column(LATE).mean())


def run_shipment_study(cfg: RiskConfig) -> ShipmentStudy:
    history = load_shipments(cfg.shipments)
    frame = history.frame
    dist = cfg.distributions
    stats = pl.concat([delivery_stats(frame, by, dist) for by in dist.group_by], how="diagonal_relaxed")
    return ShipmentStudy(
        history=history, quality=quality_table(history), quality_by_mode=quality_by_mode(frame), stats=stats,
        fits=goodness_of_fit(frame, "mode", dist), crossing=crossing_share(frame),
        ratios=lead_ratios(frame, dist.min_shipments), late=run_late_model(frame, cfg.model),
        scorecard=supplier_scorecard(frame, cfg.scorecard), yearly=yearly_late_rate(frame))


@dataclass
class SupplyStudy:
    bench: Bench
    lead_effect: pl.DataFrame  # policy x world x replication
    lead_summary: pl.DataFrame  # policy x world: means and spread
    disruption: Disruption
    sourcing: SourcingResult | None
    sourcing_series: pl.DataFrame  # the series of the sourcing plan, with their keys
    notes: list[str]


def run_supply_study(panel: DemandPanel, forecasts: pl.DataFrame, model: str, quantiles: list[float], inv,
                     cfg: RiskConfig, history: Shipments) -> SupplyStudy:
    """The inventory stage's policies for ``model``'s forecasts under the supply the history
    describes (``inventory.lead_time``), an outage of every supplier, and dual sourcing."""
    min_shipments = cfg.distributions.min_shipments
    bench = Bench.build(panel, forecasts, model, quantiles, inv,
                        LeadTimeModel.of(panel.static, inv.lead_time, cfg.shipments, min_shipments, history))
    ratios = lead_ratios(history.frame, min_shipments)
    effect = lead_time_effect(bench, cfg.replications)
    notes = list(bench.notes)
    if bench.lead_times.fixed:
        notes.append("Lead times are fixed (inventory.lead_time.variability=fixed): the three worlds coincide.")
    out = disruption(bench, cfg.disruption, inv.lead_time.by, cfg.seed)
    inputs, chosen = sourcing_inputs(bench, inv, cfg, ratios)
    result = solve_sourcing(inputs, sorted(set(cfg.sourcing.lambdas) | {cfg.sourcing.chosen_lambda}),
                            cfg.sourcing.cvar_alpha, solver=str(inv.lp.solver),
                            terminal_value=cfg.sourcing.terminal_value)
    return SupplyStudy(bench, effect, lead_time_summary(effect, bench.target()), out, result, chosen, notes)


def sourcing_inputs(bench: Bench, inv, cfg: RiskConfig,
                    ratios: dict[str, np.ndarray]) -> tuple[SourcingInputs, pl.DataFrame]:
    """The dual-sourcing plan's data for the ``risk.sourcing.max_series`` series of highest revenue:
    demand paths from the forecast's quantiles, lead-time paths per source from the history's
    ratios of its mode, unit costs per source."""
    sc = cfg.sourcing
    econ = bench.econ
    for src in (sc.slow, sc.fast):
        if src.mode not in ratios:
            raise ValueError(f"risk.sourcing: mode {src.mode!r} has too few lead-time ratios in the shipment history;"
                             f" modes with enough: {sorted(k for k in ratios if k != 'all')}")
    order = np.argsort(-econ.get_column("revenue").to_numpy(), kind="stable")
    rows = np.sort(order[: sc.max_series] if sc.max_series else order)
    full = bench.fixed.cube
    cube = Cube(mean=full.mean[rows], values=full.values[rows], levels=full.levels)
    horizon = cube.mean.shape[1]
    rng = np.random.default_rng([sc.seed, 11])
    nominal = econ.get_column("lead_time").to_numpy()[rows]
    unit_cost = econ.get_column("unit_cost").to_numpy()[rows]
    price = econ.get_column("price").to_numpy()[rows]
    # a lost unit costs the revenue it would have brought and the goodwill (the purchase is in the cost)
    lost_sale = price + np.maximum(price - unit_cost, 0.0) * inv.shortage_penalty
    pipeline = None if bench.window.pipeline is None else bench.window.pipeline[rows]
    inputs = SourcingInputs(
        demand=demand_scenarios(cube, sc.scenarios, inv.error_correlation, sc.seed),
        lead={name: lead_scenarios(nominal, ratios[src.mode], src.lead_factor, sc.scenarios, horizon, rng)
              for name, src in (("slow", sc.slow), ("fast", sc.fast))},
        unit_cost={"slow": unit_cost * sc.slow.cost_factor, "fast": unit_cost * sc.fast.cost_factor},
        holding=bench.window.costs.holding[rows], shortage=lost_sale,
        start_stock=bench.start[rows], pipeline=pipeline, names=[str(r) for r in rows.tolist()])
    chosen = econ[rows.tolist()].select(*bench.keys, "revenue", "lead_time", "unit_cost")
    return inputs, chosen
