"""A routing problem and a solution, in integers, the same for every solver.

Solvers of the vehicle-routing problem (PyVRP above all) work on integer data. A
:class:`RoutingProblem` therefore holds its distances and durations as integers of a stated unit
(:class:`Units`): the shop's network in whole metres and whole seconds, a benchmark instance in the
unit its convention prescribes (CVRPLIB X: distances rounded to the nearest integer; Solomon under
the DIMACS convention: tenths, truncated). Costs stay in currency per unit; a solver that needs
integer costs scales them itself and says how (:func:`cost_scale`).

Locations ``0 .. n_depots - 1`` are depots, the rest clients. Loads have one column per dimension
(volume and weight for the shop, a single one for the benchmarks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Units:
    """What one integer step of distance and of duration is: ``km`` kilometres (or the instance's
    own unit where ``km`` is None) and ``hours`` hours. ``round_to_units`` turns measurements in
    km and hours into the problem's integers; ``km_of`` and ``hours_of`` turn them back."""

    distance_name: str = "m"
    duration_name: str = "s"
    km: float | None = 0.001  # kilometres per distance unit (None: the instance's own unit)
    hours: float | None = 1.0 / 3600.0  # hours per duration unit (None: the instance's own unit)

    def distance_units(self, km: np.ndarray) -> np.ndarray:
        """Kilometres rounded to whole units (half away from zero never matters: ties are measure zero)."""
        return np.rint(np.asarray(km, dtype=float) / self.km).astype(np.int64)

    def duration_units(self, hours: np.ndarray) -> np.ndarray:
        return np.rint(np.asarray(hours, dtype=float) / self.hours).astype(np.int64)

    def km_of(self, units: np.ndarray | int) -> np.ndarray | float:
        return np.asarray(units, dtype=float) * (self.km if self.km is not None else 1.0)

    def hours_of(self, units: np.ndarray | int) -> np.ndarray | float:
        return np.asarray(units, dtype=float) * (self.hours if self.hours is not None else 1.0)


@dataclass(frozen=True)
class VehicleType:
    """``count`` vehicles kept at depot ``depot``. Costs are per route used, per distance unit and
    per duration unit of the problem; the shift runs from ``shift_start`` for at most
    ``max_duration`` units (None: no limit)."""

    name: str
    count: int
    capacity: tuple[int, ...]  # per load dimension, in the loads' integer units
    depot: int = 0
    fixed_cost: float = 0.0
    cost_per_distance: float = 1.0
    cost_per_duration: float = 0.0
    shift_start: int = 0
    max_duration: int | None = None

    @property
    def shift_end(self) -> int | None:
        return None if self.max_duration is None else self.shift_start + self.max_duration


@dataclass(frozen=True)
class RoutingProblem:
    """One day's (or one instance's) routing problem; every array is indexed by location."""

    distance: np.ndarray  # (N, N) int64, in units.distance_name
    duration: np.ndarray  # (N, N) int64 travel time, in units.duration_name
    delivery: np.ndarray  # (N, D) int64 brought from the depot; zero rows for depots
    pickup: np.ndarray  # (N, D) int64 taken back to the depot
    service: np.ndarray  # (N,) int64 time spent at the location
    tw_early: np.ndarray  # (N,) int64: service may not start before
    tw_late: np.ndarray  # (N,) int64: service may not start after (a depot's: the latest return)
    vehicle_types: tuple[VehicleType, ...]
    n_depots: int = 1
    names: tuple[str, ...] = ()  # a name per location (site ids); empty: the indices
    load_names: tuple[str, ...] = ("load",)  # per load dimension, e.g. ("volume_l", "weight_kg")
    load_scale: tuple[float, ...] = (1.0,)  # real quantity per integer unit of each load dimension
    units: Units = field(default_factory=Units)

    def __post_init__(self) -> None:
        n = self.distance.shape[0]
        checks = {
            "distance": self.distance.shape == (n, n), "duration": self.duration.shape == (n, n),
            "delivery": self.delivery.ndim == 2 and self.delivery.shape[0] == n,
            "pickup": self.pickup.shape == self.delivery.shape, "service": self.service.shape == (n,),
            "tw_early": self.tw_early.shape == (n,), "tw_late": self.tw_late.shape == (n,),
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"RoutingProblem: {bad} do not match {n} locations")
        if not 1 <= self.n_depots < n + 1:
            raise ValueError(f"RoutingProblem: n_depots={self.n_depots} with {n} locations")
        dims = self.delivery.shape[1]
        for v in self.vehicle_types:
            if len(v.capacity) != dims:
                raise ValueError(f"RoutingProblem: vehicle type {v.name!r} has {len(v.capacity)} capacities; "
                                 f"the loads have {dims} dimensions {self.load_names}")
            if not 0 <= v.depot < self.n_depots:
                raise ValueError(f"RoutingProblem: vehicle type {v.name!r} is at depot {v.depot}; "
                                 f"there are {self.n_depots}")
        if (self.tw_early > self.tw_late).any():
            i = int(np.argmax(self.tw_early > self.tw_late))
            raise ValueError(f"RoutingProblem: location {self.name(i)} opens at {self.tw_early[i]} "
                             f"after it closes at {self.tw_late[i]}")

    @property
    def n_locations(self) -> int:
        return int(self.distance.shape[0])

    @property
    def clients(self) -> np.ndarray:
        return np.arange(self.n_depots, self.n_locations)

    def name(self, location: int) -> str:
        return self.names[location] if self.names else str(location)


