"""Stock against transport: what replenishing every store every f days costs in stock and in routes.

Delivering often keeps little stock in the stores but sends a truck out for small drops; delivering
rarely fills the trucks but the stores carry more cycle stock and, with a longer cover to forecast,
more safety stock. For each frequency f of ``logistics.frequency.days`` this module

1. splits the store channel's hold-out demand over the stores by their shares (the actual units by
   a seeded multinomial split; the forecast by drawing the channel's demand from its quantiles and
   thinning every unit to a store with the store's share, :func:`thinned_paths`);
2. reviews each item × store every f days with an (R,S) rule, R = f, whose S is the quantile of
   the store's demand over R + L - 1 days at its service level (``logistics.frequency.service``),
   L = ``lead_days``; the stores' reviews are staggered over the f days of the cycle by a sweep around
   their depot, so that each day's stores lie together and the fleet is used every day. Each store
   first runs its rule over the f + L days before the window, on their real demand, so that it
   enters the window where its cycle puts it, with its orders on the way;
3. prices the stock by the inventory simulation (holding and shortage; the order's own cost is the
   route's, so the fixed cost per order is not charged twice) and the transport by routing every
   day's deliveries with the chosen solver;
4. splits each route's cost over its stores in proportion to their stand-alone round trips from the
   depot, so that each store has its own curve and its own best frequency. A store's best frequency so
   read assumes the others keep theirs: the routes it shares depend on them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.inventory.cube import Cube, demand_scenarios
from workbench.inventory.policies import cost_service_level
from workbench.inventory.simulate import Costs, OrderUpToPolicy, SimResult, Simulator, simulate
from workbench.logistics.check import Evaluation
from workbench.logistics.geography import EARTH_KM, Network, build_problem
from workbench.logistics.problem import RoutingProblem

# routes one day's problem: (the evaluated solution, the solver's seconds)
RouteDay = Callable[[RoutingProblem], tuple[Evaluation, float]]


@dataclass
class StoreSeries:
    """The store channel's hold-out at the level of item × store (rows item-major), and the days
    before it that bring each store to the state its review cycle implies."""

    item_ids: np.ndarray  # (n,) the item of each row
    site: np.ndarray  # (n,) index into ``stores`` of each row
    stores: pl.DataFrame  # site_id, share, ... of the stores, in the network's order
    demand: np.ndarray  # (n, H) actual units in the window
    warmup: np.ndarray  # (n, W) actual units on the W days before it
    paths: np.ndarray  # (S, n, H) draws of each row's demand: the channel's forecast, thinned to the store
    holding: np.ndarray  # (n,) per unit and day
    shortage: np.ndarray  # (n,) per unit short
    target: np.ndarray  # (n,) cycle service target of the item's class
    volume: np.ndarray  # (n,) litres per unit
    weight: np.ndarray  # (n,) kg per unit
    dates: list  # (H,) the window's dates

    @classmethod
    def split(cls, item_ids: np.ndarray, parts: np.ndarray, warmup: np.ndarray, cube: Cube, econ: pl.DataFrame,
              stores: pl.DataFrame, volume: np.ndarray, weight: np.ndarray, dates: list, samples: int,
              correlation: float, seed: int) -> StoreSeries:
        """``parts`` (items, k, H) and ``warmup`` (items, k, W): the channel's actual units split over
        the ``k`` stores; ``cube`` and ``econ`` are the channel's rows in the same item order."""
        n_items, k, horizon = parts.shape
        if cube.mean.shape != (n_items, horizon) or warmup.shape[:2] != (n_items, k) or econ.height != n_items:
            raise ValueError(f"StoreSeries.split: {n_items} items x {k} stores x {horizon} days of demand, a forecast "
                             f"of {cube.mean.shape}, a warm-up of {warmup.shape} and {econ.height} items' economics")
        share = stores.get_column("share").to_numpy().astype(float)
        rep = lambda a: np.repeat(np.asarray(a, dtype=float), k)  # noqa: E731 - one value per item, per row
        return cls(item_ids=np.repeat(item_ids, k), site=np.tile(np.arange(k), n_items), stores=stores,
                   demand=parts.reshape(n_items * k, horizon).astype(float),
                   warmup=warmup.reshape(n_items * k, -1).astype(float),
                   paths=thinned_paths(cube, share, samples, correlation, seed),
                   holding=rep(econ.get_column("holding_cost")), shortage=rep(econ.get_column("shortage_cost")),
                   target=rep(econ.get_column("service_level")), volume=rep(volume), weight=rep(weight), dates=dates)

    @property
    def n_stores(self) -> int:
        return self.stores.height

    def service(self, rule: str, every: int) -> np.ndarray:
        """Each row's cycle service level: its class target, or the cost-optimal one for a review of
        ``every`` days (:func:`~workbench.inventory.policies.cost_service_level`, at most 99.5 %)."""
        if str(rule) == "target":
            return self.target
        return np.clip(cost_service_level(self.holding, self.shortage, every), 0.5, 0.995)

    def cover_sums(self, cover: int) -> np.ndarray:
        """Each draw's demand over the ``cover`` days after every decision day, sorted over the draws:
        (S, n, H), what :meth:`order_up_to` reads its quantiles from."""
        draws, n, horizon = self.paths.shape
        sums = Cube.path(self.paths.reshape(draws * n, horizon).astype(float), np.full(draws * n, int(cover)), horizon)
        return np.sort(sums.reshape(draws, n, horizon), axis=0)

    def order_up_to(self, cover: int, level: np.ndarray, sums: np.ndarray | None = None) -> np.ndarray:
        """S per row and decision day, (n, H): the quantile at ``level`` (per row) of the row's demand
        over the ``cover`` days after the decision, read off the drawn paths (``sums``: their
        :meth:`cover_sums`, where already at hand)."""
        sums = self.cover_sums(cover) if sums is None else sums
        draws, n, _ = sums.shape
        pos = np.clip(level, 0.0, 1.0) * (draws - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, draws - 1)
        rows = np.arange(n)
        return sums[lo, rows] + (pos - lo)[:, None] * (sums[hi, rows] - sums[lo, rows])


