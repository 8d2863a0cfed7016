import numpy as np
import pytest

from workbench.inventory.simulate import Costs, PlanPolicy, simulate
from workbench.risk.measures import cvar
from workbench.risk.sourcing import SourcingInputs, lead_scenarios, solve_sourcing

ALPHA = 0.8
LAMBDAS = [0.0, 0.5, 1.0, 3.0, 10.0]


def random_inputs(seed: int, S: int = 12, n: int = 3, H: int = 10, slow_ratios=(1.0,) * 8 + (1.5, 2.5)) -> SourcingInputs:
    rng = np.random.default_rng(seed)
    nominal = rng.integers(2, 4, n).astype(float)
    cost = rng.uniform(1.0, 3.0, n)
    return SourcingInputs(
        demand=rng.poisson(rng.uniform(2.0, 8.0, n)[None, :, None], (S, n, H)).astype(float),
        lead={"slow": lead_scenarios(nominal, np.asarray(slow_ratios), 1.5, S, H, rng),
              "fast": lead_scenarios(nominal, np.ones(1), 0.5, S, H, rng)},
        unit_cost={"slow": cost, "fast": 1.3 * cost},
        holding=0.05 * cost, shortage=2.5 * cost, start_stock=rng.uniform(0.0, 10.0, n),
        pipeline=np.where(np.arange(H)[None, :] == 1, rng.uniform(0.0, 5.0, (n, 1)), 0.0),
    )


@pytest.fixture(scope="module")
def frontier_run():
    inputs = random_inputs(0)
    return inputs, solve_sourcing(inputs, LAMBDAS, ALPHA)


