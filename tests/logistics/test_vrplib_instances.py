"""The VRPLIB reader under the explicit rounding conventions, checked against the best-known
solutions' own costs (CVRPLIB X: nint; Solomon under DIMACS: truncated tenths)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from workbench.logistics.check import evaluate
from workbench.logistics.instances import best_known, load_benchmark, read_instance, solution_routes
from workbench.logistics.problem import Route, Solution

DATA = Path(__file__).parents[2].parent / "shared/data/vrp"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"the VRPLIB instances are not at {DATA}")


def bks_evaluation(name: str):
    problem = read_instance(DATA / f"{name}.vrp")
    routes = [Route(0, r) for r in solution_routes(DATA / f"{name}.sol")]
    return problem, evaluate(problem, Solution(routes, "bks", 0.0))


@needs_data
def test_x_instance_header_and_bks_cost():
    problem, e = bks_evaluation("X-n101-k25")
    assert problem.n_locations == 101 and len(problem.clients) == 100
    assert problem.vehicle_types[0].capacity == (206,) and problem.vehicle_types[0].count == 100
    assert problem.distance.dtype == np.int64 and (problem.distance == problem.distance.T).all()
    assert e.feasible, e.violations
    assert e.cost == 27591 == best_known(DATA / "X-n101-k25.sol")
    assert e.vehicles == 26


@needs_data
def test_solomon_headers_in_tenths():
    problem = read_instance(DATA / "R101.vrp")
    vehicle = problem.vehicle_types[0]
    assert (vehicle.count, vehicle.capacity, vehicle.cost_per_distance) == (25, (200,), 0.1)
    assert problem.service[0] == 0 and (problem.service[1:] == 100).all()  # SERVICE_TIME 10
    assert (problem.tw_early[0], problem.tw_late[0]) == (0, 2300)  # the depot's horizon 0-230
    assert (problem.tw_early[1], problem.tw_late[1]) == (1610, 1710)  # node 2: 161-171
    assert problem.distance[0, 1] == 152  # (35,35) to (41,49): 15.23 truncated to 15.2
    assert (problem.duration == problem.distance).all() and problem.units.distance_name == "0.1"


@needs_data
def test_solomon_bks_cost_and_windows():
    problem, e = bks_evaluation("C101")
    assert e.feasible, e.violations
    assert e.cost == pytest.approx(827.3, abs=1e-9)
    assert best_known(DATA / "C101.sol") == 827.3
    # the windows bind: closing every client 30 time units earlier makes the same routes late
    late = np.r_[problem.tw_late[0], np.maximum(problem.tw_late[1:] - 300, problem.tw_early[1:])]
    tighter = replace(problem, tw_late=late)
    routes = [Route(0, r) for r in solution_routes(DATA / "C101.sol")]
    assert any("after it closes" in v for v in evaluate(tighter, Solution(routes, "bks", 0.0)).violations)


@needs_data
def test_load_benchmark_pairs_instances_with_solutions():
    chosen = load_benchmark(DATA, ["C101", "X-n101-k25"])
    assert [(b.name, b.kind, b.n_clients, b.capacity, b.bks) for b in chosen] == [
        ("X-n101-k25", "CVRP", 100, 206, 27591.0), ("C101", "VRPTW", 100, 200, 827.3)]
    with pytest.raises(ValueError, match="no instance \\['X-n9-k1'\\]"):
        load_benchmark(DATA, ["X-n9-k1"])


HEADER = "NAME : tiny\nTYPE : CVRP\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\n"


def test_tsplib_nint_rounds_halves_up(tmp_path):
    path = tmp_path / "tiny.vrp"
    path.write_text(HEADER + "NODE_COORD_SECTION\n1 0 0\n2 0 2.5\n3 0 -3.5\n"
                    "DEMAND_SECTION\n1 0\n2 4\n3 5\nDEPOT_SECTION\n1\n-1\nEOF\n")
    problem = read_instance(path)
    # 2.5 -> 3 and 3.5 -> 4 (np.rint would give 2 and 4), 6.0 -> 6
    assert problem.distance[0].tolist() == [0, 3, 4] and problem.distance[1, 2] == 6
    assert problem.delivery[:, 0].tolist() == [0, 4, 5]


def test_errors_name_the_file(tmp_path):
    missing = tmp_path / "nodemand.vrp"
    missing.write_text(HEADER + "NODE_COORD_SECTION\n1 0 0\n2 0 1\n3 1 0\nDEPOT_SECTION\n1\n-1\nEOF\n")
    with pytest.raises(ValueError, match=r"nodemand\.vrp: missing DEMAND"):
        read_instance(missing)
    wrong = tmp_path / "wrongtype.vrp"
    wrong.write_text(HEADER.replace("CVRP", "TSP") + "NODE_COORD_SECTION\n1 0 0\n2 0 1\n3 1 0\nEOF\n")
    with pytest.raises(ValueError, match=r"wrongtype\.vrp: TYPE is 'TSP'"):
        read_instance(wrong)
    with pytest.raises(FileNotFoundError, match="absent.vrp"):
        read_instance(tmp_path / "absent.vrp")
    bad_sol = tmp_path / "tiny.sol"
    bad_sol.write_text("Route #1: 1 2\n")
    with pytest.raises(ValueError, match=r"tiny\.sol: no 'Cost' line"):
        best_known(bad_sol)