def thinned_paths(cube: Cube, share: np.ndarray, samples: int, correlation: float, seed: int) -> np.ndarray:
    """Draws of each store's part of the channel's demand, (S, items × stores, H), rows item-major.

    Each unit the channel sells goes to store k with probability ``share[k]``, so a store's demand is
    the channel's thinned binomially: its mean is share × the channel's, but a small store's demand
    is lumpier than a scaled copy of the channel's forecast, and its thinning is independent from
    day to day. The channel's paths are drawn from its forecast quantiles with the inventory stage's
    error correlation between days (:func:`~workbench.inventory.cube.demand_scenarios`), rounded to
    whole units, and thinned with each store's share; a level over several days is then a quantile
    of the sum of each path's days, not a sum of the days' quantiles."""
    n, horizon = cube.mean.shape
    rng = np.random.default_rng([seed, 23])
    channel = np.rint(demand_scenarios(cube, samples, correlation, int(rng.integers(2**31)))).astype(np.int64)
    out = np.empty((samples, n, share.size, horizon), dtype=np.int32)
    for k, p in enumerate(share):  # one pass per store over all items, days and draws
        out[:, :, k] = rng.binomial(channel, p)
    return out.reshape(samples, n * share.size, horizon)


def delivery_groups(network: Network, stores: pl.DataFrame, every: int) -> np.ndarray:
    """For each store, the day of the ``every``-day cycle it is reviewed on: each depot's stores (a
    store belongs to the depot nearest to it) sorted by their bearing from it and cut into ``every``
    runs of consecutive bearings, so that a day's stores lie in one sector and each day has about as
    many."""
    sites = network.sites
    ids = sites.get_column("site_id").to_list()
    rows = np.array([ids.index(s) for s in stores.get_column("site_id").to_list()])
    depots = np.flatnonzero(sites.get_column("kind").to_numpy() == "depot")
    km = network.distance_km()
    nearest = depots[np.argmin(km[np.ix_(rows, depots)], axis=1)]
    xy = planar_km(network)
    dx, dy = (xy[rows] - xy[nearest]).T
    bearing = np.arctan2(dy, dx)
    groups = np.empty(rows.size, dtype=np.int64)
    for depot in np.unique(nearest):  # each depot's fleet gets a share of its own stores every day
        mine = np.flatnonzero(nearest == depot)
        ranked = mine[np.argsort(bearing[mine], kind="stable")]
        groups[ranked] = np.arange(mine.size) * every // mine.size
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
    result: SimResult  # the store rows over the window
    arrivals: np.ndarray  # (n, H) units delivered to each row on each day
    routes: pl.DataFrame  # per delivery day: date, stores, routes, distance_km, cost, seconds, feasible
    store_transport: np.ndarray  # (k,) transport cost allocated to each store
    problems: list[RoutingProblem]  # each delivery day's routing problem, in date order
    # the store rows at each holding-cost multiplier (logistics.frequency.holding_multipliers; 1.0 is ``result``),
    # with levels set for that holding cost
    dearer: dict[float, SimResult]


