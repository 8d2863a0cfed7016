"""Labelled anomalies injected into any panel: the eight types of :mod:`workbench.anomaly.types`.

Real data carries no labels, so the anomaly study injects them, seeded and recorded. Each type
is one function over the panel's columns as long arrays (:class:`Columns`, each series' rows
contiguous and in date order) and its :class:`~workbench.data.labels.Events`; the synthetic
shop applies its faults of the recorded data (``price_typo``, ``frozen_feed``,
``duplicate_order``) with the same functions. Magnitudes are relative to each series' own
level, the median of its demand over the periods with sales, so an event on a big store and
on a slow item are both realistic:

* ``level_shift``: demand (and ``purchases``) x0.3-0.6 or x1.8-3 for 8-26 periods;
* ``returns_wave``: for 3-10 periods customers return 30-80 % of the level a period: demand net
  of returns falls (it can go negative), the returned units raise ``stock_on_hand`` from then on;
* ``shrinkage``: ``stock_on_hand`` falls by 20-60 % on one period, and later stock with it (never below 0);
* ``phantom``: 4-12 periods without sales while ``stock_on_hand`` stays at its level before;
  afterwards the record is the panel's own again (the recount writes the missing goods off);
* ``spike``: one period's demand x5-15 (of the level where nothing sold);
* ``price_typo``: ``price`` x10 or /10 for 1-5 periods;
* ``frozen_feed``: ``stock_on_hand`` (else demand) repeats the value of the period before for 3-12 periods;
* ``duplicate_order``: one period's demand doubled (a typical period's orders added where nothing sold).

A type whose column the panel lacks is skipped, and said so. Events start after a burn-in (the
feature ``window`` and at least 10 % of the series) at a row drawn uniformly among those where
the type can act (stock on the shelf for a shrinkage, a price for a typo, ...), and end within
the series; a second event of a type on the periods of a first is left out.

The faults, where each may start and the injection that places them are one module, a little
over 300 lines, so that a type's magnitude, length and start rule read together (:data:`FAULTS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import polars as pl

from workbench.anomaly.types import TYPES
from workbench.config.anomaly import ANOMALY_TYPES, InjectConfig
from workbench.data.labels import (
    LABEL_ORDER,
    Events,
    label_columns,
    label_rows,
    merge_labels,
    next_event_id,
)
from workbench.data.panel import DATE, DEMAND, DemandPanel

STOCK, PRICE, SOLD = "stock_on_hand", "price", "purchases"


@dataclass
class Columns:
    """A panel's columns as long float arrays that the faults change in place."""

    values: dict[str, np.ndarray]
    series: np.ndarray  # the series of each row
    level: np.ndarray = field(init=False)  # per series: median demand of its periods with sales (1 without)
    ends: np.ndarray = field(init=False)  # per series: the row after its last

    def __post_init__(self) -> None:
        n_series = int(self.series.max()) + 1 if self.series.size else 0
        self.ends = np.cumsum(np.bincount(self.series, minlength=n_series))
        sold = pl.DataFrame({"s": self.series, "d": self.values[DEMAND]}).filter(pl.col("d") > 0)
        medians = sold.group_by("s").agg(pl.col("d").median())
        self.level = np.ones(n_series)
        self.level[medians["s"].to_numpy()] = medians["d"].to_numpy()

    def whole(self, name: str) -> bool:
        """Whether a column holds whole units (then injected amounts are whole too)."""
        v = self.values[name]
        return bool(np.all(np.isnan(v) | (v == np.round(v))))

    def units(self, name: str, amount: np.ndarray) -> np.ndarray:
        return np.rint(amount) if self.whole(name) else amount

    def before(self, name: str) -> np.ndarray:
        """Each row's value one period earlier (meaningless on a series' first row)."""
        return np.roll(self.values[name], 1)


@dataclass(frozen=True)
class Effect:
    """What a type's function did to each event: the column it acted on and a description."""

    column: np.ndarray | str
    detail: pl.Series


def _text(template: str, *parts: np.ndarray | pl.Series) -> pl.Series:
    """One description per event: ``template`` with each ``{}`` filled from ``parts``."""
    frame = pl.DataFrame({f"p{i}": p for i, p in enumerate(parts)})
    return frame.select(pl.format(template, *frame.columns)).to_series().alias("detail")


def _number(values: np.ndarray, whole: bool) -> pl.Series:
    s = pl.Series(values).fill_nan(None)
    return s.cast(pl.Int64) if whole else s.round(2)


