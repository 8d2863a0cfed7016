"""Stock against transport: what replenishing every store every f days costs in stock and in routes.

Delivering often keeps little stock in the stores but sends a truck out for small drops; delivering
rarely fills the trucks but the stores carry more cycle stock and, with a longer cover to forecast,
more safety stock. For each frequency f of ``logistics.frequency.days`` this module

1. splits the store channel's hold-out demand and forecasts over the stores by their shares (the
   actual units by a seeded multinomial split, the forecast in proportion);
2. reviews each item × store every f days with a periodic policy of the inventory stage
   (``logistics.frequency.policy``, by default (R,S) quantile with R = f), the stores' reviews
   staggered over the f days of the cycle by a sweep around their depot, so that each day's stores
   lie together and the fleet is used every day; a store's order arrives ``lead_days`` later;
3. prices the stock by the inventory simulation (holding and shortage; the order's own cost is the
   route's, so the fixed cost per order is not charged twice) and the transport by routing every
   day's deliveries with the chosen solver;
4. splits each route's cost over its stores in proportion to their stand-alone round trips from the
   depot, so that each store has its own curve and its own best frequency. A store's best frequency so
   read assumes the others keep theirs: the routes it shares depend on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.inventory.cube import Cube, demand_scenarios
from workbench.inventory.levels import POLICIES, LevelInputs
from workbench.inventory.simulate import Costs, OrderUpToPolicy, Simulator, level_at
from workbench.logistics.check import Evaluation
from workbench.logistics.geography import Network, build_problem
from workbench.logistics.problem import RoutingProblem

EARTH_KM = 6371.0088  # mean Earth radius

# routes one day's problem: (the evaluated solution, the solver's seconds)
RouteDay = Callable[[RoutingProblem], tuple[Evaluation, float]]


@dataclass
class StoreSeries:
    """The store channel's hold-out at the level of item × store (rows item-major)."""

    item_ids: np.ndarray  # (n,) the item of each row
    site: np.ndarray  # (n,) index into ``stores`` of each row
    stores: pl.DataFrame  # site_id, share, ... of the stores, in the network's order
    demand: np.ndarray  # (n, H) actual units
    cube: Cube  # the forecast in proportion to the store's share
    holding: np.ndarray  # (n,) per unit and day
    shortage: np.ndarray  # (n,) per unit short
    target: np.ndarray  # (n,) cycle service target of the item's class
    volume: np.ndarray  # (n,) litres per unit
    weight: np.ndarray  # (n,) kg per unit
    dates: list  # (H,) the window's dates

    @classmethod
    def split(cls, item_ids: np.ndarray, units: np.ndarray, parts: np.ndarray, cube: Cube, econ: pl.DataFrame,
              stores: pl.DataFrame, volume: np.ndarray, weight: np.ndarray, dates: list, samples: int = 200,
              seed: int = 0) -> StoreSeries:
        """``units`` (items, H) of the channel split into ``parts`` (items, k, H) over the ``k`` stores;
        ``cube`` and ``econ`` are the channel's rows in the same item order; the stores' forecasts
        are :func:`thinned_cube`'s."""
        n_items, k, horizon = parts.shape
        if units.shape != (n_items, horizon) or not np.array_equal(parts.sum(axis=1), units):
            raise ValueError("StoreSeries.split: the stores' parts do not add up to the channel's demand")
        share = stores.get_column("share").to_numpy().astype(float)
        scaled = thinned_cube(cube, share, samples, seed)
        rep = lambda a: np.repeat(np.asarray(a, dtype=float), k)  # noqa: E731 - one value per item, per row
        return cls(item_ids=np.repeat(item_ids, k), site=np.tile(np.arange(k), n_items), stores=stores,
                   demand=parts.reshape(n_items * k, horizon).astype(float), cube=scaled,
                   holding=rep(econ.get_column("holding_cost")), shortage=rep(econ.get_column("shortage_cost")),
                   target=rep(econ.get_column("service_level")), volume=rep(volume), weight=rep(weight), dates=dates)

    @property
    def n_stores(self) -> int:
        return self.stores.height


