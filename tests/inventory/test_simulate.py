import numpy as np
import pytest

from workbench.inventory import Costs, PlanPolicy, ReorderPolicy, simulate


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
