"""Calendar and price features that every loader's panel gets, in one place.

* ``holiday``: from the data where a loader provides it, else from the ``holidays``
  package for ``data.holiday_country`` (no download: the package ships its rules);
* ``price_index``: price over the regular price, the highest price of the series over
  the trailing ``data.regular_price_window`` periods (only the past: no look-ahead);
* ``promo``: where the data has none, a price at least ``data.promo_threshold`` below
  the regular price.

All are known-future covariates. Day of week, month and week of year are added at
the forecasting boundary (:func:`workbench.forecast.series.calendar_features`).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from workbench.data.panel import DATE, DemandPanel


def add_calendar_and_price_features(panel: DemandPanel, cfg) -> DemandPanel:
    df = panel.demand
    keys = list(panel.keys)
    added: list[str] = []
    if "holiday" not in df.columns and cfg.holiday_country:
        import holidays as holidays_lib

        dates = panel.dates
        years = sorted({d.year for d in dates.to_list()})
        try:
            calendar = holidays_lib.country_holidays(cfg.holiday_country, years=years)
        except NotImplementedError as err:
            raise ValueError(f"data.holiday_country={cfg.holiday_country!r} is not a country the holidays package knows") from err
        days = pl.Series(DATE, sorted(calendar.keys()), dtype=pl.Date)
        df = df.with_columns(pl.col(DATE).is_in(days.implode()).cast(pl.Float64).alias("holiday"))
        added.append("holiday")
    if "price" in df.columns:
        regular = pl.col("price").rolling_max(cfg.regular_price_window, min_samples=1).over(keys, order_by=DATE)
        df = df.with_columns((pl.col("price") / regular).fill_nan(1.0).fill_null(1.0).alias("price_index"))
        added.append("price_index")
        if "promo" not in df.columns:
            df = df.with_columns((pl.col("price_index") <= 1.0 - cfg.promo_threshold).cast(pl.Float64).alias("promo"))
            added.append("promo")
    if not added:
        return panel
    out = replace(panel, demand=df, known_future=(*panel.known_future, *added))
    return out.with_log(step="features", action="added", columns=", ".join(added))
