import numpy as np
import pytest
from scipy.stats import norm

from workbench.inventory import (
    eoq,
    newsvendor_normal,
    newsvendor_quantile,
    reorder_point,
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
