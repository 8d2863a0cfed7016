import numpy as np
import pytest

from workbench.inventory.simulate import (
    Costs,
    OrderUpToPolicy,
    PlanPolicy,
    ReorderPolicy,
    ReorderQuantityPolicy,
    simulate,
)


def costs(n):
    return Costs(holding=np.ones(n), ordering=np.full(n, 10.0), shortage=np.full(n, 5.0))


def test_hand_worked_example():
    # stock 5, demand 3/day, (s=4, S=10), lead 2: day0 sell 3 -> 2 <= 4 order 8 (arrives day 2)
    demand = np.array([[3.0, 3.0, 3.0, 3.0]])
    r = simulate(demand, np.array([5.0]), np.array([2]), ReorderPolicy(np.array([4.0]), np.array([10.0])), costs(1))
    # day1: sell 2 of 3 (lost 1) -> 0, position 8 > 4; day2: +8 sell 3 -> 5; day3: sell 3 -> 2, order 8
    assert r.stock_path.tolist() == [[2.0, 0.0, 5.0, 2.0]]
    assert r.lost.tolist() == [1.0]
    assert r.orders.tolist() == [2.0]
    assert r.summary()["fill_rate"] == pytest.approx(11 / 12)
    assert r.total_cost[0] == pytest.approx(9 * 1 + 2 * 10 + 1 * 5)


def test_plan_policy_and_conservation():
    rng = np.random.default_rng(0)
    demand = rng.poisson(5, (50, 30)).astype(float)
    orders = np.zeros((50, 30))
    orders[:, ::5] = 25
    lead = rng.integers(1, 5, 50)
    r = simulate(demand, np.full(50, 20.0), lead, PlanPolicy(orders), costs(50))
    arrived = np.array([orders[i, : 30 - lead[i]].sum() for i in range(50)])
    # start + arrivals - sales = end stock, for every item
    assert np.allclose(20 + arrived - r.sales, r.stock_path[:, -1])
    assert np.all(r.sales <= r.demand)


def test_lead_time_zero_is_refused():
    with pytest.raises(ValueError, match="lead times must be >= 1"):
        simulate(np.ones((1, 3)), np.ones(1), np.array([0]), ReorderPolicy(np.ones(1), np.ones(1)), costs(1))


def test_backorders_wait_and_are_charged_per_period():
    # stock 2, demand 3 on day 0, order up to 10 every day, lead 1: 1 unit waits one day
    demand = np.array([[3.0, 0.0, 0.0]])
    r = simulate(demand, np.array([2.0]), np.array([1]), OrderUpToPolicy(np.array([10.0])), costs(1), backorders=True)
    assert r.sales.tolist() == [2.0] and r.lost.tolist() == [1.0]
    assert r.backlog_periods.tolist() == [1.0]  # waited at the end of day 0 only
    # day 0: position 0 - 1 -> order 11; day 1: 11 arrive, 1 to the backlog -> 10
    assert r.stock_path.tolist() == [[0.0, 10.0, 10.0]]
    assert r.shortage_cost.tolist() == [5.0]


def test_periodic_review_orders_on_review_days_only():
    demand = np.full((3, 21), 2.0)
    r = simulate(demand, np.full(3, 5.0), np.full(3, 2), OrderUpToPolicy(np.full(3, 30.0), review=7, offset=3), costs(3))
    assert r.orders.tolist() == [3.0, 3.0, 3.0]  # days 3, 10, 17


def test_reorder_quantity_orders_whole_batches():
    demand = np.array([[10.0, 10.0, 10.0, 10.0]])
    r = simulate(demand, np.array([12.0]), np.array([3]), ReorderQuantityPolicy(np.array([5.0]), np.array([4.0])), costs(1))
    # day 0: 12 -> 2, position 2 <= 5: one batch lifts it to 6 > 5; day 1: stock 0, position 4:
    # one batch (8); day 2: position 8, none; day 3: the first batch arrives and sells, position 4: one
    assert r.units_ordered.tolist() == [12.0] and r.orders.tolist() == [3.0]
    assert r.lost.tolist() == [8.0 + 10.0 + 6.0]


def test_cycle_service_level_counts_cycles_with_a_stockout():
    # two arrivals split the window in three cycles; the first has a stock-out
    demand = np.array([[5.0, 5.0, 0.0, 0.0, 5.0, 0.0]])
    orders = np.array([[0.0, 10.0, 0.0, 10.0, 0.0, 0.0]])
    r = simulate(demand, np.array([6.0]), np.array([1]), PlanPolicy(orders), costs(1))
    assert r.cycles.tolist() == [3.0] and r.stockout_cycles.tolist() == [1.0]
    assert r.summary()["cycle_service_level"] == pytest.approx(2 / 3)


def test_case_packs_and_moq_round_orders_up():
    demand = np.full((2, 5), 3.0)
    r = simulate(demand, np.zeros(2), np.ones(2, dtype=int), OrderUpToPolicy(np.full(2, 7.0)), costs(2),
                 case_pack=np.array([6.0, 1.0]), moq=np.array([0.0, 20.0]))
    assert r.units_ordered[0] % 6 == 0
    assert r.units_ordered[1] >= 20


def test_simulating_the_lp_plan_against_its_own_demand_reproduces_it():
    from workbench.inventory.lp import PlanItems, plan_replenishment

    rng = np.random.default_rng(3)
    d = rng.poisson(6, (20, 12)).astype(float)
    lead = rng.integers(1, 4, 20)
    items = PlanItems(demand=d, start_stock=rng.poisson(10, 20).astype(float), lead_time=lead,
                      holding_cost=np.full(20, 0.2), shortage_cost=np.full(20, 5.0), unit_order_cost=np.full(20, 0.5))
    plan = plan_replenishment(items)
    r = simulate(d, items.start_stock, lead, PlanPolicy(plan.orders), costs(20))
    assert np.allclose(r.stock_path, plan.stock, atol=1e-6)
    assert np.allclose(r.sales, plan.sales.sum(axis=1), atol=1e-6)


def test_bad_demand_is_named():
    with pytest.raises(ValueError, match=r"demand of item 0 in period 1 is nan"):
        simulate(np.array([[1.0, np.nan]]), np.ones(1), np.array([1]), OrderUpToPolicy(np.ones(1)), costs(1))
