"""The logistics study: the deliveries the inventory decisions create, routed, and what delivery
frequency costs in stock and in transport.

:func:`run_logistics_study` reads the network (generated or a CSV of sites), splits the hold-out's
store demand over the stores and prices every delivery frequency (:mod:`.frequency`), then takes
the busiest day of the best frequency: the stores' replenishments of that day and the online orders
of that day, aggregated per customer zone, routed from the depot by every solver of
``logistics.routing.compare``. Each step is a call into the module that does it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.data.panel import DemandPanel
from workbench.inventory.cube import Cube
from workbench.inventory.window import hold_out, location_column, window_cube
from workbench.logistics.check import Evaluation, evaluate
from workbench.logistics.deliveries import channel_demand, site_drops, split_by_share, volumes
from workbench.logistics.frequency import StoreSeries, Tradeoff, sensitivity, tradeoff
from workbench.logistics.geography import Network, build_problem, network_of
from workbench.logistics.problem import RoutingProblem
from workbench.logistics.solvers import SolveSettings, solve

STORE, ZONE = "store", "zone"


@dataclass
class DayRoutes:
    """One day's deliveries routed by every compared solver."""

    date: object
    drops: pl.DataFrame  # site_id, kind, units, volume_l, weight_kg
    problem: RoutingProblem
    solutions: dict[str, Evaluation]  # solver -> its checked solution
    seconds: dict[str, float]
    notes: list[str]

    def comparison(self) -> pl.DataFrame:
        """Per solver: cost, distance, vehicles, time, feasibility and the gap to the cheapest."""
        rows = [{"solver": name, "cost": ev.cost, "distance_km": ev.distance_km, "vehicles": ev.vehicles,
                 "seconds": self.seconds[name], "feasible": ev.feasible} for name, ev in self.solutions.items()]
        table = pl.DataFrame(rows)
        best = table.filter(pl.col("feasible"))["cost"].min()
        return table.with_columns(((pl.col("cost") / best - 1.0) if best else pl.lit(None)).alias("gap_to_best"))


@dataclass
class LogisticsStudy:
    network: Network
    model: str
    stores: StoreSeries  # the store channel's hold-out per item and store
    tradeoff: Tradeoff
    day: DayRoutes
    solver: str  # the study's solver (logistics.routing.solver)
    sweep_comparison: pl.DataFrame  # per solver: the best frequency's delivery days, summed
    sensitivity: pl.DataFrame  # per holding-cost multiplier and interval: the total, and the best interval
    notes: list[str]

    @property
    def routes(self) -> Evaluation:
        return self.day.solutions[self.solver]


def solve_checked(problem: RoutingProblem, solver: str, time_limit: float, no_improvement: int | None,
                  seed: int) -> tuple[Evaluation, float]:
    """``solver``'s routes for ``problem``, evaluated independently of the solver, and its seconds."""
    solution = solve(problem, solver, SolveSettings(time_limit=time_limit, no_improvement=no_improvement, seed=seed))
    return evaluate(problem, solution), solution.seconds


def channels_of(cfg, kind: str) -> list[str]:
    """The channel (or location) values whose deliveries go to sites of ``kind``."""
    return [value for value, k in cfg.channels.items() if k == kind]


def run_logistics_study(panel: DemandPanel, forecasts: pl.DataFrame, model: str, quantiles: list[float], inv,
                        cfg) -> LogisticsStudy:
    """``cfg`` is the ``logistics`` section, ``inv`` the ``inventory`` one (costs, service targets)."""
    network, notes = network_of(cfg)
    keys = list(panel.keys)
    column = location_column(panel, inv)
    if column is None or column not in keys:
        raise ValueError(f"logistics: the panel has no channel or location key (keys {keys}); the study needs "
                         "one to tell store replenishment from online orders (inventory.lp.location)")
    w = hold_out(panel, forecasts, inv)
    cube = window_cube(forecasts, keys, quantiles, model, w)
    dates = forecasts.get_column("date").unique().sort().to_list()
    stores = network.of_kind(STORE)
    store_channels = channels_of(cfg, STORE)
    if len(store_channels) != 1 or stores.height == 0:
        raise ValueError(f"logistics.channels: expected exactly one channel delivered to stores and a network with "
                         f"stores; found channels {store_channels} and {stores.height} stores")
    rows = (w.econ.get_column(column) == store_channels[0]).to_numpy()
    store_econ = w.econ.filter(pl.Series(rows))
    items = np.asarray(store_econ.get_column("item_id").to_list())
    fq = cfg.frequency
    before = panel.dates.filter(panel.dates < dates[0])
    warm_dates = before.tail(max(fq.days) + fq.lead_days).to_list()
    units = store_units(panel, column, store_channels[0], items, dates)
    warm = store_units(panel, column, store_channels[0], items, warm_dates)
    shares = stores.get_column("share").to_numpy()
    volume, weight = volumes(panel.static, items, cfg.weight_per_litre)
    store_series = StoreSeries.split(
        items, split_by_share(units, shares, cfg.seed), split_by_share(warm, shares, cfg.seed + 2),
        Cube(mean=cube.mean[rows], values=cube.values[rows], levels=cube.levels), store_econ, stores, volume, weight,
        dates, fq.samples, inv.error_correlation, cfg.seed)
    route_day = lambda p: solve_checked(p, cfg.routing.solver, fq.time_limit, fq.no_improvement, cfg.routing.seed)  # noqa: E731
    backorders = inv.shortage == "backorder"
    sweep = tradeoff(network, store_series, cfg, backorders, route_day)
    dearer = sensitivity(sweep)
    day = busiest_day(panel, network, cfg, sweep, store_series, column, dates)
    return LogisticsStudy(network, model, store_series, sweep, day, cfg.routing.solver,
                          compare_on_sweep(sweep, cfg), dearer, [*notes, *sweep.notes, *day.notes])


