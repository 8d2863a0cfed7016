"""The logistics study end to end on the tiny shop: deliveries from the inventory decisions, routes
checked independently, and the stock-against-transport sweep."""

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from panels import perfect_forecasts

from workbench.inventory.simulate import OrderUpToPolicy
from workbench.logistics.frequency import delivery_groups
from workbench.logistics.geography import network_of
from workbench.logistics.study import STORE, run_logistics_study

QS = [0.05, 0.25, 0.5, 0.75, 0.9, 0.95]
SMALL = ("logistics.network.stores=5", "logistics.network.zones=4", "logistics.frequency.days=[1,3,7]",
         "logistics.routing.time_limit=1", "logistics.routing.no_improvement=200",
         "logistics.frequency.time_limit=0.5", "logistics.frequency.no_improvement=100",
         "logistics.frequency.holding_multipliers=[1,1000]")


def oracle(panel):
    """Forecasts that know the 28-day hold-out's demand, with a wide quantile spread."""
    return perfect_forecasts(panel, 28, QS, spread=0.3)


@pytest.fixture(scope="module")
def study(tiny_panel, quick):
    inv, lg = quick.section("inventory"), quick.section("logistics", *SMALL)
    return run_logistics_study(tiny_panel, oracle(tiny_panel), "oracle", QS, inv, lg), lg


def test_the_days_routes_are_feasible_and_carry_every_drop(study):
    s, _ = study
    ev = s.routes
    assert ev.feasible, ev.violations
    drops = s.day.drops
    assert set(ev.stops["site"]) == set(drops.filter(pl.col("volume_l") > 0)["site_id"])
    # what the routes deliver is what the day's drops ask for (loads are rounded up to whole litres)
    delivered = ev.stops["delivered_volume_l"].sum()
    assert drops["volume_l"].sum() <= delivered <= drops["volume_l"].sum() + drops.height
    assert set(drops["kind"]) <= {STORE, "zone"}
    comparison = s.day.comparison()
    assert set(comparison["solver"]) == {"pyvrp", "savings"} and comparison["feasible"].all()
    # the search never loses to the constructive heuristic it is compared with
    costs = dict(comparison.select("solver", "cost").iter_rows())
    assert costs["pyvrp"] <= costs["savings"] * 1.0001


def test_stock_grows_and_transport_falls_with_the_interval(study):
    s, _ = study
    t = s.tradeoff.network.sort("days")
    assert t["days"].to_list() == [1, 3, 7]
    assert t["mean_stock"][0] < t["mean_stock"][2]  # a longer review carries more cycle stock
    assert t["transport_cost"][0] > t["transport_cost"][2]  # and sends fewer, fuller vehicles
    assert t["deliveries"][0] > t["deliveries"][2]
    assert t["all_feasible"].all()
    best = t.sort("total_cost")["days"][0]
    assert s.tradeoff.best_days == best


def test_route_costs_are_allocated_to_stores_in_full(study):
    s, _ = study
    per = s.tradeoff.per_store.group_by("days").agg(pl.col("transport_cost", "stock_cost").sum()).sort("days")
    net = s.tradeoff.network.sort("days")
    np.testing.assert_allclose(per["transport_cost"], net["transport_cost"], rtol=1e-9)
    np.testing.assert_allclose(per["stock_cost"], net["stock_cost"], rtol=1e-9)
    assert s.tradeoff.per_store.filter(pl.col("best")).select("site_id").n_unique() == 5


def test_holding_multiplier_one_is_the_sweep_and_dear_stock_shortens_the_interval(study):
    s, lg = study
    sens = s.sensitivity.filter(pl.col("holding_multiplier") == 1.0).sort("days")
    np.testing.assert_allclose(sens["total_cost"], s.tradeoff.network.sort("days")["total_cost"], rtol=1e-9)
    assert set(s.sensitivity["holding_multiplier"]) == set(lg.frequency.holding_multipliers) == {1.0, 1000.0}
    # stock a thousand times dearer: deliver every day
    best = dict(s.sensitivity.filter(pl.col("best")).select("holding_multiplier", "days").iter_rows())
    assert best[1000.0] == 1 <= best[1.0]


