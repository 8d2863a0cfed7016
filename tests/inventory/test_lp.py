import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from workbench.inventory.lp import (
    Limits,
    PlanError,
    PlanInfeasible,
    PlanItems,
    PlanSolverFailed,
    PlanUnbounded,
    Transfers,
    plan_replenishment,
)


def random_instance(seed: int, n: int = 4, horizon: int = 6):
    rng = np.random.default_rng(seed)
    items = PlanItems(
        demand=rng.integers(0, 20, (n, horizon)).astype(float),
        start_stock=rng.integers(0, 30, n).astype(float),
        lead_time=rng.integers(1, 4, n),
        holding_cost=rng.uniform(0.1, 1.0, n),
        shortage_cost=rng.uniform(3.0, 10.0, n),
        unit_order_cost=rng.uniform(0.5, 2.0, n),
        unit_cost=rng.uniform(1.0, 5.0, n),
        volume=rng.uniform(0.5, 2.0, n),
        warehouse=rng.integers(0, 2, n),
        supplier=rng.integers(0, 2, n),
    )
    limits = Limits(
        warehouse=rng.uniform(20.0, 60.0, 2),
        supplier=rng.uniform(5.0, 30.0, 2),
        budget=rng.uniform(20.0, 80.0),
        penalty={"warehouse": rng.uniform(0.5, 3.0)},
    )
    return items, limits


def linprog_optimum(items: PlanItems, limits: Limits, order_every: int = 1) -> float:
    """The same plan written out row by row for scipy's HiGHS: x = [q, s, I, over]."""
    d, i0, lead = items.demand, items.start_stock, items.lead_time
    n, T = d.shape
    W, K = limits.warehouse.size, limits.supplier.size
    nq = n * T
    iq = lambda i, t: i * T + t  # noqa: E731
    i_s = lambda i, t: nq + i * T + t  # noqa: E731
    i_I = lambda i, t: 2 * nq + i * T + t  # noqa: E731
    i_o = lambda w, t: 3 * nq + w * T + t  # noqa: E731
    size = 3 * nq + W * T
    c = np.zeros(size)
    const = 0.0
    A_eq, b_eq, A_ub, b_ub = [], [], [], []
    for i in range(n):
        for t in range(T):
            c[iq(i, t)] += items.unit_order_cost[i]
            c[i_I(i, t)] += items.holding_cost[i]
            c[i_s(i, t)] -= items.shortage_cost[i]
            const += items.shortage_cost[i] * d[i, t]
            # I[t] - I[t-1] - q[t - L] + s[t] = (i0 if t == 0)
            row = np.zeros(size)
            row[i_I(i, t)] = 1
            if t > 0:
                row[i_I(i, t - 1)] = -1
            if t - lead[i] >= 0:
                row[iq(i, t - lead[i])] = -1
            row[i_s(i, t)] = 1
            A_eq.append(row)
            b_eq.append(i0[i] if t == 0 else 0.0)
    for w in range(W):
        for t in range(T):
            c[i_o(w, t)] = limits.penalty["warehouse"]
            row = np.zeros(size)
            for i in np.flatnonzero(items.warehouse == w):
                row[i_I(i, t)] = items.volume[i]
                row[i_s(i, t)] = items.volume[i]
            row[i_o(w, t)] = -1
            A_ub.append(row)
            b_ub.append(limits.warehouse[w])
    for k in range(K):
        for t in range(T):
            row = np.zeros(size)
            for i in np.flatnonzero(items.supplier == k):
                row[iq(i, t)] = 1
            A_ub.append(row)
            b_ub.append(limits.supplier[k])
    for t in range(T):
        row = np.zeros(size)
        for i in range(n):
            row[iq(i, t)] = items.unit_cost[i]
        A_ub.append(row)
        b_ub.append(limits.budget)
    bounds = []
    for i in range(n):
        bounds += [(0, 0) if (t + lead[i] >= T or t % order_every) else (0, None) for t in range(T)]
    bounds += [(0, d[i, t]) for i in range(n) for t in range(T)]
    bounds += [(0, None)] * (nq + W * T)
    res = linprog(c, A_ub=sp.csr_matrix(np.array(A_ub)), b_ub=np.array(b_ub), A_eq=sp.csr_matrix(np.array(A_eq)),
                  b_eq=np.array(b_eq), bounds=bounds, method="highs")
    assert res.status == 0
    return res.fun + const


