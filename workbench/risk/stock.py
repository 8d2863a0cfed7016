"""Supply risk in stock decisions: what variable lead times and supplier outages do to the
inventory stage's policies, priced by the same closed-loop simulation.

A :class:`Bench` holds one forecaster's policies on the hold-out window twice: with levels
that take the lead time as fixed and with levels that account for its variability. Then

* :func:`lead_time_effect` simulates every policy in three worlds over several seeded
  replications of the drawn lead times (the same draws for every policy: common random
  numbers): lead times fixed, lead times drawn with levels that assume them fixed, and drawn
  with levels that account for them. It shows the service each really delivers and its cost.
* :func:`disruption` stops every supplier's deliveries for ``risk.disruption.days`` periods.
  Series do not share stock or capacity in the simulation, so one simulation with every
  supplier out at once gives each series exactly what its own supplier's outage does to it;
  per supplier and per item it reports service lost, extra cost and revenue at risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.config.risk import DisruptionConfig
from workbench.data.panel import DemandPanel
from workbench.inventory.levels import InventoryPolicy, LevelInputs, make_policies
from workbench.inventory.simulate import SimResult, simulate
from workbench.inventory.start import start_state
from workbench.inventory.study import HoldOut, hold_out, window_cube
from workbench.risk.leadtime import LeadTimeModel, LeadTimes, suppliers_of

FIXED, ASSUMED, AWARE = "fixed lead times", "drawn; levels assume fixed", "drawn; levels account for variability"
WORLDS = (FIXED, ASSUMED, AWARE)
SUMMARY = ("fill_rate", "fill_rate_after_lead", "cycle_service_level", "mean_stock", "holding_cost",
           "ordering_cost", "shortage_cost", "total_cost")


@dataclass
class Bench:
    """One forecaster's policies on the hold-out window, ready to be simulated under any supply."""

    keys: list[str]
    window: HoldOut
    start: np.ndarray
    policies: list[InventoryPolicy]
    fixed: LevelInputs  # levels that take the lead time as fixed
    aware: LevelInputs  # levels that account for its variability
    lead_times: LeadTimes
    backorders: bool
    notes: list[str]
    _rules: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, panel: DemandPanel, forecasts: pl.DataFrame, model: str, quantiles: list[float], inv,
              lead_model: LeadTimeModel) -> Bench:
        keys = list(panel.keys)
        w = hold_out(panel, forecasts, inv)
        cube = window_cube(forecasts, keys, quantiles, model, w)
        lt = lead_model.for_series(w.econ)
        fixed = LevelInputs.from_economics(cube, w.econ, int(inv.review_days), inv.error_correlation)
        aware = LevelInputs.from_economics(cube, w.econ, int(inv.review_days), inv.error_correlation,
                                           lead_times=lt, samples=inv.lead_time.samples)
        notes = [*w.notes, *lt.notes]
        w = start_state(panel, w, fixed, inv, notes)
        return cls(keys, w, w.start, make_policies(list(inv.policies)), fixed, aware, lt,
                   inv.shortage == "backorder", notes)

    @property
    def econ(self) -> pl.DataFrame:
        return self.window.econ

    @property
    def horizon(self) -> int:
        return self.window.demand.shape[1]

    def run(self, policy: InventoryPolicy, aware: bool, draws: np.ndarray | None,
            outage: np.ndarray | None = None) -> SimResult:
        x = self.aware if aware else self.fixed
        if (policy.name, aware) not in self._rules:  # levels once per policy and view of the lead time
            self._rules[(policy.name, aware)] = policy.rule(policy.levels(x), x)
        w = self.window
        return simulate(w.demand, self.start, x.lead, self._rules[(policy.name, aware)], w.costs, pipeline=w.pipeline,
                        backorders=self.backorders, lead_draws=draws, crossing=self.lead_times.crossing, outage=outage)

    def target(self) -> float:
        """The demand-weighted mean service target."""
        d = self.window.demand.sum(axis=1)
        return float((self.fixed.target * d).sum() / max(d.sum(), 1e-12))


def lead_time_effect(bench: Bench, replications: int) -> pl.DataFrame:
    """Every policy in the three worlds of :data:`WORLDS`, one row per policy, world and
    replication (the fixed world is one replication: it draws nothing)."""
    rows = []
    for r in range(replications):
        draws = bench.lead_times.draws(bench.horizon, salt=r)
        for p in bench.policies:
            worlds = [(ASSUMED, False, draws), (AWARE, True, draws)] + ([(FIXED, False, None)] if r == 0 else [])
            for world, aware, d in worlds:
                summary = bench.run(p, aware, d).summary()
                rows.append({"policy": p.name, "world": world, "replication": r,
                             **{k: summary[k] for k in SUMMARY}})
    return pl.DataFrame(rows)


