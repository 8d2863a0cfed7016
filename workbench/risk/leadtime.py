"""Stochastic lead times for the inventory stage: each order's lead time is the series' nominal
lead time times a ratio (actual / scheduled lead time), rounded to whole periods, at least one.

The ratio carries the shape of real supply risk into any panel's own periods: most orders on
time (ratio 1), some early, a long tail of late ones. With ``inventory.lead_time.variability``:

* ``fixed``: every ratio is 1, and the simulation is exactly the deterministic one;
* ``shipments``: the ratios observed in the shipment history (``risk.shipments``) for the shipment
  mode assigned to the series' supplier (``inventory.lead_time.modes``, else ``default_modes`` in
  turn over the suppliers in name order), resampled as they are (``fit: empirical``) or from a
  lognormal or gamma fitted to them;
* ``distribution``: a ``scipy.stats`` distribution named in config with its parameters.

Draws are seeded; :meth:`LeadTimes.draws` gives every order of the window its lead time once, so
that every policy is priced against the same supply (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import scipy.stats

from workbench.config.inventory import LeadTimeConfig
from workbench.config.risk import ShipmentsConfig

if TYPE_CHECKING:
    from workbench.risk.shipments import Shipments

MOMENT_DRAWS = 4000  # draws per series for the lead time's mean and standard deviation


@dataclass
class LeadTimes:
    """Per series: the nominal lead time (periods), the group (shipment mode) whose ratios it
    draws, and whether its orders may cross."""

    nominal: np.ndarray  # (n,) int, at least 1
    group: np.ndarray  # (n,) str
    ratios: dict[str, object]  # group -> a sampler with .sample(rng, size) (a fitted distribution or scipy frozen)
    crossing: np.ndarray  # (n,) bool
    seed: int = 0
    description: str = ""
    notes: list[str] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def fixed(self) -> bool:
        """No variability: every ratio is 1."""
        return not self.ratios

    def ratio_draws(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, size)`` ratios, each series from its group's distribution."""
        out = np.ones((self.nominal.size, size))
        for g, sampler in self.ratios.items():  # one vectorised draw per group (a handful of modes)
            rows = np.flatnonzero(self.group == g)
            if rows.size:
                out[rows] = np.asarray(sampler.sample(rng, rows.size * size), dtype=float).reshape(rows.size, size)
        return out

    def _periods(self, ratios: np.ndarray) -> np.ndarray:
        return whole_periods(self.nominal[:, None], ratios)

    def draws(self, horizon: int, salt: int = 0) -> np.ndarray:
        """The lead time of an order placed in each period of the window, ``(n, horizon)`` int."""
        return self._periods(self.ratio_draws(horizon, np.random.default_rng([self.seed, 1, salt])))

    def samples(self, size: int, salt: int = 0) -> np.ndarray:
        """``size`` independent lead times per series, ``(n, size)`` int (for Monte Carlo levels)."""
        if (size, salt) not in self._cache:
            self._cache[(size, salt)] = self._periods(self.ratio_draws(size, np.random.default_rng([self.seed, 2, salt])))
        return self._cache[(size, salt)]

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of each series' lead time in periods (from a fixed large
        sample of the rounded lead times; exact zero spread where the lead time is fixed)."""
        if self.fixed:
            return self.nominal.astype(float), np.zeros(self.nominal.size)
        lt = self.samples(MOMENT_DRAWS, salt=99)
        return lt.mean(axis=1), lt.std(axis=1)

    def table(self, keys: pl.DataFrame) -> pl.DataFrame:
        """Per series: nominal lead time, mode, crossing, and the drawn lead time's mean, sd and 95 % quantile."""
        mean, sd = self.moments()
        q95 = (np.quantile(self.samples(MOMENT_DRAWS, salt=98), 0.95, axis=1) if not self.fixed
               else self.nominal.astype(float))
        return keys.with_columns(
            pl.Series("lead_time", self.nominal), pl.Series("mode", self.group),
            pl.Series("crossing", self.crossing), pl.Series("lead_time_mean", mean),
            pl.Series("lead_time_sd", sd), pl.Series("lead_time_q95", q95))


