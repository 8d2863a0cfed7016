"""The network of sites (depots, stores, online-customer zones), its fleet, and a day's routing problem.

A :class:`Network` is a table of sites with their coordinates, receiving hours, service times and
shares of demand, plus the fleet kept at every depot. A site's demand is its kind's channel
(``logistics.channels``: the panel's channel that each kind of site receives) split over the sites
of that kind by ``share``; a CSV's ``location`` column is kept in the sites table for reference
only, nothing routes a panel location to a site by it. It is generated (:func:`synthetic_network`,
seeded: towns around a centre) or read from a CSV (:func:`read_sites`, checked once with errors
that name the file, the column and the row); :func:`network_of` picks one by the config.
:func:`build_problem` turns one day's drops per site into the integer :class:`RoutingProblem` every
solver takes: whole metres, whole seconds, whole litres and kilograms. The module runs past 300
lines because the CSV's checks, and the windows and splits of the day's problem, belong next to the
table they guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy.spatial.distance import cdist
from sklearn.metrics.pairwise import haversine_distances

from workbench.config.logistics import (
    Coordinates,
    LogisticsConfig,
    NetworkConfig,
    RoutingConfig,
    SitesConfig,
    VehicleTypeConfig,
)
from workbench.logistics.problem import RoutingProblem, Units, VehicleType

EARTH_KM = 6371.0088  # the mean Earth radius (IUGG), km
KM_PER_DEGREE = EARTH_KM * np.pi / 180.0  # of latitude (and of longitude at the equator)
KINDS = ("depot", "store", "zone")  # also the order of the sites in a network
LOADS = ("volume_l", "weight_kg")
_STREAM = 0x6E37  # this module's own random stream under the experiment seed


@dataclass
class Network:
    """Sites (depots first, then stores, then zones) and the fleet kept at every depot.

    ``sites`` columns: ``site_id``, ``kind``, ``lat``/``lon`` in degrees (or ``x``/``y`` in km with
    euclidean coordinates), ``open_h``, ``close_h`` (hours of the day), ``service_minutes``,
    ``share`` (of its kind's channel's demand; sums to 1 per kind) and ``location`` (from the CSV,
    kept for reference; null when generated)."""

    sites: pl.DataFrame
    fleet: dict[str, VehicleTypeConfig]
    coordinates: Coordinates
    road_factor: float
    speed_kmh: float

    def __post_init__(self) -> None:
        rank = self.sites.get_column("kind").replace_strict(KINDS, range(len(KINDS)), default=-1).to_numpy()
        if (rank < 0).any() or (np.diff(rank) < 0).any() or not (rank == 0).any():
            raise ValueError(f"Network: sites must be depots (at least one), then stores, then zones; the kinds are "
                             f"{self.sites.get_column('kind').to_list()[:12]}...")

    def distance_km(self) -> np.ndarray:
        """(N, N) road kilometres: the straight line (great circle or plane) times the road factor."""
        if Coordinates(self.coordinates) is Coordinates.haversine:
            rad = np.radians(self.sites.select("lat", "lon").to_numpy().astype(float))
            straight = haversine_distances(rad) * EARTH_KM
        else:
            xy = self.sites.select("x", "y").to_numpy().astype(float)
            straight = cdist(xy, xy)
        return straight * self.road_factor

    def hours(self) -> np.ndarray:
        """(N, N) driving hours at the mean road speed."""
        return self.distance_km() / self.speed_kmh

    @property
    def depots(self) -> pl.DataFrame:
        return self.of_kind("depot")

    def of_kind(self, kind: str) -> pl.DataFrame:
        """The sites of one kind, in network order."""
        if kind not in KINDS:
            raise ValueError(f"Network.of_kind: unknown kind {kind!r}; expected one of {list(KINDS)}")
        return self.sites.filter(pl.col("kind") == kind)


def _disc(rng: np.random.Generator, n: int, radius: float) -> np.ndarray:
    """``n`` points uniform in a disc of ``radius`` km around the origin, (n, 2) km east and north."""
    r = radius * np.sqrt(rng.random(n))
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    return np.column_stack([r * np.cos(angle), r * np.sin(angle)])


def _towns(rng: np.random.Generator, n: int, towns: np.ndarray, size: np.ndarray, in_town: float,
           radius: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sites: a share ``in_town`` placed around towns picked by size, the rest scattered; all
    pulled inside the radius. Returns the offsets (n, 2) km and each site's town (-1: scattered)."""
    town = np.where(rng.random(n) < in_town, rng.choice(len(size), size=n, p=size), -1)
    spread = rng.normal(0.0, 0.07 * radius, (n, 2))
    xy = np.where((town >= 0)[:, None], towns[np.maximum(town, 0)] + spread, _disc(rng, n, radius))
    far = np.hypot(xy[:, 0], xy[:, 1])
    xy *= np.minimum(1.0, 0.98 * radius / np.maximum(far, 1e-12))[:, None]
    return xy, town