def _carry(cols: Columns, ev: Events, rows: np.ndarray, which: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Per row, the running total of ``amount`` (one per entry of ``rows``, of event ``which``)
    from there on to the series' end: what a lasting change of stock adds up to (a difference
    array, no loop)."""
    diff = np.zeros(cols.series.size + 1)
    np.add.at(diff, rows, amount)
    np.add.at(diff, cols.ends[ev.series], -np.bincount(which, weights=amount, minlength=len(ev)))
    return np.cumsum(diff)[:-1]


def level_shift(cols: Columns, ev: Events, rng: np.random.Generator) -> Effect:
    """Demand and purchases x0.3-0.6 or x1.8-3 over the event."""
    down = rng.random(len(ev)) < 0.5
    factor = np.where(down, rng.uniform(0.3, 0.6, len(ev)), rng.uniform(1.8, 3.0, len(ev)))
    rows, which = ev.rows()
    for name in (n for n in (DEMAND, SOLD) if n in cols.values):
        cols.values[name][rows] = cols.units(name, cols.values[name][rows] * factor[which])
    return Effect(DEMAND, _text("level x{}", pl.Series(factor).round(2)))


def returns_wave(cols: Columns, ev: Events, rng: np.random.Generator) -> Effect:
    """Demand lowered by 30-80 % of the level a period; the returned units raise the stock from then on."""
    share = rng.uniform(0.3, 0.8, len(ev))
    back = share * cols.level[ev.series]
    back = np.maximum(np.rint(back), 1.0) if cols.whole(DEMAND) else back  # at least a unit a period
    rows, which = ev.rows()
    cols.values[DEMAND][rows] -= back[which]  # the ledger records sales net of returns; purchases stay gross
    if STOCK in cols.values:
        cols.values[STOCK] += _carry(cols, ev, rows, which, back[which])
    return Effect(DEMAND, _text("returns of {} a period", _number(back, cols.whole(DEMAND))))


def shrinkage(cols: Columns, ev: Events, rng: np.random.Generator) -> Effect:
    """Stock lowered by 20-60 % on the event's period and by as many units later on (never below 0)."""
    share = rng.uniform(0.2, 0.6, len(ev))
    stock = cols.values[STOCK]
    had = stock[ev.first]
    loss = np.maximum(np.ceil(share * had), 1.0) if cols.whole(STOCK) else share * had
    cols.values[STOCK] = np.maximum(stock - _carry(cols, ev, ev.first, np.arange(len(ev)), loss), 0.0)
    return Effect(STOCK, _text("stock_on_hand -{} of {}", _number(loss, cols.whole(STOCK)),
                               _number(had, cols.whole(STOCK))))


def phantom(cols: Columns, ev: Events, rng: np.random.Generator) -> Effect:
    """No sales over the event while the stock stays at its level of the period before."""
    rows, which = ev.rows()
    held = cols.values[STOCK][ev.first - 1]
    for name in (n for n in (DEMAND, SOLD) if n in cols.values):
        cols.values[name][rows] = 0.0
    cols.values[STOCK][rows] = held[which]
    return Effect(DEMAND, _text("no sales while stock_on_hand stays at {}", _number(held, cols.whole(STOCK))))


def spike(cols: Columns, ev: Events, rng: np.random.Generator) -> Effect:
    """One period's demand x5-15 (x5-15 the level where nothing sold)."""
    size = rng.uniform(5.0, 15.0, len(ev))
    demand = cols.values[DEMAND]
    was = demand[ev.first]
    now = cols.units(DEMAND, np.where(was > 0, was * size, cols.level[ev.series] * size))
    demand[ev.first] = now
    ratio = pl.Series(now / np.where(was > 0, was, 1.0)).round(1)
    detail = pl.select(pl.when(pl.Series(was > 0)).then(pl.format("demand x{}", pl.lit(ratio)))
                       .otherwise(pl.format("demand {} where none sold", pl.lit(_number(now, cols.whole(DEMAND))))))
    return Effect(DEMAND, detail.to_series().alias("detail"))


def price_typo(cols: Columns, ev: Events, rng: np.random.Generator) -> Effect:
    """The price x10 or /10 over the event."""
    up = rng.random(len(ev)) < 0.5
    rows, which = ev.rows()
    price = cols.values[PRICE]
    price[rows] = np.where(up[which], price[rows] * 10.0, price[rows] / 10.0)
    return Effect(PRICE, pl.Series("detail", np.where(up, "price x10", "price /10")))


def frozen_feed(cols: Columns, ev: Events, rng: np.random.Generator, stock_share: float = 1.0) -> Effect:
    """The feed of ``stock_on_hand`` (a ``stock_share`` of the events, where the panel has stock)
    or of demand repeats its value of the period before the event."""
    on_stock = (rng.random(len(ev)) < stock_share) & (STOCK in cols.values)
    column = np.where(on_stock, STOCK, DEMAND)
    rows, which = ev.rows()
    held = np.zeros(len(ev))
    for name, mine in ((STOCK, on_stock), (DEMAND, ~on_stock)):
        if mine.any():
            held[mine] = cols.values[name][ev.first[mine] - 1]
            cols.values[name][rows[mine[which]]] = held[which[mine[which]]]
    whole = cols.whole(DEMAND) and (STOCK not in cols.values or cols.whole(STOCK))
    return Effect(column, _text("{} frozen at {}", pl.Series(column), _number(held, whole)))