def whole_periods(nominal, ratios) -> np.ndarray:
    """A lead time in whole periods: ``max(1, round(L r))`` (a ratio of 0, delivered the day the
    order was sent, is still one period: an order placed at the end of a period sells from the next).

    Examples
    --------
    >>> whole_periods(np.array([4, 7]), np.array([1.16, 0.0])).tolist()
    [5, 1]
    """
    return np.maximum(np.rint(np.asarray(nominal, dtype=float) * np.asarray(ratios, dtype=float)), 1).astype(np.int64)


@dataclass(frozen=True)
class Frozen:
    """A frozen ``scipy.stats`` distribution, sampled with the caller's generator."""

    dist: object

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.maximum(self.dist.rvs(size=size, random_state=rng), 0.0)


def scipy_distribution(name: str, params: dict[str, float], setting: str = "inventory.lead_time"):
    """``scipy.stats.<name>(**params)``, with an error naming the setting when either is wrong."""
    dist = getattr(scipy.stats, name, None)
    if not isinstance(dist, scipy.stats.rv_continuous):
        raise ValueError(f"{setting}.distribution={name!r} is not a continuous scipy.stats distribution"
                         " (for example lognorm, gamma, weibull_min)")
    try:
        frozen = dist(**params)
        frozen.mean()
    except TypeError as err:
        raise ValueError(f"{setting}.params={params} do not fit scipy.stats.{name}: {err}") from err
    if not np.isfinite(frozen.mean()) or frozen.mean() <= 0:
        raise ValueError(f"{setting}: scipy.stats.{name}({params}) has mean {frozen.mean()}; expected a positive"
                         " finite ratio of actual to nominal lead time (about 1)")
    return frozen


NO_SUPPLIER = "(none)"


def suppliers_of(frame: pl.DataFrame, by: str) -> np.ndarray:
    """The supplier of each row of ``frame`` (its column ``by``), ``(none)`` where it names none or
    the data has no such column."""
    if by not in frame.columns:
        return np.full(frame.height, NO_SUPPLIER, dtype=object)
    return frame.get_column(by).cast(pl.String).fill_null(NO_SUPPLIER).to_numpy().astype(object)


def supplier_modes(suppliers: np.ndarray, cfg: LeadTimeConfig, universe=()) -> np.ndarray:
    """The shipment mode of each series: its supplier's in ``cfg.modes``, else ``default_modes``
    in turn over the suppliers in name order. ``universe`` (every supplier of the data) fixes that
    order, so that a supplier keeps its mode whichever series are present."""
    names = np.unique(np.concatenate([np.asarray(list(universe), dtype=object), np.asarray(suppliers, dtype=object)]))
    rest = [s for s in names if s not in cfg.modes]
    assigned = {**{s: cfg.default_modes[k % len(cfg.default_modes)] for k, s in enumerate(rest)}, **cfg.modes}
    return np.array([assigned[s] for s in np.asarray(suppliers).tolist()], dtype=object)


@dataclass(frozen=True)
class LeadTimeModel:
    """How the inventory stage gets its lead times: ``inventory.lead_time`` and, for
    ``variability=shipments``, the shipment history (``risk.shipments``)."""

    cfg: LeadTimeConfig
    shipments: ShipmentsConfig | None = None
    min_shipments: int = 30  # a mode needs this many observed ratios
    universe: tuple[str, ...] = ()  # every supplier of the data (the order of default_modes' turns)
    history: Shipments | None = None  # the shipment history already read (else read from `shipments`)

    @classmethod
    def of(cls, static: pl.DataFrame, cfg: LeadTimeConfig, shipments: ShipmentsConfig | None,
           min_shipments: int = 30, history: Shipments | None = None) -> LeadTimeModel:
        """The model for a panel whose static table is ``static``."""
        return cls(cfg, shipments, min_shipments, tuple(np.unique(suppliers_of(static, cfg.by)).tolist()), history)

    def for_series(self, econ: pl.DataFrame) -> LeadTimes:
        return lead_times(econ, self.cfg, self.shipments, self.min_shipments, self.universe, self.history)


