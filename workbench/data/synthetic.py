"""The embedded default: a synthetic e-commerce shop, deterministic from a seed.

Items in categories, each sold in several channels (an online shop and a physical
store by default), daily. True demand is negative-binomial around a mean built from

    mu[s, t] = base_i * share_ic * exp(g_i t / 365) * weekly_c(dow_t) * yearly_k(doy_t)
               * holiday_c(t) * christmas_k(t) * (price_it / price_i0) ** -e_i * (1 + lift * promo_it)

(trend ``g``, channel weekly profile, category yearly season with its own peak,
public holidays and shopping events, permanent price changes and promotions with
price elasticity ``e``), with a mix of fast movers and intermittent slow movers.

Stock is driven by a replenishment process: each series is reviewed daily by an
(s, S) rule whose s and S come from a trailing estimate of *recorded* sales, with
supplier lead times and delivery delays, so stock-outs happen and censor sales.
Labelled anomalies, all eight types of :mod:`workbench.anomaly.types` (kept in
``truth``, each period with its event, :mod:`workbench.data.labels`):

* ``shrinkage``: units vanish from stock (theft, damage) without a sale;
* ``phantom``: the records show stock on hand but nothing can be sold (misplaced
  goods), so sales drop to zero while recorded stock stays flat;
* ``spike``: a data-entry error multiplies the recorded sales of one day;
* ``level_shift``: true demand moves to a new level for weeks (a listing change, a competitor);
* ``returns_wave``: customers return a share of the usual sales for some days; the units
  come back to the shelf and the ledger records sales net of returns (it can go negative);
* ``price_typo``: the recorded price is ten times or a tenth of the real one for some days;
* ``frozen_feed``: the recorded stock (or sales) repeats the day before's value for some days;
* ``duplicate_order``: one day's orders are recorded twice.

A user-behaviour funnel (views >= carts >= purchases) is kept as past covariates;
``purchases`` are the units really sold (the analytics feed) while ``demand`` is
the sales ledger, which carries the data-entry spikes, duplicates and returns.
``stock_on_hand`` is the recorded stock (a frozen feed shows there); the true stock is
``truth.true_stock``, and ``truth.returns`` the returned units.

Each job has its module: the catalogue, calendar and prices
(:mod:`~workbench.data.synthetic_catalogue`), customers' demand and funnel
(:mod:`~workbench.data.synthetic_demand`), anomalies
(:mod:`~workbench.data.synthetic_anomalies`) and the stock process
(:mod:`~workbench.data.synthetic_stock`); :func:`generate_shop` calls them in the
order of their draws from the seed's generator (and a second stream for the anomalies
added last) and lays the result out as a panel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from workbench.data.labels import label_columns, label_rows
from workbench.data.panel import DemandPanel
from workbench.data.synthetic_anomalies import (
    record_faults,
    schedule_anomalies,
    schedule_more,
    shifted_demand,
    shop_events,
    spike_sizes,
)
from workbench.data.synthetic_catalogue import CATEGORIES, Items, calendar, draw_items, prices
from workbench.data.synthetic_demand import SeriesIndex, funnel, mean_demand, true_demand
from workbench.data.synthetic_names import item_names
from workbench.data.synthetic_stock import (
    Replenishment,
    StockOutcome,
    delivery_delays,
    run_stock,
    safety_factors,
)


def generate_shop(cfg) -> DemandPanel:
    """Generate the synthetic shop described in the module docstring.

    ``cfg`` is a :class:`workbench.config.SyntheticDataConfig`. The result is a
    validated-shape :class:`DemandPanel` with ``truth`` holding true demand, lost
    sales, shrinkage and returned units, the true stock and the anomaly labels. The
    steps draw from one generator seeded by ``data.seed``, in the order below (the order
    is part of what a seed means); the level shifts, returns waves and faults of the
    recorded data from a second one, seeded by ``[data.seed, 1]``.
    """
    if cfg.n_items < 1 or cfg.n_days < 60:
        raise ValueError(
            f"data.n_items={cfg.n_items}, data.n_days={cfg.n_days}; expected at least 1 item and 60 days"
        )
    rng = np.random.default_rng(cfg.seed)
    more_rng = np.random.default_rng([cfg.seed, 1])  # the anomalies added last draw from a stream of their own
    series = SeriesIndex.of(cfg.n_items, list(cfg.channels))
    items = draw_items(rng, cfg.n_items, cfg)
    start = date.fromisoformat(str(cfg.start))
    dates = [start + timedelta(days=k) for k in range(cfg.n_days)]
    cal = calendar(dates, cfg.country)
    price, promo = prices(rng, items, cfg.n_days)
    price_s, promo_s = price[series.item_of], promo[series.item_of]
    mu = mean_demand(rng, series, items, cal, price_s, promo_s)
    more = schedule_more(more_rng, mu.shape, cfg)
    dispersion = items.dispersion[series.item_of]
    demand = shifted_demand(more_rng, true_demand(rng, mu, dispersion), mu, dispersion, more.level)
    mu = mu * more.level
    schedule = schedule_anomalies(rng, mu.shape, cfg)
    safety = safety_factors(rng, series.n_series)
    schedule = replace(schedule, spike_size=spike_sizes(rng, mu.shape), returns_share=more.returns_share)
    delays = delivery_delays(rng, items.lead_time[series.item_of], cfg.n_days)
    outcome = run_stock(demand, mu, Replenishment.of(items, series.item_of, safety, delays), schedule)
    views, carts = funnel(rng, demand, mu, series.channel_names)
    recorded = record_faults(more_rng, {"demand": outcome.recorded, "price": price_s, "stock_on_hand": outcome.stock},
                             more.recorded)
    code, event, _ = label_rows(mu.size, shop_events(schedule, more, outcome))

    layout = _Layout.of(series, cfg.n_items, start, dates[-1])
    holiday = cal["public"] | cal["black_friday"] | cal["cyber_monday"]
    covariates = {"price": recorded["price"], "promo": promo_s, "holiday": holiday, "views": views, "carts": carts}
    return DemandPanel(
        demand=_demand_frame(layout, outcome, recorded, covariates),
        static=_static_frame(layout.item_ids, items, item_names(items, cfg.seed)),
        keys=("item_id", "channel"),
        frequency="1d",
        known_future=("price", "promo", "holiday"),
        past_covariates=("views", "carts", "purchases", "stock_on_hand", "receipts"),
        truth=_truth_frame(layout, demand, outcome, (code.reshape(mu.shape), event.reshape(mu.shape))),
        name=cfg.name,
    )


@dataclass(frozen=True)
class _Layout:
    """Rows of the long frames: series sorted by item_id then channel name, dates ascending."""

    item_ids: np.ndarray
    perm: np.ndarray  # frame position -> series index
    base: dict[str, np.ndarray]  # the key and date columns

    @classmethod
    def of(cls, series: SeriesIndex, n_items: int, start: date, end: date) -> _Layout:
        n_ch = len(series.channels)
        item_ids = np.array([f"SKU{i:04d}" for i in range(n_items)])
        perm = (np.arange(n_items)[:, None] * n_ch + np.argsort(series.channels)[None, :]).reshape(-1)
        date_col = pl.date_range(start, end, interval="1d", eager=True)
        n_days = date_col.len()
        base = {
            "item_id": np.repeat(item_ids[series.item_of][perm], n_days),
            "channel": np.repeat(series.channel_names[perm], n_days),
            "date": np.tile(date_col.to_numpy(), series.n_series),
        }
        return cls(item_ids, perm, base)

    def flat(self, a: np.ndarray) -> np.ndarray:
        """A (series, day) matrix as one long column in the frames' row order."""
        return a[self.perm].reshape(-1)