def thinned_cube(cube: Cube, share: np.ndarray, samples: int, seed: int) -> Cube:
    """The forecast of each store's part of the channel's demand, rows item-major (item × store).

    Each unit the channel sells goes to store k with probability ``share[k]``, so a store's demand is
    the channel's thinned binomially: its mean is share × the channel's, but a small store's demand
    is lumpier than a scaled copy of the channel's forecast says (a store with a twentieth of an
    item that sells 10 a day sells 0 on most days and 2 on some). The quantiles are therefore read
    off ``samples`` seeded draws of the channel's demand per day (from its forecast quantiles),
    rounded to whole units and thinned with each store's share."""
    n, horizon = cube.mean.shape
    rng = np.random.default_rng([seed, 23])
    draws = np.rint(demand_scenarios(cube, samples, 1.0, int(rng.integers(2**31)))).astype(np.int64)  # (S, n, H)
    values = np.empty((n, share.size, horizon, cube.levels.size))
    for k, p in enumerate(share):  # one pass per store over all items and days
        part = rng.binomial(draws, p)
        values[:, k] = np.moveaxis(np.quantile(part, cube.levels, axis=0), 0, -1)
    mean = cube.mean[:, None, :] * share[None, :, None]
    return Cube(mean=mean.reshape(n * share.size, horizon), values=values.reshape(n * share.size, horizon, -1),
                levels=cube.levels)


def delivery_groups(network: Network, stores: pl.DataFrame, every: int) -> np.ndarray:
    """For each store, the day of the ``every``-day cycle it is reviewed on: stores sorted by their
    bearing from the depot nearest to them and cut into ``every`` runs of consecutive bearings, so
    that a day's stores lie in one sector and each day has about as many."""
    sites = network.sites
    ids = sites.get_column("site_id").to_list()
    rows = np.array([ids.index(s) for s in stores.get_column("site_id").to_list()])
    depots = np.flatnonzero(sites.get_column("kind").to_numpy() == "depot")
    km = network.distance_km()
    nearest = depots[np.argmin(km[np.ix_(rows, depots)], axis=1)]
    xy = planar_km(network)
    dx, dy = (xy[rows] - xy[nearest]).T
    bearing = np.arctan2(dy, dx)
    order = np.lexsort((bearing, nearest))
    groups = np.empty(rows.size, dtype=np.int64)
    groups[order] = np.arange(rows.size) * every // max(rows.size, 1)
    return groups


def planar_km(network: Network) -> np.ndarray:
    """The sites on a plane, (N, 2) km: an equirectangular projection around their mean latitude
    (accurate to well under a percent over a region), or the coordinates themselves."""
    sites = network.sites
    if str(network.coordinates) == "euclidean":
        return sites.select("x", "y").to_numpy().astype(float)
    lat = np.radians(sites.get_column("lat").to_numpy().astype(float))
    lon = np.radians(sites.get_column("lon").to_numpy().astype(float))
    return EARTH_KM * np.column_stack([lon * np.cos(lat.mean()), lat])


@dataclass
class Frequency:
    """One frequency's outcome: the stock simulation and every delivery day's routes."""

    days: int
    result: object  # the SimResult of the store rows
    arrivals: np.ndarray  # (n, H) units delivered to each row on each day
    routes: pl.DataFrame  # per delivery day: date, stores, routes, distance_km, cost, seconds, feasible
    store_transport: np.ndarray  # (k,) transport cost allocated to each store
    problems: list[RoutingProblem]  # each delivery day's routing problem, in date order


