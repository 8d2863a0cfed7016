"""The routing solvers: one registry, every entry ``(problem, settings) -> Solution``.

- ``pyvrp``: PyVRP's iterated local search (Wouda, Lan and Kool 2024; https://pyvrp.org), fed the
  problem's integer matrices directly.
- ``savings``: Clarke and Wright's (1964) parallel savings, the constructive baseline.

Neither is trusted: :func:`workbench.logistics.check.evaluate` checks what they return.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement, StoppingCriterion
from scipy.optimize import linear_sum_assignment

from workbench.logistics.check import route_cost, route_feasible, shift_window, timeline
from workbench.logistics.problem import Route, RoutingProblem, Solution, cost_scale
from workbench.registry import Registry

SOLVERS = Registry("routing solver", setting="logistics.routing.solver")
UNLIMITED = np.iinfo(np.int64).max


@dataclass
class SolveSettings:
    """A solver's budget: at most ``time_limit`` seconds, and (PyVRP) at most ``no_improvement``
    iterations without a better solution (None: the time limit alone). A run stopped by
    ``no_improvement`` is reproducible; one stopped by the clock depends on the machine's speed."""

    time_limit: float
    no_improvement: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise ValueError(f"logistics.routing.time_limit is {self.time_limit}; expected seconds > 0")
        if self.no_improvement is not None and self.no_improvement < 1:
            raise ValueError(f"logistics.routing.no_improvement is {self.no_improvement}; "
                             f"expected an iteration count >= 1 or null")


def solve(problem: RoutingProblem, name: str, settings: SolveSettings) -> Solution:
    """Solve ``problem`` with the registered solver ``name``; ``seconds`` is the whole call's time."""
    solver = SOLVERS[name]
    t0 = time.perf_counter()
    solution = solver(problem, settings)
    return replace(solution, seconds=time.perf_counter() - t0)


def problem_data(problem: RoutingProblem, scale: int) -> pyvrp.ProblemData:
    """``problem`` as PyVRP's data: location ``i`` is PyVRP's location ``i``, depots first, so
    PyVRP's client ``k`` is location ``n_depots + k``. Cost rates are multiplied by ``scale`` and
    rounded, as PyVRP's costs are integers. A vehicle type's shift is its
    :func:`~workbench.logistics.check.shift_window`: from the later of its shift start and the
    depot's opening, back by the earlier of the depot's closing and its shift end."""
    p = problem
    locations = [pyvrp.Location(0.0, 0.0, name=p.name(i)) for i in range(p.n_locations)]  # coordinates unused
    depots = [pyvrp.Depot(location=d, tw_early=int(p.tw_early[d]), tw_late=int(p.tw_late[d]), name=p.name(d))
              for d in range(p.n_depots)]
    delivery, pickup = p.delivery.tolist(), p.pickup.tolist()
    service, early, late = p.service.tolist(), p.tw_early.tolist(), p.tw_late.tolist()
    clients = [pyvrp.Client(location=i, delivery=delivery[i], pickup=pickup[i], service_duration=service[i],
                            tw_early=early[i], tw_late=late[i], name=p.name(i)) for i in p.clients.tolist()]
    shifts = [shift_window(p, v) for v in p.vehicle_types]
    closed = [v.name for v, (opens, back) in zip(p.vehicle_types, shifts, strict=True) if opens > back]
    if closed:
        raise ValueError(f"problem_data: vehicle type(s) {closed} cannot drive: the shift (shift_start to "
                         "shift_start + max_duration) and the depot's hours do not overlap (logistics.fleet; "
                         "the depot's open_h/close_h)")
    vehicles = [pyvrp.VehicleType(
        num_available=v.count, capacity=list(v.capacity), start_depot=v.depot, end_depot=v.depot,
        fixed_cost=round(v.fixed_cost * scale), tw_early=opens,
        tw_late=late[v.depot] if v.shift_end is None else min(late[v.depot], v.shift_end),
        shift_duration=UNLIMITED if v.max_duration is None else v.max_duration,
        unit_distance_cost=round(v.cost_per_distance * scale), unit_duration_cost=round(v.cost_per_duration * scale),
        name=v.name) for v, (opens, _) in zip(p.vehicle_types, shifts, strict=True)]
    as_int = [np.ascontiguousarray(m, dtype=np.int64) for m in (p.distance, p.duration)]
    return pyvrp.ProblemData(locations, clients, depots, vehicles, [as_int[0]], [as_int[1]])


