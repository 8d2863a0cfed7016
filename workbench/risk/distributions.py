"""Delivery performance and the distributions of delay and lead time, per group of shipments.

:func:`delivery_stats` summarises on-time rates, delays when late and lead times per group;
:func:`fit` fits a lognormal or gamma distribution (``scipy.stats``, location fixed at 0) or keeps
the sample itself (empirical); :func:`goodness_of_fit` compares them per group; :func:`lead_ratios`
hands the observed ratios of actual to planned lead time to the inventory stage's stochastic lead
times; :func:`crossing_share` counts orders overtaken by later ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from workbench.config.risk import Distribution, DistributionsConfig
from workbench.risk import schema as s

MIN_FIT = 5  # positive values a parametric fit needs
MISSING, OTHER, ALL = "(missing)", "other", "all"
QUANTITIES = {  # the quantity a fit describes: the values of a frame it is fitted to
    "delay when late": pl.col(s.DELAY).filter(pl.col(s.LATE) & (pl.col(s.DELAY) > 0)),
    "lead time": pl.col(s.LEAD_TIME).filter(pl.col(s.LEAD_TIME) > 0),
}


def group_label(by: str, min_shipments: int) -> pl.Expr:
    """The group of each shipment: the value of ``by`` as text, ``(missing)`` where null, ``other``
    where its group has fewer than ``min_shipments`` shipments."""
    value = pl.col(by).cast(pl.String)
    return (pl.when(value.is_null()).then(pl.lit(MISSING))
            .when(pl.len().over(by) < min_shipments).then(pl.lit(OTHER)).otherwise(value).alias("group"))


def _quantile_name(prefix: str, q: float) -> str:
    return f"{prefix}_q{round(100 * q):02d}"


def _ordered(table: pl.DataFrame) -> pl.DataFrame:
    """Groups by size, then ``other``, ``(missing)`` and ``all``."""
    rank = pl.col("group").replace_strict({OTHER: 1, MISSING: 2, ALL: 3}, default=0, return_dtype=pl.Int8)
    return table.sort(rank, -pl.col("shipments").cast(pl.Int64), "group").with_columns(
        pl.col("shipments").cast(pl.Int64))


def delivery_stats(frame: pl.DataFrame, by: str, cfg: DistributionsConfig) -> pl.DataFrame:
    """On-time rate, delay when late and lead time per value of ``by``, plus an ``all`` row.

    Columns: ``group_by, group, shipments, on_time_rate, late_share, early_share, exact_share,
    delay_when_late_mean, delay_when_late_qNN`` (one per ``risk.distributions.quantiles``),
    ``lead_time_n, lead_time_mean, lead_time_sd, lead_time_median, lead_time_q90`` (PO sent to
    delivered, where both dates exist). Groups under ``min_shipments`` are pooled into ``other``;
    a null ``by`` is the group ``(missing)``. Quantiles interpolate linearly.
    """
    late, delay, lead = pl.col(s.LATE), pl.col(s.DELAY), pl.col(s.LEAD_TIME).drop_nulls()
    when_late = delay.filter(late)
    aggs = [
        pl.len().alias("shipments"),
        (~late).mean().alias("on_time_rate"),
        late.mean().alias("late_share"),
        (delay < 0).mean().alias("early_share"),
        (delay == 0).mean().alias("exact_share"),
        when_late.mean().alias("delay_when_late_mean"),
        *[when_late.quantile(q, "linear").alias(_quantile_name("delay_when_late", q)) for q in cfg.quantiles],
        lead.len().cast(pl.Int64).alias("lead_time_n"),
        lead.mean().alias("lead_time_mean"),
        lead.std().alias("lead_time_sd"),
        lead.median().alias("lead_time_median"),
        lead.quantile(0.9, "linear").alias("lead_time_q90"),
    ]
    groups = frame.with_columns(group_label(by, cfg.min_shipments)).group_by("group").agg(aggs)
    overall = frame.select(pl.lit(ALL).alias("group"), *aggs)
    table = pl.concat([groups, overall], how="vertical_relaxed")
    return _ordered(table).select(pl.lit(by).alias("group_by"), pl.all())


@dataclass
class Fitted:
    """A distribution fitted to ``n`` values: ``params`` are scipy's (``s``/``a``, ``scale``; ``loc``
    fixed at 0), or, for the empirical one, the sample itself in ``sample_values``."""

    name: Distribution
    params: dict[str, float]
    n: int
    sample_values: np.ndarray = field(repr=False)

    @property
    def frozen(self) -> Any:
        """The ``scipy.stats`` frozen distribution (``None`` for the empirical one)."""
        if self.name == Distribution.empirical:
            return None
        return getattr(stats, str(self.name))(**self.params)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Draws: resampled values (empirical) or ``rvs`` of the fitted distribution."""
        if self.name == Distribution.empirical:
            return rng.choice(self.sample_values, size=size, replace=True)
        return self.frozen.rvs(size=size, random_state=rng)

    def ppf(self, q: float | np.ndarray) -> np.ndarray:
        """Quantiles (the empirical one interpolates linearly between order statistics)."""
        if self.name == Distribution.empirical:
            return np.quantile(self.sample_values, q)
        return self.frozen.ppf(q)

    def mean(self) -> float:
        return float(self.sample_values.mean() if self.frozen is None else self.frozen.mean())

    def sd(self) -> float:
        """Standard deviation (of the empirical distribution: the sample's, divided by ``n``)."""
        return float(self.sample_values.std() if self.frozen is None else self.frozen.std())

    def loglik(self) -> float:
        """Log-likelihood of the fitted values (NaN for the empirical one)."""
        return float("nan") if self.frozen is None else float(self.frozen.logpdf(self.sample_values).sum())


