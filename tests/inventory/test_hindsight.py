import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.stats import poisson

from workbench.inventory.cube import Cube
from workbench.inventory.hindsight import _strengthen, hindsight
from workbench.inventory.levels import POLICIES, LevelInputs, make_policies
from workbench.inventory.lp import CompiledPlan, PlanItems, Transfers, plan_replenishment
from workbench.inventory.mpc import RollingPlanner
from workbench.inventory.simulate import Costs, PlanPolicy, TransferArcs, simulate

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])


def instance(seed: int, n: int = 6, T: int = 28):
    rng = np.random.default_rng(seed)
    mu = rng.uniform(3.0, 12.0, n)
    demand = rng.poisson(mu[:, None], (n, T)).astype(float)
    lead = rng.integers(1, 4, n)
    costs = Costs(holding=rng.uniform(0.1, 0.5, n), ordering=rng.uniform(5.0, 20.0, n),
                  shortage=rng.uniform(2.0, 6.0, n))
    values = np.broadcast_to(poisson.ppf(LEVELS, mu[:, None])[:, None, :], (n, T + 40, LEVELS.size)).astype(float)
    cube = Cube(mean=np.broadcast_to(mu[:, None], (n, T + 40)).copy(), values=values.copy(), levels=LEVELS)
    return demand, rng.poisson(mu * 2).astype(float), lead, costs, cube


def policies(demand, start, lead, costs, cube, backorders):
    """Every registered policy, the open-loop LP plan and the re-planned LP, as simulate() policies."""
    n, T = demand.shape
    x = LevelInputs(cube=Cube(cube.mean[:, :T], cube.values[:, :T], cube.levels), lead=lead, review=7,
                    holding=costs.holding, order_cost=costs.ordering, shortage=costs.shortage,
                    target=np.full(n, 0.95), correlation=1.0)
    out = {p.name: p.rule(p.levels(x), x) for p in make_policies(list(POLICIES))}
    items = PlanItems(demand=cube.values[:, :T, 5], start_stock=start, lead_time=lead, holding_cost=costs.holding,
                      shortage_cost=costs.shortage, unit_order_cost=costs.ordering / 30.0, unit_cost=1.0)
    shortage = "backorder" if backorders else "lost_sales"
    out["lp"] = PlanPolicy(plan_replenishment(items, order_every=7, shortage=shortage).orders)
    out["mpc"] = RollingPlanner(items, lambda t: Cube(cube.mean[:, t + 1:], cube.values[:, t + 1:], cube.levels), T,
                                horizon=14, shortage=shortage)
    return out


@pytest.mark.parametrize("backorders", [False, True])
def test_no_policy_beats_the_bound(backorders):
    demand, start, lead, costs, cube = instance(1)
    bound = hindsight(demand, start, lead, costs, backorders=backorders)
    assert bound.status == "optimal"
    assert bound.relaxation <= bound.bound + 1e-6 <= bound.total_cost + 1e-6
    assert bound.total_cost == pytest.approx(bound.plan.objective, rel=1e-6)
    scale = demand.sum() * costs.shortage.max()
    costs_seen = {}
    for name, policy in policies(demand, start, lead, costs, cube, backorders).items():
        cost = simulate(demand, start, lead, policy, costs, backorders=backorders).total_cost.sum()
        costs_seen[name] = cost
        assert cost >= bound.bound - 1e-6 * scale, name
    assert len(costs_seen) >= 7
    # the bound is not vacuous: the best policy is within a factor of it
    assert min(costs_seen.values()) < 3 * bound.total_cost


@pytest.mark.parametrize("backorders", [False, True])
def test_hindsight_plan_is_priced_as_the_simulation_prices_it(backorders):
    demand, start, lead, costs, _ = instance(2, n=5, T=20)
    draws = np.random.default_rng(3).integers(1, 5, demand.shape)  # orders cross
    pipe = np.zeros((5, 3))
    pipe[:, 1] = 4.0
    bound = hindsight(demand, start, draws, costs, pipeline=pipe, backorders=backorders)
    run = simulate(demand, start, lead, PlanPolicy(bound.plan.orders), costs, pipeline=pipe, backorders=backorders,
                   lead_draws=draws)
    assert run.total_cost == pytest.approx(bound.per_row, rel=1e-6, abs=1e-6)
    assert run.total_cost.sum() == pytest.approx(bound.total_cost, rel=1e-6)


