"""The season's demand: exact expected sales against integrals, sampling and closed forms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from workbench.games.newsvendor import (
    Economics,
    SeasonDemand,
    chain_profit,
    integrated,
    newsvendor_quantity,
)


def samples(seed=0, n=300):
    # rounded gamma season totals: ties, as in the data's integer demand
    return np.round(np.random.default_rng(seed).gamma(4.0, 25.0, n))


def test_piecewise_linear_cdf_is_continuous_increasing_and_numpys_quantile_without_ties():
    x = np.random.default_rng(1).gamma(4.0, 25.0, 200)
    d = SeasonDemand.from_samples(x)
    u = np.linspace(0, 1, 101)
    assert np.allclose(d.ppf(u), np.quantile(x, u), atol=1e-9)
    assert np.allclose(d.cdf(d.ppf(u)), u, atol=1e-12)
    tied = SeasonDemand.from_samples(samples())
    assert (np.diff(tied.levels) > 0).all() and tied.levels[0] == 0 and tied.levels[-1] == 1
    assert tied.cdf(tied.knots[0] - 1) == 0 and tied.cdf(tied.knots[-1] + 1) == 1


def test_piecewise_linear_expected_sales_match_quadrature_and_monte_carlo():
    d = SeasonDemand.from_samples(samples())
    q = np.linspace(0, d.knots[-1] * 1.1, 37)
    # the exact quadratics against a numerical integral of 1 - F over the knots
    numeric = [integrate.quad(lambda x: 1 - d.cdf(x), 0, qq, points=d.knots[d.knots < qq], limit=2000)[0]
               for qq in q]
    assert np.allclose(d.expected_sales(q), numeric, atol=1e-9)
    # and against draws of D by inversion
    draws = d.ppf(np.random.default_rng(2).uniform(size=400_000))
    mc = np.minimum(q[:, None], draws[None, :]).mean(axis=1)
    se = np.minimum(q[:, None], draws[None, :]).std(axis=1) / np.sqrt(draws.size)
    assert (np.abs(d.expected_sales(q) - mc) <= 4 * se + 1e-9).all()
    assert d.mean == pytest.approx(draws.mean(), abs=4 * draws.std() / np.sqrt(draws.size))
    assert d.sd == pytest.approx(draws.std(), rel=0.01)
    assert d.expected_sales(d.knots[-1] + 5) == pytest.approx(d.mean, abs=1e-12)
    assert d.expected_lost(0.0) == pytest.approx(d.mean)
    assert np.allclose(d.expected_leftover(q), q - d.expected_sales(q))


def test_uniform_and_normal_against_closed_forms():
    u = SeasonDemand.from_scipy(stats.uniform(0, 1))
    q = np.linspace(0, 1.5, 16)
    assert np.allclose(u.expected_sales(q), np.where(q < 1, q - q**2 / 2, 0.5), atol=1e-12)
    mu, sigma = 100.0, 30.0
    n = SeasonDemand.from_scipy(stats.norm(mu, sigma))
    q = np.array([40.0, 100.0, 160.0])
    z = (q - mu) / sigma
    loss = stats.norm.pdf(z) - z * stats.norm.sf(z)  # the standard normal loss function L(z)
    assert np.allclose(n.expected_lost(q), sigma * loss, atol=1e-10)
    assert np.allclose(n.expected_sales(q), [stats.norm(mu, sigma).expect(lambda x, qq=qq: min(x, qq)) for qq in q],
                       atol=1e-6)
    assert n.expected_sales(100.0) == pytest.approx(mu - sigma * stats.norm.pdf(0.0))


def test_other_scipy_distributions_integrate_to_1e_10():
    g = stats.gamma(3.0, scale=20.0)
    d = SeasonDemand.from_scipy(g)
    q = np.array([[80.0, 0.0], [10.0, 300.0]])
    expect = np.array([[g.expect(lambda x, qq=qq: np.minimum(x, qq)) for qq in row] for row in q])
    assert np.allclose(d.expected_sales(q), expect, atol=1e-7)
    assert d.expected_sales_above(80.0, 50.0) == pytest.approx(d.expected_sales(80.0) - d.expected_sales(50.0))
    assert d.expected_sales_above(40.0, 50.0) == 0.0


def test_sales_above_a_threshold_by_monte_carlo():
    d = SeasonDemand.from_samples(samples())
    draws = d.ppf(np.random.default_rng(3).uniform(size=400_000))
    q, t = 120.0, 80.0
    mc = np.maximum(np.minimum(q, draws) - t, 0)
    assert d.expected_sales_above(q, t) == pytest.approx(mc.mean(), abs=4 * mc.std() / np.sqrt(mc.size))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 60))
def test_expected_sales_are_increasing_concave_and_bounded(seed, n):
    x = np.random.default_rng(seed).integers(0, 50, n).astype(float)
    x[0], x[1] = 3.0, 40.0  # at least two distinct values, one positive
    d = SeasonDemand.from_samples(x)
    q = np.linspace(0, 60, 241)
    s = d.expected_sales(q)
    assert (np.diff(s) >= -1e-12).all() and (np.diff(s, 2) <= 1e-9).all()
    assert (s <= np.minimum(q, d.mean) + 1e-9).all()


@pytest.mark.parametrize(("bad", "message"), [
    (np.array([3.0, -1.0, 4.0]), "non-negative"),
    (np.array([3.0, np.nan]), "NaN"),
    (np.zeros(5), "every sample is zero"),
    (np.full(4, 7.0), "two or more distinct"),
])
def test_bad_samples_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        SeasonDemand.from_samples(bad)


def test_scipy_demand_below_zero_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        SeasonDemand.from_scipy(stats.norm(10, 10))
    with pytest.raises(ValueError, match="non-negative"):
        SeasonDemand.from_scipy(stats.uniform(-1, 2))
    with pytest.raises(ValueError, match="frozen scipy.stats"):
        SeasonDemand.from_scipy(stats.norm)


def test_economics_are_validated_with_every_value_named():
    with pytest.raises(ValueError, match=r"salvage v \(1\) < unit cost c \(6\) < retail price p \(5\)"):
        Economics(price=5.0, cost=6.0, salvage=1.0)
    with pytest.raises(ValueError, match="salvage"):
        Economics(price=5.0, cost=2.0, salvage=2.0)


def test_newsvendor_golden_instance_and_integrated_optimum():
    # stockpyl's instance: N(50, 8), holding 0.18, stockout 0.70 gives S = 56.60
    assert float(newsvendor_quantity(SeasonDemand.from_scipy(stats.norm(50, 8)), 0.70, 0.18)) == pytest.approx(
        56.6040, abs=1e-4)
    assert newsvendor_quantity(SeasonDemand.from_scipy(stats.uniform(0, 1)), 0.0, 1.0) == 0.0
    d = SeasonDemand.from_scipy(stats.uniform(0, 1))
    econ = Economics(1.0, 0.4, 0.1)
    q0, profit0 = integrated(d, econ)
    assert q0 == pytest.approx((1.0 - 0.4) / (1.0 - 0.1), abs=1e-12)
    grid = np.linspace(0, 1, 100_001)
    assert profit0 == pytest.approx(chain_profit(grid, d, econ).max(), abs=1e-10)