def duplicate_order(cols: Columns, ev: Events, rng: np.random.Generator) -> Effect:
    """One period's demand doubled (the level, rounded up, added where nothing sold)."""
    demand = cols.values[DEMAND]
    was = demand[ev.first]
    typical = np.ceil(cols.level[ev.series]) if cols.whole(DEMAND) else cols.level[ev.series]
    demand[ev.first] = np.where(was > 0, 2.0 * was, was + typical)
    return Effect(DEMAND, pl.Series("detail", np.where(was > 0, "demand x2 (orders recorded twice)",
                                                        "a typical period's orders recorded where none sold")))


@dataclass(frozen=True)
class Fault:
    """One anomaly type as injected: its function, its length in periods and where it may start."""

    apply: Callable[[Columns, Events, np.random.Generator], Effect]
    periods: tuple[int, int]
    can_start: Callable[[Columns], np.ndarray] = lambda cols: np.ones(cols.series.size, dtype=bool)


FAULTS: dict[str, Fault] = {
    "level_shift": Fault(level_shift, (8, 26)),
    "returns_wave": Fault(returns_wave, (3, 10)),
    "shrinkage": Fault(shrinkage, (1, 1), lambda c: c.values[STOCK] > 0),
    "phantom": Fault(phantom, (4, 12), lambda c: c.before(STOCK) > 0),
    "spike": Fault(spike, (1, 1)),
    "price_typo": Fault(price_typo, (1, 5), lambda c: c.values[PRICE] > 0),
    "frozen_feed": Fault(frozen_feed, (3, 12), lambda c: c.before(STOCK if STOCK in c.values else DEMAND) != 0),
    "duplicate_order": Fault(duplicate_order, (1, 1)),
}
assert set(FAULTS) == set(LABEL_ORDER)
# the shop freezes its stock feed half the time and its sales feed the other half
shop_frozen_feed = partial(frozen_feed, stock_share=0.5)


@dataclass(frozen=True)
class Injected:
    """What :func:`inject_anomalies` made: the panel with the faults in its columns and their
    labels in its ``truth``; one row per event (keys, ``event``, ``anomaly_type``, ``start``,
    ``end``, ``periods``, ``column``, ``detail``); and the types left out, each with the reason."""

    panel: DemandPanel
    events: pl.DataFrame
    skipped: dict[str, str]


def place_events(
    rng: np.random.Generator, cols: Columns, can_start: np.ndarray, burn_in: np.ndarray, count: int,
    periods: tuple[int, int],
) -> Events:
    """``count`` events of ``periods[0]..periods[1]`` periods, each starting at a row drawn
    uniformly among those where ``can_start`` holds, at least ``burn_in`` (per series) periods
    into its series and with room for the whole event before the series' end. An event that
    finds no such row is left out, and so is one on the periods of an earlier one (in row order)."""
    lengths = rng.integers(periods[0], periods[1] + 1, count)
    u = rng.random(count)
    starts = cols.ends - np.bincount(cols.series, minlength=cols.ends.size)
    lo = np.minimum(starts + burn_in, cols.ends)  # the first row an event may start on, per series
    after = np.arange(cols.series.size) >= lo[cols.series]
    below = np.concatenate([[0], np.cumsum(can_start & after)])  # start rows before each row
    first = np.full(count, -1, dtype=np.int64)
    for length in np.unique(lengths):  # a handful of lengths, each over every series at once
        mine = lengths == length
        hi = np.maximum(cols.ends - length + 1, lo)  # one past the last row it may start on
        per_series = below[hi] - below[lo]
        cum = np.cumsum(per_series)
        if cum[-1] == 0:
            continue
        k = np.floor(u[mine] * cum[-1]).astype(np.int64)  # the k-th start row of those allowed
        s = np.searchsorted(cum, k, side="right")
        j = below[lo[s]] + k - (cum[s] - per_series[s])  # ... is the j-th start row of the panel
        first[mine] = np.searchsorted(below, j + 1, side="left") - 1
    placed = first >= 0
    order = np.argsort(first[placed], kind="stable")
    first, lengths = first[placed][order], lengths[placed][order]
    reach = np.concatenate([[-1], np.maximum.accumulate(first + lengths - 1)[:-1]])
    keep = first > reach
    return Events(cols.series[first[keep]], first[keep], lengths[keep])


