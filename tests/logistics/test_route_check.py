"""The independent checker on hand-made routes along a line: costs, schedules, loads, and every kind
of broken rule named in words."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from workbench.logistics.check import evaluate, route_feasible, timeline
from workbench.logistics.problem import Route, RoutingProblem, Solution, Units, VehicleType

H = 3600  # seconds per hour
TRUCK = VehicleType("truck", 1, (1_800, 7_000), 0, 80.0, 0.9 / 1000, 30.0 / H, 5 * H, 9 * H)
VAN = VehicleType("van", 1, (900, 1_200), 0, 45.0, 0.45 / 1000, 26.0 / H, 7 * H, 10 * H)


def line(**changes) -> RoutingProblem:
    """Depot D1 at km 0 and stores S01..S04 at km 10, 20, 30, 40, driven at 60 km/h (10 km: 600 s).
    Volume is held in tens of litres (scale 10), weight in kilograms."""
    km = np.array([0, 10, 20, 30, 40])
    gap = np.abs(km[:, None] - km[None, :])
    base = dict(
        distance=gap * 1000, duration=gap * 60,
        delivery=np.array([[0, 0], [300, 500], [400, 1_000], [500, 1_500], [600, 2_000]]),
        pickup=np.zeros((5, 2), dtype=np.int64), service=np.array([0, 600, 600, 600, 600]),
        tw_early=np.full(5, 5 * H), tw_late=np.array([21 * H] + [20 * H] * 4),
        vehicle_types=(TRUCK, VAN), names=("D1", "S01", "S02", "S03", "S04"),
        load_names=("volume_l", "weight_kg"), load_scale=(10.0, 1.0), units=Units())
    return RoutingProblem(**(base | changes))


def run(problem: RoutingProblem, *routes: Route) -> list[str]:
    return evaluate(problem, Solution(list(routes), "hand", 0.0)).violations


def test_a_good_route_costs_what_the_rates_say():
    problem = line()
    e = evaluate(problem, Solution([Route(0, [1, 2, 3, 4])], "hand", 0.0))
    assert e.feasible and e.violations == []
    row = e.routes.row(0, named=True)
    # out 40 km and back: 80 km, 80 minutes of driving and 4 x 10 minutes of service
    assert row["distance_km"] == pytest.approx(80.0)
    assert row["start"] == pytest.approx(5.0) and row["duration"] == pytest.approx(2.0)
    assert row["cost"] == pytest.approx(80 + 0.9 * 80 + 30 * 2.0)
    assert row["load_volume_l"] == pytest.approx(18_000.0) and row["utilisation_volume_l"] == pytest.approx(1.0)
    assert row["load_weight_kg"] == pytest.approx(5_000.0)
    assert e.stops["load_after_volume_l"].to_list() == [15_000.0, 11_000.0, 6_000.0, 0.0]
    assert e.stops["arrival"].to_list() == pytest.approx([5 + 10 / 60, 5.5, 5 + 50 / 60, 5 + 70 / 60])
    assert (e.cost, e.vehicles, e.distance_km) == (pytest.approx(row["cost"]), 1, pytest.approx(80.0))


def test_departure_is_pushed_later_by_the_forward_slack_bounded_by_the_wait():
    # S01 open 06:00-07:00 (10 min out), S03 open 10:00-11:00: leaving at 05:00 would wait at S01
    # and for hours at S03; S01's close lets the departure move only to 06:50
    problem = line(tw_early=np.array([5 * H, 6 * H, 5 * H, 10 * H, 5 * H]),
                   tw_late=np.array([21 * H, 7 * H, 20 * H, 11 * H, 20 * H]))
    vehicle, visits = TRUCK, np.array([1, 3])
    tl = timeline(problem, vehicle, visits)
    assert tl.departure == 6 * H + 50 * 60
    assert tl.start.tolist() == [7 * H, 10 * H]
    assert tl.wait.tolist() == [0, 10 * H - (7 * H + 10 * 60 + 20 * 60)]
    assert tl.duration == 10 * H + 10 * 60 + 30 * 60 - tl.departure
    # with no window that binds, all the waiting goes: the vehicle leaves so as to arrive at 10:00
    free = line(tw_early=np.array([5 * H, 5 * H, 5 * H, 10 * H, 5 * H]))
    assert timeline(free, vehicle, np.array([3])).departure == 10 * H - 30 * 60
    # a departure the solver gives is kept
    assert timeline(problem, vehicle, visits, start=5 * H).departure == 5 * H


def test_capacity_over_on_leaving_and_after_a_stop():
    # the van carries 7,000 l (of 9,000) but 1,500 kg (of 1,200) to S01 and S02
    assert run(line(), Route(1, [1, 2]), Route(0, [3, 4])) == [
        "route 1 (van): weight_kg on board 1,500 > capacity 1,200 on leaving the depot"]
    # 20,000 l leave the depot in an 18,000 l truck; after S01 drops 3,000 l the rest fits
    big = line(delivery=np.array([[0, 0], [300, 500], [400, 1_000], [500, 1_500], [800, 2_000]]))
    assert run(big, Route(0, [1, 2, 3, 4])) == [
        "route 1 (truck): volume_l on board 20,000 > capacity 18,000 on leaving the depot"]
    assert evaluate(big, Solution([Route(0, [1, 2, 3, 4])], "hand", 0.0)).routes["utilisation_volume_l"][0] \
        == pytest.approx(20 / 18)


def test_pickups_that_overflow_mid_route():
    # 6,000 l leave the depot (of the van's 9,000); S01 takes 1,000 and gives 4,000, S02 takes
    # 5,000 and gives 4,000 (or 6,000: then 10,000 l are on board after S02)
    problem = line(delivery=np.array([[0, 0], [100, 10], [500, 10], [0, 0], [0, 0]]),
                   pickup=np.array([[0, 0], [400, 10], [400, 10], [0, 0], [0, 0]]))
    e = evaluate(problem, Solution([Route(1, [1, 2]), Route(0, [3, 4])], "hand", 0.0))
    assert e.feasible, e.violations
    assert e.stops.filter(e.stops["route"] == 1)["load_after_volume_l"].to_list() == [9_000.0, 8_000.0]
    assert e.routes["utilisation_volume_l"][0] == pytest.approx(1.0)
    tight = replace(problem, pickup=np.array([[0, 0], [400, 10], [600, 10], [0, 0], [0, 0]]))
    assert run(tight, Route(1, [1, 2]), Route(0, [3, 4])) == [
        "route 1 (van): volume_l on board 10,000 > capacity 9,000 after stop 2 (S02)"]
    assert route_feasible(problem, 1, np.array([1, 2]))
    assert not route_feasible(tight, 1, np.array([1, 2]))


def test_late_service_names_the_site_and_both_times():
    problem = line(tw_late=np.array([21 * H, 20 * H, 20 * H, 20 * H, 6 * H]))
    assert run(problem, Route(0, [1, 2, 3, 4])) == [
        "route 1 (truck): service at S04 starts 06:10, after it closes 06:00"]
    assert not route_feasible(problem, 0, np.array([1, 2, 3, 4]))
    assert route_feasible(problem, 0, np.array([4, 1, 2, 3]))


def test_shift_too_long_and_depot_closed_and_too_early():
    short = replace(TRUCK, max_duration=90 * 60)
    problem = line(vehicle_types=(short, VAN), tw_late=np.array([8 * H] + [20 * H] * 4))
    # 10 + 10 + 20 + 10 + 10 + 10 + 40 minutes from 07:00
    assert run(problem, Route(0, [1, 3, 4], start=7 * H), Route(1, [2])) == [
        "route 1 (truck): duration 1.83 h > shift 1.5 h",
        "route 1 (truck): back at 08:50, after its shift ends at 06:30",
        "route 1 (truck): ends at 08:50 after the depot D1 closes 08:00"]
    assert run(line(), Route(0, [1, 2, 3, 4], start=4 * H)) == [
        "route 1 (truck): leaves D1 at 04:00, before the shift starts 05:00"]


def test_back_after_the_shift_end_breaks_the_shift_even_when_short():
    # the van's shift is 07:00 + 10 h: back by 17:00. S01 (10 min out) opens 16:45 for 10 minutes of
    # service, so the van is back at 17:05 after a 30-minute route, with the depot open until 21:00
    early, late = np.full(5, 5 * H), np.array([21 * H] + [20 * H] * 4)
    early[1] = 16 * H + 45 * 60
    problem = line(tw_early=early, tw_late=late)
    assert run(problem, Route(0, [2, 3, 4]), Route(1, [1])) == [
        "route 2 (van): back at 17:05, after its shift ends at 17:00"]
    tl = timeline(problem, VAN, np.array([1]))
    assert (tl.departure, tl.back, tl.duration) == (16 * H + 35 * 60, 17 * H + 5 * 60, 30 * 60)
    assert not route_feasible(problem, 1, np.array([1]))
    assert route_feasible(problem, 0, np.array([2, 3, 4]))
    early[1] = 16 * H + 30 * 60  # back at 16:50: within the shift
    assert route_feasible(line(tw_early=early, tw_late=late), 1, np.array([1]))


def test_missing_duplicate_and_foreign_visits():
    assert run(line(), Route(0, [1, 2, 2]), Route(1, [0, 9])) == [
        "route 2 (van): visits depot D1 mid-route",
        "route 2 (van): location 9 does not exist (5 locations)",
        "client S02 visited twice", "client S03 not visited", "client S04 not visited"]
    assert run(line(), Route(5, [1, 2, 3, 4])) == ["route 1: vehicle type 5 does not exist (2 types)"] + [
        f"client S0{i} not visited" for i in range(1, 5)]


def test_too_many_vehicles_of_a_type():
    assert run(line(), Route(0, [1, 2]), Route(0, [3, 4])) == ["truck: 2 routes > 1 vehicles at depot D1"]


def test_instance_units_without_hours_or_km():
    problem = line(units=Units("1", "1", None, None), load_scale=(1.0, 1.0),
                   tw_late=np.array([21 * H, 20 * H, 20 * H, 20 * H, 18_900]))
    e = evaluate(problem, Solution([Route(0, [1, 2, 3, 4])], "hand", 0.0))
    assert e.routes["distance_km"].to_list() == [80_000.0]  # raw units where km is None
    assert e.stops["start"].dtype.is_integer()
    assert e.violations == ["route 1 (truck): service at S04 starts 22,200, after it closes 18,900"]


def test_empty_solution_has_typed_empty_frames():
    e = evaluate(line(), Solution([], "hand", 0.0))
    assert e.routes.height == 0 and "utilisation_weight_kg" in e.routes.columns
    assert e.stops.height == 0 and "load_after_volume_l" in e.stops.columns
    assert e.violations == [f"client S0{i} not visited" for i in range(1, 5)] and e.cost == 0.0
