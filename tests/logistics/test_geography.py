"""The network of sites: generated and read from a CSV, its distances, its fleet, a day's routing problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from workbench.config.logistics import (
    Coordinates,
    LogisticsConfig,
    NetworkConfig,
    RoutingConfig,
    SitesConfig,
    VehicleTypeConfig,
)
from workbench.logistics.geography import (
    EARTH_KM,
    Network,
    build_problem,
    network_of,
    read_sites,
    synthetic_network,
    vehicle_types,
)
from workbench.logistics.problem import Units

SITES_CSV = Path(__file__).parent / "data" / "sites.csv"
FLEET = LogisticsConfig().fleet


def generated(seed: int = 3, **kw) -> Network:
    return synthetic_network(NetworkConfig(seed=seed, **kw), FLEET, RoutingConfig(seed=seed))


def test_synthetic_network_is_deterministic_per_seed_and_well_formed():
    a, b, c = generated(3), generated(3), generated(4)
    assert a.sites.equals(b.sites)
    assert not np.allclose(a.sites["lat"].to_numpy(), c.sites["lat"].to_numpy())
    cfg = NetworkConfig(seed=3)
    s = a.sites
    assert s["kind"].to_list() == ["depot"] * cfg.depots + ["store"] * cfg.stores + ["zone"] * cfg.zones
    assert s["site_id"].to_list()[:3] == ["D1", "S01", "S02"] and s["site_id"][-1] == "Z24"
    shares = s.group_by("kind").agg(pl.col("share").sum())
    np.testing.assert_allclose(shares["share"].to_numpy(), 1.0, atol=1e-12)
    # every site within the radius of the centre; depots within 15 % of it
    centre = Network(pl.DataFrame({"site_id": ["c"], "kind": ["depot"], "lat": [cfg.centre_lat],
                                   "lon": [cfg.centre_lon]}).vstack(s.select("site_id", "kind", "lat", "lon")),
                     FLEET, Coordinates.haversine, 1.0, 45.0).distance_km()[0, 1:]
    assert centre.max() <= cfg.radius_km
    assert centre[: cfg.depots].max() <= 0.15 * cfg.radius_km
    stores = a.of_kind("store")
    opening = stores["open_h"].to_numpy()
    assert len(set(opening)) > 1 and np.all(opening * 2 == np.round(opening * 2))
    assert np.all(stores["close_h"].to_numpy() - opening >= 2.0)
    assert a.of_kind("zone")["open_h"].to_list() == [cfg.zone_window[0]] * cfg.zones


def test_haversine_degree_of_latitude_and_euclidean_distances():
    sites = pl.DataFrame({"site_id": ["D1", "S1"], "kind": ["depot", "store"], "lat": [52.0, 53.0], "lon": [5.0, 5.0]})
    net = Network(sites, FLEET, Coordinates.haversine, road_factor=1.3, speed_kmh=50.0)
    km = net.distance_km()
    assert km[0, 1] == pytest.approx(111.2 * 1.3, rel=1e-3)
    assert km[0, 1] == pytest.approx(EARTH_KM * np.pi / 180 * 1.3, rel=1e-12)
    np.testing.assert_allclose(net.hours(), km / 50.0)
    flat = Network(pl.DataFrame({"site_id": ["D1", "S1"], "kind": ["depot", "store"], "x": [0.0, 3.0],
                                 "y": [0.0, 4.0]}), FLEET, Coordinates.euclidean, road_factor=1.2, speed_kmh=40.0)
    assert flat.distance_km()[1, 0] == pytest.approx(6.0)


def test_network_refuses_sites_out_of_order():
    sites = pl.DataFrame({"site_id": ["S1", "D1"], "kind": ["store", "depot"], "lat": [52.0, 52.1], "lon": [5.0, 5.0]})
    with pytest.raises(ValueError, match="depots"):
        Network(sites, FLEET, Coordinates.haversine, 1.3, 45.0)


def test_metres_and_seconds_round_trip_and_costs_per_unit():
    net = generated(5)
    units = Units()
    km, hours = net.distance_km(), net.hours()
    assert np.abs(units.km_of(units.distance_units(km)) - km).max() <= 0.0005
    assert np.abs(units.hours_of(units.duration_units(hours)) - hours).max() <= 1 / 7200
    types = vehicle_types(net, units)
    assert [t.name for t in types] == list(FLEET)  # one depot: plain names
    metres = units.distance_units(km)
    for t, v in zip(types, FLEET.values(), strict=True):
        np.testing.assert_allclose(t.cost_per_distance * metres, v.cost_per_km * km, atol=v.cost_per_km * 0.0005)
        assert t.cost_per_duration * 3600 == pytest.approx(v.cost_per_hour)
        assert (t.shift_start, t.max_duration) == (round(v.shift_start * 3600), round(v.shift_hours * 3600))
        assert t.capacity == (int(v.capacity_volume), int(v.capacity_weight))


def test_vehicle_types_per_depot():
    net = generated(5, depots=2)
    types = vehicle_types(net)
    assert [(t.name, t.depot) for t in types] == [("truck@D1", 0), ("truck@D2", 1), ("van@D1", 0), ("van@D2", 1)]


def test_build_problem_shapes_rounding_and_clients():
    net = generated(7)
    drops = pl.DataFrame({"site_id": ["S03", "Z02", "S05"], "volume_l": [120.2, 40.0, 0.0],
                          "weight_kg": [35.0, 14.000000000001, 0.0], "pickup_volume_l": [0.0, 0.0, 3.5]})
    p = build_problem(net, drops)
    assert p.names == ("D1", "S03", "S05", "Z02")  # network order; S05 only picks up
    assert p.distance.shape == p.duration.shape == (4, 4) and p.distance.dtype == np.int64
    assert p.delivery.tolist() == [[0, 0], [121, 35], [0, 0], [40, 14]]
    assert p.pickup.tolist() == [[0, 0], [0, 0], [4, 0], [0, 0]]
    assert p.load_names == ("volume_l", "weight_kg")
    rows = [net.sites["site_id"].to_list().index(n) for n in p.names]
    np.testing.assert_array_equal(p.distance, np.rint(net.distance_km()[np.ix_(rows, rows)] * 1000))
    s03 = net.sites.filter(pl.col("site_id") == "S03").row(0, named=True)
    # service must end by the closing: the 25-minute unload starts 25 minutes before it at the latest
    assert (p.tw_early[1], p.tw_late[1]) == (round(s03["open_h"] * 3600), round(s03["close_h"] * 3600) - 25 * 60)
    assert p.service[1] == 25 * 60 and p.service[3] == 40 * 60
    z02 = net.sites.filter(pl.col("site_id") == "Z02").row(0, named=True)
    assert p.tw_late[3] == round(z02["close_h"] * 3600) - 40 * 60
    # the depot from the earliest shift start (truck 05:00) to the latest end (van 07:00 + 10 h)
    assert (p.tw_early[0], p.tw_late[0]) == (5 * 3600, 17 * 3600)


def test_build_problem_errors_name_the_site_and_day():
    net = generated(7)
    with pytest.raises(ValueError, match="S99"):
        build_problem(net, pl.DataFrame({"site_id": ["S99"], "volume_l": [1.0], "weight_kg": [1.0]}))
    # the truck takes 18 000 l, the van 1 200 kg: 18 000 l and 7 000 kg fit the truck exactly
    notes: list[str] = []
    ok = build_problem(net, pl.DataFrame({"site_id": ["S02"], "volume_l": [18_000.0], "weight_kg": [7_000.0]}),
                       notes=notes)
    assert ok.delivery[1].tolist() == [18_000, 7_000] and ok.names == ("D1", "S02") and notes == []
    # a dimension that no vehicle carries cannot be split away
    bikes = Network(net.sites, {"bike": VehicleTypeConfig(capacity_weight=0.5)}, net.coordinates, 1.3, 45.0)
    with pytest.raises(ValueError, match=r"S02 on 2024-03-01.*no vehicle carries"):
        build_problem(bikes, pl.DataFrame({"site_id": ["S02"], "volume_l": [1.0], "weight_kg": [0.2]}),
                      day="2024-03-01")


def test_a_drop_larger_than_any_vehicle_is_split_into_equal_stops():
    net = generated(7)
    # 40 000 l and 3 000 kg: three truck loads (18 000 l each) or five van loads; S05 fits as it is
    drops = pl.DataFrame({"site_id": ["S02", "S05"], "volume_l": [40_000.0, 100.0], "weight_kg": [3_000.0, 50.0]})
    notes: list[str] = []
    p = build_problem(net, drops, day="2024-03-01", notes=notes)
    assert p.names == ("D1", "S02", "S02", "S02", "S05")
    assert p.delivery.tolist() == [[0, 0], [13_334, 1_000], [13_334, 1_000], [13_334, 1_000], [100, 50]]
    assert notes == ["the drop at site S02 on 2024-03-01 exceeds the largest vehicle: split into 3 equal stops"]
    assert (p.distance[1:4, 1:4] == 0).all() and (p.distance[0, 1:4] == p.distance[0, 1]).all()
    assert p.service[1:4].tolist() == [25 * 60] * 3
    assert (p.tw_early[1:4] == p.tw_early[1]).all() and (p.tw_late[1:4] == p.tw_late[1]).all()
    # weight decides as well, and pickups are split with the drop: 15 000 kg is three truck loads
    heavy = build_problem(net, pl.DataFrame({"site_id": ["S02"], "volume_l": [0.0], "weight_kg": [15_000.0],
                                             "pickup_volume_l": [30.0]}))
    assert heavy.delivery[1:].tolist() == [[0, 5_000]] * 3 and heavy.pickup[1:].tolist() == [[10, 0]] * 3


def test_drops_of_weight_alone_or_pickups_alone_make_clients():
    net = generated(7)
    drops = pl.DataFrame({"site_id": ["S03", "S04", "Z01"], "volume_l": [0.0, 0.0, 0.0],
                          "weight_kg": [12.0, 0.0, 0.0], "pickup_weight_kg": [0.0, 0.0, 2.0]})
    p = build_problem(net, drops)
    assert p.names == ("D1", "S03", "Z01")
    assert p.delivery.tolist() == [[0, 0], [0, 12], [0, 0]] and p.pickup.tolist() == [[0, 0], [0, 0], [0, 2]]


def sites_network(tmp_path, text: str) -> Network:
    path = tmp_path / "hours.csv"
    path.write_text(text)
    return Network(read_sites(SitesConfig(path=str(path))), FLEET, Coordinates.haversine, 1.3, 45.0)


def test_windows_shorter_than_the_service_and_depot_hours(tmp_path):
    header = "site_id,kind,lat,lon,open,close,service_minutes\n"
    stores = "S1,store,52.1,5.1,{open},12,25\n"
    one = pl.DataFrame({"site_id": ["S1"], "volume_l": [10.0], "weight_kg": [1.0]})
    # a depot open 08:00-16:00 within the fleet's shifts (05:00 to 17:00): its own hours bind
    p = build_problem(sites_network(tmp_path, header + "D1,depot,52,5,8,16,0\n" + stores.format(open=6)), one)
    assert (p.tw_early[0], p.tw_late[0]) == (8 * 3600, 16 * 3600)
    assert p.tw_late[1] == 12 * 3600 - 25 * 60
    # a 20-minute window cannot hold a 25-minute unload
    short = sites_network(tmp_path, header + "D1,depot,52,5,0,24,0\n" + stores.format(open=11 + 2 / 3))
    with pytest.raises(ValueError, match=r"site S1 on 2024-03-01 is open 11:40-12:00, shorter than its 25 min"):
        build_problem(short, one, day="2024-03-01")
    # a depot open only in the evening, after every shift has ended
    late = sites_network(tmp_path, header + "D1,depot,52,5,18,24,0\n" + stores.format(open=6))
    with pytest.raises(ValueError, match=r"depot D1 is open 18:00-24:00 but its vehicles' shifts run 05:00-17:00"):
        build_problem(late, one)


def test_read_sites_fills_defaults_and_orders_kinds():
    notes: list[str] = []
    sites = read_sites(SitesConfig(path=str(SITES_CSV)), notes)
    assert sites["site_id"].to_list() == ["D1", "S1", "S2", "Z1", "Z2"]
    s2 = sites.filter(pl.col("site_id") == "S2").row(0, named=True)
    assert (s2["open_h"], s2["close_h"], s2["location"]) == (6.5, 24.0, "Houten")
    assert sites.filter(pl.col("kind") == "zone")["share"].to_list() == [0.5, 0.5]
    assert sites["service_minutes"].to_list() == [0.0, 20.0, 30.0, 0.0, 0.0]
    filled = " ".join(notes)
    assert "close_h filled for 3 of 5" in filled and "share filled for 5 of 5" in filled
    network, how = network_of(LogisticsConfig(sites=SitesConfig(path=str(SITES_CSV)), seed=0))
    assert network.sites.equals(sites) and str(SITES_CSV) in how[0]


def test_network_of_generates_without_a_file():
    cfg = LogisticsConfig(network=NetworkConfig(stores=5, zones=3, seed=1), routing=RoutingConfig(seed=1), seed=1)
    network, notes = network_of(cfg)
    assert network.sites.height == 9 and "generated" in notes[0]


GOOD = "site_id,kind,lat,lon,open,close,share\nD1,depot,52,5,0,24,1\nS1,store,52.1,5.1,7,12,2\nS2,store,52.2,5.2,8,11,1\n"


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.replace(",lon,", ",longitude,"), r"missing column\(s\) \['lon'\]"),
    (lambda t: t.replace("S1,store", "S1,shop"), r"column 'kind', row 2: 'shop'"),
    (lambda t: t.replace("S2,store", "S1,store"), r"column 'site_id', row 3: 'S1'; expected unique"),
    (lambda t: t.replace("S2,store,52.2", "S2,store,95"), r"column 'lat', row 3: '95'.*\[-90, 90\]"),
    (lambda t: t.replace("D1,depot", "D1,store"), "no 'depot'"),
    (lambda t: t.replace("8,11,1", "11,8,1"), r"column 'close_h', row 3"),
    (lambda t: t.replace("8,11,1", "8,11,-1"), r"column 'share', row 3"),
    (lambda t: t.replace("52.1,5.1", "north,5.1"), r"column 'lat', row 2: 'north'; expected a number"),
])
def test_read_sites_names_file_column_and_row(tmp_path, change, message):
    path = tmp_path / "bad_sites.csv"
    path.write_text(change(GOOD))
    with pytest.raises(ValueError, match=message) as err:
        read_sites(SitesConfig(path=str(path)))
    assert "bad_sites.csv" in str(err.value)


def test_read_sites_euclidean_and_missing_file(tmp_path):
    path = tmp_path / "plane.csv"
    path.write_text("site_id,kind,x,y\nD1,depot,0,0\nS1,store,3,4\n")
    sites = read_sites(SitesConfig(path=str(path), coordinates=Coordinates.euclidean))
    net = Network(sites, {"van": VehicleTypeConfig()}, Coordinates.euclidean, 1.0, 30.0)
    assert net.distance_km()[0, 1] == pytest.approx(5.0)
    with pytest.raises(FileNotFoundError, match="logistics.sites.path"):
        read_sites(SitesConfig(path=str(tmp_path / "none.csv")))
