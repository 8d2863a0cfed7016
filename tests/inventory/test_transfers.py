"""The step-wise simulator, transfers between an item's locations, and lateral transshipment."""

import numpy as np
import pytest

from workbench.inventory.simulate import (
    Costs,
    OrderUpToPolicy,
    ReorderPolicy,
    Simulator,
    simulate,
)


def costs(n, ordering=10.0):
    return Costs(holding=np.full(n, 0.5), ordering=np.full(n, ordering), shortage=np.full(n, 5.0))


def random_instance(seed, n=40, horizon=30):
    rng = np.random.default_rng(seed)
    demand = rng.poisson(rng.uniform(1, 8, n)[:, None], (n, horizon)).astype(float)
    return demand, rng.uniform(0, 30, n), rng.integers(1, 5, n), rng


@pytest.mark.parametrize("backorders", [False, True])
def test_stepping_by_hand_matches_simulate_and_period_costs_add_up(backorders):
    demand, start, lead, rng = random_instance(1)
    n = demand.shape[0]
    policy = ReorderPolicy(np.full(n, 12.0), np.full(n, 40.0))
    kwargs = dict(backorders=backorders, case_pack=np.full(n, 3.0), moq=5.0,
                  lead_draws=lead[:, None] + rng.integers(0, 3, demand.shape), crossing=False)
    ref = simulate(demand, start, lead, policy, costs(n), **kwargs)
    sim = Simulator(demand, start, lead, costs(n), **kwargs)
    per_period = []
    while not sim.done:
        t = sim.t
        state = sim.state()
        assert state.t == t
        placed = sim.place(policy.decide(state))
        assert np.all((placed == 0) | (placed >= 5)) and np.allclose(placed / 3, np.round(placed / 3))
        per_period.append(sim.period_cost())
    got = sim.result()
    assert len(per_period) == demand.shape[1]
    np.testing.assert_array_equal(got.stock_path, ref.stock_path)
    np.testing.assert_allclose(np.sum(per_period, axis=0), got.total_cost, rtol=1e-12)
    assert ref.summary() == got.summary()
    assert got.transfer_cost.sum() == 0 and got.units_transferred.sum() == 0


def test_the_end_state_carries_over_to_the_next_window():
    # one window of 20 periods equals two of 10, the second starting from the first's end state
    demand, start, lead, _ = random_instance(2, horizon=20)
    n = demand.shape[0]
    policy = OrderUpToPolicy(np.full(n, 35.0))
    whole = simulate(demand, start, lead, policy, costs(n), backorders=False)
    first = simulate(demand[:, :10], start, lead, policy, costs(n))
    assert first.final_pipeline.shape[1] >= 1
    np.testing.assert_allclose(first.final_pipeline.sum(axis=1) + first.final_stock,
                               start + first.units_ordered - first.sales)
    second = simulate(demand[:, 10:], first.final_stock, lead, policy, costs(n), pipeline=first.final_pipeline)
    np.testing.assert_allclose(np.hstack([first.stock_path, second.stock_path]), whole.stock_path)
    np.testing.assert_allclose(first.total_cost + second.total_cost, whole.total_cost)


def test_the_state_is_the_end_of_period_zero_at_once_and_place_stops_when_done():
    sim = Simulator(np.array([[3.0, 3.0]]), np.array([5.0]), np.array([1]), costs(1))
    assert sim.t == 0 and sim.horizon == 2 and not sim.done
    assert sim.state().stock.tolist() == [2.0]
    with pytest.raises(RuntimeError, match="no period is completed"):
        sim.period_cost()
    with pytest.raises(RuntimeError, match="still to be placed"):
        sim.result()
    assert sim.place(np.array([4.0])).tolist() == [4.0]
    # period 0: holding 0.5 x 2 + one order 10
    assert sim.period_cost().tolist() == [11.0]
    assert sim.state().stock.tolist() == [3.0]  # 2 + 4 arrived - 3 sold
    sim.place(np.zeros(1))
    assert sim.done and sim.period_cost().tolist() == [1.5]
    with pytest.raises(RuntimeError, match="done"):
        sim.place(np.zeros(1))


def test_bad_orders_are_refused_with_the_item_named():
    sim = Simulator(np.ones((2, 3)), np.ones(2), np.array([1, 1]), costs(2))
    with pytest.raises(ValueError, match="item 1 in period 0 is nan"):
        sim.place(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"expected one per item \(2,\)"):
        sim.place(np.ones(3))