def store_units(panel: DemandPanel, column: str, channel: str, items: np.ndarray, dates: list) -> np.ndarray:
    """The channel's actual units on ``dates``, (items, days), rows in the order of ``items`` (the
    series the hold-out forecasts cover); an item the channel has no row for sold nothing."""
    if not dates:
        return np.zeros((items.size, 0))
    ids, units = channel_demand(panel, column, channel, dates)
    at = {item: k for k, item in enumerate(ids)}
    out = np.zeros((items.size, len(dates)), dtype=units.dtype)
    found = np.array([item in at for item in items], dtype=bool)
    out[found] = units[[at[item] for item in items[found]]]
    return out


def busiest_day(panel: DemandPanel, network: Network, cfg, sweep: Tradeoff, stores: StoreSeries, column: str,
                dates: list) -> DayRoutes:
    """The best frequency's day with the most volume to deliver: its store replenishments and that
    day's online orders per zone, routed by every solver of ``logistics.routing.compare``."""
    run = sweep.runs[sweep.best_days]
    site_ids = stores.stores.get_column("site_id").to_list()
    parts = np.zeros((stores.site.size, len(site_ids), len(dates)))
    parts[np.arange(stores.site.size), stores.site] = run.arrivals
    store_drops = site_drops(parts, stores.volume, stores.weight, np.array(site_ids), dates)
    frames = [store_drops.with_columns(pl.lit(STORE).alias("kind"))]
    zones = network.of_kind(ZONE)
    for channel in channels_of(cfg, ZONE):
        if zones.height == 0:
            break
        item_ids, units = channel_demand(panel, column, channel, dates)
        volume, weight = volumes(panel.static, item_ids, cfg.weight_per_litre)
        split = split_by_share(units, zones.get_column("share").to_numpy(), cfg.seed + 1)
        frames.append(site_drops(split, volume, weight, np.array(zones.get_column("site_id").to_list()), dates)
                      .with_columns(pl.lit(ZONE).alias("kind")))
    drops = pl.concat(frames, how="diagonal_relaxed")
    by_day = drops.group_by("date").agg(pl.col("volume_l").sum()).sort("volume_l", "date", descending=[True, False])
    date = by_day["date"][0]
    day = (drops.filter(pl.col("date") == date).group_by("site_id", "kind")
           .agg(pl.col("units", "volume_l", "weight_kg").sum()).sort("kind", "site_id"))
    said: list[str] = []
    problem = build_problem(network, day.select("site_id", "volume_l", "weight_kg"), day=date, notes=said)
    rc = cfg.routing
    solutions, seconds = {}, {}
    for name in dict.fromkeys([rc.solver, *rc.compare]):
        solutions[name], seconds[name] = solve_checked(problem, name, rc.time_limit, rc.no_improvement, rc.seed)
    return DayRoutes(date, day, problem, solutions, seconds, said)


def compare_on_sweep(sweep: Tradeoff, cfg) -> pl.DataFrame:
    """Every compared solver on the delivery days of the best frequency (the study's solver's
    routes are those of the sweep): total cost, distance, routes and seconds."""
    run = sweep.runs[sweep.best_days]
    fq = cfg.frequency
    rows = [{"solver": cfg.routing.solver, "days": run.routes.height, "cost": float(run.routes["cost"].sum()),
             "distance_km": float(run.routes["distance_km"].sum()), "routes": int(run.routes["routes"].sum()),
             "seconds": float(run.routes["seconds"].sum()), "feasible": bool(run.routes["feasible"].all())}]
    for name in cfg.routing.compare:
        if name == cfg.routing.solver:
            continue
        got = [solve_checked(p, name, fq.time_limit, fq.no_improvement, cfg.routing.seed) for p in run.problems]
        rows.append({"solver": name, "days": len(got), "cost": float(sum(e.cost for e, _ in got)),
                     "distance_km": float(sum(e.distance_km for e, _ in got)),
                     "routes": int(sum(e.vehicles for e, _ in got)), "seconds": float(sum(s for _, s in got)),
                     "feasible": all(e.feasible for e, _ in got)})
    table = pl.DataFrame(rows)
    best = table.filter(pl.col("feasible"))["cost"].min()
    return table.with_columns(((pl.col("cost") / best - 1.0) if best else pl.lit(None)).alias("gap_to_best"))