def simulate_stores(stores: StoreSeries, every: int, service: str, lead_days: int, groups: np.ndarray,
                    backorders: bool, levels: np.ndarray | None = None) -> tuple[SimResult, np.ndarray]:
    """The store rows under (R,S) with R = ``every``, each row reviewed on its store's day of the cycle
    (``groups``): first over the warm-up days before the window, from the order-up-to level, so that
    each store enters the window where its cycle puts it, with its orders on the way; then over the
    window. Returns the window's simulation and the units delivered to each row on each day of it
    (the warm-up's orders that arrive in the window included). ``levels``: S (n, H), where already
    computed."""
    n, horizon = stores.demand.shape
    lead = int(lead_days)
    if levels is None:
        levels = stores.order_up_to(every + lead - 1, stores.service(service, every))
    offset = groups[stores.site]
    costs = Costs(holding=stores.holding, ordering=np.zeros(n), shortage=stores.shortage)
    start = np.ceil(levels[:, 0])
    pipeline = None
    warm = stores.warmup.shape[1]
    if warm:
        rule = OrderUpToPolicy(levels[:, 0], review=int(every), offset=(offset + warm) % every)  # window day 0 is day W
        before = simulate(stores.warmup, start, np.full(n, lead), rule, costs, backorders=backorders)
        start, pipeline = before.final_stock, before.final_pipeline
    rule = OrderUpToPolicy(levels, review=int(every), offset=offset)
    sim = Simulator(stores.demand, start, np.full(n, lead), costs, pipeline=pipeline, backorders=backorders)
    arrivals = np.zeros((n, horizon))
    if pipeline is not None:
        due = min(pipeline.shape[1], horizon)
        arrivals[:, :due] = pipeline[:, :due]
    while not sim.done:
        state = sim.state()
        placed = sim.place(rule.decide(state))
        if state.t + lead < horizon:
            arrivals[:, state.t + lead] += placed
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


