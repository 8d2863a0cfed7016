"""Lead times that vary: per-order draws, crossing, outages in the simulator, and levels that
account for lead-time variability against their closed forms."""

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm

from workbench.inventory import (
    POLICIES,
    Costs,
    Cube,
    LevelInputs,
    OrderUpToPolicy,
    PlanPolicy,
    make_policies,
    normal_level,
    safety_stock,
    simulate,
)
from workbench.inventory.policies import lead_time_demand_sd
from workbench.risk.distributions import fit
from workbench.risk.leadtime import LeadTimes

LEVELS = np.array([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
MU = np.array([10.0, 40.0, 3.0])
SIGMA = np.array([3.0, 8.0, 2.0])
H = 21
COSTS = Costs(holding=np.full(3, 0.1), ordering=np.full(3, 5.0), shortage=np.full(3, 2.0))


def flat(correlation: float = 0.0) -> LevelInputs:
    mean = np.repeat(MU[:, None], H, axis=1)
    values = mean[..., None] + SIGMA[:, None, None] * norm.ppf(LEVELS)
    return LevelInputs(cube=Cube(mean=mean, values=values, levels=LEVELS), lead=np.array([4, 2, 1]), review=7,
                       holding=np.array([0.1, 0.05, 0.2]), order_cost=np.array([50.0, 80.0, 5.0]),
                       shortage=np.array([5.0, 3.0, 1.0]), target=np.array([0.95, 0.9, 0.75]),
                       correlation=correlation)


def varying(x: LevelInputs, samples: np.ndarray) -> LevelInputs:
    return replace(x, lead_samples=samples, lead_mean=samples.mean(axis=1), lead_sd=samples.std(axis=1), seed=3)


def demand(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).poisson(MU[:, None], size=(3, H)).astype(float)


def test_textbook_safety_stock_with_variable_lead_time():
    # demand N(100, 20) per day, lead time N(10, 2) days: sigma_LTD = sqrt(10 * 20^2 + 100^2 * 2^2)
    assert float(lead_time_demand_sd(20 * np.sqrt(10), 100, 2)) == pytest.approx(np.sqrt(44_000), rel=1e-12)
    assert float(safety_stock(0.95, 20, 10, demand_mean=100, lead_time_sd=2)) == pytest.approx(
        norm.ppf(0.95) * np.sqrt(44_000), rel=1e-12)
    # no lead-time variance: the fixed-lead-time formula
    assert float(safety_stock(0.95, 20, 10, 100, 0.0)) == pytest.approx(norm.ppf(0.95) * 20 * np.sqrt(10))


def test_normal_reorder_level_adds_the_lead_time_variance():
    """Flat forecasts, independent days: s = mu_d mu_L + z sqrt(mu_L sigma_d^2 + mu_d^2 sigma_L^2)."""
    x = flat(correlation=0.0)
    samples = np.array([[3, 5] * 50, [2, 2] * 50, [1, 3] * 50])  # means 4, 2, 2; sds 1, 0, 1
    xv = varying(x, samples)
    (policy,) = make_policies(["sS_normal"])
    s = policy.levels(xv)["s"]
    mu_l, sd_l = samples.mean(axis=1), samples.std(axis=1)
    sd = np.sqrt(mu_l * SIGMA**2 + MU**2 * sd_l**2)
    assert s == pytest.approx(np.repeat(normal_level(MU * mu_l, sd, x.target)[:, None], H, axis=1), rel=1e-9)
    # the second series has no lead-time variance: its level is the fixed-lead-time one
    assert s[1] == pytest.approx(policy.levels(x)["s"][1], rel=1e-12)


def test_simulated_lead_time_demand_quantile_matches_the_fixed_one_without_variance():
    """With every drawn lead time the nominal one and fully correlated days, the simulated
    quantile of lead-time demand is the sum of the days' quantiles (up to sampling)."""
    x = flat(correlation=1.0)
    samples = np.repeat(x.lead[:, None], 4000, axis=1)
    xv = varying(x, samples)
    for name in ("rQ_quantile", "RS_quantile", "base_stock"):
        (policy,) = make_policies([name])
        key = "r" if name == "rQ_quantile" else "S"
        assert policy.levels(xv)[key] == pytest.approx(policy.levels(x)[key], rel=0.02), name


def test_variable_lead_times_raise_the_quantile_levels():
    x = flat(correlation=0.0)
    rng = np.random.default_rng(1)
    samples = np.maximum(1, np.rint(x.lead[:, None] * rng.choice([1.0, 1.0, 1.0, 2.0], size=(3, 2000))))
    xv = varying(x, samples.astype(int))
    for name in ("rQ_quantile", "RS_quantile"):
        (policy,) = make_policies([name])
        key = "r" if name == "rQ_quantile" else "S"
        assert np.all(policy.levels(xv)[key] > policy.levels(x)[key]), name


def test_zero_lead_time_variance_equals_the_deterministic_simulation_exactly():
    d, lead = demand(), np.array([4, 2, 1])
    fixed_model = LeadTimes(lead, np.full(3, "Truck", dtype=object), {"Truck": fit(np.array([1.0]), "empirical")},
                            np.ones(3, dtype=bool), seed=5)
    draws = fixed_model.draws(H)
    assert (draws == lead[:, None]).all()
    x = flat()
    for policy in make_policies(list(POLICIES)):
        rule = policy.rule(policy.levels(x), x)
        a = simulate(d, MU * 5, lead, rule, COSTS)
        for crossing in (True, False):
            b = simulate(d, MU * 5, lead, rule, COSTS, lead_draws=draws, crossing=crossing)
            assert a.summary() == b.summary()
            np.testing.assert_array_equal(a.stock_path, b.stock_path)


def test_orders_cross_only_where_allowed():
    d = np.zeros((1, 8))
    plan = PlanPolicy(np.array([[5.0, 3.0, 0, 0, 0, 0, 0, 0]]))
    draws = np.array([[5, 1, 1, 1, 1, 1, 1, 1]])
    cross = simulate(d, np.zeros(1), np.array([1]), plan, Costs(np.zeros(1), np.zeros(1), np.zeros(1)),
                     lead_draws=draws, crossing=True)
    keep = simulate(d, np.zeros(1), np.array([1]), plan, Costs(np.zeros(1), np.zeros(1), np.zeros(1)),
                    lead_draws=draws, crossing=False)
    # the second order (placed in period 1, one period) arrives in period 2 when it may overtake,
    # with the first (period 5) when it may not
    assert cross.stock_path[0].tolist() == [0, 0, 3, 3, 3, 8, 8, 8]
    assert keep.stock_path[0].tolist() == [0, 0, 0, 0, 0, 8, 8, 8]


def test_an_outage_holds_arrivals_until_it_ends():
    d = np.zeros((2, 10))
    plan = PlanPolicy(np.array([[4.0] + [0.0] * 9, [4.0] + [0.0] * 9]))
    outage = np.zeros((2, 10), dtype=bool)
    outage[0, 1:6] = True  # the first item's supplier delivers nothing in periods 1..5
    costs = Costs(np.zeros(2), np.zeros(2), np.zeros(2))
    r = simulate(d, np.zeros(2), np.array([2, 2]), plan, costs, outage=outage)
    assert r.stock_path[0].tolist() == [0] * 6 + [4] * 4
    assert r.stock_path[1].tolist() == [0, 0] + [4] * 8


def test_outage_costs_service_against_a_base_stock_policy():
    d = np.full((1, 30), 5.0)
    rule = OrderUpToPolicy(np.array([15.0]), review=1)
    costs = Costs(np.full(1, 0.1), np.zeros(1), np.full(1, 1.0))
    base = simulate(d, np.array([15.0]), np.array([2]), rule, costs)
    outage = np.zeros((1, 30), dtype=bool)
    outage[0, 10:17] = True
    hit = simulate(d, np.array([15.0]), np.array([2]), rule, costs, outage=outage)
    assert base.lost.sum() == 0
    assert hit.lost.sum() > 20  # a week without deliveries empties a 3-day stock
    assert hit.total_cost.sum() > base.total_cost.sum()


def test_bad_lead_draws_are_refused():
    d = demand()
    rule = OrderUpToPolicy(np.full(3, 10.0))
    with pytest.raises(ValueError, match="lead_draws has shape"):
        simulate(d, np.zeros(3), np.array([1, 1, 1]), rule, COSTS, lead_draws=np.ones((3, 2), dtype=int))
    with pytest.raises(ValueError, match="whole periods >= 1"):
        simulate(d, np.zeros(3), np.array([1, 1, 1]), rule, COSTS, lead_draws=np.zeros((3, H), dtype=int))