@pytest.mark.parametrize("seed", range(6))
def test_optimum_equals_linprog(seed):
    items, limits = random_instance(seed)
    every = 1 + seed % 2
    plan = plan_replenishment(items, limits, order_every=every)
    assert plan.objective == pytest.approx(linprog_optimum(items, limits, every), rel=1e-6, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["lost_sales", "backorder"]))
def test_balance_holds_in_every_period(seed, shortage):
    items, limits = random_instance(seed, n=5, horizon=8)
    plan = plan_replenishment(items, limits, shortage=shortage)
    stock = items.start_stock[:, None] + np.cumsum(plan.arrivals - plan.sales, axis=1)
    assert np.allclose(stock, plan.stock, atol=1e-6)
    assert (plan.stock >= -1e-6).all()
    if shortage == "lost_sales":
        assert (plan.sales <= items.demand + 1e-6).all()
    else:
        assert np.allclose(plan.backlog, np.cumsum(items.demand - plan.sales, axis=1), atol=1e-6)
        assert (plan.backlog >= -1e-6).all()
    # nothing arrives inside the lead time, and every order arrives by its lead time
    blocked = np.arange(8)[None, :] < items.lead_time[:, None]
    assert np.allclose(plan.arrivals[blocked], 0.0, atol=1e-7)
    moved = np.zeros_like(plan.orders)
    for i, L in enumerate(items.lead_time):
        moved[i, L:] = plan.orders[i, :8 - L]
    assert np.allclose(moved, plan.arrivals, atol=1e-7)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_plan_never_orders_past_capacity(seed):
    items, limits = random_instance(seed)
    limits.penalty = {}  # every limit hard
    items.start_stock = np.zeros_like(items.start_stock)
    plan = plan_replenishment(items, limits)
    vol = np.stack([(items.volume[:, None] * (plan.stock + plan.sales))[items.warehouse == w].sum(axis=0) for w in range(2)])
    assert (vol <= limits.warehouse[:, None] + 1e-6).all()
    per_supplier = np.stack([plan.orders[items.supplier == k].sum(axis=0) for k in range(2)])
    assert (per_supplier <= limits.supplier[:, None] + 1e-6).all()
    assert (items.unit_cost @ plan.orders <= limits.budget + 1e-6).all()


def test_binding_capacity_has_its_shadow_price():
    items, limits = random_instance(1, n=3, horizon=6)
    # stock far above the space: the first periods overflow, and space is worth its rent
    items.start_stock = np.full(3, 100.0)
    items.demand = np.full((3, 6), 10.0)
    limits.warehouse = np.array([1.0, 1.0])
    limits.penalty = {"warehouse": 2.0}
    plan = plan_replenishment(items, limits)
    wh = plan.shadow_prices.filter(family="warehouse")
    assert plan.excess["warehouse"][:, 0].max() > 0
    assert wh["shadow_price"].max() == pytest.approx(2.0)
    assert (wh["shadow_price"] <= 2.0 + 1e-9).all()


def test_supplier_shadow_price_is_what_one_more_unit_saves():
    items, limits = random_instance(2, n=3, horizon=8)
    limits.penalty = {"warehouse": 0.01}
    base = plan_replenishment(items, limits)
    sp_ = base.shadow_prices.filter(family="supplier").sort("shadow_price", descending=True).row(0, named=True)
    assert sp_["shadow_price"] > 0
    bumped = limits.supplier.astype(float)[:, None].repeat(8, axis=1)
    k = int(sp_["name"])
    bumped[k, sp_["period"]] += 1e-3
    limits.supplier = bumped
    more = plan_replenishment(items, limits)
    assert (base.objective - more.objective) / 1e-3 == pytest.approx(sp_["shadow_price"], rel=1e-3, abs=1e-6)