def lead_times(econ: pl.DataFrame, cfg: LeadTimeConfig, shipments: ShipmentsConfig | None = None,
               min_shipments: int = 30, universe=(), history: Shipments | None = None) -> LeadTimes:
    """The lead-time model of the series of ``econ`` (one row per series, with ``lead_time`` in
    periods and the supplier column ``cfg.by`` where the data has one). ``history`` is the shipment
    history when it has been read already; otherwise ``shipments`` says where to read it."""
    nominal = econ.get_column("lead_time").to_numpy().astype(np.int64)
    n = nominal.size
    suppliers = suppliers_of(econ, cfg.by)
    if cfg.variability == "fixed":
        return LeadTimes(nominal, np.full(n, "fixed", dtype=object), {}, np.ones(n, dtype=bool), cfg.seed,
                         "fixed: every order takes the item's lead time")
    if cfg.variability == "distribution":
        frozen = scipy_distribution(cfg.distribution, dict(cfg.params))
        crossing = np.full(n, cfg.crossing != "forbid")
        args = ", ".join(f"{k}={v:g}" for k, v in cfg.params.items())
        return LeadTimes(nominal, np.full(n, cfg.distribution, dtype=object), {cfg.distribution: Frozen(frozen)},
                         crossing, cfg.seed, f"the item's lead time times a scipy.stats.{cfg.distribution}({args}) ratio")
    return _from_shipments(nominal, suppliers, cfg, shipments, min_shipments, universe, history)


def _from_shipments(nominal, suppliers, cfg: LeadTimeConfig, shipments: ShipmentsConfig | None,
                    min_shipments: int, universe=(), history: Shipments | None = None) -> LeadTimes:
    from workbench.risk.distributions import crossing_share, fit, lead_ratios
    from workbench.risk.shipments import load_shipments

    if history is None:
        if shipments is None:
            raise ValueError("inventory.lead_time.variability=shipments needs the shipment history (risk.shipments)")
        history = load_shipments(shipments)
    observed = lead_ratios(history.frame, min_shipments)
    modes = supplier_modes(suppliers, cfg, universe)
    notes = []
    if (suppliers == NO_SUPPLIER).all():
        notes.append(f"The data names no supplier (no column '{cfg.by}', inventory.lead_time.by): every series takes"
                     f" the mode {modes[0]!r} (inventory.lead_time.default_modes).")
    unknown = sorted(set(modes.tolist()) - set(observed))
    if unknown:
        known = sorted(k for k in observed if k != "all")
        raise ValueError(f"inventory.lead_time: shipment mode(s) {unknown} have fewer than {min_shipments} lead-time"
                         f" ratios in {history.path}; modes with enough: {known} (inventory.lead_time.modes /"
                         " default_modes)")
    samplers = {m: fit(observed[m], cfg.fit, group=m) for m in np.unique(modes).tolist()}
    if cfg.crossing == "data":
        shares = dict(crossing_share(history.frame).select("mode", "crossing_share").iter_rows())
        crossing = np.array([shares.get(m, 0.0) >= cfg.crossing_share for m in modes.tolist()], dtype=bool)
        notes.append("Orders may cross in " + (", ".join(sorted({m for m, c in zip(modes, crossing, strict=True) if c})) or "no mode")
                     + f" (modes where the history shows at least {cfg.crossing_share:.0%} of orders crossing).")
    else:
        crossing = np.full(nominal.size, cfg.crossing == "allow")
    how = "as observed" if cfg.fit == "empirical" else f"from a fitted {cfg.fit}"
    return LeadTimes(nominal, modes, samplers, crossing, cfg.seed,
                     f"the item's lead time times the actual / scheduled lead-time ratio of its supplier's shipment"
                     f" mode in {history.path} ({how})", notes)
