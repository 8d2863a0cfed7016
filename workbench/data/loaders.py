"""Loaders: each data source returns the validated demand panel.

A loader is one function ``cfg -> DemandPanel``. The registry of data sources,
:data:`workbench.config.DATA_SOURCES`, names it together with the schema of its settings
(``workbench.config.register_source``); :func:`load_data` calls the loader that
``data.source`` selects and then the one shared :func:`~workbench.data.panel.validate_panel`.
This module holds the generic long-panel loader and the table reader the other layouts share.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.config import DATA_SOURCES, DataConfig, PanelFileConfig
from workbench.data.dates import parse_dates_logged
from workbench.data.io import read_csv_text, require_numbers, resolve
from workbench.data.panel import DATE, DEMAND, ITEM, DemandPanel, PanelError, validate_panel


def read_table(
    path: str | Path, what: str = "data.path", encoding: str = "utf-8", schema_overrides: dict | None = None
) -> tuple[pl.DataFrame, dict]:
    """Read a CSV (any line endings, BOM, encoding) or parquet file; errors name the file and setting.
    ``schema_overrides`` fixes CSV column types (parquet files carry their own)."""
    p = resolve(path, what)
    suffix = p.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        try:
            df = pl.read_parquet(p)
        except (pl.exceptions.ComputeError, OSError) as err:
            raise PanelError(f"{p}: could not be read as parquet: {err}") from err
        if df.height == 0:
            raise PanelError(f"{p}: the file has no rows")
        return df, {"file": p.name}
    if suffix in {".csv", ".txt", ".tsv"}:
        return read_csv_text(p, what, encoding=encoding, schema_overrides=schema_overrides)
    raise PanelError(f"{what}={str(path)!r}: expected a .csv or .parquet file")


def load_panel_file(cfg: PanelFileConfig) -> DemandPanel:
    """Generic long panel: one row per item (and channel) and date, names mapped in config."""
    df, repairs = read_table(cfg.path, encoding=cfg.encoding)
    mapping = dict(cfg.columns)
    for canonical in (ITEM, DATE, DEMAND):
        if canonical not in mapping:
            raise PanelError(f"data.columns has no entry for {canonical!r}; expected {canonical}: <column name>")
    wanted = {**mapping}
    if cfg.channel_column:
        wanted["channel"] = cfg.channel_column
    for col in [*cfg.known_future, *cfg.past_covariates]:
        wanted.setdefault(col, col)
    for canonical, source in wanted.items():
        if source not in df.columns:
            raise PanelError(
                f"{cfg.path}: no column {source!r} (data.columns.{canonical}); columns are {df.columns}"
            )
    df = df.select([pl.col(src).alias(canon) for canon, src in wanted.items()])
    # named as in the file: a text among the numbers or the dates is shown with its data row
    setting = {**dict.fromkeys(cfg.known_future, "data.known_future"),
               **dict.fromkeys(cfg.past_covariates, "data.past_covariates"),
               **{c: f"data.columns.{c}" for c in mapping}}
    numeric = [DEMAND, *cfg.known_future, *cfg.past_covariates]
    require_numbers(df, numeric, cfg.path, {c: f"{wanted[c]!r} ({setting[c]})" for c in numeric})
    df, dates = parse_dates_logged(df, DATE, cfg.date_format, cfg.path, name=wanted[DATE], setting=setting[DATE])
    keys = (ITEM, "channel") if cfg.channel_column else (ITEM,)
    if cfg.static_path:
        static, _ = read_table(cfg.static_path, "data.static_path", encoding=cfg.encoding)
        smap = dict(cfg.static_columns)
        missing = [src for src in smap.values() if src not in static.columns]
        if missing:
            raise PanelError(
                f"{cfg.static_path}: no column {missing[0]!r} (data.static_columns); columns are {static.columns}"
            )
        renamed = {src: canon for canon, src in smap.items()}
        static = static.rename(renamed)
    else:
        static = df.select(pl.col(ITEM).cast(pl.String)).unique().sort(ITEM)
    panel = DemandPanel(
        demand=df,
        static=static,
        keys=keys,
        frequency=cfg.frequency,
        known_future=tuple(cfg.known_future),
        past_covariates=tuple(cfg.past_covariates),
        name=cfg.name,
    ).with_log(step="read", **repairs)
    return panel.with_log(**dates) if dates else panel


def load_data(cfg: DataConfig) -> DemandPanel:
    """Build the panel that ``data.source`` names, validate it with ``data.validation``, apply
    ``data.preprocess`` and add the shared calendar and price features."""
    from workbench.data.features import add_calendar_and_price_features
    from workbench.data.quality import preprocess

    panel = DATA_SOURCES[cfg.source].load_function()(cfg)
    source = getattr(cfg, "path", None) or cfg.source
    panel = validate_panel(panel, cfg.validation, source=str(source))
    return add_calendar_and_price_features(preprocess(panel, cfg), cfg)