def simulate_stores(stores: StoreSeries, every: int, policy_name: str, lead_days: int, correlation: float,
                    groups: np.ndarray, backorders: bool) -> tuple[object, np.ndarray]:
    """The store rows reviewed every ``every`` days (row offsets from ``groups``); returns the
    simulation result and the units delivered to each row on each day of the window."""
    policy = POLICIES[policy_name]()
    n, horizon = stores.demand.shape
    econ = pl.DataFrame({"lead_time": np.full(n, int(lead_days)), "holding_cost": stores.holding,
                         "order_cost": np.zeros(n), "shortage_cost": stores.shortage, "service_level": stores.target})
    x = LevelInputs.from_economics(stores.cube, econ, review=int(every), correlation=correlation)
    rule = policy.rule(policy.levels(x), x)
    if not isinstance(rule, OrderUpToPolicy):
        raise ValueError(f"logistics.frequency.policy={policy_name!r} is not a periodic order-up-to policy; "
                         "the delivery frequency is its review period (expected e.g. RS_quantile or RS_newsvendor)")
    rule.offset = groups[stores.site]
    start = np.ceil(level_at(rule.order_up_to, 0))  # each store starts at its order-up-to level
    sim = Simulator(stores.demand, start, np.full(n, int(lead_days)),
                    Costs(holding=stores.holding, ordering=np.zeros(n), shortage=stores.shortage),
                    backorders=backorders)
    arrivals = np.zeros((n, horizon))
    while not sim.done:
        state = sim.state()
        placed = sim.place(rule.decide(state))
        due = state.t + int(lead_days)
        if due < horizon:
            arrivals[:, due] = placed
    return sim.result(), arrivals


def allocate(evaluation: Evaluation, problem: RoutingProblem) -> dict[str, float]:
    """Each route's cost split over its stops in proportion to their stand-alone round trips from
    the route's depot (a stop far out is what makes a route long); per site id."""
    stops = evaluation.stops.join(evaluation.routes.select("route", "cost", "depot"), on="route")
    names = list(problem.names) if problem.names else [str(i) for i in range(problem.n_locations)]
    depot_index = {names[d]: d for d in range(problem.n_depots)}
    loc = stops.get_column("location").to_numpy()
    dep = np.array([depot_index[d] for d in stops.get_column("depot").to_list()], dtype=np.int64)
    weight = (problem.distance[dep, loc] + problem.distance[loc, dep]).astype(float)
    stops = stops.with_columns(pl.Series("w", weight)).with_columns(
        (pl.col("cost") * pl.when(pl.col("w").sum().over("route") > 0)  # stops at the depot itself: equal parts
         .then(pl.col("w") / pl.col("w").sum().over("route")).otherwise(1.0 / pl.len().over("route"))).alias("part"))
    out = stops.group_by("site").agg(pl.col("part").sum().alias("cost"))
    return dict(out.iter_rows())


def price_frequency(network: Network, stores: StoreSeries, every: int, cfg, correlation: float, backorders: bool,
                    route_day: RouteDay) -> Frequency:
    """Stock and transport of replenishing every store every ``every`` days (``cfg``: ``logistics``)."""
    fq = cfg.frequency
    groups = delivery_groups(network, stores.stores, every)
    result, arrivals = simulate_stores(stores, every, fq.policy, fq.lead_days, correlation, groups, backorders)
    k = stores.n_stores
    site_ids = stores.stores.get_column("site_id").to_list()
    volume = np.zeros((k, arrivals.shape[1]))
    weight = np.zeros_like(volume)
    np.add.at(volume, stores.site, arrivals * stores.volume[:, None])
    np.add.at(weight, stores.site, arrivals * stores.weight[:, None])
    transport = dict.fromkeys(site_ids, 0.0)
    rows, problems = [], []
    for day in np.flatnonzero(volume.sum(axis=0) > 0):
        drops = pl.DataFrame({"site_id": site_ids, "volume_l": volume[:, day], "weight_kg": weight[:, day]})
        problem = build_problem(network, drops.filter(pl.col("volume_l") > 0))
        evaluation, seconds = route_day(problem)
        problems.append(problem)
        for site, cost in allocate(evaluation, problem).items():
            transport[site] += cost
        rows.append({"date": stores.dates[day], "stores": problem.n_locations - problem.n_depots,
                     "routes": evaluation.vehicles, "distance_km": evaluation.distance_km, "cost": evaluation.cost,
                     "seconds": seconds, "feasible": evaluation.feasible})
    routes = pl.DataFrame(rows, schema={"date": pl.Date, "stores": pl.Int64, "routes": pl.Int64,
                                        "distance_km": pl.Float64, "cost": pl.Float64, "seconds": pl.Float64,
                                        "feasible": pl.Boolean})
    return Frequency(every, result, arrivals, routes, np.array([transport[s] for s in site_ids]), problems)


