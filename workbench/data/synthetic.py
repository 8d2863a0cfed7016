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
Injected, labelled anomalies (kept in ``truth``):

* ``shrinkage``: units vanish from stock (theft, damage) without a sale;
* ``spike``: a data-entry error multiplies the recorded sales of one day;
* ``phantom``: the records show stock on hand but nothing can be sold (misplaced
  goods), so sales drop to zero while recorded stock stays flat.

A user-behaviour funnel (views >= carts >= purchases) is kept as past covariates;
``purchases`` are the units really sold (the analytics feed) while ``demand`` is
the sales ledger, which carries the data-entry spikes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from workbench.data.panel import DemandPanel

# name, median price, median volume (litres), yearly amplitude, peak day of year, Christmas gift uplift
CATEGORIES: list[tuple[str, float, float, float, int, float]] = [
    ("electronics", 120.0, 4.0, 0.15, 340, 0.6),
    ("home", 45.0, 8.0, 0.12, 120, 0.2),
    ("apparel", 35.0, 1.5, 0.25, 110, 0.3),
    ("toys", 30.0, 3.0, 0.20, 350, 0.9),
    ("sports", 55.0, 5.0, 0.30, 180, 0.1),
    ("beauty", 20.0, 0.4, 0.06, 330, 0.4),
    ("grocery", 6.0, 1.0, 0.05, 15, 0.05),
    ("books", 15.0, 0.8, 0.10, 350, 0.4),
]

# relative demand by day of week (Mon..Sun)
WEEKLY = {
    "online": np.array([1.06, 1.00, 0.98, 0.96, 0.95, 0.97, 1.08]),
    "store": np.array([0.78, 0.82, 0.88, 0.95, 1.15, 1.42, 1.00]),
}
# multiplier on a public holiday, on Black Friday and on Cyber Monday
HOLIDAY_EFFECT = {"online": (1.15, 2.0, 2.6), "store": (0.45, 2.3, 1.1)}

PROMO_LIFT = 0.3  # visibility lift of a promotion on top of its price effect


@dataclass(frozen=True)
class _Items:
    category: np.ndarray
    slow: np.ndarray
    base_rate: np.ndarray
    price0: np.ndarray
    unit_cost: np.ndarray
    order_cost: np.ndarray
    supplier: np.ndarray
    lead_time: np.ndarray
    volume: np.ndarray
    trend: np.ndarray
    elasticity: np.ndarray
    dispersion: np.ndarray


def _items(rng: np.random.Generator, n_items: int, cfg) -> _Items:
    n_cat = min(cfg.n_categories, len(CATEGORIES))
    if n_cat < 1:
        raise ValueError(f"data.n_categories={cfg.n_categories}; expected 1..{len(CATEGORIES)}")
    category = rng.integers(0, n_cat, n_items)
    cat_price = np.array([c[1] for c in CATEGORIES])[category]
    cat_volume = np.array([c[2] for c in CATEGORIES])[category]
    slow = rng.random(n_items) < cfg.slow_mover_share
    base_rate = np.where(
        slow, rng.lognormal(np.log(0.35), 0.5, n_items), rng.lognormal(np.log(14.0), 0.7, n_items)
    )
    price0 = np.round(cat_price * rng.lognormal(0.0, 0.35, n_items), 2)
    supplier_lead = rng.integers(2, 15, cfg.n_suppliers)
    supplier = rng.integers(0, cfg.n_suppliers, n_items)
    return _Items(
        category=category,
        slow=slow,
        base_rate=base_rate,
        price0=price0,
        unit_cost=np.round(price0 * rng.uniform(0.45, 0.7, n_items), 2),
        order_cost=np.round(rng.uniform(20.0, 60.0, n_items), 2),
        supplier=supplier,
        lead_time=supplier_lead[supplier],
        volume=np.round(cat_volume * rng.lognormal(0.0, 0.4, n_items), 3),
        trend=rng.normal(0.05, 0.2, n_items),
        elasticity=rng.uniform(1.0, 2.5, n_items),
        dispersion=np.where(slow, rng.uniform(0.3, 1.0, n_items), rng.uniform(3.0, 10.0, n_items)),
    )


