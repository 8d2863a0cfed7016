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
from workbench.data.flags import closed_flag, holiday_columns
from workbench.data.io import read_csv_text, require_numbers, resolve
from workbench.data.panel import DATE, DEMAND, ITEM, DemandPanel, PanelError, validate_panel
from workbench.data.schema import CLOSED, HOLIDAY, PANEL_COLUMNS, check_mapping


def read_table(
    path: str | Path, what: str = "data.path", encoding: str = "utf-8", schema_overrides: dict | None = None,
    truncated_last_line: str = "error",
) -> tuple[pl.DataFrame, dict]:
    """Read a CSV (any line endings, BOM, encoding, a cut-off last line per
    ``truncated_last_line``) or parquet file; errors name the file and setting.
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
        return read_csv_text(p, what, encoding=encoding, schema_overrides=schema_overrides,
                             truncated_last_line=truncated_last_line)
    raise PanelError(f"{what}={str(path)!r}: expected a .csv or .parquet file")


def _mapped_columns(df: pl.DataFrame, cfg: PanelFileConfig) -> tuple[pl.DataFrame, dict[str, str], dict[str, str]]:
    """The file's columns under their canonical names (``data.columns``, every name one of
    :data:`PANEL_COLUMNS`), the channel and the covariates listed by their own names; returns
    the frame, canonical -> file column, and the setting that names each column."""
    mapping = dict(cfg.columns)
    check_mapping(mapping, PANEL_COLUMNS)
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
    setting = {**dict.fromkeys(cfg.known_future, "data.known_future"),
               **dict.fromkeys(cfg.past_covariates, "data.past_covariates"),
               **{c: f"data.columns.{c}" for c in mapping}}
    return df.select([pl.col(src).alias(canon) for canon, src in wanted.items()]), wanted, setting


def _static_table(cfg: PanelFileConfig, df: pl.DataFrame) -> pl.DataFrame:
    """``data.static_path`` with its columns renamed by ``data.static_columns``, or the items alone."""
    if not cfg.static_path:
        return df.select(pl.col(ITEM).cast(pl.String)).unique().sort(ITEM)
    static, _ = read_table(cfg.static_path, "data.static_path", encoding=cfg.encoding)
    smap = dict(cfg.static_columns)
    missing = [src for src in smap.values() if src not in static.columns]
    if missing:
        raise PanelError(
            f"{cfg.static_path}: no column {missing[0]!r} (data.static_columns); columns are {static.columns}"
        )
    return static.rename({src: canon for canon, src in smap.items()})


def load_panel_file(cfg: PanelFileConfig) -> DemandPanel:
    """Generic long panel: one row per item (and channel) and date, names mapped in config.
    A mapped ``closed`` or ``holiday`` column becomes known-future 0/1 columns (:mod:`.flags`)."""
    df, repairs = read_table(cfg.path, encoding=cfg.encoding,
                             truncated_last_line=str(cfg.validation.truncated_last_line))
    df, wanted, setting = _mapped_columns(df, cfg)
    flags = {CLOSED, HOLIDAY} & set(wanted)
    # named as in the file: a text among the numbers or the dates is shown with its data row
    numeric = [c for c in dict.fromkeys([DEMAND, *cfg.known_future, *cfg.past_covariates]) if c not in flags]
    require_numbers(df, numeric, cfg.path, {c: f"{wanted[c]!r} ({setting[c]})" for c in numeric})
    df, dates = parse_dates_logged(df, DATE, cfg.date_format, cfg.path, name=wanted[DATE], setting=setting[DATE])
    known = [c for c in cfg.known_future if c not in flags]
    log = [{"step": "read", **repairs}, *([dates] if dates else [])]
    if HOLIDAY in wanted:
        df, made, entry = holiday_columns(df, list(cfg.no_holiday_values), wanted[HOLIDAY])
        known.extend(made)
        log.extend([entry] if entry else [])
    if CLOSED in wanted:
        df, entry = closed_flag(df, list(cfg.closed_values), wanted[CLOSED], str(cfg.path))
        known.append(CLOSED)
        log.append(entry)
    return DemandPanel(
        demand=df,
        static=_static_table(cfg, df),
        keys=(ITEM, "channel") if cfg.channel_column else (ITEM,),
        frequency=cfg.frequency,
        known_future=tuple(known),
        past_covariates=tuple(cfg.past_covariates),
        name=cfg.name,
        log=tuple(log),
    )


def load_data(cfg: DataConfig) -> DemandPanel:
    """Build the panel that ``data.source`` names, validate it with ``data.validation``, apply
    ``data.preprocess``, add the shared calendar and price features and, where ``data.text.column``
    is set, the item text's vectors as static columns."""
    from workbench.data.features import add_calendar_and_price_features
    from workbench.data.quality import preprocess
    from workbench.data.text import add_text_features

    panel = DATA_SOURCES[cfg.source].load_function()(cfg)
    source = getattr(cfg, "path", None) or cfg.source
    panel = validate_panel(panel, cfg.validation, source=str(source))
    return add_text_features(add_calendar_and_price_features(preprocess(panel, cfg), cfg), cfg.text)
