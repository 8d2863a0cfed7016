"""The synthetic shop's customers: mean demand, true demand and the shopping funnel.

Series ``s = item * n_channels + channel`` (every item in every channel). The mean is

    mu[s, t] = base_i * share_ic * exp(g_i t / 365) * weekly_c(dow_t) * yearly_k(doy_t)
               * holiday_c(t) * christmas_k(t) * (price_it / price_i0) ** -e_i * (1 + lift * promo_it)
               * exp(ar_st)

with a slow AR(1) regime ``ar`` in log space, and true demand is negative-binomial
around it with the item's dispersion. The funnel (views >= carts >= purchases) is
drawn around the same mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.data.synthetic_catalogue import Items, category_attribute

# relative demand by day of week (Mon..Sun)
WEEKLY = {
    "online": np.array([1.06, 1.00, 0.98, 0.96, 0.95, 0.97, 1.08]),
    "store": np.array([0.78, 0.82, 0.88, 0.95, 1.15, 1.42, 1.00]),
}
# multiplier on a public holiday, on Black Friday and on Cyber Monday
HOLIDAY_EFFECT = {"online": (1.15, 2.0, 2.6), "store": (0.45, 2.3, 1.1)}

PROMO_LIFT = 0.3  # visibility lift of a promotion on top of its price effect


@dataclass(frozen=True)
class SeriesIndex:
    """Which item and which channel each series ``s = item * n_channels + channel`` is."""

    channels: list[str]
    item_of: np.ndarray
    chan_of: np.ndarray

    @classmethod
    def of(cls, n_items: int, channels: list[str]) -> SeriesIndex:
        n_ch = len(channels)
        return cls(list(channels), np.repeat(np.arange(n_items), n_ch), np.tile(np.arange(n_ch), n_items))

    @property
    def n_series(self) -> int:
        return self.item_of.size

    @property
    def channel_names(self) -> np.ndarray:
        return np.array(self.channels)[self.chan_of]


def _calendar_effects(
    series: SeriesIndex, items: Items, cal: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The calendar factors of the mean, each broadcastable to (series, day): the weekly
    profile, the yearly season, the holiday and shopping-event multiplier and the Christmas
    gift uplift."""
    cat = items.category[series.item_of]
    amp, peak, gift = (category_attribute(cat, k) for k in (3, 4, 5))
    yearly = 1.0 + amp[:, None] * np.cos(2 * np.pi * (cal["doy"][None, :] - peak[:, None]) / 365.25)
    weekly = np.stack([WEEKLY.get(c, np.ones(7))[cal["dow"]] for c in series.channels])[series.chan_of]
    effects = np.array([HOLIDAY_EFFECT.get(c, (1.0, 1.5, 1.5)) for c in series.channels])[series.chan_of]
    holiday_mult = np.ones((series.n_series, cal["dow"].size))
    for k, flag in enumerate(("public", "black_friday", "cyber_monday")):
        holiday_mult = np.where(cal[flag][None, :], effects[:, k : k + 1], holiday_mult)
    christmas = 1.0 + gift[:, None] * cal["xmas"][None, :]
    return weekly, yearly, holiday_mult, christmas


def _regimes(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Slow AR(1) noise in log space (phi 0.9): demand regimes that no covariate explains."""
    eps = rng.normal(0.0, 0.04, shape)
    ar = np.zeros_like(eps)
    for t in range(1, shape[1]):  # a recursion over days, vectorised over series
        ar[:, t] = 0.9 * ar[:, t - 1] + eps[:, t]
    return ar


def mean_demand(
    rng: np.random.Generator,
    series: SeriesIndex,
    items: Items,
    cal: dict[str, np.ndarray],
    price: np.ndarray,
    promo: np.ndarray,
) -> np.ndarray:
    """``mu[s, t]`` of the module docstring; ``price`` and ``promo`` are per series and day.

    Draws the channel shares, then the regime noise, from ``rng`` (in that order)."""
    n_items, n_ch = items.category.size, len(series.channels)
    n_days = cal["dow"].size
    shares = rng.dirichlet(np.full(n_ch, 4.0), n_items).reshape(-1) if n_ch > 1 else np.ones(n_items)
    t_years = np.arange(n_days) / 365.0
    weekly, yearly, holiday_mult, christmas = _calendar_effects(series, items, cal)
    item_of = series.item_of
    price_effect = (price / items.price0[item_of, None]) ** (-items.elasticity[item_of, None])
    ar = _regimes(rng, (series.n_series, n_days))
    return (
        (items.base_rate[item_of] * shares)[:, None]
        * np.exp(items.trend[item_of, None] * t_years[None, :])
        * weekly
        * yearly
        * holiday_mult
        * christmas
        * price_effect
        * (1.0 + PROMO_LIFT * promo)
        * np.exp(ar)
    )


def true_demand(rng: np.random.Generator, mu: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """Negative-binomial demand with mean ``mu`` and size ``dispersion`` per series (slow movers
    have a small size, so many zero days)."""
    r = dispersion[:, None]
    return rng.negative_binomial(r, r / (r + mu)).astype(np.int64)


def funnel(
    rng: np.random.Generator, demand: np.ndarray, mu: np.ndarray, channel_names: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Views >= carts >= true demand: carts add abandoned baskets around the mean, views add
    browsing (nine views per cart online, three in a store). Returns (views, carts)."""
    carts = demand + rng.poisson(0.8 * mu)
    views_per_cart = np.where(channel_names == "online", 9.0, 3.0)
    views = carts + rng.poisson(views_per_cart[:, None] * mu)
    return views, carts
