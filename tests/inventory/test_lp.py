import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from workbench.inventory import replenishment_lp


def random_instance(seed: int, n: int = 4, horizon: int = 6):
    rng = np.random.default_rng(seed)
    return dict(
        demand=rng.integers(0, 20, (n, horizon)).astype(float),
        start_stock=rng.integers(0, 30, n).astype(float),
        lead_time=rng.integers(1, 4, n),
        holding_cost=rng.uniform(0.1, 1.0, n),
        unit_order_cost=rng.uniform(0.5, 2.0, n),
        shortage_cost=rng.uniform(3.0, 10.0, n),
        volume=rng.uniform(0.5, 2.0, n),
        group=rng.integers(0, 2, n),
        capacity=rng.uniform(10.0, 40.0, 2),
        overflow_cost=rng.uniform(0.5, 3.0),
    )


def linprog_optimum(inst) -> float:
    """The same LP written out row by row for scipy's HiGHS: x = [a, u, over]."""
    d, i0, lead = inst["demand"], inst["start_stock"], inst["lead_time"]
    n, T = d.shape
    G = inst["capacity"].size
    na, nu, no = n * T, n * T, G * T
    ai = lambda i, t: i * T + t  # noqa: E731
    c = np.zeros(na + nu + no)
    const = 0.0
    A, b = [], []
    for i in range(n):
        for t in range(T):
            # holding on I[i,t] = i0 + sum_{s<=t} (a - u)
            for s in range(t + 1):
                c[ai(i, s)] += inst["holding_cost"][i]
                c[na + ai(i, s)] -= inst["holding_cost"][i]
            const += inst["holding_cost"][i] * i0[i] + inst["shortage_cost"][i] * d[i, t]
            c[ai(i, t)] += inst["unit_order_cost"][i]
            c[na + ai(i, t)] -= inst["shortage_cost"][i]
            row = np.zeros(na + nu + no)  # -I <= 0
            for s in range(t + 1):
                row[ai(i, s)] -= 1
                row[na + ai(i, s)] += 1
            A.append(row)
            b.append(i0[i])
    c[na + nu:] = inst["overflow_cost"]
    for g in range(G):
        for t in range(T):
            row = np.zeros(na + nu + no)
            rhs = inst["capacity"][g]
            for i in np.flatnonzero(inst["group"] == g):
                v = inst["volume"][i]
                for s in range(t + 1):
                    row[ai(i, s)] += v
                    row[na + ai(i, s)] -= v
                rhs -= v * i0[i]
            row[na + nu + g * T + t] = -1
            A.append(row)
            b.append(rhs)
    bounds = []
    for i in range(n):
        bounds += [(0, 0) if t < lead[i] else (0, None) for t in range(T)]
    bounds += [(0, d[i, t]) for i in range(n) for t in range(T)]
    bounds += [(0, None)] * no
    res = linprog(c, A_ub=sp.csr_matrix(np.array(A)), b_ub=np.array(b), bounds=bounds, method="highs")
    assert res.status == 0
    return res.fun + const


@pytest.mark.parametrize("seed", range(5))
def test_optimum_equals_linprog(seed):
    inst = random_instance(seed)
    plan = replenishment_lp(**inst)
    assert plan.objective == pytest.approx(linprog_optimum(inst), rel=1e-6, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_balance_holds_and_nothing_arrives_inside_the_lead_time(seed):
    inst = random_instance(seed, n=5, horizon=8)
    plan = replenishment_lp(**inst)
    flow = plan.arrivals - plan.sales
    stock = inst["start_stock"][:, None] + np.cumsum(flow, axis=1)
    assert np.allclose(stock, plan.stock, atol=1e-6)
    assert (plan.stock >= -1e-6).all()
    assert (plan.sales <= inst["demand"] + 1e-6).all()
    blocked = np.arange(8)[None, :] < inst["lead_time"][:, None]
    assert np.allclose(plan.arrivals[blocked], 0.0, atol=1e-7)
    # orders are the arrivals moved back by the lead time
    assert np.allclose(plan.orders.sum(axis=1), plan.arrivals.sum(axis=1))


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_plan_never_orders_past_capacity_unless_it_pays_for_overflow(seed):
    inst = random_instance(seed)
    inst["overflow_cost"] = 1e4  # overflow prohibitively dear
    inst["start_stock"] = np.zeros_like(inst["start_stock"])
    plan = replenishment_lp(**inst)
    used = np.stack([(inst["volume"][:, None] * plan.stock)[inst["group"] == g].sum(axis=0) for g in range(2)])
    assert (used <= inst["capacity"][:, None] + 1e-6).all()
    assert np.allclose(plan.overflow, 0.0, atol=1e-6)


def test_binding_capacity_has_a_positive_shadow_price():
    inst = random_instance(1, n=3, horizon=6)
    # stock on hand far above the space: the first periods overflow, and space is worth its rent
    inst.update(capacity=np.array([1.0, 1.0]), start_stock=np.full(3, 100.0), demand=np.full((3, 6), 10.0),
                overflow_cost=2.0)
    plan = replenishment_lp(**inst)
    assert plan.overflow[:, 0].max() > 0
    assert plan.capacity_price.max() == pytest.approx(2.0)
    assert (plan.capacity_price <= 2.0 + 1e-9).all()


def test_bad_input_is_named():
    inst = random_instance(0)
    inst["lead_time"] = np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match="lead times must be >= 1"):
        replenishment_lp(**inst)
    inst = random_instance(0)
    inst["demand"][2, 3] = -1
    with pytest.raises(ValueError, match="demand of item 2 in period 3 is -1"):
        replenishment_lp(**inst)


def test_periodic_review_orders_only_on_review_periods():
    inst = random_instance(3, n=4, horizon=14)
    plan = replenishment_lp(**inst, order_every=7)
    placed = np.argwhere(plan.orders > 1e-9)
    assert placed.size and set(placed[:, 1] % 7) == {0}
    # a restriction can only cost more than free ordering
    assert plan.objective >= replenishment_lp(**inst).objective - 1e-6
