"""The step-wise simulator, transfers between an item's locations, and lateral transshipment."""

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.inventory.simulate import (
    Costs,
    OrderUpToPolicy,
    Policy,
    ReorderPolicy,
    Simulator,
    State,
    TransferArcs,
    simulate,
)
from workbench.inventory.transship import Transshipping, location_pairs, transfer_arcs


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


class Asks(Policy):
    """Orders and moves drawn at random (the same for a seed): a stand-in for any policy."""

    def __init__(self, seed, order_rate=3.0, move_scale=8.0):
        self.rng, self.order_rate, self.move_scale = np.random.default_rng(seed), order_rate, move_scale

    def decide(self, state):
        n = state.stock.size
        return self.rng.poisson(self.order_rate, n) * (self.rng.random(n) < 0.5)

    def transfer(self, state, arcs):
        return self.rng.uniform(0, self.move_scale, arcs.source.size) * (self.rng.random(arcs.source.size) < 0.7)


def all_pairs(groups):
    """Arcs between every two rows of each group (an item's locations)."""
    src, dst, row = [], [], 0
    for size in groups:
        rows = np.arange(row, row + size)
        s, d = np.meshgrid(rows, rows, indexing="ij")
        keep = s != d
        src.append(s[keep]), dst.append(d[keep])
        row += size
    return np.concatenate(src), np.concatenate(dst)


@given(seed=st.integers(0, 10_000), groups=st.lists(st.integers(1, 3), min_size=1, max_size=4),
       horizon=st.integers(2, 12), transfer_lead=st.integers(1, 3), backorders=st.booleans())
def test_stock_balances_in_every_row_and_period_and_transfers_conserve_units(seed, groups, horizon, transfer_lead,
                                                                              backorders):
    rng = np.random.default_rng(seed)
    n = sum(groups)
    src, dst = all_pairs(groups)
    arcs = TransferArcs(src, dst, rng.uniform(0, 2, src.size), transfer_lead) if src.size else None
    demand = rng.poisson(4, (n, horizon)).astype(float)
    lead = rng.integers(1, 4, n)
    start = rng.integers(0, 15, n).astype(float)
    sim = Simulator(demand, start, lead, costs(n), backorders=backorders, transfers=arcs)
    policy = Asks(seed)
    due = np.zeros((n, horizon + 8))  # an independent ledger of what arrives when
    stock, backlog, path = start.copy(), np.zeros(n), np.zeros((n, horizon))
    system = stock.sum()  # units on hand or on their way (ordered, or between locations)
    sent_total, charged = np.zeros(n), np.zeros(n)
    while not sim.done:
        t = sim.t
        # period t from the ledger: receive, serve the backlog, then the day's demand
        available = stock + due[:, t]
        cleared = np.minimum(backlog, available) if backorders else np.zeros(n)
        sold = np.minimum(demand[:, t], available - cleared)
        backlog = backlog - cleared + (demand[:, t] - sold if backorders else 0.0)
        state = sim.state()
        np.testing.assert_allclose(state.stock, available - cleared - sold, atol=1e-9)
        np.testing.assert_allclose(state.backlog, backlog, atol=1e-9)
        # transfers on their way count in the target's on-order: its inventory position stays right
        np.testing.assert_allclose(state.on_order, due[:, t + 1:].sum(axis=1), atol=1e-9)
        qty = sim.place(policy.decide(state), None if arcs is None else policy.transfer(state, arcs))
        sent = np.zeros(n) if sim.moved is None else np.bincount(src, weights=sim.moved, minlength=n)
        assert np.all(sent <= state.stock + 1e-9)  # never more than the sender holds
        # end stock = previous end stock + arrivals - units sent - units sold, never negative
        path[:, t] = stock = available - cleared - sold - sent
        assert np.all(stock >= -1e-9)
        np.add.at(due, (np.arange(n), t + lead), qty)
        if sim.moved is not None:
            np.add.at(due[:, t + transfer_lead], dst, sim.moved)
            charged += np.bincount(src, weights=arcs.cost * sim.moved, minlength=n)
        sent_total += sent
        # transfers only move units: the system changes by what is ordered and what is sold
        system += qty.sum() - sold.sum() - cleared.sum()
        np.testing.assert_allclose(stock.sum() + due[:, t + 1:].sum(), system, atol=1e-7)
    result = sim.result()
    np.testing.assert_allclose(result.stock_path, path, atol=1e-9)
    np.testing.assert_allclose(result.units_transferred, sent_total, atol=1e-9)
    np.testing.assert_allclose(result.transfer_cost, charged, atol=1e-9)
    np.testing.assert_allclose(result.final_pipeline.sum(axis=1), due[:, horizon:].sum(axis=1), atol=1e-9)