def lead_time_summary(effect: pl.DataFrame, target: float) -> pl.DataFrame:
    """Mean and spread over the replications per policy and world, with the gap of the fill rate
    after the first arrival to the (demand-weighted) service target."""
    world_order = pl.Enum(list(WORLDS))
    agg = (effect.group_by("policy", "world").agg(
        *[pl.col(k).mean() for k in SUMMARY],
        pl.col("fill_rate_after_lead").std().alias("fill_rate_after_lead_sd"),
        pl.col("total_cost").std().alias("total_cost_sd"), pl.len().alias("replications"))
        .with_columns(pl.lit(target).alias("service_target"),
                      (pl.col("fill_rate_after_lead") - target).alias("gap_to_target"))
        .with_columns(pl.col("world").cast(world_order)).sort("policy", "world"))
    return agg.with_columns(pl.col("world").cast(pl.String))


def outage_mask(suppliers: np.ndarray, horizon: int, cfg: DisruptionConfig, seed: int) -> tuple[np.ndarray, dict]:
    """``(n, horizon)`` periods in which nothing arrives for each series, and each supplier's first
    period out: ``cfg.start`` for all, or drawn per supplier (seeded) so that the outage fits the window."""
    names = np.unique(suppliers)
    if cfg.start is None:
        rng = np.random.default_rng([seed, 7])
        first = dict(zip(names.tolist(), rng.integers(0, max(horizon - cfg.days, 0) + 1, size=names.size).tolist(),
                         strict=True))
    else:
        first = {s: int(cfg.start) for s in names.tolist()}
    begin = np.array([first[s] for s in suppliers.tolist()], dtype=np.int64)
    t = np.arange(horizon)[None, :]
    return (t >= begin[:, None]) & (t < begin[:, None] + cfg.days), first


@dataclass
class Disruption:
    by_policy: pl.DataFrame  # policy: fill rate with and without the outage, service lost, extra cost, revenue at risk
    by_supplier: pl.DataFrame  # supplier x policy: the same over the supplier's series
    exposed: pl.DataFrame  # the series with most revenue at risk under the reference policy
    reference: str  # the policy the exposure is measured under (the cheapest without an outage)
    starts: dict[str, int]


def disruption(bench: Bench, cfg: DisruptionConfig, supplier_column: str, seed: int) -> Disruption:
    """Every supplier out for ``cfg.days`` periods, against every policy (levels that account
    for lead-time variability, lead times drawn as in the first replication)."""
    econ, keys = bench.econ, bench.keys
    suppliers = suppliers_of(econ, supplier_column)
    outage, starts = outage_mask(suppliers, bench.horizon, cfg, seed)
    draws = bench.lead_times.draws(bench.horizon, salt=0)
    price = econ.get_column("price").to_numpy()
    frames = []
    for p in bench.policies:
        base, hit = bench.run(p, True, draws), bench.run(p, True, draws, outage)
        frames.append(econ.select(keys).with_columns(
            pl.Series("supplier", suppliers.astype(str)), pl.Series("mode", bench.lead_times.group.astype(str)),
            pl.lit(p.name).alias("policy"), pl.Series("demand", base.demand),
            pl.Series("sales_base", base.sales), pl.Series("sales_outage", hit.sales),
            pl.Series("cost_base", base.total_cost), pl.Series("cost_outage", hit.total_cost),
            pl.Series("revenue_at_risk", np.maximum(base.sales - hit.sales, 0.0) * price),
            pl.Series("revenue", base.demand * price)))
    per = pl.concat(frames)
    sums = [pl.col(c).sum() for c in ("demand", "sales_base", "sales_outage", "cost_base", "cost_outage",
                                      "revenue_at_risk", "revenue")]
    rates = [(pl.col("sales_base") / pl.col("demand")).alias("fill_rate_base"),
             (pl.col("sales_outage") / pl.col("demand")).alias("fill_rate_outage"),
             ((pl.col("sales_base") - pl.col("sales_outage")) / pl.col("demand")).alias("service_lost"),
             (pl.col("cost_outage") - pl.col("cost_base")).alias("extra_cost")]
    by_policy = per.group_by("policy", maintain_order=True).agg(sums).with_columns(*rates)
    reference = by_policy.sort("cost_base")["policy"][0]
    by_supplier = (per.group_by("supplier", "mode", "policy").agg(pl.len().alias("series"), *sums)
                   .with_columns(*rates, pl.col("supplier").replace_strict(starts, return_dtype=pl.Int64).alias("start"))
                   .sort("policy", "revenue_at_risk", descending=[False, True]))
    exposed = (per.filter(pl.col("policy") == reference).with_columns(
        (pl.col("cost_outage") - pl.col("cost_base")).alias("extra_cost"),
        pl.Series("lead_time", bench.lead_times.nominal))
        .sort("revenue_at_risk", descending=True).head(cfg.top)
        .select(*keys, "supplier", "mode", "lead_time", "revenue", "revenue_at_risk", "extra_cost"))
    return Disruption(by_policy.sort("extra_cost"), by_supplier, exposed, reference, starts)
