"""Every registered policy against the closed forms it stands for: with flat forecasts whose
quantiles are those of a normal, its levels are exactly the textbook ones."""

import numpy as np
import pytest
from scipy.stats import norm

from workbench.inventory import (
    POLICIES,
    Costs,
    Cube,
    LevelInputs,
    cost_service_level,
    critical_fractile,
    eoq,
    make_policies,
    newsvendor_quantile,
    normal_level,
    reorder_order_up_to,
    simulate,
)

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
MU = np.array([10.0, 40.0, 3.0])  # demand per period
SIGMA = np.array([3.0, 8.0, 2.0])  # per period
H = 21


def flat(correlation: float = 0.0, target=(0.95, 0.9, 0.75), review: int = 7) -> LevelInputs:
    mean = np.repeat(MU[:, None], H, axis=1)
    values = mean[..., None] + SIGMA[:, None, None] * norm.ppf(LEVELS)
    return LevelInputs(cube=Cube(mean=mean, values=values, levels=LEVELS), lead=np.array([4, 2, 1]), review=review,
                       holding=np.array([0.1, 0.05, 0.2]), order_cost=np.array([50.0, 80.0, 5.0]),
                       shortage=np.array([5.0, 3.0, 1.0]), target=np.array(target), correlation=correlation)


def levels(name: str, x: LevelInputs) -> dict:
    (policy,) = make_policies([name])
    return policy.levels(x)


def every_day(per_series: np.ndarray) -> np.ndarray:
    return np.repeat(np.asarray(per_series, dtype=float)[:, None], H, axis=1)


def test_normal_reorder_is_the_textbook_s_S_rule():
    x = flat(correlation=0.0)
    lv = levels("sS_normal", x)
    s, S = reorder_order_up_to(MU, SIGMA, x.lead, x.target, x.order_cost, x.holding)
    assert lv["s"] == pytest.approx(every_day(s), rel=1e-9)
    assert lv["S"] == pytest.approx(every_day(S), rel=1e-9)
    # fully correlated days: sigma grows with L, not sqrt(L)
    lv1 = levels("sS_normal", flat(correlation=1.0))
    assert lv1["s"] == pytest.approx(every_day(normal_level(MU * x.lead, SIGMA * x.lead, x.target)), rel=1e-9)


def test_quantile_order_up_to_covers_review_plus_lead_minus_one():
    x = flat()
    cover = x.lead + x.review - 1
    expected = normal_level(MU * cover, SIGMA * cover, x.target)  # targets sit on quantile levels
    assert levels("RS_quantile", x)["S"] == pytest.approx(every_day(expected), rel=1e-9)


def test_quantile_reorder_point_and_eoq_batch():
    x = flat()
    lv = levels("rQ_quantile", x)
    assert lv["r"] == pytest.approx(every_day(normal_level(MU * x.lead, SIGMA * x.lead, x.target)), rel=1e-9)
    q, _ = eoq(x.order_cost, x.holding, MU)
    assert lv["Q"] == pytest.approx(every_day(q), rel=1e-12)


def test_newsvendor_order_up_to_at_the_cost_optimal_service():
    x = flat()
    lv = levels("RS_newsvendor", x)
    service = np.clip(cost_service_level(x.holding, x.shortage, x.review), LEVELS[0], LEVELS[-1])
    assert lv["service"] == pytest.approx(service)
    assert service.tolist() == pytest.approx([0.86, 1 - 0.05 * 7 / 3, 0.05])  # 1 - hR/p, the last held at q05
    # the quantile at a level between two given ones is interpolated linearly between them
    lo = np.searchsorted(LEVELS, service[0]) - 1
    w = (service[0] - LEVELS[lo]) / (LEVELS[lo + 1] - LEVELS[lo])
    daily = MU[0] + SIGMA[0] * ((1 - w) * norm.ppf(LEVELS[lo]) + w * norm.ppf(LEVELS[lo + 1]))
    assert lv["S"][0] == pytest.approx(np.full(H, daily * (x.lead[0] + x.review - 1)), rel=1e-9)


def test_base_stock_at_the_critical_fractile():
    x = flat()
    lv = levels("base_stock", x)
    fractile = critical_fractile(x.holding, x.shortage)  # p / (p + h): 0.980, 0.984, 0.833
    assert lv["service"] == pytest.approx(np.clip(fractile, LEVELS[0], LEVELS[-1]))
    expected = newsvendor_quantile(LEVELS, x.cube.values[:, 0, :], x.holding, x.shortage) * x.lead
    assert lv["S"] == pytest.approx(every_day(expected), rel=1e-9)


@pytest.mark.parametrize("name", list(POLICIES))
def test_every_registered_policy_runs_in_the_simulator(name):
    """The registry's contract: levels per series and day, a rule the simulator runs, and
    per-series parameters."""
    x = flat(review=3)
    (policy,) = make_policies([name])
    lv = policy.levels(x)
    assert policy.name == name and policy.label
    params = policy.parameters(lv)
    assert params and all(np.asarray(v).shape == (3,) and np.isfinite(v).all() for v in params.values())
    demand = np.random.default_rng(0).poisson(every_day(MU)).astype(float)
    sim = simulate(demand, every_day(MU)[:, 0] * 3, x.lead, policy.rule(lv, x),
                   Costs(holding=x.holding, ordering=x.order_cost, shortage=x.shortage))
    summary = sim.summary()
    assert summary["orders"] > 0 and 0.5 < summary["fill_rate"] <= 1.0 and np.isfinite(summary["total_cost"])