def test_deliveries_follow_the_stores_staggered_reviews(study):
    s, lg = study
    run = s.tradeoff.runs[3]
    groups = delivery_groups(s.network, s.network.of_kind(STORE), 3)  # [0, 0, 1, 1, 2]: day 2 orders arrive on day 0
    site_of_row = np.tile(np.arange(5), run.arrivals.shape[0] // 5)
    rows, days = np.nonzero(run.arrivals)
    assert rows.size and days.min() < lg.frequency.lead_days  # the warm-up's last orders arrive in the window
    # every delivery, the warm-up's included, was ordered on its store's day of the cycle
    assert ((days - lg.frequency.lead_days - groups[site_of_row[rows]]) % 3 == 0).all()


def test_delivery_groups_are_balanced_sectors(quick):
    lg = quick.section("logistics", "logistics.network.stores=14")
    network, _ = network_of(lg)
    groups = delivery_groups(network, network.of_kind(STORE), 7)
    assert np.bincount(groups, minlength=7).tolist() == [2] * 7
    assert delivery_groups(network, network.of_kind(STORE), 1).tolist() == [0] * 14


def test_order_up_to_reviews_each_row_on_its_own_day():
    rule = OrderUpToPolicy(np.array([10.0, 10.0, 10.0]), review=3, offset=np.array([0, 1, 2]))
    for t in range(6):
        got = rule.order(t, np.zeros(3))
        assert got.tolist() == [10.0 if (t - k) % 3 == 0 else 0.0 for k in range(3)]
    same = OrderUpToPolicy(np.array([4.0, 5.0]), review=2)
    assert same.order(0, np.zeros(2)).tolist() == [4.0, 5.0] and same.order(1, np.zeros(2)).tolist() == [0.0, 0.0]


def test_the_same_config_gives_the_same_routes(tiny_panel, quick, study):
    s, _ = study
    inv = quick.section("inventory")
    lg = quick.section("logistics", *SMALL)
    lg = replace(lg, frequency=replace(lg.frequency, days=[7]))
    again = run_logistics_study(tiny_panel, oracle(tiny_panel), "oracle", QS, inv, lg)
    first = s.tradeoff.runs[7]
    second = again.tradeoff.runs[7]
    assert first.routes.drop("seconds").equals(second.routes.drop("seconds"))
    np.testing.assert_array_equal(first.arrivals, second.arrivals)


def test_a_small_stores_level_is_the_quantile_of_its_thinned_demand_over_the_cover():
    from scipy.stats import binom

    from workbench.inventory.cube import Cube
    from workbench.logistics.frequency import StoreSeries

    levels = np.array([0.05, 0.5, 0.95])
    cube = Cube(mean=np.full((1, 28), 10.0), values=np.broadcast_to([9.9, 10.0, 10.1], (1, 28, 3)).copy(), levels=levels)
    stores = pl.DataFrame({"site_id": ["S1", "S2"], "share": [0.05, 0.95]})
    econ = pl.DataFrame({"holding_cost": [0.1], "shortage_cost": [5.0], "service_level": [0.95]})
    parts = np.zeros((1, 2, 28), dtype=np.int64)
    series = StoreSeries.split(np.array(["A"]), parts, parts[:, :, :0], cube, econ, stores, np.ones(1), np.ones(1),
                               list(range(28)), samples=2000, correlation=0.5, seed=3)
    for cover in (1, 14):
        S = series.order_up_to(cover, np.array([0.95, 0.95]))[:, 0]
        # the channel sells exactly 10 a day: each store's demand over the cover is Binomial(10 x cover, share)
        exact = binom.ppf(0.95, 10 * cover, np.array([0.05, 0.95]))
        np.testing.assert_allclose(S, exact, atol=1.0)
    # summing the days' own quantiles would have asked the small store for 28 units over 14 days
    assert series.order_up_to(14, np.array([0.95, 0.95]))[0, 0] <= 13


def test_a_network_of_ones_own_is_routed(tiny_panel, quick):
    from pathlib import Path

    path = Path(__file__).parent / "data" / "sites.csv"
    inv = quick.section("inventory")
    lg = quick.section("logistics", *SMALL, f"logistics.sites.path={path}")
    s = run_logistics_study(tiny_panel, oracle(tiny_panel), "oracle", QS, inv, lg)
    assert s.routes.feasible, s.routes.violations
    assert set(s.tradeoff.per_store["site_id"]) == {"S1", "S2"}
    assert set(s.routes.stops["site"]) <= {"S1", "S2", "Z1", "Z2"} and s.routes.vehicles >= 1
    assert any("sites.csv" in note for note in s.notes)  # what the file left to defaults is said