def solve_params(data: pyvrp.ProblemData) -> pyvrp.SolveParams:
    """PyVRP's default parameters with its penalty bounds multiplied by the largest unit cost rate.

    PyVRP's bounds (0.1 to 100,000 per unit of excess load, time warp or distance) are set for
    instances that cost 1 per unit of distance. Scaled costs (a van's 0.45 per km is 4,500 per metre
    at scale 10^7) would make breaking a capacity cheaper than a second vehicle, so the bounds are
    raised by the same factor; at scale 1 and a rate of 1 (CVRPLIB) they are PyVRP's own.
    """
    rates = [r for v in data.vehicle_types() for r in (v.unit_distance_cost, v.unit_duration_cost)]
    factor = max(1, *rates)
    default = pyvrp.PenaltyParams()
    return pyvrp.SolveParams(penalty=replace(default, min_penalty=default.min_penalty * factor,
                                             max_penalty=default.max_penalty * factor))


def _stop(settings: SolveSettings) -> StoppingCriterion:
    if settings.no_improvement is None:
        return MaxRuntime(settings.time_limit)
    return MultipleCriteria([MaxRuntime(settings.time_limit), NoImprovement(settings.no_improvement)])


@SOLVERS.register("pyvrp")
def solve_pyvrp(problem: RoutingProblem, settings: SolveSettings) -> Solution:
    """PyVRP's iterated local search on ``problem``.

    PyVRP needs integer costs: every cost rate (fixed, per distance and per duration unit) is
    multiplied by :func:`~workbench.logistics.problem.cost_scale` and rounded, so PyVRP optimises
    costs off by at most half a unit of the scaled rate (fewer digits, with a note, where the scaled
    costs could overflow); ``reported_cost`` is PyVRP's cost divided
    back by the scale. PyVRP's penalty bounds are raised by the same factor (:func:`solve_params`).
    Stops at ``time_limit`` seconds, or after ``no_improvement`` iterations
    without improvement when set. An infeasible best solution is returned as it is, with a note.
    """
    t0 = time.perf_counter()
    notes: list[str] = []
    scale = cost_scale(problem, notes=notes)
    data = problem_data(problem, scale)
    result = pyvrp.solve(data, _stop(settings), seed=settings.seed, collect_stats=False, display=False,
                         params=solve_params(data))
    best = result.best
    routes = [Route(r.vehicle_type(), [problem.n_depots + a.idx for a in r if a.is_client()], start=r.start_time())
              for r in best.routes()]
    if not best.is_feasible():
        notes.append(f"PyVRP's best solution is infeasible: time warp {best.time_warp()}, excess load "
                     f"{best.excess_load()}, {best.num_missing_clients()} clients missing")
    cost = best.distance_cost() + best.duration_cost() + best.fixed_vehicle_cost()
    return Solution(routes, "pyvrp", time.perf_counter() - t0, reported_cost=cost / scale,
                    iterations=result.num_iterations, notes=notes)


@SOLVERS.register("savings")
def solve_savings(problem: RoutingProblem, settings: SolveSettings) -> Solution:
    """Clarke and Wright's parallel savings, per depot (each client at its nearest depot).

    Savings ``s_ij = d_i0 + d_0j - d_ij`` for all pairs at once, sorted once (largest first, ties in
    index order: deterministic); two routes are joined end to start (or, on symmetric matrices, end
    to end or start to start by reversing one) when the joined route still fits the depot's largest
    vehicle type in every load dimension, window and shift (:func:`~workbench.logistics.check.route_feasible`).
    Then each route takes the cheapest type that fits, as an assignment over the vehicles available;
    where the fleet runs out the route keeps the largest type and the checker reports it.
    ``settings`` is unused: the method is deterministic and fast.
    """
    t0 = time.perf_counter()
    depot_of = _nearest_depot(problem)
    routes: list[list[int]] = []
    for depot in range(problem.n_depots):
        clients = problem.clients[depot_of[problem.clients] == depot]
        if len(clients):
            routes += _merge_routes(problem, depot, clients)
    types = _assign_types(problem, routes)
    return Solution([Route(t, r) for t, r in zip(types, routes, strict=True)], "savings", time.perf_counter() - t0)


def _depots_with_vehicles(problem: RoutingProblem) -> np.ndarray:
    return np.unique([v.depot for v in problem.vehicle_types if v.count > 0])


def _nearest_depot(problem: RoutingProblem) -> np.ndarray:
    """The depot (with vehicles) of shortest round trip for each location (depots: themselves)."""
    depots = _depots_with_vehicles(problem)
    if len(depots) == 0:
        raise ValueError("savings: no depot has a vehicle (every vehicle type has count 0)")
    round_trip = problem.distance[depots, :] + problem.distance[:, depots].T
    nearest = depots[np.argmin(round_trip, axis=0)]
    nearest[: problem.n_depots] = np.arange(problem.n_depots)
    return nearest


