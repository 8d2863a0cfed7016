"""Forecast combinations, scored like any model.

* An **ensemble** averages its members' quantiles at every origin, series and step
  (quantile averaging, "Vincentisation"); ``forecast.ensemble_method=median`` takes
  the median instead. Combinations won the M4 and M5 competitions.
* A **route** picks, per series, the model named for its Syntetos-Boylan class
  (smooth, erratic, intermittent, lumpy), with the class computed from the history
  up to each cutoff only.

A combination runs when all its members are in ``forecast.models`` (the others are
listed in the result's ``notes``); it costs what its members cost.
"""

from __future__ import annotations

import polars as pl

from workbench.data.classes import intermittency_classes
from workbench.data.panel import DATE, DEMAND
from workbench.forecast.series import quantile_column

SBC_CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "no demand")


def members(spec) -> list[str]:
    """The models a combination uses: an ensemble's list, or the values of a route."""
    return list(spec.values()) if isinstance(spec, dict) else list(spec)


def check_combinations(cfg) -> list[str]:
    """Members and routes name registered models, names do not clash with models.

    Returns why each combination whose members are not all in ``forecast.models`` is
    left out (so that ``forecast.models=[...]`` alone narrows a run); the report shows it.
    """
    from workbench.forecast.models import MODELS

    skipped = []
    for kind, combos in (("ensembles", cfg.ensembles), ("routes", cfg.routes)):
        for name, spec in combos.items():
            if name in MODELS or name in cfg.models:
                raise ValueError(f"forecast.{kind}.{name}: the name is taken by a model; choose another")
            used = members(spec)
            if not used:
                raise ValueError(f"forecast.{kind}.{name} names no models")
            for m in used:
                MODELS[m]  # a typo is an error that lists the registered models
            if kind == "ensembles" and len(set(used)) != len(used):
                raise ValueError(f"forecast.ensembles.{name}={used} names a model twice")
            missing = [m for m in used if m not in cfg.models]
            if missing:
                skipped.append(f"forecast.{kind}.{name} left out: {missing} not in forecast.models")
            if kind == "routes":
                unknown = [c for c in spec if c not in (*SBC_CLASSES, "other")]
                if unknown:
                    raise ValueError(
                        f"forecast.routes.{name}: unknown classes {unknown}; expected {list(SBC_CLASSES)} or 'other'"
                    )
                unrouted = [c for c in SBC_CLASSES if c not in spec]
                if unrouted and "other" not in spec:
                    raise ValueError(
                        f"forecast.routes.{name} routes no model for the classes {unrouted}; add them or 'other'"
                    )
    return skipped


def runnable(combos: dict, models: list[str]) -> dict:
    """The combinations whose members all run."""
    return {name: spec for name, spec in combos.items() if all(m in models for m in members(spec))}


def ensemble(forecasts: pl.DataFrame, name: str, members: list[str], keys: list[str],
             quantiles: list[float], method: str = "mean") -> pl.DataFrame:
    """Quantiles (and means) of the members combined per series, date and origin.

    Only rows that every member forecast are combined, so no member silently drops out.
    """
    cols = ["mean", *[quantile_column(q) for q in sorted(quantiles)]]
    agg = (lambda c: pl.col(c).median()) if method == "median" else (lambda c: pl.col(c).mean())
    by = [*keys, DATE, "cutoff", *(["window"] if "window" in forecasts.columns else [])]
    return (
        forecasts.filter(pl.col("model").is_in(members))
        .group_by(by)
        .agg(pl.len().alias("_n"), *[agg(c).alias(c) for c in cols])
        .filter(pl.col("_n") == len(members))
        .drop("_n")
        .with_columns(pl.lit(name).alias("model"))
        .select(forecasts.columns)
    )


def classes_at_cutoffs(demand: pl.DataFrame, keys: list[str], cutoffs: list) -> pl.DataFrame:
    """Syntetos-Boylan class of each series on its history up to each cutoff."""
    return pl.concat([
        intermittency_classes(demand.filter(pl.col(DATE) <= c), keys, DEMAND)
        .select([*keys, "sbc_class"])
        .with_columns(pl.lit(c).cast(pl.Date).alias("cutoff"))
        for c in cutoffs
    ])


def route(forecasts: pl.DataFrame, name: str, routes: dict[str, str], classes: pl.DataFrame,
          keys: list[str]) -> pl.DataFrame:
    """Per series and origin, the forecast of the model its class is routed to (``other``: the rest;
    :func:`check_combinations` has made sure every class has one)."""
    mapping = pl.DataFrame({"sbc_class": list(routes), "_routed": list(routes.values())})
    chosen = classes.join(mapping, on="sbc_class", how="left").with_columns(
        pl.col("_routed").fill_null(pl.lit(routes.get("other"), dtype=pl.String))
    )
    return (
        forecasts.join(chosen.select([*keys, "cutoff", "_routed"]), on=[*keys, "cutoff"], how="inner")
        .filter(pl.col("model") == pl.col("_routed"))
        .drop("_routed")
        .with_columns(pl.lit(name).alias("model"))
        .select(forecasts.columns)
    )
