"""The synthetic shop's catalogue, calendar and price history.

What the shop sells (items in categories, with a supplier, a lead time, costs and a
volume), which days are special (public holidays, Black Friday, Cyber Monday, the
gift season) and what each item costs each day (permanent price steps and
promotions). Everything is drawn from the shop's random generator, in a fixed
order, so that a seed always gives the same catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

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

HOLDING_RATE = 0.25  # yearly cost of holding a unit, as a share of its unit cost


def category_attribute(category: np.ndarray, column: int) -> np.ndarray:
    """One attribute of :data:`CATEGORIES` (its tuple position ``column``) per entry of ``category``."""
    return np.array([c[column] for c in CATEGORIES])[category]


@dataclass(frozen=True)
class Items:
    """One entry per item: the catalogue and the parameters of its demand."""

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

    @property
    def holding_cost(self) -> np.ndarray:
        """Cost of holding one unit for one day."""
        return self.unit_cost * HOLDING_RATE / 365.0


def draw_items(rng: np.random.Generator, n_items: int, cfg) -> Items:
    """Draw the catalogue: a mix of fast movers and intermittent slow movers (``data.slow_mover_share``)
    in ``data.n_categories`` categories, bought from ``data.n_suppliers`` suppliers."""
    n_cat = min(cfg.n_categories, len(CATEGORIES))
    if n_cat < 1:
        raise ValueError(f"data.n_categories={cfg.n_categories}; expected 1..{len(CATEGORIES)}")
    category = rng.integers(0, n_cat, n_items)
    cat_price = category_attribute(category, 1)
    cat_volume = category_attribute(category, 2)
    slow = rng.random(n_items) < cfg.slow_mover_share
    base_rate = np.where(
        slow, rng.lognormal(np.log(0.35), 0.5, n_items), rng.lognormal(np.log(14.0), 0.7, n_items)
    )
    price0 = np.round(cat_price * rng.lognormal(0.0, 0.35, n_items), 2)
    supplier_lead = rng.integers(2, 15, cfg.n_suppliers)
    supplier = rng.integers(0, cfg.n_suppliers, n_items)
    return Items(
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


def calendar(dates: list[date], country: str) -> dict[str, np.ndarray]:
    """Day flags and positions: ``public`` holidays of ``country`` (the holidays package),
    ``black_friday``, ``cyber_monday``, day of week ``dow``, day of year ``doy`` and ``xmas``,
    a 0 -> 1 ramp over 1..23 December (the gift season)."""
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
        "xmas": np.array([(d.month == 12 and d.day <= 23) * d.day / 23.0 for d in dates]),
    }


def prices(rng: np.random.Generator, items: Items, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """List-price steps (mostly increases, about two a year) and promotions (about five a
    year, 3..10 days, 10..35 % off); returns the (item, day) price and promotion flag."""
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
