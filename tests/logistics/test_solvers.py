"""The routing solvers on small shop-like problems: feasible by the independent checker, PyVRP at a
brute-force optimum, its reported cost equal to the checker's, reproducible with a seed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from workbench.logistics.check import evaluate
from workbench.logistics.problem import RoutingProblem, Units, VehicleType, cost_scale
from workbench.logistics.solvers import SOLVERS, SolveSettings, problem_data, solve

HOUR = 3600
FAST = SolveSettings(time_limit=2.0, no_improvement=300, seed=1)


def fleet(depot: int) -> tuple[VehicleType, ...]:
    """A truck and a van as in the default config, in metres and seconds."""
    return (VehicleType(f"truck_{depot}", 2, (18_000, 7_000), depot, 80.0, 0.9 / 1000, 30.0 / HOUR, 5 * HOUR, 9 * HOUR),
            VehicleType(f"van_{depot}", 3, (9_000, 1_200), depot, 45.0, 0.45 / 1000, 26.0 / HOUR, 7 * HOUR, 10 * HOUR))


def shop(seed: int, n_clients: int = 14, n_depots: int = 1) -> RoutingProblem:
    """Stores (open 6-12) and online zones (8-20) around depots open 5-21, with volume and weight to
    deliver, a few returns to pick up, and two vehicle types per depot."""
    rng = np.random.default_rng(seed)
    n = n_depots + n_clients
    xy = rng.uniform(0.0, 40.0, (n, 2))
    km = 1.3 * np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    units = Units()
    store = np.arange(n) < n_depots + n_clients // 2
    delivery = np.column_stack([rng.integers(500, 4_000, n), rng.integers(100, 900, n)])
    pickup = np.where(rng.random((n, 1)) < 0.3, delivery // 4, 0)
    delivery[:n_depots] = pickup[:n_depots] = 0
    early = np.where(store, 6 * HOUR, 8 * HOUR)
    late = np.where(store, 12 * HOUR, 20 * HOUR)
    early[:n_depots], late[:n_depots] = 5 * HOUR, 21 * HOUR
    service = np.where(store, 25 * 60, 40 * 60)
    service[:n_depots] = 0
    names = tuple([f"D{d + 1}" for d in range(n_depots)] + [f"S{i:02d}" for i in range(1, n_clients + 1)])
    return RoutingProblem(units.distance_units(km), units.duration_units(km / 45.0), delivery, pickup, service,
                          early, late, sum((fleet(d) for d in range(n_depots)), ()), n_depots, names,
                          ("volume_l", "weight_kg"), (1.0, 1.0), units)


@pytest.fixture(scope="module", params=[1, 2], ids=["one_depot", "two_depots"])
def solved(request):
    problem = shop(seed=3, n_clients=14 if request.param == 1 else 18, n_depots=request.param)
    return problem, {name: solve(problem, name, FAST) for name in ("pyvrp", "savings")}


def test_both_solvers_feasible_and_pyvrp_no_worse(solved):
    problem, solutions = solved
    evaluations = {name: evaluate(problem, s) for name, s in solutions.items()}
    for name, e in evaluations.items():
        assert e.feasible, (name, e.violations)
        assert sorted(e.stops["location"].to_list()) == problem.clients.tolist()
        # both depots send vehicles out where there are two
        assert set(e.routes["depot"]) == {f"D{d + 1}" for d in range(problem.n_depots)}
    assert evaluations["pyvrp"].cost <= evaluations["savings"].cost + 1e-6
    assert not solutions["pyvrp"].notes


def test_reported_cost_matches_checker_within_rounding(solved):
    problem, solutions = solved
    sol = solutions["pyvrp"]
    e = evaluate(problem, sol)
    scale = cost_scale(problem)
    routes = e.routes
    # every rate is off by at most half a scaled unit: per route, per metre, per second
    distance_units = routes["distance_km"].sum() * 1000
    duration_units = routes["duration"].sum() * HOUR
    bound = 0.5 / scale * (routes.height + distance_units + duration_units) + 1e-6
    assert sol.reported_cost == pytest.approx(e.cost, abs=bound)
    assert abs(sol.reported_cost - e.cost) <= bound


def brute_force_optimum(problem: RoutingProblem) -> float:
    """The cheapest set of routes by enumeration: best tour per subset, then best partition."""
    d, cap = problem.distance, problem.vehicle_types[0].capacity[0]
    clients = problem.clients.tolist()
    tour = {}
    for size in range(1, len(clients) + 1):
        for subset in itertools.combinations(clients, size):
            if problem.delivery[list(subset), 0].sum() <= cap:
                tour[frozenset(subset)] = min(d[0, p[0]] + d[p[:-1], p[1:]].sum() + d[p[-1], 0]
                                              for p in map(np.array, itertools.permutations(subset)))
    best = {frozenset(): 0.0}
    for size in range(1, len(clients) + 1):
        for subset in map(frozenset, itertools.combinations(clients, size)):
            first = min(subset)  # the route holding the smallest client, then the rest optimally
            best[subset] = min(tour[block] + best[subset - block] for block in tour
                               if first in block and block <= subset)
    return float(best[frozenset(clients)])


def test_pyvrp_finds_the_brute_force_optimum():
    rng = np.random.default_rng(11)
    xy = rng.integers(0, 100, (7, 2))
    d = np.floor(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) + 0.5).astype(np.int64)
    demand = np.r_[0, rng.integers(3, 9, 6)][:, None]
    zeros = np.zeros(7, dtype=np.int64)
    problem = RoutingProblem(d, d, demand, np.zeros_like(demand), zeros, zeros, np.full(7, 10**9),
                             (VehicleType("v", 6, (15,)),), units=Units("1", "1", None, None))
    optimum = brute_force_optimum(problem)
    sol = solve(problem, "pyvrp", SolveSettings(time_limit=3.0, no_improvement=2_000, seed=0))
    e = evaluate(problem, sol)
    assert e.feasible, e.violations
    assert e.cost == pytest.approx(optimum)
    assert evaluate(problem, solve(problem, "savings", FAST)).cost >= optimum


def test_same_seed_and_no_improvement_stop_reproduce_the_routes():
    problem = shop(seed=5, n_clients=12)
    settings = SolveSettings(time_limit=30.0, no_improvement=200, seed=7)
    first, second = solve(problem, "pyvrp", settings), solve(problem, "pyvrp", settings)
    assert [(r.vehicle_type, r.visits, r.start) for r in first.routes] == \
           [(r.vehicle_type, r.visits, r.start) for r in second.routes]
    assert first.iterations == second.iterations


@pytest.mark.parametrize("name", list(SOLVERS))
def test_every_registered_solver_returns_a_checked_feasible_solution(name):
    problem = shop(seed=8, n_clients=10)
    sol = SOLVERS[name](problem, FAST)
    assert sol.solver == name
    e = evaluate(problem, sol)
    assert e.feasible, e.violations
    assert e.stops.height == len(problem.clients)


def test_unknown_solver_and_bad_settings_are_named():
    with pytest.raises(KeyError, match="logistics.routing.solver.*'ortools'"):
        solve(shop(0, 4), "ortools", FAST)
    with pytest.raises(ValueError, match="time_limit"):
        SolveSettings(time_limit=0)
    with pytest.raises(ValueError, match="no_improvement"):
        SolveSettings(time_limit=1, no_improvement=0)


def shift_bound() -> RoutingProblem:
    """A van on shift 07:00 + 3 h (back by 10:00) and two stores on a line, A at 10 km (open at
    09:00 sharp, 30 minutes of unloading) and B at 20 km (07:00-12:00, 10 minutes), at 60 km/h.
    A then B is back at 10:10, after 80 minutes on the road: only the shift end forbids it; B then
    A is back at 09:40."""
    km = np.array([0, 10, 20])
    gap = np.abs(km[:, None] - km[None, :])
    van = VehicleType("van", 2, (10,), 0, 0.0, 1.0 / 1000, 0.0, 7 * HOUR, 3 * HOUR)
    return RoutingProblem(gap * 1000, gap * 60, np.array([[0], [1], [1]]), np.zeros((3, 1), dtype=np.int64),
                          np.array([0, 30 * 60, 10 * 60]), np.array([0, 9 * HOUR, 7 * HOUR]),
                          np.array([24 * HOUR, 9 * HOUR, 12 * HOUR]), (van,), names=("D1", "A", "B"))


@pytest.mark.parametrize("name", ["pyvrp", "savings"])
def test_solvers_bring_every_vehicle_back_by_its_shift_end(name):
    problem = shift_bound()
    e = evaluate(problem, solve(problem, name, FAST))
    assert e.feasible, e.violations
    assert e.routes["end"].max() <= 10.0
    if name == "pyvrp":  # the shorter way: one route, B then A
        assert e.stops["site"].to_list() == ["B", "A"]


def test_pyvrp_gets_each_types_shift_within_the_depot_hours():
    problem = shop(seed=2, n_clients=4)  # depot 05:00-21:00; truck 05:00-14:00, van 07:00-17:00
    data = problem_data(problem, cost_scale(problem))
    assert [(v.tw_early, v.tw_late) for v in data.vehicle_types()] == [(5 * HOUR, 14 * HOUR), (7 * HOUR, 17 * HOUR)]
    closing = RoutingProblem(problem.distance, problem.duration, problem.delivery, problem.pickup, problem.service,
                             problem.tw_early, np.r_[16 * HOUR, problem.tw_late[1:]], problem.vehicle_types)
    assert [v.tw_late for v in problem_data(closing, 1).vehicle_types()] == [14 * HOUR, 16 * HOUR]
    night = RoutingProblem(problem.distance, problem.duration, problem.delivery, problem.pickup, problem.service,
                           np.r_[18 * HOUR, problem.tw_early[1:]], problem.tw_late, problem.vehicle_types)
    with pytest.raises(ValueError, match=r"\['truck_0', 'van_0'\] cannot drive"):
        problem_data(night, 1)


def rates_problem(fixed_cost: float) -> RoutingProblem:
    zeros = np.zeros(2, dtype=np.int64)
    return RoutingProblem(np.zeros((2, 2), int), np.zeros((2, 2), int), np.zeros((2, 1), int), np.zeros((2, 1), int),
                          zeros, zeros, zeros, (VehicleType("truck", 1, (10,), fixed_cost=fixed_cost,
                                                            cost_per_distance=1e-6),))


def test_cost_scale_keeps_fewer_digits_or_refuses_rather_than_overflow():
    # 4 digits of 1e-6 need a scale of 10^9: 5e6 of fixed cost would become 5e15
    notes: list[str] = []
    assert cost_scale(rates_problem(5e5), notes=notes) == 10**9 and notes == []
    assert cost_scale(rates_problem(5e6), notes=notes) == 10**8
    assert "keeps 3 significant digits, not 4" in notes[0]
    with pytest.raises(ValueError, match=r"cost rates .*'truck': \(50000000.0, 1e-06, 0.0\)"):
        cost_scale(rates_problem(5e7))
    # the shop's problems are far from the bound
    assert cost_scale(shop(seed=3)) == 10**7