def fit(values: np.ndarray, name: Distribution | str, group: str = "") -> Fitted:
    """Fit ``name`` to ``values``: lognorm and gamma by maximum likelihood on the positive values with
    the location fixed at 0 (``scipy.stats.<name>.fit(x, floc=0)``); empirical keeps the finite values.

    Examples
    --------
    >>> f = fit(np.array([1.0, 2.0, 3.0, 4.0]), "empirical")
    >>> f.mean(), float(f.ppf(0.5))
    (2.5, 2.5)
    """
    name = Distribution(name)
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    where = f" of group {group!r}" if group else ""
    if name == Distribution.empirical:
        if x.size == 0:
            raise ValueError(f"no values{where} to build an empirical distribution from")
        return Fitted(name, {}, int(x.size), x)
    x = x[x > 0]
    if x.size < MIN_FIT:
        raise ValueError(f"{x.size} positive values{where}: a {name} fit needs at least {MIN_FIT}")
    shape, _, scale = getattr(stats, str(name)).fit(x, floc=0)
    return Fitted(name, {"s" if name == Distribution.lognorm else "a": float(shape), "loc": 0.0,
                         "scale": float(scale)}, int(x.size), x)


def goodness_of_fit(frame: pl.DataFrame, by: str = s.MODE, cfg: DistributionsConfig | None = None) -> pl.DataFrame:
    """Each distribution of ``risk.distributions.fits`` fitted to each quantity (delay when late; lead
    time where positive) of each group of ``by`` with at least ``min_shipments`` values, and of ``all``.

    Columns: ``group_by, group, quantity, distribution, n, params, mean_model, mean_data, q95_model,
    q95_data, ks_statistic, ks_pvalue, aic, best``. The Kolmogorov-Smirnov test is
    ``scipy.stats.kstest`` against the fitted cdf (days are whole numbers, so its p-value is only a
    guide); the empirical distribution is the sample itself (statistic 0, p-value 1, AIC NaN). ``best``
    marks the lowest AIC (``2k - 2 log L``, ``k = 2``) per group and quantity.
    """
    cfg = cfg or DistributionsConfig()
    label = pl.col(by).cast(pl.String).fill_null(MISSING).alias("group")
    pooled = frame.select(pl.lit(ALL).alias("group"), *[e.implode().alias(k) for k, e in QUANTITIES.items()])
    lists = (pl.concat([frame.group_by(label).agg(**QUANTITIES), pooled], how="vertical_relaxed")
             .sort(pl.col("group") == ALL, "group"))
    rows = []
    for group, *samples in lists.iter_rows():
        for quantity, values in zip(QUANTITIES, samples, strict=True):
            x = np.asarray(values, dtype=float)
            if x.size < max(cfg.min_shipments, MIN_FIT):
                continue
            for name in cfg.fits:
                f = fit(x, name, group)
                ks = (0.0, 1.0) if f.frozen is None else stats.kstest(f.sample_values, f.frozen.cdf)[:2]
                rows.append({"group": group, "quantity": quantity, "distribution": str(f.name), "n": f.n,
                             "params": ", ".join(f"{k}={v:.3g}" for k, v in f.params.items() if k != "loc")
                             or f"{f.n} values",
                             "mean_model": f.mean(), "mean_data": float(x.mean()), "q95_model": float(f.ppf(0.95)),
                             "q95_data": float(np.quantile(x, 0.95)), "ks_statistic": float(ks[0]),
                             "ks_pvalue": float(ks[1]), "aic": 4.0 - 2.0 * f.loglik()})
    schema = {"group": pl.String, "quantity": pl.String, "distribution": pl.String, "n": pl.Int64,
              "params": pl.String, **dict.fromkeys(["mean_model", "mean_data", "q95_model", "q95_data",
                                                    "ks_statistic", "ks_pvalue", "aic"], pl.Float64)}
    aic = pl.col("aic").fill_nan(None)
    return pl.DataFrame(rows, schema=schema).select(
        pl.lit(by).alias("group_by"), pl.all(),
        (aic == aic.min().over("group", "quantity")).fill_null(False).alias("best"))