def test_infeasible_limit_is_named_with_its_period():
    items = PlanItems(demand=np.array([[5.0, 5.0, 5.0, 20.0, 5.0]]), start_stock=np.array([10.0]),
                      lead_time=np.array([1]), holding_cost=np.ones(1), shortage_cost=np.ones(1), names=["sku-1"])
    limits = Limits(warehouse=np.array([12.0]), min_service=1.0, warehouse_names=["store"])
    with pytest.raises(PlanInfeasible, match=r"warehouse 'store' volume 12 in period 3 \(exceeded by 8\)"):
        plan_replenishment(items, limits)
    limits.penalty = {"warehouse": 3.0}  # soft: the plan rents the space instead
    plan = plan_replenishment(items, limits)
    assert plan.excess["warehouse"][0, 3] == pytest.approx(8.0)


def test_bad_input_is_named():
    items, limits = random_instance(0)
    items.lead_time = np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match="lead times must be >= 1"):
        plan_replenishment(items, limits)
    items, limits = random_instance(0)
    items.demand[2, 3] = -1
    with pytest.raises(ValueError, match=r"demand of series 2 in period 3 \(scenario 0\) is -1"):
        plan_replenishment(items, limits)
    items, limits = random_instance(0)
    items.holding_cost[1] = -0.5
    with pytest.raises(ValueError, match="holding_cost of series 1 is -0.5"):
        plan_replenishment(items, limits)
    limits.penalty = {"space": 1.0}
    items, _ = random_instance(0)
    with pytest.raises(ValueError, match=r"soft limits \['space'\] unknown"):
        plan_replenishment(items, limits)


def test_periodic_review_orders_only_on_review_periods():
    items, limits = random_instance(3, n=4, horizon=14)
    plan = plan_replenishment(items, limits, order_every=7)
    placed = np.argwhere(plan.orders > 1e-9)
    assert placed.size and set(placed[:, 1] % 7) == {0}
    assert plan.objective >= plan_replenishment(items, limits).objective - 1e-6


def test_mixed_integer_orders_whole_cases_above_the_moq():
    items, limits = random_instance(4, n=4, horizon=10)
    items.case_pack = np.array([6.0, 12.0, 1.0, 5.0])
    items.moq = np.array([12.0, 24.0, 0.0, 10.0])
    items.order_cost = np.full(4, 20.0)
    limits.supplier = None
    limits.budget = None
    plan = plan_replenishment(items, limits, integer=True, mip_gap=0.0)
    q = plan.orders
    placed = q > 1e-6
    assert placed.any()
    assert np.allclose(q / items.case_pack[:, None], np.round(q / items.case_pack[:, None]), atol=1e-6)
    assert (q[placed] >= np.broadcast_to(items.moq[:, None], q.shape)[placed] - 1e-6).all()
    # the relaxation (no fixed cost, no packs) can only be cheaper
    relaxed = plan_replenishment(items, limits)
    assert relaxed.objective <= plan.objective + 1e-6


def test_profit_objective_is_revenue_less_costs():
    items, limits = random_instance(5)
    items.price = items.unit_order_cost + 1.0  # every unit sold earns 1 more than it costs to buy
    items.shortage_cost = np.zeros(4)  # no goodwill cost: only what a sale earns counts
    plan = plan_replenishment(items, limits, objective="profit")
    revenue = (items.price[:, None] * plan.sales).sum()
    costs = (items.unit_order_cost[:, None] * plan.orders).sum() + (items.holding_cost[:, None] * plan.stock).sum()
    overflow = limits.penalty["warehouse"] * plan.excess["warehouse"].sum()
    assert plan.objective == pytest.approx(revenue - costs - overflow, rel=1e-6)
    assert plan.objective > 0
    items.price = np.zeros(4)
    idle = plan_replenishment(items, limits, objective="profit")
    assert np.allclose(idle.orders, 0.0)  # nothing to earn: order nothing