def test_a_sender_short_of_what_its_arcs_ask_shares_its_stock_in_proportion():
    arcs = TransferArcs(np.array([0, 0, 1]), np.array([1, 2, 0]), np.array([0.5, 1.0, 0.5]), lead_time=2)
    demand = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    sim = Simulator(demand, np.array([12.0, 0.0, 4.0]), np.full(3, 5), costs(3, ordering=0.0), transfers=arcs)
    sim.place(np.zeros(3), np.array([10.0, 30.0, 0.0]))  # row 0 holds 10 and is asked for 40
    np.testing.assert_allclose(sim.moved, [2.5, 7.5, 0.0])
    state = sim.state()
    np.testing.assert_allclose(state.stock, [0.0, 0.0, 4.0])
    np.testing.assert_allclose(state.on_order, [0.0, 2.5, 7.5])  # in transit, due in period 2
    np.testing.assert_allclose(state.arrivals[:, 0], [0.0, 2.5, 7.5])
    # period 0: holding 0.5 on nothing left at row 0, 0.5 x 4 at row 2; transfers 0.5 x 2.5 + 1 x 7.5 from row 0
    np.testing.assert_allclose(sim.period_cost(), [8.75, 0.0, 2.0])
    sim.place(np.zeros(3))
    sim.place(np.zeros(3))
    result = sim.result()
    np.testing.assert_allclose(result.final_stock, [0.0, 2.5, 11.5])
    np.testing.assert_allclose(result.units_transferred, [10.0, 0.0, 0.0])
    assert result.summary()["transfer_cost"] == pytest.approx(8.75)
    assert result.summary()["total_cost"] == pytest.approx(8.75 + 0.5 * (4 + 4 + 2.5 + 11.5))


def test_bad_transfers_are_refused_with_the_arc_named():
    arcs = TransferArcs(np.array([0, 0]), np.array([1, 2]), np.ones(2))
    sim = Simulator(np.ones((3, 2)), np.full(3, 5.0), np.ones(3, dtype=int), costs(3), transfers=arcs)
    with pytest.raises(ValueError, match=r"arc 1 \(row 0 -> row 2\) in period 0 is -3.0"):
        sim.place(np.zeros(3), np.array([1.0, -3.0]))
    with pytest.raises(ValueError, match=r"arc 0 \(row 0 -> row 1\) in period 0 is inf"):
        sim.place(np.zeros(3), np.array([np.inf, 0.0]))
    with pytest.raises(ValueError, match="arc 1 runs from row 0 to row 3"):
        Simulator(np.ones((3, 2)), np.ones(3), np.ones(3, dtype=int), costs(3),
                  transfers=TransferArcs(np.array([0, 0]), np.array([1, 3]), np.ones(2)))
    with pytest.raises(ValueError, match="transfers.lead_time is 0"):
        Simulator(np.ones((3, 2)), np.ones(3), np.ones(3, dtype=int), costs(3),
                  transfers=TransferArcs(np.array([0]), np.array([1]), np.ones(1), lead_time=0))
    plain = Simulator(np.ones((3, 2)), np.ones(3), np.ones(3, dtype=int), costs(3))
    with pytest.raises(ValueError, match="no transfer arcs"):
        plain.place(np.zeros(3), np.zeros(2))


ECON = pl.DataFrame({
    "item_id": ["A", "A", "B", "C", "C"],
    "location": ["web", "store", "web", "web", "store"],
    "unit_cost": [10.0, 10.0, 4.0, 2.0, 3.0],
})