@dataclass
class Route:
    """One vehicle's trip: from its type's depot through ``visits`` (client locations) and back."""

    vehicle_type: int
    visits: list[int]
    start: int | None = None  # when it leaves the depot, where the solver says (None: as early as useful)


@dataclass
class Solution:
    """A solver's routes, with what it reported about them."""

    routes: list[Route]
    solver: str
    seconds: float
    reported_cost: float | None = None  # the solver's own objective, in currency
    iterations: int | None = None
    notes: list[str] = field(default_factory=list)


def cost_scale(problem: RoutingProblem, digits: int = 4, limit: float = 1e15,
               notes: list[str] | None = None) -> int:
    """The power of ten by which a solver that needs integer costs multiplies every cost rate, chosen
    so that the smallest non-zero rate keeps ``digits`` significant digits after rounding.

    The scaled costs must stay far inside 64-bit integers (PyVRP's, about 9.2e18): where the scale
    times a bound on the whole solution's cost (:func:`cost_bound`) would exceed ``limit``, fewer
    digits are kept, down to 3 (said in ``notes``); where even 3 digits would exceed it, a
    ``ValueError`` names the rates.

    >>> p = RoutingProblem(np.zeros((2, 2), int), np.zeros((2, 2), int), np.zeros((2, 1), int),
    ...                    np.zeros((2, 1), int), np.zeros(2, int), np.zeros(2, int), np.zeros(2, int),
    ...                    (VehicleType("truck", 1, (10,), cost_per_distance=0.0009, fixed_cost=80),))
    >>> cost_scale(p)
    10000000
    """
    rates = [r for v in problem.vehicle_types for r in (v.fixed_cost, v.cost_per_distance, v.cost_per_duration)
             if r > 0]
    bound = cost_bound(problem)
    if not rates or all(float(r).is_integer() for r in rates):
        candidates = [(digits, 1)]
    else:
        magnitude = math.floor(math.log10(min(rates)))
        candidates = [(d, int(10 ** max(0, d - 1 - magnitude))) for d in range(digits, min(digits, 3) - 1, -1)]
    for kept, scale in candidates:
        if scale * bound <= limit:
            if kept < digits and notes is not None:
                notes.append(f"cost scale capped at {scale:,}: the smallest cost rate keeps {kept} significant "
                             f"digits, not {digits}, so that scaled costs (up to {scale * bound:.3g}) stay "
                             f"below {limit:.0e}")
            return scale
    kept, scale = candidates[-1]
    by_type = {v.name: (v.fixed_cost, v.cost_per_distance, v.cost_per_duration) for v in problem.vehicle_types}
    raise ValueError(f"cost_scale: the cost rates (fixed, per distance unit, per duration unit) {by_type} span "
                     f"too many orders of magnitude: keeping {kept} significant digits of the smallest takes a "
                     f"scale of {scale:,}, and the scaled costs could reach {scale * bound:.3g} > {limit:.0e}; "
                     "use coarser units (problem.units) or rates of closer magnitude")


def cost_bound(problem: RoutingProblem) -> float:
    """An upper bound on the cost of any solution, in currency: every vehicle used, every leg at the
    longest arc, every service, and every vehicle waiting from time 0 to the latest opening.

    A solution drives at most ``clients + vehicles`` legs (each client is left once, each route
    leaves its depot once), so its distance is at most that many longest arcs; its duration adds
    the services and, per route, waiting that ends by the latest ``tw_early`` at the latest.
    """
    p = problem
    vehicles = sum(v.count for v in p.vehicle_types)
    legs = len(p.clients) + vehicles
    longest = float(p.distance.max(initial=0)), float(p.duration.max(initial=0))
    distance = legs * longest[0]
    duration = legs * longest[1] + float(p.service.sum()) + vehicles * float(max(0, p.tw_early.max(initial=0)))
    fixed = sum(v.count * v.fixed_cost for v in p.vehicle_types)
    per_distance = max((v.cost_per_distance for v in p.vehicle_types), default=0.0)
    per_duration = max((v.cost_per_duration for v in p.vehicle_types), default=0.0)
    return fixed + per_distance * distance + per_duration * duration