def _build_type(problem: RoutingProblem, depot: int) -> int:
    """The depot's largest vehicle type: the most capacity relative to the depot's largest in each dimension."""
    types = [k for k, v in enumerate(problem.vehicle_types) if v.depot == depot and v.count > 0]
    caps = np.array([problem.vehicle_types[k].capacity for k in types], dtype=float)
    size = (caps / np.maximum(caps.max(axis=0), 1.0)).sum(axis=1)
    return types[int(np.argmax(size))]


def _merge_routes(problem: RoutingProblem, depot: int, clients: np.ndarray) -> list[list[int]]:
    vt = _build_type(problem, depot)
    d = problem.distance
    saving = d[clients, depot][:, None] + d[depot, clients][None, :] - d[np.ix_(clients, clients)]
    symmetric = bool((d == d.T).all() and (problem.duration == problem.duration.T).all())
    rows, cols = np.triu_indices(len(clients), k=1) if symmetric else np.nonzero(~np.eye(len(clients), dtype=bool))
    value = saving[rows, cols]
    # a join pays while it saves distance, or saves a vehicle's fixed cost at no extra distance
    keep = value >= 0 if problem.vehicle_types[vt].fixed_cost > 0 else value > 0
    order = np.argsort(-value[keep], kind="stable")
    pairs = np.column_stack([clients[rows[keep]], clients[cols[keep]]])[order]

    route_of = {int(c): int(c) for c in clients}  # each client starts alone, in the route named after it
    members: dict[int, list[int]] = {int(c): [int(c)] for c in clients}
    loads = {int(c): problem.delivery[c].copy() for c in clients}  # delivery totals: the whole check without pickups
    capacity = np.asarray(problem.vehicle_types[vt].capacity)
    deliveries_only = not problem.pickup.any()
    timed = _time_binding(problem)
    for i, j in pairs.tolist():
        a, b = route_of[i], route_of[j]
        if a == b:
            continue
        ra, rb = members[a], members[b]
        if ra[-1] == i and rb[0] == j:
            joined = ra + rb
        elif symmetric and ra[0] == i and rb[-1] == j:
            joined = rb + ra
        elif symmetric and ra[-1] == i and rb[-1] == j:
            joined = ra + rb[::-1]
        elif symmetric and ra[0] == i and rb[0] == j:
            joined = ra[::-1] + rb
        else:
            continue  # i or j is inside its route
        total = loads[a] + loads[b]
        if (total > capacity).any():
            continue
        if not deliveries_only or timed:
            if not route_feasible(problem, vt, np.asarray(joined)):
                continue
        members[a], loads[a] = joined, total
        for c in rb:
            route_of[c] = a
        del members[b], loads[b]
    return list(members.values())


def _time_binding(problem: RoutingProblem) -> bool:
    """Whether any window, depot closing or shift limit can bind (else loads alone decide a join)."""
    opens = min(v.shift_start for v in problem.vehicle_types)
    return bool((problem.tw_late < np.iinfo(np.int64).max).any() or (problem.tw_early > opens).any()
                or any(v.max_duration is not None for v in problem.vehicle_types))


def _assign_types(problem: RoutingProblem, routes: list[list[int]]) -> list[int]:
    """The cheapest vehicle type for each route that fits it, one vehicle each (an assignment over
    every vehicle available); a route left without one keeps its depot's largest type."""
    slots = np.concatenate([np.full(v.count, k) for k, v in enumerate(problem.vehicle_types)]).astype(int)
    big = 1e15  # an impossible pairing: priced out of the assignment, recognised afterwards
    cost = np.full((len(routes), len(slots)), big)
    depots = _nearest_depot(problem)
    for r, visits in enumerate(routes):
        visits = np.asarray(visits)
        for k, v in enumerate(problem.vehicle_types):
            if v.count == 0 or v.depot != depots[visits[0]] or not route_feasible(problem, k, visits):
                continue
            path = np.concatenate([[v.depot], visits, [v.depot]])
            distance = int(problem.distance[path[:-1], path[1:]].sum())
            cost[r, slots == k] = sum(route_cost(v, distance, timeline(problem, v, visits).duration))
    rows, cols = linear_sum_assignment(cost)
    types = [_build_type(problem, int(depots[visits[0]])) for visits in routes]
    for r, c in zip(rows, cols, strict=True):
        if cost[r, c] < big:
            types[r] = int(slots[c])
    return types