def lead_ratios(frame: pl.DataFrame, min_shipments: int) -> dict[str, np.ndarray]:
    """Observed ratios of actual to planned lead time (``lead_ratio``) per shipment mode, modes with
    fewer than ``min_shipments`` ratios left out; ``all`` holds every ratio (any mode or none)."""
    ratios = frame.select(s.MODE, s.LEAD_RATIO).filter(pl.col(s.LEAD_RATIO).is_not_null())
    by_mode = ratios.filter(pl.col(s.MODE).is_not_null() & (pl.len().over(s.MODE) >= min_shipments))
    out = {str(mode): part.get_column(s.LEAD_RATIO).to_numpy()
           for (mode,), part in sorted(by_mode.partition_by(s.MODE, as_dict=True).items())}
    out[ALL] = ratios.get_column(s.LEAD_RATIO).to_numpy()
    return out


def crossing_share(frame: pl.DataFrame) -> pl.DataFrame:
    """Per mode, the share of shipments (with a PO date) delivered strictly before a shipment of the
    same vendor, country and mode ordered on an earlier day: orders that crossed.

    Columns: ``mode, shipments, crossed, crossing_share``; ``all`` last. The latest delivery of the
    earlier orders is a running maximum of the delivered date over PO days within each group.
    """
    keys = [s.VENDOR, s.COUNTRY, s.MODE] if s.COUNTRY in frame.columns else [s.VENDOR, s.MODE]
    ordered = frame.filter(pl.col(s.PO_DATE).is_not_null()).select(*keys, s.PO_DATE, s.DELIVERED)
    # one row per group and PO day: orders placed on the same day do not count as earlier
    days = ordered.group_by(*keys, s.PO_DATE).agg(pl.col(s.DELIVERED).max().alias("__day_last"))
    days = days.with_columns(pl.col("__day_last").cum_max().shift(1).over(keys, order_by=s.PO_DATE)
                             .alias("__earlier_last"))
    marked = ordered.join(days, on=[*keys, s.PO_DATE], how="left", nulls_equal=True).with_columns(
        (pl.col(s.DELIVERED) < pl.col("__earlier_last")).fill_null(False).alias("crossed"),
        pl.col(s.MODE).fill_null(MISSING))
    aggs = [pl.len().cast(pl.Int64).alias("shipments"), pl.col("crossed").sum().cast(pl.Int64).alias("crossed")]
    table = pl.concat([marked.group_by(s.MODE).agg(aggs).sort("shipments", s.MODE, descending=[True, False]),
                       marked.select(pl.lit(ALL).alias(s.MODE), *aggs)])
    return table.with_columns((pl.col("crossed") / pl.col("shipments")).alias("crossing_share"))