def _events(rng: np.random.Generator, shape: tuple[int, int], per_year: float, burn_in: int) -> np.ndarray:
    """Boolean (series, day) matrix of event starts at ``per_year`` per series, none in the burn-in."""
    events = rng.random(shape) < per_year / 365.0
    events[:, :burn_in] = False
    return events


def _spells(rng, starts: np.ndarray, min_len: int, max_len: int) -> np.ndarray:
    """Turn event starts into spells of random length (vectorised with a difference array)."""
    n, t = starts.shape
    rows, cols = np.nonzero(starts)
    ends = np.minimum(cols + rng.integers(min_len, max_len + 1, rows.size), t)
    diff = np.zeros((n, t + 1), dtype=np.int32)
    np.add.at(diff, (rows, cols), 1)
    np.add.at(diff, (rows, ends), -1)
    return np.cumsum(diff[:, :t], axis=1) > 0


def _calendar(dates: list[date], country: str) -> dict[str, np.ndarray]:
    import holidays as holidays_lib

    years = sorted({d.year for d in dates})
    public = holidays_lib.country_holidays(country, years=years)
    black_friday = set()
    for y in years:
        nov1 = date(y, 11, 1)
        thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        black_friday.add(thanksgiving + timedelta(days=1))
    cyber_monday = {d + timedelta(days=3) for d in black_friday}
    return {
        "public": np.array([d in public for d in dates]),
        "black_friday": np.array([d in black_friday for d in dates]),
        "cyber_monday": np.array([d in cyber_monday for d in dates]),
        "dow": np.array([d.weekday() for d in dates]),
        "doy": np.array([d.timetuple().tm_yday for d in dates]),
        # 0 -> 1 ramp over 1..23 December, the gift season
        "xmas": np.array([(d.month == 12 and d.day <= 23) * d.day / 23.0 for d in dates]),
    }