def test_arcs_join_the_locations_of_each_item_at_a_share_of_the_senders_unit_cost():
    assert [r.tolist() for r in location_pairs(ECON, ["item_id", "location"], "location")] == [[0, 1, 3, 4],
                                                                                              [1, 0, 4, 3]]
    arcs = transfer_arcs(ECON, ["item_id", "location"], "location", cost_share=0.1, lead_time=2)
    np.testing.assert_allclose(arcs.cost, [1.0, 1.0, 0.2, 0.3])
    assert arcs.lead_time == 2
    assert transfer_arcs(ECON.filter(pl.col("item_id") == "B"), ["item_id", "location"], "location", 0.1, 1) is None
    with pytest.raises(ValueError, match="cost_share is -0.1"):
        transfer_arcs(ECON, ["item_id", "location"], "location", -0.1, 1)
    with pytest.raises(ValueError, match="lead_time is 0"):
        transfer_arcs(ECON, ["item_id", "location"], "location", 0.1, 0)
    with pytest.raises(ValueError, match="location 'region' is not a column"):
        transfer_arcs(ECON, ["item_id", "location"], "region", 0.1, 1)


def two_locations(start):
    """Item A online (10 a day) and in the store (2 a day), ordered every week, 5 days to arrive."""
    demand = np.vstack([np.full(28, 10.0), np.full(28, 2.0)])
    arcs = transfer_arcs(ECON[:2], ["item_id", "location"], "location", cost_share=0.1, lead_time=1)
    policy = OrderUpToPolicy(np.array([120.0, 24.0]), review=7)
    # orders placed on days 0, 7, 14, 21 arrive 5 days later: the stock must last until the next one (or the end)
    days = np.arange(28)
    arrivals = np.array([5, 12, 19, 26, 28])
    until = arrivals[np.searchsorted(arrivals, days, side="right")] - days - 1
    need = np.array([[10.0], [2.0]]) * np.maximum(until, arcs.lead_time)[None, :]
    run = dict(demand=demand, start_stock=np.asarray(start, dtype=float), lead_time=np.array([5, 5]),
               costs=Costs(holding=np.full(2, 0.1), ordering=np.full(2, 5.0), shortage=np.full(2, 5.0)))
    return run, arcs, policy, need


def test_transshipment_feeds_the_location_running_dry_from_the_one_with_plenty():
    run, arcs, policy, need = two_locations([20.0, 150.0])
    alone = simulate(policy=policy, **run)
    pooled = simulate(policy=Transshipping(policy, need), transfers=arcs, **run)
    assert alone.lost[0] >= 30 and pooled.lost.sum() <= alone.lost.sum() - 25
    assert pooled.units_transferred[1] >= 25 and pooled.units_transferred[0] <= 5
    np.testing.assert_allclose(pooled.transfer_cost, 1.0 * pooled.units_transferred)  # 0.1 x unit cost 10
    assert pooled.summary()["fill_rate"] >= alone.summary()["fill_rate"] + 0.05
    assert pooled.summary()["total_cost"] < alone.summary()["total_cost"]


def test_nothing_moves_when_both_locations_have_enough():
    run, arcs, policy, need = two_locations([200.0, 200.0])
    alone = simulate(policy=policy, **run)
    pooled = simulate(policy=Transshipping(policy, need), transfers=arcs, **run)
    assert pooled.units_transferred.sum() == 0 and pooled.transfer_cost.sum() == 0
    assert pooled.summary() == alone.summary()


def test_several_senders_do_not_overfill_a_receiver():
    arcs = TransferArcs(np.array([0, 1]), np.array([2, 2]), np.ones(2))
    rule = Transshipping(OrderUpToPolicy(np.zeros(3)), np.array([[5.0], [5.0], [10.0]]))
    stock = np.array([15.0, 15.0, 4.0])
    state = State(0, stock, np.zeros(3), np.zeros(3), np.zeros((3, 4)))
    assert rule.transfer(state, arcs).tolist() == [3.0, 3.0]  # the shortfall of 6, shared by both
    one = TransferArcs(np.array([2, 2]), np.array([0, 1]), np.ones(2))
    state = State(0, np.array([0.0, 2.0, 17.0]), np.zeros(3), np.zeros(3), np.zeros((3, 4)))
    assert rule.transfer(state, one).tolist() == [4.0, 2.0]  # a surplus of 7 for 5 + 3 asked, in whole units
    with pytest.raises(ValueError, match="need of row 1 in period 0 is -1.0"):
        Transshipping(OrderUpToPolicy(np.zeros(2)), np.array([[1.0], [-1.0]]))
