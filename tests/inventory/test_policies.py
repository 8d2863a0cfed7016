import numpy as np
import pytest
from scipy.stats import norm

from workbench.inventory import (
    cost_service_level,
    eoq,
    newsvendor_normal,
    newsvendor_quantile,
    order_up_to_level,
    quantile_at,
    reorder_order_up_to,
    reorder_point,
    reorder_quantity,
    safety_stock,
)


def test_eoq_golden_instance():
    # stockpyl / Snyder & Shen example: K=8, h=0.225, D=1300
    q, cost = eoq(8, 0.225, 1300)
    assert q == pytest.approx(304.05, abs=0.01)
    assert cost == pytest.approx(68.41, abs=0.01)


def test_eoq_vectorised_and_refuses_zero_holding():
    q, _ = eoq(np.array([8.0, 32.0]), 0.225, 1300)
    assert q[1] == pytest.approx(2 * q[0])
    with pytest.raises(ValueError, match="holding_cost"):
        eoq(8, 0.0, 1300)


def test_newsvendor_golden_instance():
    # N(50, 8), h=0.18, p=0.70
    s, cost = newsvendor_normal(0.18, 0.70, 50, 8)
    assert s == pytest.approx(56.60, abs=0.01)
    assert cost == pytest.approx(1.9976, abs=1e-4)


def test_newsvendor_from_quantiles_matches_normal_case():
    levels = np.linspace(0.01, 0.99, 99)
    quantiles = norm.ppf(levels, loc=50, scale=8)
    s = newsvendor_quantile(levels, quantiles, holding_cost=0.18, stockout_cost=0.70)
    assert s == pytest.approx(56.60, abs=0.05)


def test_safety_stock_with_lead_time_variability():
    ss = safety_stock(0.95, demand_sd=10, lead_time=4, demand_mean=20, lead_time_sd=1)
    assert ss == pytest.approx(norm.ppf(0.95) * np.sqrt(4 * 100 + 400 * 1))
    assert reorder_point(20, 4, ss) == pytest.approx(80 + ss)


def test_quantile_at_matches_interp_row_by_row():
    rng = np.random.default_rng(0)
    levels = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    values = np.sort(rng.gamma(2.0, 5.0, (30, 7, 5)), axis=-1)
    at = rng.uniform(0.0, 1.0, (30, 7))
    got = quantile_at(levels, values, at)
    want = np.array([[np.interp(a, levels, v) for a, v in zip(ra, rv, strict=True)] for ra, rv in zip(at, values, strict=True)])
    assert np.allclose(got, want)
    assert quantile_at([0.5], [[3.0], [4.0]], 0.9).tolist() == [3.0, 4.0]  # one level: that quantile


def test_periodic_and_continuous_review_levels():
    # (R, S): cover R + L = 9 periods of N(10, 3^2) at 95%
    S = order_up_to_level(10, 3, review=7, lead_time=2, service_level=0.95)
    assert S == pytest.approx(90 + norm.ppf(0.95) * 3 * 3)
    r, Q = reorder_quantity(10, 3, 4, 0.95, order_cost=50, holding_cost=0.1)
    assert r == pytest.approx(40 + norm.ppf(0.95) * 3 * 2) and Q == pytest.approx(100.0)
    s, S = reorder_order_up_to(10, 3, 4, 0.95, order_cost=50, holding_cost=0.1)
    assert S - s == pytest.approx(Q)
    # the cost-optimal service level rises with the shortage cost and falls with the review period
    assert cost_service_level(0.01, 2.0, 7) == pytest.approx(0.965)
    assert cost_service_level(0.01, 4.0, 7) > cost_service_level(0.01, 2.0, 7) > cost_service_level(0.01, 2.0, 14)