def price_frequency(network: Network, stores: StoreSeries, every: int, cfg, backorders: bool,
                    route_day: RouteDay, notes: list[str] | None = None) -> Frequency:
    """Stock and transport of replenishing every store every ``every`` days (``cfg``: ``logistics``);
    ``notes`` receives what the routing problems had to change (a drop split over several stops)."""
    fq = cfg.frequency
    groups = delivery_groups(network, stores.stores, every)
    cover = every + int(fq.lead_days) - 1
    sums = stores.cover_sums(cover)  # the costly part of the levels: once for every holding cost below
    wanted = [float(m) for m in fq.holding_multipliers]
    dearer: dict[float, SimResult] = {}
    for m in dict.fromkeys([1.0, *wanted]):
        dear = stores if m == 1.0 else dataclasses.replace(stores, holding=stores.holding * m)
        levels = dear.order_up_to(cover, dear.service(fq.service, every), sums)
        got, delivered = simulate_stores(dear, every, fq.service, fq.lead_days, groups, backorders, levels)
        if m == 1.0:
            result, arrivals = got, delivered
        if m in wanted:
            dearer[m] = got
    del sums
    k = stores.n_stores
    site_ids = stores.stores.get_column("site_id").to_list()
    volume = np.zeros((k, arrivals.shape[1]))
    weight = np.zeros_like(volume)
    np.add.at(volume, stores.site, arrivals * stores.volume[:, None])
    np.add.at(weight, stores.site, arrivals * stores.weight[:, None])
    transport = dict.fromkeys(site_ids, 0.0)
    rows, problems = [], []
    for day in np.flatnonzero((volume + weight).sum(axis=0) > 0):
        drops = pl.DataFrame({"site_id": site_ids, "volume_l": volume[:, day], "weight_kg": weight[:, day]})
        problem = build_problem(network, drops.filter((pl.col("volume_l") > 0) | (pl.col("weight_kg") > 0)),
                                day=stores.dates[day], notes=notes)
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
    return Frequency(every, result, arrivals, routes, np.array([transport[s] for s in site_ids]), problems, dearer)


@dataclass
class Tradeoff:
    """The sweep over delivery frequencies."""

    network: pl.DataFrame  # per frequency: stock and transport costs, service, routes, the total
    per_store: pl.DataFrame  # per store and frequency: stock, transport, total, best
    days: pl.DataFrame  # per frequency and delivery day: the day's routes
    best_days: int  # the frequency with the lowest total for the network, among those whose routes hold every rule
    runs: dict[int, Frequency]
    notes: list[str]


def tradeoff(network: Network, stores: StoreSeries, cfg, backorders: bool, route_day: RouteDay) -> Tradeoff:
    """Every frequency of ``logistics.frequency.days`` priced on the same demand and network."""
    notes: dict[int, list[str]] = {f: [] for f in sorted(set(cfg.frequency.days))}
    runs = {f: price_frequency(network, stores, f, cfg, backorders, route_day, notes[f]) for f in notes}
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
    # an interval whose routes break a rule is priced on routes that cannot be driven: never the best
    feasible = network_table.filter(pl.col("all_feasible"))
    best = int((feasible if feasible.height else network_table).sort("total_cost", "days")["days"][0])
    return Tradeoff(network_table, per_store, pl.concat(days).select("days", pl.exclude("days")), best, runs,
                    [f"Delivering every {f} day(s), {note}" for f, said in notes.items() for note in said])


def sensitivity(sweep: Tradeoff) -> pl.DataFrame:
    """The network's total at each interval with the holding cost ``m`` times the data's, and the best
    interval at each ``m`` (``logistics.frequency.holding_multipliers``).

    The stock is each interval's simulation with levels set for the dearer stock (with
    ``logistics.frequency.service=target`` they do not depend on it, and this only re-prices); the
    transport is the sweep's: the same stores on the same days, whose loads change a little with
    the levels."""
    rows = []
    for f, run in sweep.runs.items():
        transport = float(run.routes["cost"].sum())
        feasible = bool(run.routes["feasible"].all()) if run.routes.height else True
        for m, result in run.dearer.items():
            stock = float((result.holding_cost + result.shortage_cost).sum())
            rows.append({"days": f, "holding_multiplier": m, "stock_cost": stock, "transport_cost": transport,
                         "fill_rate": result.summary()["fill_rate"], "total_cost": stock + transport,
                         "all_feasible": feasible})
    out = pl.DataFrame(rows)
    cheapest = pl.col("total_cost").filter(pl.col("all_feasible")).min().over("holding_multiplier")
    return out.with_columns((pl.col("total_cost") == cheapest).alias("best")).sort("holding_multiplier", "days")
