"""The ``data`` group: the settings every source shares, each source's own schema, and
the one registry of data sources.

A data source is one entry of :data:`DATA_SOURCES`: the schema of its settings (what
``conf/data/<source>.yaml`` extends and Hydra checks at compose time) together with the
loader that builds its panel. The Hydra ConfigStore and :func:`workbench.config.section`
read the schemas from it and :func:`workbench.data.load_data` the loaders, so a source
cannot have one without the other. The loader is named as ``module:function`` and imported
only when data is loaded: composing a config never imports the data layer, and the data
modules can read their settings' types from here without an import cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING

from workbench.registry import Registry


class MissingDemand(StrEnum):
    error = "error"
    zero = "zero"
    drop = "drop"


class NegativeDemand(StrEnum):
    error = "error"
    clip = "clip"  # to zero
    keep = "keep"  # returns stay negative


class MissingDates(StrEnum):
    error = "error"
    zero = "zero"  # absent dates get zero demand


class MissingCovariates(StrEnum):
    error = "error"
    forward_fill = "forward_fill"  # within each series, then backward for a leading gap
    zero = "zero"


class MarkdownMissing(StrEnum):
    """Walmart's MarkDown1-5 where they are NA."""

    zero = "zero"  # no markdown
    keep = "keep"  # left missing: data.validation.missing_covariates applies


class TruncatedLastLine(StrEnum):
    """A CSV whose last line was cut off (fewer fields than the header, or an open quote)."""

    error = "error"
    drop = "drop"  # the broken line is left out, and counted


class MissingOrders(StrEnum):
    """Order lines whose order is absent from ``data.orders_path``."""

    error = "error"
    drop = "drop"  # left out, and counted


class Returns(StrEnum):
    """Cancellations and negative order lines of a transaction log."""

    drop = "drop"  # removed, and counted
    net = "net"  # subtracted from the day's demand


@dataclass
class ValidationPolicy:
    """What to do with imperfect input. ``error`` stops with a message naming the rows;
    the other choices are applied and counted in the data report, never silently.
    A value outside the choices fails at compose time."""

    missing_demand: MissingDemand = MissingDemand.error  # drop leaves a gap: missing_dates then applies
    negative_demand: NegativeDemand = NegativeDemand.error
    missing_dates: MissingDates = MissingDates.error
    missing_covariates: MissingCovariates = MissingCovariates.error
    # series observed in fewer periods than this (rows with demand) are dropped, and counted:
    # the way to leave out series with a long gap or a short history
    min_periods: int = 0
    truncated_last_line: TruncatedLastLine = TruncatedLastLine.error  # CSV files read as text
    missing_orders: MissingOrders = MissingOrders.error  # transaction logs with data.orders_path


class TextMethod(StrEnum):
    """How item text becomes numbers (:mod:`workbench.data.text`)."""

    tfidf_svd = "tfidf_svd"  # TF-IDF of word and character n-grams, reduced by truncated SVD (LSA)


@dataclass
class TextConfig:
    """Item text (a product name or description, one per static row) as numeric static columns
    ``text_0 .. text_{dims-1}``: the global models read them as static covariates, and the
    cold-start forecast finds each new item's nearest neighbours with them."""

    column: str | None = None  # the static table's text column (name, description, ...); null: off
    method: TextMethod = TextMethod.tfidf_svd
    dims: int = 16  # columns text_0 .. text_{dims-1}; fewer texts than that leave the last ones zero
    word_ngrams: list[int] = field(default_factory=lambda: [1, 2])  # [shortest, longest] word n-grams; [] none
    char_ngrams: list[int] = field(default_factory=lambda: [3, 5])  # the same for characters within words; [] none
    seed: int = II("experiment.seed")  # of the truncated SVD