def _checked_types(cfg: InjectConfig, window: int) -> list[str]:
    types = list(cfg.types)
    unknown = [t for t in types if t not in ANOMALY_TYPES]
    if unknown:
        raise ValueError(f"anomaly.inject.types has {unknown}; expected some of {list(ANOMALY_TYPES)}")
    if not (isinstance(cfg.per_1000, int | float | np.number) and math.isfinite(cfg.per_1000) and cfg.per_1000 >= 0):
        raise ValueError(f"anomaly.inject.per_1000={cfg.per_1000}; expected events per 1,000 series-periods >= 0")
    if not isinstance(cfg.seed, int | np.integer) or cfg.seed < 0:
        raise ValueError(f"anomaly.inject.seed={cfg.seed}; expected a whole number >= 0")
    if not isinstance(window, int | np.integer) or window < 0:
        raise ValueError(f"anomaly.window={window}; expected a whole number of periods >= 0")
    return types


def _event_table(df: pl.DataFrame, keys: list[str], name: str, ev: Events, ids: np.ndarray,
                 effect: Effect) -> pl.DataFrame:
    column = pl.Series("column", effect.column) if isinstance(effect.column, np.ndarray) else pl.lit(effect.column)
    return df.select(pl.col(keys).gather(ev.first)).with_columns(
        pl.Series("event", ids, dtype=pl.Int64), pl.lit(name).alias("anomaly_type"),
        df.get_column(DATE).gather(ev.first).alias("start"), df.get_column(DATE).gather(ev.last()).alias("end"),
        pl.Series("periods", ev.periods, dtype=pl.Int64), column.alias("column"), effect.detail.alias("detail"),
    )


def inject_anomalies(panel: DemandPanel, cfg: InjectConfig, window: int) -> Injected:
    """Inject each of ``cfg.types`` (:class:`workbench.config.anomaly.InjectConfig`) into ``panel``:
    Poisson(``cfg.per_1000`` x rows / 1,000) events per type, seeded by ``cfg.seed`` (each type
    from its own stream, so one type's events do not depend on which others are asked for),
    after a burn-in of ``window`` periods and at least 10 % of each series.

    The faults change the panel's ``demand``, ``purchases``, ``price`` and ``stock_on_hand``
    (those it has); the labels go into ``truth``, made from the keys and dates where the panel
    has none, laid over its own labels where it has some, with event ids after its largest.
    """
    types = _checked_types(cfg, window)
    keys = list(panel.keys)
    df = panel.demand.sort([*keys, DATE])
    starts = pl.any_horizontal([pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys])
    series = df.select((starts.cum_sum() - 1).cast(pl.Int64)).to_series().to_numpy()
    present = [c for c in (DEMAND, PRICE, STOCK, SOLD) if c in df.columns]
    cols = Columns({c: df.get_column(c).cast(pl.Float64).to_numpy().copy() for c in present}, series)
    n_periods = np.bincount(series)
    burn_in = np.maximum(np.maximum(window, np.ceil(0.1 * n_periods)), 1).astype(np.int64)
    found: dict[str, Events] = {}
    effects: dict[str, Effect] = {}
    skipped: dict[str, str] = {}
    for name in (t for t in LABEL_ORDER if t in types):
        missing = [c for c in TYPES[name].needs if c not in cols.values]
        if missing:
            skipped[name] = f"{name}: the panel has no {missing[0]} column"
            continue
        rng = np.random.default_rng([cfg.seed, ANOMALY_TYPES.index(name)])
        fault = FAULTS[name]
        count = int(rng.poisson(cfg.per_1000 * df.height / 1000))
        ev = place_events(rng, cols, fault.can_start(cols), burn_in, count, fault.periods)
        if count and not len(ev):
            skipped[name] = (f"{name}: no series has room for an event after its burn-in (anomaly.window={window}"
                             f" periods and 10 % of the series) on periods where it can act")
            continue
        found[name], effects[name] = ev, fault.apply(cols, ev, rng)
    code, event, ids = label_rows(df.height, {t: (ev, None) for t, ev in found.items()}, next_event_id(panel.truth))
    labels = df.select(*keys, DATE).with_columns(label_columns(code, event))
    events = pl.concat([_event_table(df, keys, t, found[t], ids[t], effects[t]) for t in found]) if found else (
        _event_table(df, keys, "", Events(*(np.zeros(0, dtype=np.int64),) * 3), np.zeros(0, dtype=np.int64),
                     Effect("", pl.Series("detail", [], dtype=pl.String))))
    injected = replace(
        panel,
        demand=df.with_columns(pl.Series(c, cols.values[c]).cast(df.schema[c]) for c in present),
        truth=merge_labels(panel.truth, labels, keys),
    ).with_log(step="inject_anomalies", action="injected", rows=int((code >= 0).sum()), events=events.height,
               types=sorted(found), skipped=sorted(skipped), seed=cfg.seed, per_1000=cfg.per_1000)
    return Injected(injected, events.sort("start", "event"), skipped)