def test_scenarios_and_cvar_protect_the_tail():
    rng = np.random.default_rng(7)
    n, T, S = 3, 6, 40
    base = rng.uniform(5, 15, (n, T))
    scen = np.maximum(base[None] * rng.lognormal(0.0, 0.5, (S, 1, 1)), 0.0)  # one common level shock
    items = PlanItems(demand=scen, start_stock=np.zeros(n), lead_time=np.ones(n, dtype=int),
                      holding_cost=np.full(n, 0.5), shortage_cost=np.full(n, 4.0), unit_order_cost=np.full(n, 1.0))
    neutral = plan_replenishment(items)
    averse = plan_replenishment(items, cvar_alpha=0.9, cvar_weight=5.0)
    tail = lambda p: np.sort(p.scenario_cost)[-4:].mean()  # noqa: E731
    assert tail(averse) < tail(neutral)
    assert averse.expected_cost >= neutral.expected_cost - 1e-6
    assert averse.cvar == pytest.approx(tail(averse))
    # one plan for all scenarios, and more than the mean scenario would get
    mean_plan = plan_replenishment(PlanItems(**{**items.__dict__, "demand": scen.mean(axis=0)}))
    assert averse.orders.sum() > mean_plan.orders.sum()


def test_transfers_move_stock_to_the_channel_that_runs_short():
    # item 0 online has plenty, in store none; lead time too long to order in time
    items = PlanItems(demand=np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]]), start_stock=np.array([40.0, 0.0]),
                      lead_time=np.array([5, 5]), holding_cost=np.full(2, 0.1), shortage_cost=np.full(2, 5.0))
    arcs = Transfers(source=np.array([0, 1]), target=np.array([1, 0]), cost=0.5)
    plan = plan_replenishment(items, transfers=arcs)
    assert plan.transfers[0].sum() == pytest.approx(30.0)
    assert plan.transfers[1].sum() == pytest.approx(0.0)
    assert plan.sales[1].sum() == pytest.approx(30.0)
    dear = plan_replenishment(items, transfers=Transfers(arcs.source, arcs.target, cost=50.0))
    assert dear.transfers.sum() == pytest.approx(0.0)


def test_infeasible_message_skips_soft_limits_and_names_the_lead_time():
    items = PlanItems(demand=np.array([[30.0, 5.0, 5.0]]), start_stock=np.array([10.0]), lead_time=np.array([2]),
                      holding_cost=np.ones(1), shortage_cost=np.ones(1), names=["sku-1"])
    limits = Limits(warehouse=np.array([5.0]), min_service=1.0, penalty={"warehouse": 1.0})
    with pytest.raises(PlanInfeasible) as err:
        plan_replenishment(items, limits)
    assert str(err.value) == (
        "the replenishment plan cannot meet its hard limits: the lead time makes the minimum service"
        " (inventory.lp.min_service=1) impossible before the first orders arrive, in 1 series: 'sku-1' (lead time"
        " 2 periods) in periods 0-1: stock on hand plus pipeline can serve 10 units by period 1, the minimum asks 35."
        " Lower inventory.lp.min_service, make it soft with a penalty (inventory.lp.penalty.service), or start with"
        " more stock: no order the plan places arrives within its lead time."
    )


