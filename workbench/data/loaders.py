"""Loaders: each data source returns the validated demand panel.

A loader is one function ``cfg -> DemandPanel`` registered under the name that
``data.source`` selects; :func:`load_data` calls it and then the one shared
:func:`~workbench.data.panel.validate_panel`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.data.panel import DATE, DEMAND, ITEM, DemandPanel, PanelError, validate_panel
from workbench.data.synthetic import generate_shop
from workbench.registry import Registry

LOADERS = Registry("data source", setting="data.source")
register_loader = LOADERS.register


register_loader("synthetic")(generate_shop)


def read_table(path: str | Path, what: str = "data.path") -> pl.DataFrame:
    """Read a CSV or parquet file, with errors that name the file and the setting."""
    p = Path(path).expanduser()
    if not p.exists():
        raise PanelError(f"{what}={str(path)!r}: no such file (working directory: {Path.cwd()})")
    suffix = p.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            df = pl.read_parquet(p)
        elif suffix in {".csv", ".txt", ".gz"}:
            df = pl.read_csv(p, infer_schema_length=10_000, null_values=["", "NA", "NaN", "null"])
        else:
            raise PanelError(f"{what}={str(path)!r}: expected a .csv or .parquet file")
    except pl.exceptions.NoDataError as err:
        raise PanelError(f"{p}: the file is empty; expected a header and rows") from err
    except (pl.exceptions.ComputeError, UnicodeDecodeError) as err:
        raise PanelError(f"{p}: could not be read as {suffix[1:]}: {err}") from err
    if df.height == 0:
        raise PanelError(f"{p}: the file has a header but no rows")
    return df


def _parse_dates(df: pl.DataFrame, column: str, fmt: str | None, path: str) -> pl.DataFrame:
    dtype = df.schema[column]
    if dtype == pl.Date:
        return df
    if isinstance(dtype, pl.Datetime):
        return df.with_columns(pl.col(column).dt.date())
    parsed = df.with_columns(
        pl.col(column).cast(pl.String).str.to_datetime(format=fmt, strict=False).dt.date().alias("__parsed")
    )
    bad = parsed.filter(pl.col("__parsed").is_null() & pl.col(column).is_not_null())
    if bad.height:
        row = bad.with_row_index("row").row(0, named=True)
        raise PanelError(
            f"{path}: column {column!r} has {bad.height} values that are not dates in format"
            f" {fmt or 'ISO (YYYY-MM-DD)'} (first: {row[column]!r}); set data.date_format,"
            " e.g. data.date_format='%d/%m/%Y'"
        )
    return parsed.with_columns(pl.col("__parsed").alias(column)).drop("__parsed")


@register_loader("panel")
def load_panel_file(cfg) -> DemandPanel:
    """Generic long panel: one row per item (and channel) and date, names mapped in config."""
    df = read_table(cfg.path)
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
    df = _parse_dates(df, DATE, cfg.date_format, cfg.path)
    keys = (ITEM, "channel") if cfg.channel_column else (ITEM,)
    if cfg.static_path:
        static = read_table(cfg.static_path, "data.static_path")
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
    return DemandPanel(
        demand=df,
        static=static,
        keys=keys,
        frequency=cfg.frequency,
        known_future=tuple(cfg.known_future),
        past_covariates=tuple(cfg.past_covariates),
        name=cfg.name,
    )


def load_data(cfg) -> DemandPanel:
    """Build the panel that ``data.source`` names and validate it with ``data.validation``."""
    panel = LOADERS[cfg.source](cfg)
    source = getattr(cfg, "path", None) or cfg.source
    return validate_panel(panel, cfg.validation, source=str(source))