def _prices(rng, items: _Items, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """List-price steps (mostly increases) and promotions; returns (price, promo flag)."""
    n = items.price0.size
    log_steps = np.zeros((n, n_days))
    changes = rng.random((n, n_days)) < 1.0 / 180.0
    log_steps[changes] = np.log1p(rng.normal(0.03, 0.05, changes.sum()))
    list_price = items.price0[:, None] * np.exp(np.cumsum(log_steps, axis=1))
    starts = rng.random((n, n_days)) < 5.0 / 365.0
    rows, cols = np.nonzero(starts)
    ends = np.minimum(cols + rng.integers(3, 11, rows.size), n_days)
    depth = rng.uniform(0.10, 0.35, rows.size)
    diff = np.zeros((n, n_days + 1))
    np.add.at(diff, (rows, cols), depth)
    np.add.at(diff, (rows, ends), -depth)
    discount = np.clip(np.cumsum(diff[:, :n_days], axis=1), 0.0, 0.5)
    discount[discount < 1e-9] = 0.0
    return np.round(list_price * (1.0 - discount), 2), discount > 0


def generate_shop(cfg) -> DemandPanel:
    """Generate the synthetic shop described in the module docstring.

    ``cfg`` is a :class:`workbench.config.SyntheticDataConfig`. The result is a
    validated-shape :class:`DemandPanel` with ``truth`` holding true demand, lost
    sales, shrinkage units and anomaly labels.
    """
    if cfg.n_items < 1 or cfg.n_days < 60:
        raise ValueError(
            f"data.n_items={cfg.n_items}, data.n_days={cfg.n_days}; expected at least 1 item and 60 days"
        )
    rng = np.random.default_rng(cfg.seed)
    channels = list(cfg.channels)
    n_items, n_ch, n_days = cfg.n_items, len(channels), cfg.n_days
    n_series = n_items * n_ch
    items = _items(rng, n_items, cfg)
    start = date.fromisoformat(str(cfg.start))
    dates = [start + timedelta(days=k) for k in range(n_days)]
    cal = _calendar(dates, cfg.country)
    price, promo = _prices(rng, items, n_days)

    # ---- mean demand, series index s = item * n_ch + channel
    item_of = np.repeat(np.arange(n_items), n_ch)
    chan_of = np.tile(np.arange(n_ch), n_items)
    shares = rng.dirichlet(np.full(n_ch, 4.0), n_items).reshape(-1) if n_ch > 1 else np.ones(n_items)
    t_years = np.arange(n_days) / 365.0
    cat = items.category[item_of]
    amp = np.array([c[3] for c in CATEGORIES])[cat]
    peak = np.array([c[4] for c in CATEGORIES])[cat]
    gift = np.array([c[5] for c in CATEGORIES])[cat]
    yearly = 1.0 + amp[:, None] * np.cos(2 * np.pi * (cal["doy"][None, :] - peak[:, None]) / 365.25)
    weekly = np.stack([WEEKLY.get(c, np.ones(7))[cal["dow"]] for c in channels])[chan_of]
    effects = np.array([HOLIDAY_EFFECT.get(c, (1.0, 1.5, 1.5)) for c in channels])[chan_of]
    holiday_mult = np.ones((n_series, n_days))
    for k, flag in enumerate(("public", "black_friday", "cyber_monday")):
        holiday_mult = np.where(cal[flag][None, :], effects[:, k : k + 1], holiday_mult)
    christmas = 1.0 + gift[:, None] * cal["xmas"][None, :]
    price_s, promo_s = price[item_of], promo[item_of]
    price_effect = (price_s / items.price0[item_of, None]) ** (-items.elasticity[item_of, None])
    # slow AR(1) noise in log space: demand regimes that no covariate explains
    eps = rng.normal(0.0, 0.04, (n_series, n_days))
    ar = np.zeros_like(eps)
    for t in range(1, n_days):
        ar[:, t] = 0.9 * ar[:, t - 1] + eps[:, t]
    mu = (
        (items.base_rate[item_of] * shares)[:, None]
        * np.exp(items.trend[item_of, None] * t_years[None, :])
        * weekly
        * yearly
        * holiday_mult
        * christmas
        * price_effect
        * (1.0 + PROMO_LIFT * promo_s)
        * np.exp(ar)
    )
    r = items.dispersion[item_of, None]
    true_demand = rng.negative_binomial(r, r / (r + mu)).astype(np.int64)

    # ---- anomalies scheduled up front, applied in the stock loop
    burn_in = min(60, n_days // 4)
    shrink_event = _events(rng, mu.shape, cfg.shrinkage_rate, burn_in)
    shrink_share = rng.uniform(0.25, 0.6, mu.shape)
    spike_event = _events(rng, mu.shape, cfg.spike_rate, burn_in)
    phantom = _spells(rng, _events(rng, mu.shape, cfg.phantom_rate, burn_in), 4, 12)

    # ---- replenishment: daily review, (s, S) from a trailing estimate of recorded sales
    lead = items.lead_time[item_of]
    k_order = items.order_cost[item_of]
    h_day = items.unit_cost[item_of] * 0.25 / 365.0
    z = rng.uniform(-0.3, 1.8, n_series)  # some series run lean and stock out often
    disp = items.dispersion[item_of]
    horizon = n_days + int(lead.max()) * 2 + 10
    arrivals = np.zeros((n_series, horizon), dtype=np.int64)
    on_order = np.zeros(n_series, dtype=np.int64)
    level = mu[:, :28].mean(axis=1)
    stock = np.ceil(level * (lead + 10)).astype(np.int64)
    rows = np.arange(n_series)

    out = {k: np.zeros((n_series, n_days), dtype=np.int64) for k in
           ("sales", "recorded", "stock", "receipts", "shrink")}
    phantom_label = np.zeros((n_series, n_days), dtype=bool)
    spike_mult = rng.uniform(5.0, 15.0, mu.shape)
    delays = rng.poisson(0.15 * lead[:, None], (n_series, n_days))
    for t in range(n_days):
        receipts = arrivals[:, t]
        stock += receipts
        on_order -= receipts
        phantom_label[:, t] = phantom[:, t] & (stock > 0)
        sellable = np.where(phantom[:, t], 0, stock)
        sales = np.minimum(true_demand[:, t], sellable)
        stock -= sales
        shrink = np.where(shrink_event[:, t], np.ceil(stock * shrink_share[:, t]).astype(np.int64), 0)
        stock -= shrink
        recorded = np.where(
            spike_event[:, t],
            np.where(sales > 0, np.rint(sales * spike_mult[:, t]), np.rint(spike_mult[:, t] * np.maximum(level, 1.0))),
            sales,
        ).astype(np.int64)
        level = 0.95 * level + 0.05 * recorded
        cover = lead + 1
        sd = np.sqrt(level * cover * (1.0 + level / disp))
        reorder = level * cover + z * sd
        eoq = np.sqrt(2.0 * k_order * np.maximum(level, 1e-3) / h_day)
        order_up_to = reorder + np.clip(eoq, 1.0, 60.0 * np.maximum(level, 0.05))
        position = stock + on_order
        order = np.where(position <= reorder, np.ceil(order_up_to - position), 0).astype(np.int64)
        np.add.at(arrivals, (rows, t + lead + delays[:, t]), order)
        on_order += order
        out["sales"][:, t] = sales
        out["recorded"][:, t] = recorded
        out["stock"][:, t] = stock
        out["receipts"][:, t] = receipts
        out["shrink"][:, t] = shrink

    # ---- funnel: views >= carts >= purchases (= units really sold)
    carts = true_demand + rng.poisson(0.8 * mu)
    views_per_cart = np.where(np.array(channels)[chan_of] == "online", 9.0, 3.0)
    views = carts + rng.poisson(views_per_cart[:, None] * mu)

    # ---- frames (series sorted by item_id then channel name, dates ascending)
    item_ids = np.array([f"SKU{i:04d}" for i in range(n_items)])
    order_ch = np.argsort(channels)
    perm = (np.arange(n_items)[:, None] * n_ch + order_ch[None, :]).reshape(-1)
    series_item = item_ids[item_of][perm]
    series_chan = np.array(channels)[chan_of][perm]

    def flat(a: np.ndarray) -> np.ndarray:
        return a[perm].reshape(-1)

    date_col = pl.date_range(start, dates[-1], interval="1d", eager=True)
    base = {
        "item_id": np.repeat(series_item, n_days),
        "channel": np.repeat(series_chan, n_days),
        "date": np.tile(date_col.to_numpy(), n_series),
    }
    holiday = cal["public"] | cal["black_friday"] | cal["cyber_monday"]
    demand = pl.DataFrame(
        {
            **base,
            "demand": flat(out["recorded"]).astype(np.float64),
            "price": flat(price_s),
            "promo": flat(promo_s).astype(np.int8),
            "holiday": np.tile(holiday, n_series).astype(np.int8),
            "views": flat(views),
            "carts": flat(carts),
            "purchases": flat(out["sales"]),
            "stock_on_hand": flat(out["stock"]),
            "receipts": flat(out["receipts"]),
        }
    ).with_columns(pl.col("date").cast(pl.Date))
    anomaly_type = np.full(mu.shape, None, dtype=object)
    anomaly_type[out["shrink"] > 0] = "shrinkage"
    anomaly_type[phantom_label] = "phantom"
    anomaly_type[spike_event & (out["recorded"] != out["sales"])] = "spike"
    truth = pl.DataFrame(
        {
            **base,
            "true_demand": flat(true_demand),
            "sales": flat(out["sales"]),
            "lost_sales": flat(true_demand - out["sales"]),
            "shrinkage": flat(out["shrink"]),
            "anomaly_type": flat(anomaly_type).astype(str),
        }
    ).with_columns(
        pl.col("date").cast(pl.Date),
        pl.when(pl.col("anomaly_type") == "None").then(None).otherwise(pl.col("anomaly_type")).alias("anomaly_type"),
    ).with_columns(pl.col("anomaly_type").is_not_null().alias("anomaly"))
    cat_names = np.array([c[0] for c in CATEGORIES])
    static = pl.DataFrame(
        {
            "item_id": item_ids,
            "category": cat_names[items.category],
            "supplier": np.array([f"SUP{k:02d}" for k in items.supplier]),
            "unit_cost": items.unit_cost,
            "price": items.price0,
            "holding_cost": np.round(items.unit_cost * 0.25 / 365.0, 5),  # per unit and day
            "order_cost": items.order_cost,
            "lead_time": items.lead_time.astype(np.int64),
            "volume": items.volume,  # litres per unit
            "slow_mover": items.slow,
        }
    )
    return DemandPanel(
        demand=demand,
        static=static,
        keys=("item_id", "channel"),
        frequency="1d",
        known_future=("price", "promo", "holiday"),
        past_covariates=("views", "carts", "purchases", "stock_on_hand", "receipts"),
        truth=truth,
        name=cfg.name,
    )
