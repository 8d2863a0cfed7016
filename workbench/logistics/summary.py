"""The logistics stage's headline, as the ``07_logistics`` notebook logs it and the index of runs shows it."""

from __future__ import annotations

import polars as pl

from workbench.headline import Headline, Logged, Metric
from workbench.logistics.study import LogisticsStudy

HEADLINE = Headline("07_logistics", (
    Metric("route_cost", "route cost (day)", "{:,.0f}",
           "Route cost (day): what the routes of the busiest delivery day cost (vehicles, kilometres and drivers' "
           "hours), with the study's solver (logistics.routing.solver)."),
    Metric("distance_km", "km driven (day)", "{:,.0f}", "Km driven (day): the road kilometres of those routes."),
    Metric("vehicles", "vehicles (day)", "{:,.0f}", "Vehicles (day): the routes driven that day, one vehicle each."),
    Metric("cost_per_unit", "route cost per unit", "{:.3f}",
           "Route cost per unit: that day's route cost over the units it delivers."),
    Metric("best_frequency", "best delivery interval (days)", "{:.0f}",
           "Best delivery interval: the days between deliveries to a store at which stock (holding and shortage) "
           "plus transport costs the least over the hold-out window (logistics.frequency.days)."),
))


def headline(study: LogisticsStudy, **details) -> Logged:
    """The stage's headline values; ``details`` go to ``metrics.json`` only."""
    ev = study.routes
    units = float(study.day.drops["units"].sum())
    net = study.tradeoff.network
    best = net.filter(pl.col("days") == study.tradeoff.best_days)
    daily = net.filter(pl.col("days") == net["days"].min())
    return HEADLINE.of(
        route_cost=ev.cost, distance_km=ev.distance_km, vehicles=ev.vehicles,
        cost_per_unit=ev.cost / units if units > 0 else None, best_frequency=study.tradeoff.best_days,
        solver=study.solver, day=study.day.date, feasible=ev.feasible,
        best_total_cost=float(best["total_cost"][0]), shortest_interval_total_cost=float(daily["total_cost"][0]),
        **details)


def clock(frame: pl.DataFrame, columns: tuple[str, ...] = ("start", "end", "arrival")) -> pl.DataFrame:
    """Hours of the day (``6.25``) as a reader's clock time (``06:15``), for the columns ``frame`` has.

    >>> clock(pl.DataFrame({"start": [6.25, 13.999]}))["start"].to_list()
    ['06:15', '14:00']
    """
    def hhmm(name: str) -> pl.Expr:
        minutes = (pl.col(name) * 60).round(0).cast(pl.Int64)
        two = lambda e: e.cast(pl.String).str.zfill(2)  # noqa: E731
        return pl.format("{}:{}", two(minutes // 60), two(minutes % 60)).alias(name)

    return frame.with_columns(hhmm(c) for c in columns if c in frame.columns)