def test_lead_time_message_counts_the_pipeline_and_names_the_first_series():
    n = 5
    items = PlanItems(demand=np.full((n, 4), 10.0), start_stock=np.array([1.0, 2.0, 3.0, 50.0, 4.0, 5.0])[:n],
                      lead_time=np.array([2, 3, 1, 2, 2]), holding_cost=np.ones(n), shortage_cost=np.ones(n),
                      pipeline=np.array([[0.0, 5.0]] * n), names=[f"sku-{i}" for i in range(n)])
    with pytest.raises(PlanInfeasible) as err:
        plan_replenishment(items, Limits(min_service=0.5))
    msg = str(err.value)
    assert "inventory.lp.min_service=0.5) impossible before the first orders arrive, in 4 series: " in msg
    # 5 units of the pipeline arrive in period 1: by then 1 + 5 can be served, the minimum asks 0.5 x 20
    assert "'sku-0' (lead time 2 periods) in periods 0-1: stock on hand plus pipeline can serve 6 units by period 1," \
           " the minimum asks 10;" in msg
    assert "'sku-1' (lead time 3 periods) in periods 0-2: stock on hand plus pipeline can serve 7 units by period 2," \
           " the minimum asks 15;" in msg
    assert "'sku-2' (lead time 1 period) in period 0: stock on hand plus pipeline can serve 3 units by period 0" in msg
    assert msg.count("'sku-") == 3 and "; and 1 more series." in msg and "sku-3" not in msg
    items.pipeline = np.array([[10.0, 20.0]] * n)  # enough arrives in time: a plan exists
    assert plan_replenishment(items, Limits(min_service=0.5)).status == "optimal"


def test_service_short_after_the_lead_time_keeps_the_limit_message():
    # the only way to serve period 3 is more space than the warehouse has: that, not the lead
    # time, keeps the service short (space costs 2 a unit in the probe, service 1)
    items = PlanItems(demand=np.array([[0.0, 0.0, 0.0, 50.0]]), start_stock=np.zeros(1), lead_time=np.array([1]),
                      holding_cost=np.ones(1), shortage_cost=np.ones(1), volume=np.full(1, 2.0), names=["sku-1"])
    limits = Limits(warehouse=np.array([10.0]), min_service=1.0)
    with pytest.raises(PlanInfeasible, match=r"hard limits: minimum service of series 'sku-1' in period 3 \(short by 45\)"
                                             r"\. Raise those limits, or make them soft"):
        plan_replenishment(items, limits)


def test_plan_errors_are_one_family():
    assert issubclass(PlanInfeasible, PlanError) and issubclass(PlanInfeasible, ValueError)
    assert issubclass(PlanSolverFailed, PlanError) and issubclass(PlanSolverFailed, RuntimeError)
    assert issubclass(PlanUnbounded, PlanError) and not issubclass(ValueError, PlanError)


def test_solving_prints_nothing(capfd):
    """HiGHS prints its banner once per process, on the first solver object: in a fresh process
    (as a notebook kernel is), and in this one."""
    code = (
        "import numpy as np\n"
        "from workbench.inventory.lp import PlanItems, plan_replenishment\n"
        "items = PlanItems(demand=np.full((2, 5), 3.0), start_stock=np.zeros(2), lead_time=np.ones(2, dtype=int),\n"
        "                  holding_cost=np.ones(2), shortage_cost=np.full(2, 5.0), order_cost=np.full(2, 4.0))\n"
        "plan_replenishment(items)\n"
        "plan_replenishment(items, integer=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    items, limits = random_instance(0)
    plan_replenishment(items, limits)
    plan_replenishment(items, limits, integer=True)
    assert capfd.readouterr() == ("", "")


def test_reported_cvar_is_the_optimised_one():
    rng = np.random.default_rng(1)
    scen = rng.uniform(0, 20, (10, 2, 4))
    items = PlanItems(demand=scen, start_stock=np.zeros(2), lead_time=np.ones(2, dtype=int),
                      holding_cost=np.full(2, 0.5), shortage_cost=np.full(2, 4.0))
    plan = plan_replenishment(items, cvar_alpha=0.85, cvar_weight=1.0)
    # Rockafellar-Uryasev at the optimum: the mean of the worst 15% with the fractional weight
    c = np.sort(plan.scenario_cost)[::-1]
    exact = (c[0] + 0.5 * c[1]) / 1.5
    assert plan.cvar == pytest.approx(exact, rel=1e-6)
