"""The ``logistics`` group: the delivery network, its fleet, the routing solvers and the
trade-off between delivering often (less stock) and delivering rarely (fewer trips).

The network is either generated (``logistics.network``, seeded: depots, stores and online-customer
zones around a centre) or read from a CSV of sites (``logistics.sites.path``). The fleet is a map of
vehicle types by name. Times of day are hours after midnight (``6.5`` is 06:30); distances are
kilometres, loads litres and kilograms, costs currency units. The solvers need integers: distances
are rounded to whole metres and durations to whole seconds (:mod:`workbench.logistics.problem`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from omegaconf import II


class Coordinates(StrEnum):
    """How distances come from the sites' coordinates."""

    haversine = "haversine"  # lat / lon in degrees: great-circle kilometres times the road factor
    euclidean = "euclidean"  # x / y in kilometres: straight-line distance times the road factor


class StoreService(StrEnum):
    """The cycle service level of a store's (R,S) rule."""

    target = "target"  # the item class's target (inventory.service_levels)
    newsvendor = "newsvendor"  # the cost-optimal one for the review, 1 - h R / p


@dataclass
class VehicleTypeConfig:
    """One type of vehicle: how many, what it carries, what it costs, when it may drive."""

    count: int = 4  # vehicles of this type at each depot
    capacity_volume: float = 18_000.0  # litres
    capacity_weight: float = 7_000.0  # kilograms
    fixed_cost: float = 80.0  # per route driven (the vehicle and its driver for the day)
    cost_per_km: float = 0.9
    cost_per_hour: float = 30.0  # the driver's time on the route, waiting included
    shift_start: float = 5.0  # hour of the day the shift starts
    shift_hours: float = 9.0  # longest route, from leaving the depot to coming back


@dataclass
class NetworkConfig:
    """The generated network of the synthetic shop (seeded)."""

    depots: int = 1
    stores: int = 20
    zones: int = 24  # online-customer zones: each stands for the drops of one district
    centre_lat: float = 52.0
    centre_lon: float = 5.0
    radius_km: float = 45.0  # stores and zones lie within this distance of the centre
    store_window: list[float] = field(default_factory=lambda: [6.0, 12.0])  # receiving hours of a store
    zone_window: list[float] = field(default_factory=lambda: [8.0, 20.0])  # delivery hours promised online
    store_service_minutes: float = 25.0  # unloading at a store
    zone_service_minutes: float = 40.0  # the drops of a zone, as one stop
    seed: int = II("experiment.seed")


@dataclass
class SitesConfig:
    """A network of one's own: a CSV with one row per site.

    Columns: ``site_id``, ``kind`` (``depot``, ``store`` or ``zone``), ``lat`` and ``lon`` (or ``x``
    and ``y`` in km with ``coordinates: euclidean``); optional ``open`` and ``close`` (receiving
    hours, e.g. ``6.5``; a depot's bound its vehicles' shifts), ``service_minutes``, ``share`` and
    ``location``. A site's demand is the demand of the channel its kind receives (``channels``)
    split over the sites of that kind by ``share``; ``location`` is kept in the sites table for
    reference only (no panel location is routed to a site by it)."""

    path: str | None = None  # null: the generated network (logistics.network)
    coordinates: Coordinates = Coordinates.haversine


@dataclass
class RoutingConfig:
    """How each day's routes are solved."""

    solver: str = "pyvrp"  # the solver of the study (workbench.logistics.solvers.SOLVERS)
    compare: list[str] = field(default_factory=lambda: ["pyvrp", "savings"])  # the solver comparison
    time_limit: float = 10.0  # seconds per solve at most
    # PyVRP stops after this many iterations without improvement when that comes first; a run stopped
    # so is reproducible, one stopped by the time limit depends on the machine's speed
    no_improvement: int = 2_000
    speed_kmh: float = 45.0  # mean road speed
    road_factor: float = 1.3  # road kilometres per straight-line kilometre
    seed: int = II("experiment.seed")


@dataclass
class FrequencyConfig:
    """Stock against transport: each store replenished every ``days`` days from the depot."""

    days: list[int] = field(default_factory=lambda: [1, 2, 3, 7, 14])
    lead_days: int = 1  # from the store's order to its delivery
    # each store's (R,S) rule, R the interval: S the quantile of its demand over R + lead_days - 1 days at its
    # class's cycle service target (target) or at the cost-optimal level 1 - h R / p (newsvendor)
    service: StoreService = StoreService.newsvendor
    samples: int = 200  # draws of the channel's demand, thinned to each store's share, that S is read off
    # the solver's budget per day's routing in the sweep (many small problems)
    time_limit: float = 2.0
    no_improvement: int = 500
    # the holding cost as a multiple of the data's (perishable or bulky goods cost more to keep): the best
    # interval at each, the stock simulated again with levels for it and the transport as routed
    holding_multipliers: list[float] = field(default_factory=lambda: [1.0, 2.0, 5.0, 10.0, 20.0])


@dataclass
class LogisticsConfig:
    network: NetworkConfig = field(default_factory=NetworkConfig)
    sites: SitesConfig = field(default_factory=SitesConfig)
    fleet: dict[str, VehicleTypeConfig] = field(default_factory=lambda: {
        "truck": VehicleTypeConfig(),
        "van": VehicleTypeConfig(count=6, capacity_volume=9_000.0, capacity_weight=1_200.0, fixed_cost=45.0,
                                 cost_per_km=0.45, cost_per_hour=26.0, shift_start=7.0, shift_hours=10.0),
    })
    # the panel's channel (or location) values and the kind of site that receives their deliveries
    channels: dict[str, str] = field(default_factory=lambda: {"store": "store", "online": "zone"})
    weight_per_litre: float = 0.35  # kg per litre of an item, where the static table has no `weight`
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    frequency: FrequencyConfig = field(default_factory=FrequencyConfig)
    model: str | None = None  # the forecaster whose forecasts set the stores' levels; null: the best
    seed: int = II("experiment.seed")