@dataclass
class DataConfig:
    """Fields that every data source has; each source adds its own."""

    source: str = MISSING
    name: str = MISSING
    validation: ValidationPolicy = field(default_factory=ValidationPolicy)
    # named preparation steps, in order: clip_outliers, impute_censored, smooth (a registry:
    # workbench.data.quality.STEPS, so not a closed choice)
    preprocess: list[str] = field(default_factory=list)
    outlier_k: float = 6.0  # robust standard deviations beyond which demand is an outlier
    censoring_alpha: float = 1e-3  # a zero run less likely than this is suspected censoring
    # holidays package country where the data has no holiday column, optionally with its
    # subdivision: "DE", "DE-BY", "US-CA", "GB-ENG"; never defaulted for data of unknown origin
    holiday_country: str | None = None
    # or a CSV of the data's own holidays: one row per holiday date (and region); ``date`` names
    # its date column, any other entry ``<panel or static column>: <file column>`` a key matched
    # against the panel, e.g. {date: day, item_id: Store}
    holidays_path: str | None = None
    holidays_columns: dict[str, str] = field(default_factory=lambda: {"date": "date"})
    promo_threshold: float = 0.1  # a price this far below the regular price is a promotion
    regular_price_window: int = 56  # periods of history whose highest price is the regular price
    text: TextConfig = field(default_factory=TextConfig)  # item text as static covariates


@dataclass
class SyntheticDataConfig(DataConfig):
    """The embedded synthetic e-commerce shop (see :mod:`workbench.data.synthetic`)."""

    source: str = "synthetic"
    name: str = "synthetic-shop"
    seed: int = II("experiment.seed")
    n_items: int = 200
    n_days: int = 1095
    start: str = "2023-01-01"
    n_categories: int = 6
    n_suppliers: int = 12
    channels: list[str] = field(default_factory=lambda: ["online", "store"])
    slow_mover_share: float = 0.35
    country: str = "US"  # whose public holidays shape demand
    # labelled anomalies (workbench.anomaly.types), expected events per series and year: about one
    # in all, rare as in a real shop
    shrinkage_rate: float = 0.25
    phantom_rate: float = 0.15
    spike_rate: float = 0.15
    price_typo_rate: float = 0.1
    level_shift_rate: float = 0.1
    frozen_feed_rate: float = 0.1
    duplicate_order_rate: float = 0.1
    returns_wave_rate: float = 0.1
    # a returns wave makes the sales ledger net of returns, which can go negative: kept as it is
    validation: ValidationPolicy = field(
        default_factory=lambda: ValidationPolicy(negative_demand=NegativeDemand.keep))


@dataclass
class WalmartDataConfig(DataConfig):
    """Walmart Recruiting (Kaggle 2014) layout: train.csv, features.csv, stores.csv."""

    source: str = "walmart"
    name: str = "walmart"
    path: str = "../shared/data/walmart_recruiting"
    train_file: str = "train.csv"
    features_file: str = "features.csv"
    stores_file: str = "stores.csv"
    # MarkDown1-5 are NA before Nov 2011 and between promotions: zero means "no markdown"
    markdown_missing: MarkdownMissing = MarkdownMissing.zero


@dataclass
class M5DataConfig(DataConfig):
    """M5 competition layout: wide sales_train_*.csv (d_1..d_N), calendar.csv, sell_prices.csv."""

    source: str = "m5"
    name: str = "m5"
    path: str = MISSING  # the folder holding the three files
    sales_file: str = "sales_train_evaluation.csv"
    calendar_file: str = "calendar.csv"
    prices_file: str = "sell_prices.csv"
    max_series: int | None = None  # the first N series of the sales file (counted in the log)
    # before an item's launch M5 records zero sales and no price: start each series at its first price
    trim_before_launch: bool = True