def synthetic_network(cfg: NetworkConfig, fleet: dict[str, VehicleTypeConfig], routing: RoutingConfig) -> Network:
    """A seeded network: depots within 15 % of the radius from the centre; stores and zones around a
    few towns (weighted by town size) plus scatter, all within ``radius_km``. Stores open at their
    window's start jittered by whole half-hours (at most 2 h, always keeping 2 h open) and get larger
    shares of demand in larger towns (Dirichlet); zones keep the promised window."""
    rng = np.random.default_rng([int(cfg.seed), _STREAM])
    n_towns = int(np.clip(round(np.sqrt(cfg.stores + cfg.zones) / 2), 2, 6))
    towns = _disc(rng, n_towns, 0.75 * cfg.radius_km)
    size = rng.dirichlet(np.full(n_towns, 1.5))
    depot_xy = _disc(rng, cfg.depots, 0.15 * cfg.radius_km)
    store_xy, store_town = _towns(rng, cfg.stores, towns, size, 0.75, cfg.radius_km)
    zone_xy, zone_town = _towns(rng, cfg.zones, towns, size, 0.5, cfg.radius_km)
    # larger towns hold larger stores and busier districts; scattered sites count as a small town
    store_share, zone_share = (
        rng.dirichlet(4.0 * np.where(town >= 0, size[np.maximum(town, 0)] * n_towns, 0.5)) if town.size
        else np.zeros(0) for town in (store_town, zone_town))

    s_open, s_close = map(float, cfg.store_window)
    steps = int(np.floor(min(2.0, max(0.0, s_close - s_open - 2.0)) / 0.5))
    store_open = s_open + 0.5 * rng.integers(0, steps + 1, cfg.stores)
    z_open, z_close = map(float, cfg.zone_window)
    xy = np.vstack([depot_xy, store_xy, zone_xy])
    lat = cfg.centre_lat + xy[:, 1] / KM_PER_DEGREE
    lon = cfg.centre_lon + xy[:, 0] / (KM_PER_DEGREE * np.cos(np.radians(cfg.centre_lat)))
    width = max(2, len(str(max(cfg.stores, cfg.zones))))
    n_sites = cfg.depots + cfg.stores + cfg.zones
    sites = pl.DataFrame({
        "site_id": [f"D{i + 1}" for i in range(cfg.depots)] + [f"S{i + 1:0{width}d}" for i in range(cfg.stores)]
        + [f"Z{i + 1:0{width}d}" for i in range(cfg.zones)],
        "kind": ["depot"] * cfg.depots + ["store"] * cfg.stores + ["zone"] * cfg.zones,
        "lat": lat, "lon": lon,
        "open_h": np.concatenate([np.zeros(cfg.depots), store_open, np.full(cfg.zones, z_open)]),
        "close_h": np.concatenate([np.full(cfg.depots, 24.0), np.full(cfg.stores, s_close),
                                   np.full(cfg.zones, z_close)]),
        "service_minutes": np.concatenate([np.zeros(cfg.depots), np.full(cfg.stores, cfg.store_service_minutes),
                                           np.full(cfg.zones, cfg.zone_service_minutes)]).astype(float),
        "share": np.concatenate([np.full(cfg.depots, 1.0 / max(cfg.depots, 1)), store_share, zone_share]),
        "location": pl.Series([None] * n_sites, dtype=pl.String),
    })
    return Network(sites, dict(fleet), Coordinates.haversine, float(routing.road_factor), float(routing.speed_kmh))


