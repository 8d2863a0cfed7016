"""What the ``01_data`` study shows about a panel: size, totals, classes, quality."""

from __future__ import annotations

import polars as pl

from workbench.data.classes import series_classes
from workbench.data.panel import DATE, DEMAND, DemandPanel


def overview(panel: DemandPanel) -> dict[str, object]:
    d = panel.demand
    out: dict[str, object] = {
        "name": panel.name,
        "n_series": panel.n_series,
        "n_items": d.get_column("item_id").n_unique(),
        "n_periods": panel.dates.len(),
        "frequency": panel.frequency,
        "first_date": str(d.get_column(DATE).min()),
        "last_date": str(d.get_column(DATE).max()),
        "rows": d.height,
        "total_demand": float(d.get_column(DEMAND).sum()),
        "zero_share": float((d.get_column(DEMAND) == 0).mean()),
        "known_future": ", ".join(panel.known_future) or "none",
        "past_covariates": ", ".join(panel.past_covariates) or "none",
    }
    for key in panel.keys[1:]:
        out[f"n_{key}"] = d.get_column(key).n_unique()
    return out


def totals_by(
    panel: DemandPanel, by: list[str], every: str | None = None, whole_periods: bool = False
) -> pl.DataFrame:
    """Total demand by static or key columns, optionally per calendar period (``every='1mo'``).

    ``whole_periods`` drops a first or last calendar period that the data only partly covers
    (it would look like a drop in demand)."""
    d = panel.demand
    need = [c for c in by if c not in d.columns]
    if need:
        d = d.join(panel.static.select([*panel.static_keys, *need]), on=panel.static_keys, how="left")
    if every:
        out = (
            d.sort(DATE)
            .group_by_dynamic(DATE, every=every, group_by=by or None)
            .agg(pl.col(DEMAND).sum(), pl.col(DATE).n_unique().alias("_dates"))
            .sort([*by, DATE])
        )
        if whole_periods and out.height > 2:
            typical = out.get_column("_dates").median()
            out = out.filter(pl.col("_dates") >= 0.9 * typical)
        return out.drop("_dates")
    return d.group_by(by).agg(pl.col(DEMAND).sum(), pl.len().alias("rows")).sort(DEMAND, descending=True)


def item_classes(panel: DemandPanel, abc_cutoffs: tuple[float, float] = (0.8, 0.95)) -> pl.DataFrame:
    """Per series: Syntetos-Boylan class and ABC class by sales value: the columns of
    :func:`~workbench.data.classes.series_classes` before its XYZ class."""
    return series_classes(panel, abc_cutoffs).drop("cv", "xyz")


def stockout_censoring(panel: DemandPanel) -> pl.DataFrame | None:
    """Days with zero recorded stock (where the panel has stock): demand there is censored."""
    if "stock_on_hand" not in panel.demand.columns:
        return None
    keys = list(panel.keys)
    return (
        panel.demand.group_by(keys)
        .agg((pl.col("stock_on_hand") <= 0).mean().alias("stockout_share"))
        .sort("stockout_share", descending=True)
    )
