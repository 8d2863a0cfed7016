"""Calendar and price features that every loader's panel gets, in one place.

* ``holiday``: from the data where a loader provides it, else from the data's own holidays
  file ``data.holidays_path`` (dates, optionally per region or store), else from the
  ``holidays`` package for ``data.holiday_country`` such as ``DE`` or, with a subdivision,
  ``DE-BY`` (no download: the package ships its rules); setting both is refused;
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

from workbench.data.dates import parse_dates
from workbench.data.io import require_columns
from workbench.data.panel import DATE, DemandPanel, PanelError
from workbench.data.validation import compact


def country_holidays(code: str, years: list[int]) -> pl.Series:
    """The public holidays of ``code`` (``data.holiday_country``: a country such as ``DE``, or
    a country and its subdivision such as ``DE-BY``) in ``years``, as dates."""
    import holidays as holidays_lib

    country, _, subdiv = code.partition("-")
    if country not in holidays_lib.list_supported_countries():
        raise PanelError(f"data.holiday_country={code!r}: {country!r} is not a country the holidays package"
                         " knows; expected an ISO code such as US, GB, DE (optionally with a subdivision: DE-BY)")
    known = holidays_lib.list_supported_countries()[country]
    if subdiv and subdiv not in known:
        raise PanelError(f"data.holiday_country={code!r}: {country} has no subdivision {subdiv!r}; its"
                         f" subdivisions are {', '.join(known) or 'none'}")
    calendar = holidays_lib.country_holidays(country, subdiv=subdiv or None, years=years)
    return pl.Series(DATE, sorted(calendar.keys()), dtype=pl.Date)


def holidays_from_file(panel: DemandPanel, df: pl.DataFrame, cfg) -> tuple[pl.DataFrame, dict]:
    """``holiday`` (0/1) from ``data.holidays_path``: 1 on the file's dates, for the rows whose
    key columns (``data.holidays_columns`` other than ``date``, matched by the panel's or the
    static table's column of that name) match. Returns the frame and the log entry."""
    from workbench.data.loaders import read_table

    mapping = dict(cfg.holidays_columns)
    if DATE not in mapping:
        raise PanelError("data.holidays_columns has no entry for 'date'; expected date: <column name>")
    table, _ = read_table(cfg.holidays_path, "data.holidays_path")
    require_columns(table, list(mapping.values()), cfg.holidays_path, "data.holidays_columns")
    table = table.select(pl.col(src).alias(canon) for canon, src in mapping.items())
    table = parse_dates(table, DATE, None, cfg.holidays_path, name=mapping[DATE], setting="data.holidays_columns.date")
    keys = [k for k in mapping if k != DATE]
    frame = df
    need = [k for k in keys if k not in df.columns]
    if need:
        absent = [k for k in need if k not in panel.static.columns]
        if absent:
            raise PanelError(f"data.holidays_columns.{absent[0]}: the panel has no column {absent[0]!r};"
                             f" expected one of {[*df.columns, *panel.static.columns]}")
        static = panel.static.select([*panel.static_keys, *need])
        frame = df.join(static, on=panel.static_keys, how="left", maintain_order="left")
    text = [pl.col(k).cast(pl.String) for k in keys]
    days = table.select(DATE, *text).unique().with_columns(pl.lit(1.0).alias("holiday"))
    flag = (frame.select(DATE, *text).join(days, on=[DATE, *keys], how="left", maintain_order="left")
            .get_column("holiday").fill_null(0.0))
    out = df.with_columns(flag.alias("holiday"))
    return out, {"step": "holidays_file", "file": str(cfg.holidays_path), "holidays": days.height,
                 "rows": int(flag.sum())}


def add_calendar_and_price_features(panel: DemandPanel, cfg) -> DemandPanel:
    """The holiday flag (:mod:`module docs <workbench.data.features>` say from where), the price
    index and the promotion flag, each added to the known-future covariates and logged."""
    df = panel.demand
    keys = list(panel.keys)
    added: list[str] = []
    # a compact panel (M5's 59 M rows) gets 1-byte flags and a Float32 index, any other Float64 ones
    flag, ratio = (pl.Int8, pl.Float32) if compact(df) else (pl.Float64, pl.Float64)
    holidays_path = getattr(cfg, "holidays_path", None)
    if holidays_path and cfg.holiday_country:
        raise PanelError(f"data.holidays_path={holidays_path!r} and data.holiday_country={cfg.holiday_country!r}"
                         " are both set; expected one source of holidays (set the other to null)")
    if "holiday" in df.columns and holidays_path:
        raise PanelError(f"data.holidays_path={holidays_path!r} is set but the data has its own holiday column;"
                         " expected one source of holidays (set data.holidays_path=null)")
    if "holiday" not in df.columns and holidays_path:
        df, entry = holidays_from_file(panel, df, cfg)
        panel = panel.with_log(**entry)
        added.append("holiday")
    elif "holiday" not in df.columns and cfg.holiday_country:
        first, last = df.select(pl.col(DATE).min().dt.year().alias("first"), pl.col(DATE).max().dt.year()).row(0)
        years = list(range(first, last + 1))
        days = country_holidays(str(cfg.holiday_country), years)
        df = df.with_columns(pl.col(DATE).is_in(days.implode()).cast(flag).alias("holiday"))
        added.append("holiday")
    if "price" in df.columns:
        # the validated panel is sorted by series and date (validate_panel, preprocess), so each
        # run of equal keys is one series in date order: a quarter of the time of grouping by the
        # keys and sorting by date (7 s over M5's 59 M rows)
        series = pl.struct(keys).rle_id()
        regular = pl.col("price").rolling_max(cfg.regular_price_window, min_samples=1).over(series)
        df = df.with_columns((pl.col("price") / regular).fill_nan(1.0).fill_null(1.0).cast(ratio).alias("price_index"))
        added.append("price_index")
        if "promo" not in df.columns:
            df = df.with_columns((pl.col("price_index") <= 1.0 - cfg.promo_threshold).cast(flag).alias("promo"))
            added.append("promo")
    if not added:
        return panel
    out = replace(panel, demand=df, known_future=(*panel.known_future, *added))
    return out.with_log(step="features", action="added", columns=", ".join(added))
