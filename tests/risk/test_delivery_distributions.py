"""Delivery statistics, distribution fits, lead ratios and order crossing on hand-made shipments."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from scipy import stats

from workbench.config.risk import Distribution, DistributionsConfig
from workbench.risk import schema as s
from workbench.risk.distributions import (
    crossing_share,
    delivery_stats,
    fit,
    goodness_of_fit,
    lead_ratios,
)


def shipments(mode: list[str | None], delay: list[int], lead: list[int | None] | None = None) -> pl.DataFrame:
    return pl.DataFrame({s.MODE: mode, s.DELAY: delay, s.LEAD_TIME: lead or [None] * len(mode)},
                        schema={s.MODE: pl.String, s.DELAY: pl.Int64, s.LEAD_TIME: pl.Int64}).with_columns(
        (pl.col(s.DELAY) > 0).alias(s.LATE))


def test_lognorm_and_gamma_recover_their_parameters():
    rng = np.random.default_rng(7)
    ln = fit(stats.lognorm(s=0.5, scale=20).rvs(size=5000, random_state=rng), Distribution.lognorm)
    assert ln.params["s"] == pytest.approx(0.5, rel=0.03) and ln.params["scale"] == pytest.approx(20, rel=0.03)
    assert ln.params["loc"] == 0 and ln.n == 5000
    ga = fit(stats.gamma(a=2, scale=10).rvs(size=5000, random_state=rng), "gamma")
    assert ga.params["a"] == pytest.approx(2, rel=0.06) and ga.params["scale"] == pytest.approx(10, rel=0.06)
    assert ga.mean() == pytest.approx(ga.params["a"] * ga.params["scale"])
    assert ga.sd() == pytest.approx(np.sqrt(ga.params["a"]) * ga.params["scale"])
    draws = ga.sample(np.random.default_rng(1), 20_000)
    assert draws.shape == (20_000,) and draws.min() > 0 and draws.mean() == pytest.approx(ga.mean(), rel=0.03)
    assert float(ga.ppf(0.5)) == pytest.approx(stats.gamma(a=2, scale=10).ppf(0.5), rel=0.05)


def test_empirical_is_the_sample():
    x = np.random.default_rng(3).exponential(10.0, size=501)
    emp = fit(np.append(x, np.nan), "empirical")  # non-finite values are left out
    assert emp.n == 501 and emp.params == {} and np.isnan(emp.loglik())
    q = np.array([0.05, 0.5, 0.9, 0.95])
    np.testing.assert_allclose(emp.ppf(q), np.quantile(x, q))
    assert emp.mean() == pytest.approx(x.mean()) and emp.sd() == pytest.approx(x.std())
    assert np.isin(emp.sample(np.random.default_rng(0), 1000), x).all()


def test_too_few_positive_values_name_the_group():
    with pytest.raises(ValueError, match=r"4 positive values of group 'Ocean': a lognorm fit needs at least 5"):
        fit(np.array([0, -1, 3, 4, 5, 6]), "lognorm", "Ocean")


def test_delivery_stats_by_hand():
    frame = shipments(["A", "A", "A", "A", "B", "B", None], [0, 2, 4, -1, 0, 10, 3], [10, 20, None, 30, 5, 5, None])
    cfg = DistributionsConfig(min_shipments=3, quantiles=[0.5, 0.9])
    t = delivery_stats(frame, s.MODE, cfg)
    assert t["group"].to_list() == ["A", "other", "(missing)", "all"] and set(t["group_by"]) == {s.MODE}
    a = t.row(0, named=True)
    assert (a["shipments"], a["on_time_rate"], a["late_share"], a["early_share"], a["exact_share"]) == (
        4, 0.5, 0.5, 0.25, 0.25)
    assert a["delay_when_late_mean"] == 3 and a["delay_when_late_q50"] == 3
    assert a["delay_when_late_q90"] == pytest.approx(3.8)
    assert (a["lead_time_n"], a["lead_time_mean"], a["lead_time_median"]) == (3, 20, 20)
    assert a["lead_time_sd"] == pytest.approx(10) and a["lead_time_q90"] == pytest.approx(28)
    other, missing, every = (t.row(i, named=True) for i in (1, 2, 3))
    assert (other["shipments"], other["late_share"], other["exact_share"], other["delay_when_late_mean"]) == (
        2, 0.5, 0.5, 10)
    assert missing["late_share"] == 1 and missing["lead_time_n"] == 0 and missing["lead_time_mean"] is None
    assert every["shipments"] == 7 and every["late_share"] == pytest.approx(4 / 7)
    assert every["delay_when_late_mean"] == pytest.approx((2 + 4 + 10 + 3) / 4)


def test_goodness_of_fit_prefers_the_true_family():
    rng = np.random.default_rng(11)
    n = 3000
    delay = np.ceil(stats.gamma(a=2, scale=10).rvs(size=n, random_state=rng)).astype(int)
    lead = np.round(stats.lognorm(s=0.4, scale=100).rvs(size=n, random_state=rng)).astype(int)
    frame = shipments(["Air"] * n, delay.tolist(), lead.tolist())
    t = goodness_of_fit(frame, s.MODE, DistributionsConfig(min_shipments=30))
    assert set(t["group"]) == {"Air", "all"} and t.height == 2 * 2 * 3
    best = t.filter(pl.col("best") & (pl.col("group") == "Air"))
    assert dict(best.select("quantity", "distribution").iter_rows()) == {"delay when late": "gamma",
                                                                         "lead time": "lognorm"}
    emp = t.filter(pl.col("distribution") == "empirical").row(0, named=True)
    assert emp["ks_statistic"] == 0 and np.isnan(emp["aic"]) and not emp["best"]
    ln = t.filter((pl.col("quantity") == "lead time") & (pl.col("distribution") == "lognorm")).row(0, named=True)
    assert ln["q95_model"] == pytest.approx(ln["q95_data"], rel=0.05) and ln["ks_pvalue"] > 0.001
    assert ln["params"].startswith("s=0.4")
    small = goodness_of_fit(frame.head(20), s.MODE, DistributionsConfig(min_shipments=30))
    assert small.height == 0  # no group has enough data


def test_lead_ratios():
    frame = pl.DataFrame({s.MODE: ["Air"] * 4 + ["Ocean"] * 2 + [None],
                          s.LEAD_RATIO: [1.0, 1.5, None, 0.5, 2.0, 3.0, 1.2]})
    ratios = lead_ratios(frame, min_shipments=3)
    assert set(ratios) == {"Air", "all"}  # Ocean has 2 ratios, Air 3 (a null is no ratio)
    np.testing.assert_array_equal(ratios["Air"], [1.0, 1.5, 0.5])
    np.testing.assert_array_equal(np.sort(ratios["all"]), [0.5, 1.0, 1.2, 1.5, 2.0, 3.0])


def test_crossing_share():
    day = dt.date(2014, 1, 1)

    def d(n: int | None) -> dt.date | None:
        return None if n is None else day + dt.timedelta(days=n)

    rows = [  # vendor, country, mode, PO day, delivered day
        ("V", "K", "Air", 1, 10), ("V", "K", "Air", 2, 5),  # overtakes the first: crossed
        ("V", "K", "Air", 3, 12), ("V", "K", "Air", 3, 4),  # 4 < 10: crossed; 12 is not
        ("V", "K", "Air", 5, 20), ("V", "K", "Air", 5, 15),  # same PO day: not earlier; both after 12
        ("W", "K", "Air", 4, 1),  # another vendor: its own group
        ("V", "K", "Truck", 1, 9), ("V", "K", "Truck", 2, 8), ("V", "K", "Truck", None, 1),  # no PO: left out
    ]
    frame = pl.DataFrame([(v, c, m, d(p), d(x)) for v, c, m, p, x in rows], orient="row",
                         schema=[s.VENDOR, s.COUNTRY, s.MODE, s.PO_DATE, s.DELIVERED])
    t = {r[s.MODE]: r for r in crossing_share(frame).iter_rows(named=True)}
    assert (t["Air"]["shipments"], t["Air"]["crossed"], t["Air"]["crossing_share"]) == (7, 2, 2 / 7)
    assert (t["Truck"]["shipments"], t["Truck"]["crossed"]) == (2, 1)
    assert (t["all"]["shipments"], t["all"]["crossed"]) == (9, 3)
