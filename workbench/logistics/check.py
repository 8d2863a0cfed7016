"""An independent check of a routing solution, computed from the problem's own data only.

Nothing a solver reports is trusted: the loads on board, the schedule, the distance and the cost of
every route are recomputed here, and every broken rule is named in plain words (which route, which
site, what was found against what was allowed). The savings heuristic builds its routes with the
same :func:`timeline` and :func:`load_profile`, so there is one copy of the rules.

Schedule: a vehicle may leave its depot from the later of its shift start and the depot's opening,
and must be back by the earlier of the depot's closing and its shift end (``shift_start +
max_duration``, :func:`shift_window`). It leaves at ``Route.start`` when the solver gives it, otherwise
at the latest time that keeps the earliest schedule's services in their windows while removing as much
waiting as possible: it first leaves at the shift start, then the departure is pushed later by the
route's forward time slack (Savelsbergh 1992), bounded by the route's total waiting. Service starts
at ``max(arrival, tw_early)``; a service that starts after ``tw_late`` is late (a violation), and the
lateness carries on down the route. Loads: a vehicle leaves with all its route's deliveries on board;
after each stop it holds ``deliveries still to drop + pickups so far``, which may never exceed the
capacity, in any load dimension.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.logistics.problem import RoutingProblem, Solution, VehicleType

# "open until the end of time" (int64 max in PyVRP's convention) clipped so slack sums cannot overflow
HORIZON = 2**62


@dataclass(frozen=True)
class Timeline:
    """The schedule of one route, in the problem's time units; arrays have one entry per stop."""

    departure: int
    arrival: np.ndarray
    start: np.ndarray  # service start: max(arrival, tw_early)
    wait: np.ndarray
    late: np.ndarray  # service start after tw_late (time warp); > 0 breaks the window
    back: int  # arrival back at the depot

    @property
    def duration(self) -> int:
        return self.back - self.departure


def shift_window(problem: RoutingProblem, vehicle: VehicleType) -> tuple[int, int]:
    """``(earliest departure, latest return)`` of a vehicle of type ``vehicle``: its shift within its
    depot's hours. A shift runs from ``shift_start`` for at most ``max_duration``, so the vehicle is
    back by ``shift_end`` whenever it left."""
    depot = vehicle.depot
    latest = int(min(problem.tw_late[depot], HORIZON))
    if vehicle.shift_end is not None:
        latest = min(latest, vehicle.shift_end)
    return int(max(vehicle.shift_start, problem.tw_early[depot])), latest


def timeline(problem: RoutingProblem, vehicle: VehicleType, visits: np.ndarray,
             start: int | None = None) -> Timeline:
    """The schedule of ``visits`` (client locations) driven by a vehicle of type ``vehicle``.

    Leaves at ``start`` when given, otherwise at the shift start (or the depot's opening, if later)
    pushed later by ``min(forward slack, total wait)``, the slack bounded by the stops' windows and
    the latest return (:func:`shift_window`). With ``c_i`` the time from departure to stop
    ``i`` when nothing waits, service starts at ``s_i = c_i + max(t0, max_{j<=i}(e_j - c_j))``: the
    recurrence ``s_i = max(s_{i-1} + service + travel, e_i)`` in one cumulative maximum.
    """
    depot = vehicle.depot
    visits = np.asarray(visits, dtype=np.int64)
    path = np.concatenate([[depot], visits, [depot]])
    legs = problem.duration[path[:-1], path[1:]].astype(np.int64)
    service = problem.service[visits].astype(np.int64)
    opens, latest = shift_window(problem, vehicle)
    t0 = opens if start is None else int(start)
    # time from departure to arrival at each stop, without waiting
    c = np.cumsum(legs[:-1]) + np.concatenate([[0], np.cumsum(service)[:-1]]).astype(np.int64)
    offset = np.maximum.accumulate(np.maximum(problem.tw_early[visits] - c, t0)) if len(visits) else c
    begin = c + offset
    arrival = c + np.concatenate([[t0], offset[:-1]]).astype(np.int64)
    wait = begin - arrival
    late_by = np.minimum(problem.tw_late[visits], HORIZON)
    back = int(begin[-1] + service[-1] + legs[-1]) if len(visits) else t0 + int(legs[-1])
    if start is None and len(visits):
        # forward slack at the departure: each stop may start later by its waiting so far plus its room
        slack = np.cumsum(wait) + np.maximum(0, late_by - begin)
        room_back = wait.sum() + max(0, latest - back)
        delay = max(0, int(min(slack.min(), room_back, wait.sum())))
        if delay:
            return timeline(problem, vehicle, visits, t0 + delay)
    return Timeline(t0, arrival, begin, wait, np.maximum(0, begin - late_by), back)