@dataclass
class TransactionsDataConfig(DataConfig):
    """A raw order-line export (one row per order line), aggregated to daily demand.

    Column names default to the UCI Online Retail export; map yours in ``columns``.
    """

    source: str = "transactions"
    name: str = "transactions"
    path: str = MISSING
    encoding: str = "utf-8"
    date_format: str | None = None  # e.g. "%d/%m/%Y %H:%M"; None: detected from the values, and logged
    columns: dict[str, str] = field(
        default_factory=lambda: {
            "order_id": "InvoiceNo",
            "item_id": "StockCode",
            "quantity": "Quantity",
            "timestamp": "InvoiceDate",
            "unit_price": "UnitPrice",
        }
    )
    # a second file of orders (one row per order) whose columns the mapping may name too,
    # joined to the lines on ``orders_key`` (its column) = ``columns.order_id`` (the lines')
    orders_path: str | None = None
    orders_key: str | None = None  # None: the lines' order id column name
    units_per_line: float | None = None  # set (e.g. 1) where each line is that many units: no quantity column
    status_column: str | None = None  # an order status column (in either file), e.g. order_status
    cancelled_statuses: list[str] = field(default_factory=lambda: ["canceled", "cancelled"])
    customer_column: str | None = "CustomerID"
    channel_column: str | None = None  # e.g. Country or a sales-channel column
    cancellation_prefix: str | None = "C"  # order ids starting with it are cancellations
    returns: Returns = Returns.drop
    frequency: str = "1d"


@dataclass
class PanelFileConfig(DataConfig):
    """A long CSV or parquet panel of the user's, columns mapped by name."""

    source: str = "panel"
    name: str = "panel"
    path: str = MISSING
    static_path: str | None = None
    date_format: str | None = None  # strptime format; None: detected from the values (ISO, day- or month-first), and logged
    encoding: str = "utf-8"  # of CSV files, e.g. latin-1
    frequency: str = "1d"  # polars duration string: 1d, 1w
    # canonical name -> column name in the file; the canonical names are
    # workbench.data.schema.PANEL_COLUMNS (item_id, date, demand, price, promo, holiday, closed,
    # stock_on_hand); any other is refused
    columns: dict[str, str] = field(
        default_factory=lambda: {"item_id": "item_id", "date": "date", "demand": "demand"}
    )
    channel_column: str | None = None
    known_future: list[str] = field(default_factory=list)
    past_covariates: list[str] = field(default_factory=list)
    static_columns: dict[str, str] = field(default_factory=lambda: {"item_id": "item_id"})
    # values of the ``closed`` column that mean closed (compared as numbers where the column
    # is numeric): ["1"] for a closed flag, ["0"] for an Open flag
    closed_values: list[str] = field(default_factory=lambda: ["1"])
    # values of a text ``holiday`` column that mean no holiday (e.g. Rossmann's "0")
    no_holiday_values: list[str] = field(default_factory=lambda: ["0", ""])


# ------------------------------------------------------------------ the registry
@dataclass(frozen=True)
class DataSource:
    """One data source: the schema of its settings and the loader ``cfg -> DemandPanel``."""

    schema: type[DataConfig]
    loader: str | Callable  # "module:function", imported on first use, or the function itself

    def load_function(self) -> Callable:
        """The loader, imported now if it was named by its path."""
        if callable(self.loader):
            return self.loader
        module, _, name = self.loader.partition(":")
        return getattr(importlib.import_module(module), name)


DATA_SOURCES = Registry("data source", setting="data.source")


def register_source(name: str, schema: type[DataConfig], loader: str | Callable) -> DataSource:
    """Add a data source: ``data=<name>`` then composes against ``schema`` (stored in Hydra's
    ConfigStore as ``<name>_schema`` for ``conf/data/*.yaml`` to extend) and loads with ``loader``."""
    default = schema.__dataclass_fields__["source"].default
    if default != name:
        raise ValueError(f"data source {name!r}: its schema {schema.__name__} has source={default!r};"
                         f" expected source={name!r}")
    entry = DataSource(schema, loader)
    DATA_SOURCES.register(name)(entry)
    ConfigStore.instance().store(group="data", name=f"{name}_schema", node=schema)
    return entry


register_source("synthetic", SyntheticDataConfig, "workbench.data.synthetic:generate_shop")
register_source("panel", PanelFileConfig, "workbench.data.loaders:load_panel_file")
register_source("walmart", WalmartDataConfig, "workbench.data.walmart:load_walmart")
register_source("m5", M5DataConfig, "workbench.data.m5:load_m5")
register_source("transactions", TransactionsDataConfig, "workbench.data.transactions:load_transactions")