def read_sites(cfg: SitesConfig, notes: list[str] | None = None) -> pl.DataFrame:
    """The sites of the CSV ``cfg.path``, checked once; errors name the file, the column and the row
    (rows count from 1, the header not counted).

    Required: ``site_id``, ``kind`` (depot, store or zone; at least one depot), ``lat``/``lon``
    (haversine) or ``x``/``y`` (euclidean). Optional, with the default filled and said in ``notes``:
    ``open``/``open_h`` (0), ``close``/``close_h`` (24), ``service_minutes`` (0), ``share`` (equal
    within the kind; normalised to sum to 1 per kind), ``location`` (null; kept for reference only).
    Sites come back depots first, then stores, then zones, each in file order."""
    notes = notes if notes is not None else []
    path = Path(str(cfg.path))
    where = f"logistics.sites.path={path}"
    if not path.is_file():
        raise FileNotFoundError(f"{where}: no such file")
    coords = ("lat", "lon") if Coordinates(cfg.coordinates) is Coordinates.haversine else ("x", "y")
    try:
        raw = pl.read_csv(path, infer_schema=False).rename(lambda c: c.strip())
    except pl.exceptions.PolarsError as err:
        raise ValueError(f"{where}: not a readable CSV ({err})") from err
    raw = raw.rename({a: b for a, b in (("open", "open_h"), ("close", "close_h")) if a in raw.columns})
    missing = [c for c in ("site_id", "kind", *coords) if c not in raw.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {missing}; expected site_id, kind, {coords[0]}, {coords[1]} "
                         f"(coordinates: {Coordinates(cfg.coordinates).value}); found {raw.columns}")

    def fail(column: str, bad: np.ndarray, expected: str) -> None:
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(f"{where}: column {column!r}, row {row + 1}: {raw[column][row]!r}; expected {expected}")

    raw = raw.with_columns(pl.col(c).str.strip_chars() for c in raw.columns)
    fail("site_id", raw["site_id"].is_null().to_numpy() | (raw["site_id"] == "").to_numpy(), "a site id")
    fail("site_id", ~raw["site_id"].is_first_distinct().to_numpy(), "unique site ids (it repeats an earlier row)")
    raw = raw.with_columns(pl.col("kind").str.to_lowercase())
    fail("kind", ~raw["kind"].is_in(KINDS).fill_null(False).to_numpy(), f"one of {list(KINDS)}")
    if not (raw["kind"] == "depot").any():
        raise ValueError(f"{where}: column 'kind' has no 'depot'; expected at least one depot")
    defaults = {"open_h": 0.0, "close_h": 24.0, "service_minutes": 0.0, "share": None}
    numbers = {}
    for column in (*coords, *defaults):
        if column not in raw.columns:
            continue
        values = raw[column].cast(pl.Float64, strict=False)
        fail(column, (values.is_null() & raw[column].is_not_null()).to_numpy(), "a number")
        numbers[column] = values.to_numpy()
    for c in coords:
        fail(c, ~np.isfinite(numbers[c]), "a finite coordinate")
    if coords[0] == "lat":
        fail("lat", np.abs(numbers["lat"]) > 90, "a latitude in [-90, 90] degrees")
        fail("lon", np.abs(numbers["lon"]) > 180, "a longitude in [-180, 180] degrees")
    for column, default in defaults.items():
        got = numbers.get(column, np.full(raw.height, np.nan))
        empty = np.isnan(got)
        if default is None:  # share: equal within the kind, rows without one get their kind's mean
            kinds = raw["kind"].to_numpy()
            mean = pl.DataFrame({"k": kinds, "s": got}).select(pl.col("s").fill_nan(None).mean().over("k").fill_null(1.0))
            default = mean.to_series().to_numpy()
        if empty.any():
            notes.append(f"{path.name}: {column} filled for {int(empty.sum())} of {raw.height} sites"
                         + (f" (default {default:g})" if np.isscalar(default) else " (the kind's mean share; equal shares where none is given)"))
        numbers[column] = np.where(empty, default, got)
    fail("open_h", (numbers["open_h"] < 0) | (numbers["open_h"] >= 24), "an opening hour in [0, 24)")
    fail("close_h", (numbers["close_h"] > 24) | (numbers["close_h"] <= numbers["open_h"]),
         "a closing hour after the opening hour and at most 24")
    fail("service_minutes", numbers["service_minutes"] < 0, "service minutes >= 0")
    fail("share", numbers["share"] < 0, "a share >= 0")
    sites = pl.DataFrame({
        "site_id": raw["site_id"], "kind": raw["kind"], **{c: numbers[c] for c in (*coords, *defaults)},
        "location": raw["location"] if "location" in raw.columns else pl.Series([None] * raw.height, dtype=pl.String),
    })
    total = pl.col("share").sum().over("kind")
    empty_kinds = sites.filter(total == 0).get_column("kind").unique().to_list()
    if empty_kinds:
        raise ValueError(f"{where}: column 'share' sums to 0 for kind(s) {empty_kinds}; expected a positive total per kind")
    order = pl.col("kind").replace_strict(KINDS, range(len(KINDS)))
    return sites.with_columns(pl.col("share") / total).with_row_index("_row").sort(order, "_row").drop("_row")


