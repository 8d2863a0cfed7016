"""The logistics settings are checked once, before a run, with the setting named."""

import pytest

from workbench.checks import SettingError, check_against_data, check_settings


@pytest.mark.parametrize("overrides,message", [
    (["logistics.routing.solver=gurobi"], "logistics.routing.solver: unknown routing solver 'gurobi'"),
    (["logistics.routing.compare=[pyvrp,ortools]"], "logistics.routing.compare: unknown routing solver 'ortools'"),
    (["logistics.frequency.days=[0,7]"], r"logistics.frequency.days=\[0, 7\]; expected one or more intervals"),
    (["logistics.frequency.days=[1,30]"], r"an interval longer than the hold-out window \(forecast.horizon=14\)"),
    (["logistics.fleet.van.capacity_volume=0"], "logistics.fleet.van: count=6, capacity_volume=0.0"),
    (["logistics.fleet.truck.shift_hours=30"], "logistics.fleet.truck: shift_start=5.0, shift_hours=30.0"),
    (["logistics.network.store_window=[12,6]"], r"logistics.network.store_window=\[12.0, 6.0\]"),
    (["logistics.routing.road_factor=0.8"], "road_factor=0.8; expected a speed > 0 and a road factor >= 1"),
    (["logistics.channels={store: store, online: shop}"], r"logistics.channels: kinds \['shop'\]"),
])
def test_bad_logistics_settings_stop_the_run_before_it_starts(quick, overrides, message):
    with pytest.raises(SettingError, match=message):
        check_settings(quick.plain(*overrides))


def test_a_missing_sites_file_is_named(quick):
    with pytest.raises(FileNotFoundError, match="logistics.sites.path=/nowhere/sites.csv: no such file"):
        check_settings(quick.plain("logistics.sites.path=/nowhere/sites.csv"))


def test_a_sites_file_of_ones_own_passes(quick):
    from pathlib import Path

    path = Path(__file__).parent / "data" / "sites.csv"
    check_settings(quick.plain(f"logistics.sites.path={path}"))


def test_channels_that_the_data_lacks_are_named(quick, tiny_panel):
    plain = quick.plain()
    plain["logistics"]["channels"] = {"store": "store", "outlet": "zone"}
    with pytest.raises(SettingError, match=r"logistics.channels: \['outlet'\] are not values of the panel's 'channel'"):
        check_against_data(plain, tiny_panel)


def test_without_the_logistics_notebook_its_settings_are_not_judged(quick):
    check_settings(quick.plain("logistics.routing.solver=gurobi", "experiment.notebooks=[01_data]"))