def test_relaxation_is_weaker_and_quicker_to_prove():
    demand, start, lead, costs, _ = instance(4)
    lp = hindsight(demand, start, lead, costs, integer=False)
    mip = hindsight(demand, start, lead, costs)
    assert not lp.integer and lp.bound == pytest.approx(lp.relaxation)
    assert lp.bound <= mip.bound + 1e-6
    assert lp.total_cost >= lp.bound - 1e-6  # the relaxed plan, priced with its spread fixed cost
    # no fixed cost: the relaxation is exact
    free = Costs(costs.holding, np.zeros(6), costs.shortage)
    assert hindsight(demand, start, lead, free, integer=False).total_cost == pytest.approx(
        hindsight(demand, start, lead, free).total_cost, rel=1e-6)


def test_bad_demand_is_named():
    with pytest.raises(ValueError, match=r"hindsight: demand has shape \(3,\)"):
        hindsight(np.ones(3), np.zeros(3), np.ones(3, dtype=int), Costs(np.ones(3), np.ones(3), np.ones(3)))
    with pytest.raises(ValueError, match="lead times must be >= 1 period; series 1 has 0"):
        hindsight(np.ones((2, 4)), np.zeros(2), np.array([[1, 1, 1, 1], [1, 0, 1, 1]]),
                  Costs(np.ones(2), np.ones(2), np.ones(2)))


def _relaxation(problem: cp.Problem) -> float:
    """The linear relaxation of a mixed-integer cvxpy problem (binaries in [0, 1]), in the solver's terms."""
    data, _, _ = problem.get_problem_data(cp.HIGHS, ignore_dpp=True)
    A, b, c, eq = sp.csr_matrix(data["A"]), data["b"], data["c"], data["dims"].zero
    none = [None] * c.size
    lower, upper = data.get("lower_bounds"), data.get("upper_bounds")
    bounds = list(zip(none if lower is None else lower, none if upper is None else upper, strict=True))
    for k in data["bool_vars_idx"]:
        bounds[k] = (0.0, 1.0)
    res = linprog(c, A_ub=A[eq:], b_ub=b[eq:], A_eq=A[:eq], b_eq=b[:eq], bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


@pytest.mark.parametrize("backorders", [False, True])
def test_strengthened_mip_keeps_the_optimum_and_tightens_the_relaxation(backorders):
    demand, start, lead, costs, _ = instance(5, n=4, T=12)
    draws = np.random.default_rng(6).integers(1, 4, demand.shape)
    arcs = Transfers(np.array([0, 1, 2, 3]), np.array([1, 0, 3, 2]), np.full(4, 0.5), lead_time=1)
    items = PlanItems(demand=demand, start_stock=start * 0.3, lead_time=draws, holding_cost=costs.holding,
                      shortage_cost=costs.shortage, order_cost=costs.ordering, case_pack=0.0)
    shortage = "backorder" if backorders else "lost_sales"
    found, relaxed = {}, {}
    for strong in (False, True):
        plan = CompiledPlan(items, shortage=shortage, transfers=arcs, integer=True, mip_gap=1e-9, reuse=False)
        plain_big = plan.h["params"]["big"].value.copy()
        if strong:
            cuts = _strengthen(plan.h, demand, arcs, backorders)
            assert bool(cuts) == backorders
            assert np.all(plan.h["params"]["big"].value <= plain_big + 1e-9)
            plan.problem = cp.Problem(plan.problem.objective, [*plan.problem.constraints, *cuts])
        relaxed[strong] = _relaxation(plan.problem)
        result = plan.solve()
        assert result.status == "optimal"
        found[strong] = result.objective
    assert found[True] == pytest.approx(found[False], rel=1e-6, abs=1e-6)
    # the relaxation is tighter by a margin the solver's tolerances cannot explain
    assert relaxed[True] > relaxed[False] + 1e-3 * abs(found[False]) + 1.0
    # and hindsight() proves the same optimum
    bound = hindsight(demand, start * 0.3, draws, costs, backorders=backorders,
                      transfers=TransferArcs(arcs.source, arcs.target, arcs.cost, lead_time=1), gap=1e-9)
    assert bound.status == "optimal"
    assert bound.bound == pytest.approx(bound.total_cost, rel=1e-6)
