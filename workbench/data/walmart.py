"""Walmart Recruiting - Store Sales Forecasting (Kaggle, 2014) as a demand panel.

One series per Store x Dept, weekly (Fridays). Known-future covariates from
``features.csv`` (holiday flag, MarkDown1-5, temperature, fuel price, CPI,
unemployment), static store type and size from ``stores.csv``. The published files
have CR line endings and ``NA`` strings; sales can be negative (returns) and series
start late or have holes. Each is handled by a setting and counted in the panel log:
line endings and NA strings by :func:`~workbench.data.io.read_csv_text`, markdowns by
``data.markdown_missing``, and negative sales, holes and short series by the shared
``data.validation`` policies.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.data.dates import parse_dates
from workbench.data.io import read_csv_text, require_columns, require_values, resolve
from workbench.data.panel import DemandPanel
from workbench.data.validation import period_grid

MARKDOWNS = [f"MarkDown{k}" for k in range(1, 6)]
FEATURES = ["Temperature", "Fuel_Price", *MARKDOWNS, "CPI", "Unemployment"]


def load_walmart(cfg) -> DemandPanel:
    folder = resolve(cfg.path, "data.path")
    files = {k: Path(folder) / getattr(cfg, f"{k}_file") for k in ("train", "features", "stores")}
    train, rep_train = read_csv_text(files["train"], "data.train_file")
    features, rep_feat = read_csv_text(files["features"], "data.features_file")
    stores, rep_stores = read_csv_text(files["stores"], "data.stores_file")
    require_columns(train, ["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"], files["train"], "data.train_file")
    require_columns(features, ["Store", "Date", "IsHoliday", *FEATURES], files["features"], "data.features_file")
    require_columns(stores, ["Store", "Type", "Size"], files["stores"], "data.stores_file")
    require_values(train, ["Store", "Dept", "Date"], files["train"])
    require_values(features, ["Store", "Date"], files["features"])
    train = parse_dates(train, "Date", "%Y-%m-%d", files["train"])
    features = parse_dates(features, "Date", "%Y-%m-%d", files["features"])
    log = [{"step": "read", **rep} for rep in (rep_train, rep_feat, rep_stores)]

    # the holiday flag per week (the same in every store), for holes in train.csv too
    holidays = features.group_by("Date").agg(
        pl.col("IsHoliday").cast(pl.String).str.to_lowercase().eq("true").max().cast(pl.Int8)
    )
    # features cover the test weeks too; the join below keeps the weeks of the sales history
    features = features.select(["Store", "Date", *FEATURES]).with_columns(
        [pl.col(c).cast(pl.Float64) for c in FEATURES]
    )
    if cfg.markdown_missing == "zero":
        span = train.select(pl.col("Date").min().alias("lo"), pl.col("Date").max().alias("hi")).row(0)
        in_span = features.filter(pl.col("Date").is_between(*span))
        filled = {c: int(in_span[c].null_count()) for c in MARKDOWNS}
        features = features.with_columns([pl.col(c).fill_null(0.0) for c in MARKDOWNS])
        log.append({"step": "markdown_missing", "action": "zero", "rows": sum(filled.values()), "by_column": filled})

    # the weekly grid of every Store x Dept from its first week to the last: weeks absent
    # from train.csv (holes) get null sales, which data.validation.missing_demand settles
    # and counts, while their covariates come from features.csv like any other week
    # (a department that stops selling has zero sales to the end)
    grid = period_grid(train, ["Store", "Dept"], "Date", "1w", end=train["Date"].max())
    train = grid.join(train, on=["Store", "Dept", "Date"], how="left")
    df = (
        train.drop("IsHoliday")
        .join(holidays, on="Date", how="left")
        .join(features, on=["Store", "Date"], how="left")
        .select(
            pl.format("{}-{}", pl.col("Store"), pl.col("Dept")).alias("item_id"),
            pl.col("Date").alias("date"),
            pl.col("Weekly_Sales").cast(pl.Float64).alias("demand"),
            pl.col("IsHoliday").alias("holiday"),
            *[pl.col(c).alias(c.lower()) for c in FEATURES],
        )
    )
    static = (
        train.select("Store", "Dept").unique()
        .join(stores, on="Store", how="left")
        .select(
            pl.format("{}-{}", pl.col("Store"), pl.col("Dept")).alias("item_id"),
            pl.col("Store").cast(pl.String).alias("store"),
            pl.format("dept {}", pl.col("Dept")).alias("category"),
            pl.col("Type").alias("store_type"),
            pl.col("Size").cast(pl.Float64).alias("store_size"),
        )
    )
    return DemandPanel(
        demand=df,
        static=static,
        keys=("item_id",),
        frequency="1w",
        # holidays and planned markdowns are known ahead; weather, fuel price, CPI and
        # unemployment only as they happen (the Kaggle file lists them for the test weeks too)
        known_future=("holiday", *[c.lower() for c in MARKDOWNS]),
        past_covariates=tuple(c.lower() for c in FEATURES if c not in MARKDOWNS),
        name=cfg.name,
        log=tuple(log),
    )