def _demand_frame(
    layout: _Layout, outcome: StockOutcome, recorded: dict[str, np.ndarray], covariates: dict[str, np.ndarray]
) -> pl.DataFrame:
    """The panel's demand table: the sales ledger, known-future and past covariates, as recorded."""
    n_series = layout.perm.size
    return pl.DataFrame(
        {
            **layout.base,
            "demand": layout.flat(recorded["demand"]),
            "price": layout.flat(covariates["price"]),
            "promo": layout.flat(covariates["promo"]).astype(np.int8),
            "holiday": np.tile(covariates["holiday"], n_series).astype(np.int8),
            "views": layout.flat(covariates["views"]),
            "carts": layout.flat(covariates["carts"]),
            "purchases": layout.flat(outcome.sales),
            "stock_on_hand": layout.flat(recorded["stock_on_hand"]).astype(np.int64),
            "receipts": layout.flat(outcome.receipts),
        }
    ).with_columns(pl.col("date").cast(pl.Date))


def _truth_frame(
    layout: _Layout, demand: np.ndarray, outcome: StockOutcome, labels: tuple[np.ndarray, np.ndarray]
) -> pl.DataFrame:
    """What real data never has: true demand, lost sales, shrinkage, returns, the true stock and
    the anomaly labels (:func:`workbench.data.labels.label_rows`' codes and event ids)."""
    code, event = (layout.flat(m) for m in labels)
    return pl.DataFrame(
        {
            **layout.base,
            "true_demand": layout.flat(demand),
            "sales": layout.flat(outcome.sales),
            "lost_sales": layout.flat(demand - outcome.sales),
            "shrinkage": layout.flat(outcome.shrink),
            "returns": layout.flat(outcome.returns),
            "true_stock": layout.flat(outcome.stock),
        }
    ).with_columns(pl.col("date").cast(pl.Date), *label_columns(code, event))


def _static_frame(item_ids: np.ndarray, items: Items, names: np.ndarray) -> pl.DataFrame:
    """One row per item: its name, category, supplier, costs (holding per unit and day), lead time, volume."""
    cat_names = np.array([c[0] for c in CATEGORIES])
    return pl.DataFrame(
        {
            "item_id": item_ids,
            "name": names,  # product names (workbench.data.synthetic_names), from a stream of their own
            "category": cat_names[items.category],
            "supplier": np.array([f"SUP{k:02d}" for k in items.supplier]),
            "unit_cost": items.unit_cost,
            "price": items.price0,
            "holding_cost": np.round(items.holding_cost, 5),
            "order_cost": items.order_cost,
            "lead_time": items.lead_time.astype(np.int64),
            "volume": items.volume,  # litres per unit
            "slow_mover": items.slow,
        }
    )