def network_of(cfg: LogisticsConfig) -> tuple[Network, list[str]]:
    """The network of ``logistics.sites.path`` where set, else the generated one, and notes on how it came."""
    notes: list[str] = []
    rc = cfg.routing
    if cfg.sites.path:
        sites = read_sites(cfg.sites, notes)
        network = Network(sites, dict(cfg.fleet), Coordinates(cfg.sites.coordinates), float(rc.road_factor),
                          float(rc.speed_kmh))
        notes.insert(0, f"The network is read from {cfg.sites.path}: {sites.height} sites.")
        return network, notes
    net = cfg.network
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    notes.append(f"The network is generated (logistics.network, seed {net.seed}): {plural(net.depots, 'depot')}, "
                 f"{plural(net.stores, 'store')} and {plural(net.zones, 'online-customer zone')} within "
                 f"{net.radius_km:g} km of the centre.")
    return synthetic_network(net, cfg.fleet, rc), notes


def vehicle_types(network: Network, units: Units | None = None) -> tuple[VehicleType, ...]:
    """One :class:`VehicleType` per fleet entry and depot (``"truck@D1"`` where there are several
    depots), capacities in whole litres and kilograms (rounded down: never more than it holds),
    costs per distance and duration unit (``units``, by default metres and seconds)."""
    units = units or Units()
    if units.km is None or units.hours is None:
        raise ValueError("vehicle_types: the network needs units of stated km and hours (e.g. Units())")
    depot_ids = network.depots.get_column("site_id").to_list()
    if not depot_ids:
        raise ValueError("vehicle_types: the network has no depot")
    types = []
    for name, v in network.fleet.items():
        for d, depot in enumerate(depot_ids):
            types.append(VehicleType(
                name=f"{name}@{depot}" if len(depot_ids) > 1 else name, count=int(v.count),
                capacity=(int(np.floor(v.capacity_volume)), int(np.floor(v.capacity_weight))), depot=d,
                fixed_cost=float(v.fixed_cost), cost_per_distance=float(v.cost_per_km) * units.km,
                cost_per_duration=float(v.cost_per_hour) * units.hours,
                shift_start=int(units.duration_units(v.shift_start)),
                max_duration=int(units.duration_units(v.shift_hours))))
    return tuple(types)


def _whole_up(values: np.ndarray) -> np.ndarray:
    """Loads rounded up to whole units, after rounding to 1e-6 so that float noise (a sum that
    should be 12 and is 12.000000000002) does not add a unit."""
    return np.ceil(np.round(values, 6)).astype(np.int64)