def load_profile(problem: RoutingProblem, visits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer loads on board: ``(on leaving the depot (D,), after each stop (k, D))``."""
    visits = np.asarray(visits, dtype=np.int64)
    delivered, picked = problem.delivery[visits], problem.pickup[visits]
    leaving = delivered.sum(axis=0)
    return leaving, leaving - np.cumsum(delivered, axis=0) + np.cumsum(picked, axis=0)


def route_feasible(problem: RoutingProblem, vehicle_type: int, visits: np.ndarray) -> bool:
    """Whether ``visits`` fit one vehicle of type ``vehicle_type``: loads, windows and shift."""
    vehicle = problem.vehicle_types[vehicle_type]
    leaving, after = load_profile(problem, visits)
    capacity = np.asarray(vehicle.capacity)
    if (leaving > capacity).any() or (after > capacity).any():
        return False
    tl = timeline(problem, vehicle, visits)
    return not _shift_broken(problem, vehicle, tl) and not tl.late.any()


def _shift_broken(problem: RoutingProblem, vehicle: VehicleType, tl: Timeline) -> bool:
    opens, latest = shift_window(problem, vehicle)
    return bool(tl.departure < opens or tl.back > latest
                or (vehicle.max_duration is not None and tl.duration > vehicle.max_duration))


def route_cost(vehicle: VehicleType, distance: int, duration: int) -> tuple[float, float, float]:
    """``(fixed, distance, duration)`` cost of one route, in currency."""
    return vehicle.fixed_cost, vehicle.cost_per_distance * distance, vehicle.cost_per_duration * duration


@dataclass
class Evaluation:
    """What a solution really does: one row per route and per stop, the broken rules, the totals.

    Times are hours of the day where ``problem.units.hours`` is set (else the problem's time units);
    distances kilometres where ``units.km`` is set (else the instance's own unit); loads real
    quantities (integer units times ``problem.load_scale``). A route's ``load_<name>`` is the most it
    carries at any point, and ``utilisation_<name>`` that peak over the capacity.
    """

    routes: pl.DataFrame
    stops: pl.DataFrame
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def cost(self) -> float:
        return float(self.routes["cost"].sum())

    @property
    def distance_km(self) -> float:
        return float(self.routes["distance_km"].sum())

    @property
    def duration(self) -> float:
        return float(self.routes["duration"].sum())

    @property
    def vehicles(self) -> int:
        return self.routes.height


class _Format:
    """Times, durations and quantities of one problem as people read them."""

    def __init__(self, problem: RoutingProblem) -> None:
        self.problem = problem
        self.hours = problem.units.hours

    def time(self, values: np.ndarray | int) -> np.ndarray:
        return self.problem.units.hours_of(values) if self.hours else np.asarray(values, dtype=np.int64)

    def clock(self, t: int) -> str:
        if not self.hours:
            return f"{int(t):,}"
        minutes = int(round(float(self.problem.units.hours_of(t)) * 60))
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    def span(self, t: int) -> str:
        if not self.hours:
            return f"{int(t):,}"
        return f"{round(float(self.problem.units.hours_of(t)), 2):g} h"

    def quantity(self, units: int | np.integer, dim: int) -> str:
        return f"{float(units) * self.problem.load_scale[dim]:,.10g}"


def _route_violations(fmt: _Format, label: str, vehicle: VehicleType, visits: np.ndarray, tl: Timeline,
                      leaving: np.ndarray, after: np.ndarray) -> list[str]:
    p, out = fmt.problem, []
    capacity = np.asarray(vehicle.capacity)
    for dim, name in enumerate(p.load_names):
        if leaving[dim] > capacity[dim]:
            out.append(f"{label}: {name} on board {fmt.quantity(leaving[dim], dim)} > capacity "
                       f"{fmt.quantity(capacity[dim], dim)} on leaving the depot")
        over = np.flatnonzero(after[:, dim] > capacity[dim])
        if len(over):
            k = int(over[0])
            out.append(f"{label}: {name} on board {fmt.quantity(after[k, dim], dim)} > capacity "
                       f"{fmt.quantity(capacity[dim], dim)} after stop {k + 1} ({p.name(int(visits[k]))})")
    for k in np.flatnonzero(tl.late):
        out.append(f"{label}: service at {p.name(int(visits[k]))} starts {fmt.clock(tl.start[k])}, "
                   f"after it closes {fmt.clock(p.tw_late[visits[k]])}")
    depot = vehicle.depot
    opens = shift_window(p, vehicle)[0]
    if tl.departure < opens:
        out.append(f"{label}: leaves {p.name(depot)} at {fmt.clock(tl.departure)}, before the shift "
                   f"starts {fmt.clock(opens)}")
    if vehicle.max_duration is not None and tl.duration > vehicle.max_duration:
        out.append(f"{label}: duration {fmt.span(tl.duration)} > shift {fmt.span(vehicle.max_duration)}")
    if vehicle.shift_end is not None and tl.back > vehicle.shift_end:
        out.append(f"{label}: back at {fmt.clock(tl.back)}, after its shift ends at {fmt.clock(vehicle.shift_end)}")
    if tl.back > p.tw_late[depot]:
        out.append(f"{label}: ends at {fmt.clock(tl.back)} after the depot {p.name(depot)} closes "
                   f"{fmt.clock(p.tw_late[depot])}")
    return out


def evaluate(problem: RoutingProblem, solution: Solution) -> Evaluation:
    """Recompute every route of ``solution`` from ``problem`` and name each broken rule."""
    p, fmt = problem, _Format(problem)
    violations: list[str] = []
    seen = np.zeros(p.n_locations, dtype=np.int64)
    used = np.zeros(len(p.vehicle_types), dtype=np.int64)
    rows: list[dict] = []
    stops: list[pl.DataFrame] = []
    for number, route in enumerate(solution.routes, start=1):
        if not 0 <= route.vehicle_type < len(p.vehicle_types):
            violations.append(f"route {number}: vehicle type {route.vehicle_type} does not exist "
                              f"({len(p.vehicle_types)} types)")
            continue
        vehicle = p.vehicle_types[route.vehicle_type]
        label = f"route {number} ({vehicle.name})"
        visits = np.asarray(route.visits, dtype=np.int64).reshape(-1)
        client = (visits >= p.n_depots) & (visits < p.n_locations)
        for bad in visits[~client]:
            violations.append(f"{label}: visits depot {p.name(int(bad))} mid-route" if 0 <= bad < p.n_depots
                              else f"{label}: location {int(bad)} does not exist ({p.n_locations} locations)")
        visits = visits[client]
        np.add.at(seen, visits, 1)
        used[route.vehicle_type] += 1
        tl = timeline(p, vehicle, visits, route.start)
        leaving, after = load_profile(p, visits)
        violations += _route_violations(fmt, label, vehicle, visits, tl, leaving, after)
        distance = int(p.distance[np.concatenate([[vehicle.depot], visits]),
                                  np.concatenate([visits, [vehicle.depot]])].sum())
        fixed, distance_cost, duration_cost = route_cost(vehicle, distance, tl.duration)
        peak = np.vstack([leaving[None, :], after]).max(axis=0)
        scale = np.asarray(p.load_scale, dtype=float)
        row = {"route": number, "vehicle_type": vehicle.name, "depot": p.name(vehicle.depot), "stops": len(visits),
               "start": fmt.time(tl.departure).item(), "end": fmt.time(tl.back).item(),
               "duration": fmt.time(tl.duration).item(), "distance_km": float(p.units.km_of(distance))}
        for dim, name in enumerate(p.load_names):
            row[f"load_{name}"] = float(peak[dim] * scale[dim])
            row[f"utilisation_{name}"] = float(peak[dim] / vehicle.capacity[dim]) if vehicle.capacity[dim] else np.inf
        row |= {"fixed_cost": float(fixed), "distance_cost": float(distance_cost),
                "duration_cost": float(duration_cost), "cost": float(fixed + distance_cost + duration_cost)}
        rows.append(row)
        stops.append(_stop_frame(p, fmt, number, visits, tl, after))
    violations += _coverage_violations(p, seen) + _fleet_violations(p, used)
    return Evaluation(_route_frame(p, rows), pl.concat(stops) if stops else _stop_frame(p, fmt, 0, *_nothing(p)),
                      violations)


def _nothing(p: RoutingProblem) -> tuple[np.ndarray, Timeline, np.ndarray]:
    empty = np.zeros(0, dtype=np.int64)
    return empty, Timeline(0, empty, empty, empty, empty, 0), np.zeros((0, p.delivery.shape[1]), dtype=np.int64)


def _stop_frame(p: RoutingProblem, fmt: _Format, number: int, visits: np.ndarray, tl: Timeline,
                after: np.ndarray) -> pl.DataFrame:
    scale = np.asarray(p.load_scale, dtype=float)
    columns = {"route": np.full(len(visits), number, dtype=np.int64), "seq": np.arange(1, len(visits) + 1),
               "location": visits, "site": pl.Series([p.name(int(v)) for v in visits], dtype=pl.String),
               "arrival": fmt.time(tl.arrival), "start": fmt.time(tl.start), "wait": fmt.time(tl.wait),
               "late": fmt.time(tl.late)}
    for dim, name in enumerate(p.load_names):
        columns[f"delivered_{name}"] = p.delivery[visits, dim] * scale[dim]
        columns[f"picked_{name}"] = p.pickup[visits, dim] * scale[dim]
        columns[f"load_after_{name}"] = after[:, dim] * scale[dim]
    return pl.DataFrame(columns)


def _route_frame(p: RoutingProblem, rows: list[dict]) -> pl.DataFrame:
    time = pl.Float64 if p.units.hours else pl.Int64
    schema = {"route": pl.Int64, "vehicle_type": pl.String, "depot": pl.String, "stops": pl.Int64,
              "start": time, "end": time, "duration": time, "distance_km": pl.Float64}
    for name in p.load_names:
        schema |= {f"load_{name}": pl.Float64, f"utilisation_{name}": pl.Float64}
    schema |= dict.fromkeys(["fixed_cost", "distance_cost", "duration_cost", "cost"], pl.Float64)
    return pl.DataFrame(rows, schema=schema)


def _coverage_violations(p: RoutingProblem, seen: np.ndarray) -> list[str]:
    clients = p.clients
    counts = seen[clients]
    return ([f"client {p.name(int(c))} visited {'twice' if k == 2 else f'{k} times'}"
             for c, k in zip(clients[counts > 1], counts[counts > 1], strict=True)]
            + [f"client {p.name(int(c))} not visited" for c in clients[counts == 0]])


def _fleet_violations(p: RoutingProblem, used: np.ndarray) -> list[str]:
    return [f"{v.name}: {k} routes > {v.count} vehicles at depot {p.name(v.depot)}"
            for v, k in zip(p.vehicle_types, used, strict=True) if k > v.count]