@dataclass
class Tradeoff:
    """The sweep over delivery frequencies."""

    network: pl.DataFrame  # per frequency: stock and transport costs, service, routes, the total
    per_store: pl.DataFrame  # per store and frequency: stock, transport, total, best
    days: pl.DataFrame  # per frequency and delivery day: the day's routes
    best_days: int  # the frequency with the lowest total for the network
    runs: dict[int, Frequency]

    def sensitivity(self, multipliers: list[float]) -> pl.DataFrame:
        """The network's total at each interval with the holding cost ``m`` times the data's, and the
        best interval at each ``m``: the same simulations re-priced, exact for policies whose levels
        do not depend on the holding cost (the (R,S) quantile rule's come from the service target)."""
        t = self.network
        rows = [t.select("days", pl.lit(float(m)).alias("holding_multiplier"),
                         (m * pl.col("holding_cost") + pl.col("shortage_cost") + pl.col("transport_cost")).alias("total_cost"))
                for m in multipliers]
        out = pl.concat(rows)
        return out.with_columns(
            (pl.col("total_cost") == pl.col("total_cost").min().over("holding_multiplier")).alias("best"))


def tradeoff(network: Network, stores: StoreSeries, cfg, correlation: float, backorders: bool,
             route_day: RouteDay) -> Tradeoff:
    """Every frequency of ``logistics.frequency.days`` priced on the same demand and network."""
    runs = {f: price_frequency(network, stores, f, cfg, correlation, backorders, route_day)
            for f in sorted(set(cfg.frequency.days))}
    site_ids = stores.stores.get_column("site_id").to_list()
    net, per, days = [], [], []
    for f, run in runs.items():
        r = run.result
        s = r.summary()
        stock = r.holding_cost + r.shortage_cost
        net.append({"days": f, "holding_cost": s["holding_cost"], "shortage_cost": s["shortage_cost"],
                    "stock_cost": float(stock.sum()), "transport_cost": float(run.routes["cost"].sum()),
                    "fill_rate": s["fill_rate"], "mean_stock": s["mean_stock"],
                    "deliveries": int(run.routes["stores"].sum()), "routes": int(run.routes["routes"].sum()),
                    "distance_km": float(run.routes["distance_km"].sum()),
                    "all_feasible": bool(run.routes["feasible"].all()) if run.routes.height else True})
        per.append(pl.DataFrame({"site_id": site_ids, "days": f,
                                 "stock_cost": np.bincount(stores.site, weights=stock, minlength=len(site_ids)),
                                 "transport_cost": run.store_transport}))
        days.append(run.routes.with_columns(pl.lit(f).alias("days")))
    network_table = pl.DataFrame(net).with_columns(
        (pl.col("stock_cost") + pl.col("transport_cost")).alias("total_cost"))
    per_store = (pl.concat(per).with_columns((pl.col("stock_cost") + pl.col("transport_cost")).alias("total_cost"))
                 .with_columns((pl.col("total_cost") == pl.col("total_cost").min().over("site_id")).alias("best"))
                 .sort("site_id", "days"))
    best = int(network_table.sort("total_cost", "days")["days"][0])
    return Tradeoff(network_table, per_store, pl.concat(days).select("days", pl.exclude("days")), best, runs)