def build_problem(network: Network, drops: pl.DataFrame, day: object | None = None,
                  notes: list[str] | None = None) -> RoutingProblem:
    """One day's :class:`RoutingProblem`: every depot, then the sites with a drop or pickup > 0.

    ``drops``: ``site_id``, ``volume_l``, ``weight_kg`` and optionally ``pickup_volume_l``,
    ``pickup_weight_kg`` (several rows of a site are added up). A site is a client when any of the
    four is > 0 (a drop of weight alone counts). Distances are rounded to whole metres and durations
    to whole seconds, explicitly with ``np.rint`` (:class:`Units`); loads are rounded *up* to whole
    litres and kilograms, so that a vehicle is never thought to carry less than it does; windows and
    service times are seconds of the day. ``day`` (or a ``date`` column) names the day in errors and
    notes.

    Windows: a site's window bounds the *start* of service, and its unloading must end by its
    closing, so a client's ``tw_late`` is ``close - service`` (a 25-minute unload starts by 11:35 at
    a store closing at 12:00); a window shorter than the service raises. A depot is open over its own
    hours (``open_h``/``close_h``) intersected with its vehicles' shifts (earliest start to latest
    end); an empty intersection raises.

    A site's drop larger than any vehicle carries becomes ``k`` equal stops at the site (same name,
    zero distance between them, the site's service time each), with ``k`` the fewest stops that each
    fit every capacity dimension of the vehicle type needing fewest; a sentence per split site goes
    to ``notes``.
    """
    missing = [c for c in ("site_id", *LOADS) if c not in drops.columns]
    if missing:
        raise ValueError(f"build_problem: drops have no column(s) {missing}; expected site_id, volume_l, weight_kg")
    if day is None and "date" in drops.columns and drops.height:
        day = drops.get_column("date")[0]
    on = f" on {day}" if day is not None else ""
    cols = [*LOADS, *(f"pickup_{c}" for c in LOADS)]
    per_site = (drops.with_columns([pl.lit(0.0).alias(c) for c in cols if c not in drops.columns])
                .group_by("site_id", maintain_order=True).agg(pl.col(cols).cast(pl.Float64).fill_null(0.0).sum()))
    ids = network.sites.get_column("site_id")
    unknown = per_site.filter(~pl.col("site_id").is_in(ids.implode())).get_column("site_id").to_list()
    if unknown:
        raise ValueError(f"build_problem: site(s) {unknown[:5]}{on} are not in the network")
    depots = per_site.filter(pl.col("site_id").is_in(network.depots.get_column("site_id").implode())
                             & pl.any_horizontal(pl.col(cols) > 0))
    if depots.height:
        raise ValueError(f"build_problem: drops{on} go to depot(s) {depots['site_id'].to_list()}; "
                         "a depot is where the routes start, not a client")
    load = per_site.select(cols).to_numpy()
    if (~np.isfinite(load) | (load < 0)).any():
        row = int(np.argmax((~np.isfinite(load) | (load < 0)).any(axis=1)))
        raise ValueError(f"build_problem: site {per_site['site_id'][row]}{on} has a drop {load[row].tolist()} "
                         f"({cols}); expected finite amounts >= 0")
    units = Units()
    vtypes = vehicle_types(network, units)
    active = per_site.filter(pl.any_horizontal(pl.col(cols) > 0)).get_column("site_id")
    chosen = network.sites.with_row_index("row").filter(
        (pl.col("kind") == "depot") | pl.col("site_id").is_in(active.implode()))
    n_depots = int((chosen.get_column("kind") == "depot").sum())
    site_ids = chosen.get_column("site_id").to_list()
    amounts = np.round(chosen.select("site_id").join(per_site, on="site_id", how="left", maintain_order="left")
                       .fill_null(0.0).select(cols).to_numpy(), 6)  # 1e-6: float noise adds no unit
    stops = _stops_needed(amounts, vtypes, site_ids, on)
    if notes is not None:
        notes += [f"the drop at site {site_ids[i]}{on} exceeds the largest vehicle: split into {stops[i]} equal stops"
                  for i in np.flatnonzero(stops > 1)]
    at = np.repeat(np.arange(len(site_ids)), stops)
    per_stop = _whole_up(amounts[at] / stops[at, None])
    rows = chosen.get_column("row").to_numpy()[at]
    km = network.distance_km()[np.ix_(rows, rows)]
    sites = chosen[at]
    service = units.duration_units(sites.get_column("service_minutes").to_numpy() / 60.0)
    tw_early, tw_late = _windows(sites, service, vtypes, n_depots, units, on)
    return RoutingProblem(
        distance=units.distance_units(km), duration=units.duration_units(km / network.speed_kmh),
        delivery=per_stop[:, :2], pickup=per_stop[:, 2:], service=service, tw_early=tw_early, tw_late=tw_late,
        vehicle_types=vtypes, n_depots=n_depots, names=tuple(sites.get_column("site_id").to_list()),
        load_names=LOADS, load_scale=(1.0, 1.0), units=units)


