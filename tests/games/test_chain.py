"""Double marginalisation in a serial chain with linear demand: closed forms and a brute-force
backward induction."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from workbench.games.chain import (
    coordinated_chain,
    efficiency,
    efficiency_by_tiers,
    integrated_chain,
    linear_demand_from,
    serial_chain,
)


@settings(max_examples=30, deadline=None)
@given(st.floats(2.0, 100.0), st.floats(0.0, 0.95))
def test_two_tiers_manufacturer_leads(a, cost_share):
    # p = a - q, the manufacturer makes at c and leads; the retailer has no cost of its own
    c = cost_share * a
    tiers = serial_chain(a, 1.0, [c, 0.0], ["manufacturer", "retailer"])
    w = tiers["price"][0]
    assert w == pytest.approx((a + c) / 2, rel=1e-9)
    assert tiers["quantity"][0] == pytest.approx((a - c) / 4, rel=1e-9)
    assert tiers["price"][1] == pytest.approx(a - (a - c) / 4, rel=1e-9)
    assert tiers["input_price"][1] == tiers["price"][0]
    assert tiers["profit"].sum() / integrated_chain(a, 1.0, c).profit == pytest.approx(0.75, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 7), st.floats(0.5, 3.0), st.integers(0, 1000))
def test_n_tiers_halve_the_quantity_whatever_the_cost_split(n, b, seed):
    a, total = 100.0, 40.0
    costs = total * np.random.default_rng(seed).dirichlet(np.ones(n))
    tiers = serial_chain(a, b, costs)
    q = (a - total) / (b * 2**n)
    assert tiers["quantity"][0] == pytest.approx(q, rel=1e-12)
    assert tiers["profit"].sum() / integrated_chain(a, b, total).profit == pytest.approx(efficiency(n), abs=1e-12)
    assert np.allclose(tiers["margin"], b * 2.0 ** (n - 1 - np.arange(n)) * q)  # upstream margins are larger
    assert np.allclose(tiers["price"] - tiers["input_price"] - tiers["own_cost"], tiers["margin"])
    assert tiers["price"][-1] == pytest.approx(a - b * q)


def test_efficiency_by_tiers_is_the_closed_form():
    table = efficiency_by_tiers(100.0, 2.0, 40.0, 6)
    n = np.arange(1, 7)
    assert table["n_tiers"].to_list() == n.tolist()
    assert np.allclose(table["quantity"], 60.0 / (2.0 * 2.0**n), rtol=1e-12)
    assert np.allclose(table["quantity"][:-1] / table["quantity"][1:], 2.0)
    assert np.allclose(table["efficiency"], 4 * (2.0**n - 1) / 4.0**n, atol=1e-12)
    assert table["efficiency"][1] == pytest.approx(0.75, abs=1e-12)
    assert np.allclose(table["chain_profit"] / table["integrated_profit"], table["efficiency"])
    with pytest.raises(ValueError, match="games.chain.max_tiers=0"):
        efficiency_by_tiers(100.0, 2.0, 40.0, 0)


def test_backward_induction_by_brute_force_with_three_tiers():
    a, b, costs = 50.0, 0.5, np.array([6.0, 4.0, 2.0])

    def retailer_q(w2):  # the retailer's best order at input price w2
        return max((a - costs[2] - w2) / (2 * b), 0.0)

    def distributor_profit(w2, w1):
        return (w2 - w1 - costs[1]) * retailer_q(w2)

    def distributor_price(w1):
        return optimize.minimize_scalar(lambda w2: -distributor_profit(w2, w1), bounds=(w1, a),
                                        method="bounded", options={"xatol": 1e-10}).x

    def supplier_profit(w1):
        return (w1 - costs[0]) * retailer_q(distributor_price(w1))

    w1 = optimize.minimize_scalar(lambda w: -supplier_profit(w), bounds=(costs[0], a), method="bounded",
                                  options={"xatol": 1e-10}).x
    tiers = serial_chain(a, b, costs)
    assert tiers["price"][0] == pytest.approx(w1, abs=1e-5)
    assert tiers["price"][1] == pytest.approx(distributor_price(w1), abs=1e-5)
    assert tiers["quantity"][0] == pytest.approx(retailer_q(distributor_price(w1)), abs=1e-5)


@pytest.mark.parametrize("contract", ["two_part_tariff", "revenue_sharing"])
def test_coordinated_chain_restores_the_integrated_outcome(contract):
    a, b, costs = 100.0, 1.0, [40.0, 30.0, 20.0, 5.0]
    names = ["supplier", "manufacturer", "distributor", "retailer"]
    best = integrated_chain(a, b, sum(costs))
    table = coordinated_chain(a, b, costs, names, contract=contract)
    assert table["tier"].to_list() == names
    assert np.allclose(table["quantity"], best.quantity)
    assert np.allclose(table["efficiency"], 1.0, atol=1e-12)
    assert table["profit"].sum() == pytest.approx(best.profit, rel=1e-12)
    # by default each tier gets its uncoordinated share, so every tier gains by 1 / efficiency
    serial = serial_chain(a, b, costs, names)
    assert np.allclose(table["profit"] / serial["profit"], 1 / efficiency(4))
    shares = np.array([0.1, 0.2, 0.3, 0.4])
    split = coordinated_chain(a, b, costs, names, contract=contract, shares=shares)
    assert np.allclose(split["profit"], shares * best.profit)
    # the retailer, facing its input price, orders the integrated quantity itself
    w = split["input_price"][-1]
    if contract == "two_part_tariff":
        assert (a - costs[-1] - w) / (2 * b) == pytest.approx(best.quantity)
    else:  # it keeps s_n of revenue: max s_n (a - b q) q - (w + c_n) q
        s_n = shares[-1]
        assert (s_n * a - costs[-1] - w) / (2 * s_n * b) == pytest.approx(best.quantity)


def test_linear_demand_from_the_observed_point():
    a, b = linear_demand_from(8.0, 120.0, elasticity=-2.0)
    assert a - b * 120.0 == pytest.approx(8.0)
    assert -(1 / b) * (8.0 / 120.0) == pytest.approx(-2.0)  # the point elasticity
    assert a == pytest.approx(12.0)
    with pytest.raises(ValueError, match="not above the chain's unit cost"):
        linear_demand_from(8.0, 120.0, elasticity=-3.0, total_cost=13.0)
    assert linear_demand_from(8.0, 120.0, elasticity=-1.0, total_cost=13.0)[0] == pytest.approx(16.0)
    with pytest.raises(ValueError, match="negative price elasticity"):
        linear_demand_from(8.0, 120.0, elasticity=0.5)


def test_bad_chains_are_refused():
    with pytest.raises(ValueError, match="not above the chain's unit cost"):
        serial_chain(10.0, 1.0, [6.0, 5.0])
    with pytest.raises(ValueError, match="b > 0"):
        serial_chain(10.0, 0.0, [1.0])
    with pytest.raises(ValueError, match="games.chain.tiers"):
        serial_chain(10.0, 1.0, [1.0, 2.0], ["only one"])
    with pytest.raises(ValueError, match="games.chain.cost_shares"):
        serial_chain(10.0, 1.0, [-1.0, 2.0])
    with pytest.raises(ValueError, match="summing to 1"):
        coordinated_chain(10.0, 1.0, [1.0, 2.0], shares=[0.5, 0.6])
    with pytest.raises(ValueError, match="contract='options'"):
        coordinated_chain(10.0, 1.0, [1.0, 2.0], contract="options")