def test_lp_cvar_is_the_exact_cvar_of_the_scenario_costs(frontier_run):
    _, result = frontier_run
    f = result.frontier
    assert f.columns == ["lam", "expected_cost", "cvar", "cvar_exact", "fast_share", "solve_seconds"]
    priced = f.filter(f["lam"] > 0)
    np.testing.assert_allclose(priced["cvar"].to_numpy(), priced["cvar_exact"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(f["cvar_exact"].to_numpy(), cvar(result.scenario_costs, ALPHA, axis=1), rtol=1e-12)
    np.testing.assert_allclose(f["expected_cost"].to_numpy(), result.scenario_costs.mean(axis=1), rtol=1e-12)
    assert f["cvar"][0] is None  # lambda 0 leaves the tail variables unpriced


def test_frontier_is_monotone(frontier_run):
    _, result = frontier_run
    f = result.frontier
    expected, risk = f["expected_cost"].to_numpy(), f["cvar_exact"].to_numpy()
    tol = 1e-6 * np.abs(expected).max()
    assert np.all(np.diff(expected) >= -tol)
    assert np.all(np.diff(risk) <= tol)
    # the weights matter on this instance: the tail falls by more than rounding
    assert risk[0] - risk[-1] > 1e-3 * risk[0]
    assert np.all(risk >= expected - tol)


def test_scenario_costs_replay_through_the_inventory_simulation(frontier_run):
    """The plan's orders, moved on by each scenario's lead times and served from stock day by
    day, cost in every scenario what the LP says (the balance holds in every period)."""
    inputs, result = frontier_run
    S, n, H = inputs.demand.shape
    k = LAMBDAS.index(1.0)
    i, t = np.meshgrid(np.arange(n), np.arange(H), indexing="ij")
    terminal = np.minimum(inputs.unit_cost["slow"], inputs.unit_cost["fast"])
    bought = sum((inputs.unit_cost[s] * result.orders[s][k].sum(axis=1)).sum() for s in ("slow", "fast"))
    for s in range(S):
        arrivals = np.array(inputs.pipeline, dtype=float)
        for src in ("slow", "fast"):
            at = t + inputs.lead[src][s]
            inside = at < H
            np.add.at(arrivals, (i[inside], at[inside]), result.orders[src][k][inside])
        sim = simulate(inputs.demand[s], inputs.start_stock, np.ones(n, dtype=int), PlanPolicy(np.zeros((n, H))),
                       Costs(holding=inputs.holding, ordering=np.zeros(n), shortage=inputs.shortage), pipeline=arrivals)
        owned = inputs.start_stock + inputs.pipeline.sum(axis=1)  # credited only for what the plan adds
        cost = bought + sim.total_cost.sum() - (terminal * (sim.stock_path[:, -1] - owned)).sum()
        assert cost == pytest.approx(result.scenario_costs[k, s], rel=1e-6, abs=1e-6)


def test_split_per_series_adds_up(frontier_run):
    _, result = frontier_run
    split = result.split(1.0)
    assert split.columns == ["series", "slow_units", "fast_units", "fast_share", "expected_cost"]
    k = LAMBDAS.index(1.0)
    assert split["expected_cost"].sum() == pytest.approx(result.frontier["expected_cost"][k], rel=1e-9)
    units = split["slow_units"].sum() + split["fast_units"].sum()
    assert split["fast_units"].sum() / units == pytest.approx(result.frontier["fast_share"][k], rel=1e-9)
    with pytest.raises(KeyError, match="not on the frontier"):
        result.split(0.7)


def test_a_fast_source_as_cheap_and_never_late_takes_all_orders():
    inputs = random_inputs(1, slow_ratios=(1.0, 1.4, 2.0))
    inputs.demand = np.broadcast_to(inputs.demand[:1], inputs.demand.shape).copy()  # demand known
    inputs.unit_cost["fast"] = inputs.unit_cost["slow"].copy()
    inputs.lead["fast"] = np.ones_like(inputs.lead["fast"])
    result = solve_sourcing(inputs, [0.0, 2.0], ALPHA)
    assert result.orders["fast"].sum() > 10.0
    assert result.orders["slow"].sum() <= 1e-6 * result.orders["fast"].sum()


def test_a_cheaper_slow_source_free_of_risk_takes_all_orders():
    inputs = random_inputs(2)
    inputs.lead["slow"] = inputs.lead["fast"].copy()  # same lead, ratio 1
    result = solve_sourcing(inputs, [0.0, 2.0], ALPHA)
    assert result.orders["slow"].sum() > 10.0
    assert result.orders["fast"].sum() <= 1e-6 * result.orders["slow"].sum()
    assert result.frontier["fast_share"].max() <= 1e-6


def test_zero_demand_orders_nothing():
    inputs = random_inputs(3)
    inputs.demand = np.zeros_like(inputs.demand)
    result = solve_sourcing(inputs, [0.0, 1.0], ALPHA)
    assert result.orders["slow"].sum() == 0.0 and result.orders["fast"].sum() == 0.0
    assert result.frontier["fast_share"].null_count() == 2
    assert result.split(1.0)["fast_share"].null_count() == inputs.demand.shape[1]


def one_item(start_stock: float) -> SourcingInputs:
    return SourcingInputs(
        demand=np.array([[[0.0, 4.0, 6.0]]]),
        lead={"slow": np.full((1, 1, 3), 2), "fast": np.full((1, 1, 3), 1)},
        unit_cost={"slow": np.array([1.0]), "fast": np.array([2.0])},
        holding=np.array([0.1]), shortage=np.array([10.0]), start_stock=np.array([start_stock]),
    )


def test_one_item_one_scenario_by_hand():
    # period 1's 4 units: only a fast order of period 0 arrives in time (1 unit is on hand);
    # period 2's 6 units: the slow order of period 0 arrives then, at half the price.
    # cost = 3 x 2 (fast) + 6 x 1 (slow) + 0.1 x 1 (the start unit held through period 0)
    #        + 1 x 1 (the start unit, worth the slow cost, is used up)
    result = solve_sourcing(one_item(1.0), [0.0, 1.0], 0.5)
    np.testing.assert_allclose(result.orders["fast"][:, 0], [[3.0, 0.0, 0.0]] * 2, atol=1e-9)
    np.testing.assert_allclose(result.orders["slow"][:, 0], [[6.0, 0.0, 0.0]] * 2, atol=1e-9)
    np.testing.assert_allclose(result.frontier["expected_cost"].to_numpy(), 13.1, rtol=1e-9)
    assert result.frontier["cvar"][1] == pytest.approx(13.1, rel=1e-9)
    assert result.frontier["fast_share"][1] == pytest.approx(3 / 9)


def test_terminal_value_credits_the_end_stock_by_hand():
    # 12 on hand, nothing ordered: stock 12, 8, 2 holds 2.2; the 10 units of the start stock used
    # up are worth 10 x 1 (slow cost)
    with_value = solve_sourcing(one_item(12.0), [1.0], 0.5)
    without = solve_sourcing(one_item(12.0), [1.0], 0.5, terminal_value=False)
    assert with_value.frontier["expected_cost"][0] == pytest.approx(12.2, abs=1e-9)
    assert without.frontier["expected_cost"][0] == pytest.approx(2.2, abs=1e-9)
    assert with_value.orders["slow"].sum() + with_value.orders["fast"].sum() == 0.0


@pytest.mark.parametrize(("change", "message"), [
    (lambda x: setattr(x, "demand", x.demand[0]), r"demand has shape \(3, 10\)"),
    (lambda x: x.lead.__setitem__("fast", x.lead["fast"][:, :, :5]), r"lead\['fast'\] has shape \(12, 3, 5\)"),
    (lambda x: x.lead.pop("slow"), r"lead has \['fast'\]; expected one entry per source"),
    (lambda x: x.unit_cost.__setitem__("slow", np.ones(4)), r"unit_cost\['slow'\] has shape \(4,\)"),
    (lambda x: setattr(x, "holding", np.ones((3, 1))), r"holding has shape \(3, 1\)"),
    (lambda x: setattr(x, "pipeline", np.zeros((3, 9))), r"pipeline has shape \(3, 9\)"),
    (lambda x: x.demand.__setitem__((4, 2, 7), -1.0), r"demand at scenario 4, series 2, period 7 is -1.0"),
    (lambda x: x.lead["slow"].__setitem__((1, 0, 3), 0), r"lead\['slow'\] at scenario 1, series 0, period 3 is 0"),
    (lambda x: setattr(x, "shortage", np.array([1.0, np.nan, 1.0])), r"shortage at series 1 is nan"),
    (lambda x: setattr(x, "names", ["a"]), r"names has 1 entries; expected one per series \(3\)"),
])
def test_bad_inputs_name_the_array(change, message):
    inputs = random_inputs(4)
    change(inputs)
    with pytest.raises(ValueError, match=message):
        solve_sourcing(inputs, [1.0], ALPHA)


def test_bad_settings_are_named():
    inputs = random_inputs(4)
    with pytest.raises(ValueError, match="alpha=1.0"):
        solve_sourcing(inputs, [1.0], 1.0)
    with pytest.raises(ValueError, match="lambdas"):
        solve_sourcing(inputs, [-1.0], ALPHA)


def test_lead_scenarios_scale_round_and_floor_the_observed_ratios():
    ratios = np.array([0.1, 1.0, 1.5])
    lead = lead_scenarios(np.array([2.0, 6.0]), ratios, 2.0, 50, 7, np.random.default_rng(5))
    assert lead.shape == (50, 2, 7) and lead.dtype.kind == "i"
    assert set(np.unique(lead[:, 0])) == {1, 4, 6}  # round(0.4) = 0 is floored at one period
    assert set(np.unique(lead[:, 1])) == {1, 12, 18}
    again = lead_scenarios(np.array([2.0, 6.0]), ratios, 2.0, 50, 7, np.random.default_rng(5))
    np.testing.assert_array_equal(lead, again)
    with pytest.raises(ValueError, match="ratios"):
        lead_scenarios(np.array([2.0]), np.array([]), 2.0, 5, 7, np.random.default_rng(0))
    with pytest.raises(ValueError, match="nominal"):
        lead_scenarios(np.array([0.0]), ratios, 2.0, 5, 7, np.random.default_rng(0))