def _stops_needed(amounts: np.ndarray, vtypes: tuple[VehicleType, ...], site_ids: list[str], on: str) -> np.ndarray:
    """Per site, the fewest equal stops whose drop and pickup each fit some vehicle type in every
    dimension: ``min over types of max over dimensions of ceil(amount / capacity)``, at least 1.
    Only types with vehicles (count > 0) are considered, or all types where none has any."""
    if not vtypes:
        raise ValueError("build_problem: the network has no vehicle type (logistics.fleet is empty)")
    usable = [v for v in vtypes if v.count > 0] or list(vtypes)
    capacity = np.tile(np.array([v.capacity for v in usable], dtype=float), 2)  # (types, delivery + pickup)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(amounts[:, None, :] > 0, amounts[:, None, :] / capacity[None], 0.0)
    needed = np.ceil(ratio).max(axis=2).min(axis=1)
    if not np.isfinite(needed).all():
        row = int(np.argmax(~np.isfinite(needed)))
        raise ValueError(f"build_problem: the drop at site {site_ids[row]}{on} ({amounts[row].tolist()} of "
                         f"{[*LOADS, *(f'pickup_{c}' for c in LOADS)]}) needs a load dimension that no vehicle "
                         "carries (capacity 0; logistics.fleet)")
    return np.maximum(needed, 1).astype(np.int64)


def _windows(sites: pl.DataFrame, service: np.ndarray, vtypes: tuple[VehicleType, ...], n_depots: int,
             units: Units, on: str) -> tuple[np.ndarray, np.ndarray]:
    """``(tw_early, tw_late)`` in seconds of the day: clients' service ends by their closing; depots
    are open over their own hours within their vehicles' shifts."""
    opens = units.duration_units(sites.get_column("open_h").to_numpy())
    closes = units.duration_units(sites.get_column("close_h").to_numpy())
    ids = sites.get_column("site_id").to_list()
    short = np.flatnonzero(closes[n_depots:] - opens[n_depots:] < service[n_depots:]) + n_depots
    if len(short):
        i = int(short[0])
        raise ValueError(f"build_problem: site {ids[i]}{on} is open {_clock(opens[i])}-{_clock(closes[i])}, "
                         f"shorter than its {service[i] / 60:g} min service; expected a window (open_h, close_h) "
                         "at least as long as service_minutes")
    tw_early, tw_late = opens.copy(), closes - service
    for d in range(n_depots):
        mine = [v for v in vtypes if v.depot == d]
        first = min(v.shift_start for v in mine)
        last = None if any(v.shift_end is None for v in mine) else max(v.shift_end for v in mine)
        tw_early[d] = max(opens[d], first)
        tw_late[d] = closes[d] if last is None else min(closes[d], last)
        if tw_early[d] >= tw_late[d]:
            raise ValueError(f"build_problem: depot {ids[d]} is open {_clock(opens[d])}-{_clock(closes[d])} but "
                             f"its vehicles' shifts run {_clock(first)}-{'open end' if last is None else _clock(last)}:"
                             " no time to drive (the depot's open_h/close_h; logistics.fleet shift_start, shift_hours)")
    return tw_early, tw_late


def _clock(seconds: int) -> str:
    """Seconds of the day as ``HH:MM``."""
    minutes = int(round(seconds / 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
