"""Supplier-retailer contracts: one contract test over every registered contract, Cachon's closed
forms, and the tables."""

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from workbench.games.contracts import (
    CONTRACTS,
    Buyback,
    QuantityDiscount,
    RevenueSharing,
    SalesRebate,
    TwoPartTariff,
    WholesalePrice,
    contract_table,
    evaluate,
    frontier,
    reservation_profit,
)
from workbench.games.newsvendor import Economics, SeasonDemand, chain_profit, integrated

CASES = {
    "uniform": (SeasonDemand.from_scipy(stats.uniform(0, 1)), Economics(1.0, 0.3, 0.0)),
    "normal": (SeasonDemand.from_scipy(stats.norm(100, 30)), Economics(10.0, 6.0, 1.8)),
    "empirical": (SeasonDemand.from_samples(np.round(np.random.default_rng(0).gamma(4.0, 25.0, 400))),
                  Economics(10.0, 7.0, 2.1)),
}


def scale(demand, econ):
    return econ.price * demand.mean


def example_terms(name, demand, econ):
    """Coordinating terms at share 0.4 (the wholesale price: halfway from c to p), and the same
    terms with the first one raised by 5%, which coordinates nothing."""
    cls = CONTRACTS[name]
    base = cls.coordinating(econ, 0.4, demand) if cls.can_coordinate else cls(w=(econ.cost + econ.price) / 2)
    base = replace(base, **{k: float(v) for k, v in base.terms.items()})
    first = next(iter(base.terms))
    return [base, replace(base, **{first: base.terms[first] * 1.05})]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", list(CONTRACTS))
def test_every_contract(name, case):
    demand, econ = CASES[case]
    tol = 1e-9 * scale(demand, econ)
    profit0 = integrated(demand, econ)[1]
    grid = np.linspace(0, demand.upper, 20_001)
    for contract in example_terms(name, demand, econ):
        # the best response is the argmax of the retailer's profit (participation included)
        q = contract.best_response(demand, econ)
        best = max(contract.retailer_profit(grid, demand, econ).max(), 0.0)
        assert contract.retailer_profit(q, demand, econ) >= best - tol
        # profits add up to the chain's at any order
        qs = np.array([0.0, 0.5 * q, q, demand.upper])
        total = contract.retailer_profit(qs, demand, econ) + contract.supplier_profit(qs, demand, econ)
        assert np.allclose(total, chain_profit(qs, demand, econ), atol=tol)
        assert evaluate(contract, demand, econ).efficiency <= 1 + 1e-12
    cls = CONTRACTS[name]
    if cls.can_coordinate:
        for share in (0.0, 0.25, 0.4, 1.0):
            out = evaluate(cls.coordinating(econ, share, demand), demand, econ)
            assert out.efficiency == pytest.approx(1.0, abs=1e-6)
            assert out.retailer_profit == pytest.approx(share * profit0, abs=1e-6 * profit0)
    else:
        with pytest.raises(ValueError, match="cannot coordinate"):
            cls.coordinating(econ, 0.5, demand)
        assert evaluate(cls.coordinating(econ, 1.0, demand), demand, econ).efficiency == pytest.approx(1.0, abs=1e-9)
    # the supplier's leader terms leave the retailer its reservation, and the supplier no less than
    # under the wholesale price with the same reservation
    for reservation in (0.0, 0.2 * profit0):
        leader = cls.leader_terms(demand, econ, reservation)
        out = evaluate(leader, demand, econ)
        assert out.retailer_profit >= reservation - tol
        assert out.efficiency <= 1 + 1e-9
        plain = evaluate(WholesalePrice.leader_terms(demand, econ, reservation), demand, econ)
        assert out.supplier_profit >= plain.supplier_profit - tol
    assert out.name == name


@settings(max_examples=25, deadline=None)
@given(st.floats(0.0, 0.95))
def test_wholesale_price_on_uniform_demand_loses_a_quarter(c):
    # U[0,1], p = 1, v = 0: the retailer orders 1 - w, the supplier maximises (w - c)(1 - w)
    demand, econ = SeasonDemand.from_scipy(stats.uniform(0, 1)), Economics(1.0, max(c, 1e-3), 0.0)
    c = econ.cost
    leader = WholesalePrice.leader_terms(demand, econ)
    out = evaluate(leader, demand, econ)
    assert leader.w == pytest.approx((1 + c) / 2, abs=1e-6)
    assert out.quantity == pytest.approx((1 - c) / 2, abs=1e-6)
    assert out.efficiency == pytest.approx(0.75, abs=1e-6)  # first order in the optimiser's w, which is held to 1e-6


def test_wholesale_leader_finds_the_global_optimum_of_a_bimodal_demand():
    # two demand modes make the supplier's profit in w bimodal; the grid scan must find the better one
    x = np.concatenate([np.random.default_rng(4).normal(20, 2, 500), np.random.default_rng(5).normal(100, 5, 500)])
    demand, econ = SeasonDemand.from_samples(np.clip(x, 0, None)), Economics(10.0, 2.0, 0.0)
    leader = WholesalePrice.leader_terms(demand, econ)
    w = np.linspace(econ.cost, econ.price, 40_001)
    many = WholesalePrice(w=w)
    supplier = many.supplier_profit(many.best_response(demand, econ), demand, econ)
    best = evaluate(leader, demand, econ).supplier_profit
    assert best >= supplier.max() - 1e-9 * scale(demand, econ)


