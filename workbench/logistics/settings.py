"""Settings of the logistics stage that the runner checks before any notebook runs; each error names the setting."""

from __future__ import annotations

import polars as pl

KINDS = ("store", "zone")


def check_logistics_config(cfg, horizon: int | None = None) -> None:
    """What the ``logistics`` schema cannot say: registry names, ranges, the sites file; ``horizon``
    is the hold-out window's length (``forecast.horizon``)."""
    from workbench.logistics.geography import read_sites
    from workbench.logistics.solvers import SOLVERS

    rc, fq, net = cfg.routing, cfg.frequency, cfg.network
    for setting, name in [("logistics.routing.solver", rc.solver),
                          *(("logistics.routing.compare", n) for n in rc.compare)]:
        if name not in SOLVERS:
            raise ValueError(f"{setting}: unknown routing solver {name!r}; registered: {list(SOLVERS)}")
    if rc.time_limit <= 0 or fq.time_limit <= 0:
        raise ValueError(f"logistics.routing.time_limit={rc.time_limit} and logistics.frequency.time_limit="
                         f"{fq.time_limit}; expected both > 0 seconds")
    if rc.speed_kmh <= 0 or rc.road_factor < 1:
        raise ValueError(f"logistics.routing.speed_kmh={rc.speed_kmh} and road_factor={rc.road_factor}; "
                         "expected a speed > 0 and a road factor >= 1 (roads are no shorter than straight lines)")
    if not fq.days or min(fq.days) < 1:
        raise ValueError(f"logistics.frequency.days={list(fq.days)}; expected one or more intervals of at least 1 day")
    if fq.samples < 20:
        raise ValueError(f"logistics.frequency.samples={fq.samples}; expected at least 20 draws for the stores' quantiles")
    if fq.lead_days < 1:
        raise ValueError(f"logistics.frequency.lead_days={fq.lead_days}; expected at least 1 day")
    if horizon is not None and max(fq.days) > horizon:
        raise ValueError(f"logistics.frequency.days={list(fq.days)}: an interval longer than the hold-out window "
                         f"(forecast.horizon={horizon}) would leave stores without a review in it; expected at most {horizon}")
    if not cfg.fleet:
        raise ValueError("logistics.fleet is empty; expected at least one vehicle type")
    for name, v in cfg.fleet.items():
        if v.count < 1 or v.capacity_volume <= 0 or v.capacity_weight <= 0:
            raise ValueError(f"logistics.fleet.{name}: count={v.count}, capacity_volume={v.capacity_volume}, "
                             f"capacity_weight={v.capacity_weight}; expected at least one vehicle and capacities > 0")
        if min(v.fixed_cost, v.cost_per_km, v.cost_per_hour) < 0:
            raise ValueError(f"logistics.fleet.{name}: costs must be >= 0")
        if not (0 <= v.shift_start < 24 and 0 < v.shift_hours <= 24):
            raise ValueError(f"logistics.fleet.{name}: shift_start={v.shift_start}, shift_hours={v.shift_hours}; "
                             "expected a start in [0, 24) hours and a length in (0, 24]")
    unknown = sorted(set(cfg.channels.values()) - set(KINDS))
    if unknown:
        raise ValueError(f"logistics.channels: kinds {unknown}; expected each channel mapped to one of {list(KINDS)}")
    if cfg.weight_per_litre <= 0:
        raise ValueError(f"logistics.weight_per_litre={cfg.weight_per_litre}; expected > 0 kg per litre")
    if cfg.sites.path is not None:
        read_sites(cfg.sites)  # its errors name the file, the column and the row
        return
    if net.depots < 1 or net.stores < 1 or net.zones < 0 or net.radius_km <= 0:
        raise ValueError(f"logistics.network: depots={net.depots}, stores={net.stores}, zones={net.zones}, "
                         f"radius_km={net.radius_km}; expected at least one depot and one store, and a radius > 0")
    for setting, window in (("store_window", net.store_window), ("zone_window", net.zone_window)):
        if len(window) != 2 or not 0 <= window[0] < window[1] <= 24:
            raise ValueError(f"logistics.network.{setting}={list(window)}; expected [open, close] hours with "
                             "0 <= open < close <= 24")


def check_logistics_data(cfg, panel, location: str | None) -> None:
    """The channels the study routes exist in the panel, and the items have volumes."""
    if location is None or location not in panel.keys:
        raise ValueError(f"logistics: the panel has no channel or location key (keys {list(panel.keys)}); "
                         "set inventory.lp.location, or leave 07_logistics out of experiment.notebooks")
    values = set(panel.demand.get_column(location).cast(pl.String).unique().to_list())
    missing = sorted(set(cfg.channels) - values)
    if missing:
        raise ValueError(f"logistics.channels: {missing} are not values of the panel's {location!r} column; "
                         f"expected some of {sorted(values)[:12]}")
    if "volume" not in panel.static.columns:
        raise ValueError("logistics: the static table has no 'volume' column (litres per unit), which the "
                         "vehicles' loads are computed from")