@settings(max_examples=20, deadline=None)
@given(st.floats(0.0, 1.0), st.sampled_from(list(CASES)))
def test_buyback_and_revenue_sharing_split_the_integrated_profit(lam, case):
    demand, econ = CASES[case]
    p, c, v = econ.price, econ.cost, econ.salvage
    profit0 = integrated(demand, econ)[1]
    buyback = Buyback.coordinating(econ, lam, demand)
    assert buyback.b == pytest.approx((1 - lam) * p + lam * v) and buyback.w == pytest.approx(lam * c + (1 - lam) * p)
    sharing = RevenueSharing.coordinating(econ, lam, demand)
    assert sharing.phi == pytest.approx(lam) and sharing.w == pytest.approx(lam * c)
    for contract in (buyback, sharing):
        out = evaluate(contract, demand, econ)
        assert out.efficiency == pytest.approx(1.0, abs=1e-6)
        assert out.retailer_profit == pytest.approx(lam * profit0, abs=1e-7 * profit0)


def test_buyback_with_zero_salvage_is_the_issues_form():
    demand, econ = CASES["uniform"]
    lam = 0.3
    contract = Buyback.coordinating(econ, lam, demand)
    assert contract.b == pytest.approx((1 - lam) * econ.price)
    assert contract.w == pytest.approx(lam * econ.cost + (1 - lam) * econ.price)


def test_closed_form_fractiles():
    demand, econ = CASES["normal"]
    p, v = econ.price, econ.salvage
    assert Buyback(w=8.0, b=5.0).best_response(demand, econ) == pytest.approx(demand.ppf((p - 8.0) / (p - 5.0)))
    phi, w = 0.6, 3.0
    assert RevenueSharing(w=w, phi=phi).best_response(demand, econ) == pytest.approx(
        demand.ppf((phi * p - w) / (phi * (p - v))))
    assert WholesalePrice(w=p).best_response(demand, econ) == 0.0  # a fractile of 0 orders nothing


def test_participation_and_unbounded_orders():
    demand, econ = CASES["normal"]
    profit0 = integrated(demand, econ)[1]
    assert TwoPartTariff(w=econ.cost, fee=1.01 * profit0).best_response(demand, econ) == 0.0
    assert TwoPartTariff(w=econ.cost, fee=0.99 * profit0).best_response(demand, econ) > 0
    with pytest.raises(ValueError, match="without limit"):
        Buyback(w=7.0, b=7.0).best_response(demand, econ)
    with pytest.raises(ValueError, match="exceeds"):
        Buyback.leader_terms(demand, econ, 2 * profit0)


def test_sales_rebate_kink_is_handled():
    # a rebate above t lifts the profit's slope: a local maximum below t and the global one above it
    demand, econ = CASES["uniform"]
    contract = SalesRebate(w=0.8, r=1.5, t=0.3)
    grid = np.linspace(0, 1, 100_001)
    profit = contract.retailer_profit(grid, demand, econ)
    below = grid < 0.3
    assert profit[below].argmax() < below.sum() - 1  # an interior local maximum below the threshold
    q = contract.best_response(demand, econ)
    assert q > 0.3 and contract.retailer_profit(q, demand, econ) >= profit.max() - 1e-12


def test_unknown_contract_names_the_setting():
    with pytest.raises(KeyError, match="games.contracts.names"):
        CONTRACTS["options"]


def test_contract_table_at_supplier_led_terms():
    demand, econ = CASES["empirical"]
    names = ["wholesale_price", "buyback", "revenue_sharing", "quantity_discount", "two_part_tariff", "sales_rebate"]
    table = contract_table(demand, econ, names)
    assert table["contract"].to_list() == names
    assert {"terms", "w", "b", "phi", "fee", "quantity", "retailer_profit", "supplier_profit", "chain_profit",
            "efficiency", "coordinates"} <= set(table.columns)
    floor = reservation_profit(demand, econ, "wholesale")
    assert np.allclose(table["retailer_profit"], floor, atol=1e-6 * floor)
    assert table["coordinates"].to_list() == [False, True, True, True, True, True]
    assert table.filter(pl.col("contract") == "wholesale_price")["efficiency"][0] < 0.999
    assert table["terms"][1].startswith("w = ") and ", b = " in table["terms"][1]
    zero = contract_table(demand, econ, names[1:], reservation="zero")
    assert np.allclose(zero["retailer_profit"], 0.0, atol=1e-9 * scale(demand, econ))
    assert np.allclose(zero["supplier_profit"], integrated(demand, econ)[1], rtol=1e-9)
    with pytest.raises(ValueError, match="games.contracts.reservation='most'"):
        contract_table(demand, econ, names, reservation="most")


def test_frontier_is_the_line_of_integrated_splits():
    demand, econ = CASES["normal"]
    profit0 = integrated(demand, econ)[1]
    table = frontier(demand, econ, list(CONTRACTS), points=11)
    assert set(table["contract"]) == {n for n in CONTRACTS if CONTRACTS[n].can_coordinate}
    assert table.height == 11 * 5
    assert np.allclose(table["efficiency"], 1.0, atol=1e-6)
    assert np.allclose(table["retailer_profit"], table["share"] * profit0, atol=1e-6 * profit0)
    assert np.allclose(table["retailer_profit"] + table["supplier_profit"], table["chain_profit"])
    with pytest.raises(ValueError, match="games.contracts.frontier_points=1"):
        frontier(demand, econ, ["buyback"], points=1)


def test_coordinating_quantity_discount_is_a_discount():
    demand, econ = CASES["empirical"]
    contract = QuantityDiscount.coordinating(econ, 0.3, demand)
    q = np.linspace(1.0, demand.upper, 200)
    unit_price = contract.transfer(q, demand, econ) / q  # w(q), paid on every unit
    # the full price w_max while every unit surely sells (below the least demand), falling beyond
    assert (np.diff(unit_price) <= 1e-12).all() and (np.diff(unit_price[q > demand.ppf(0.0)]) < 0).all()
    assert unit_price[0] <= contract.w_max and unit_price[-1] >= contract.w_min
