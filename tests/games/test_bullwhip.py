import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.config.games import BullwhipConfig
from workbench.games.bullwhip import simulate_chain, simulate_config, tier_costs
from workbench.games.bullwhip_demand import (
    ar1_demand,
    bootstrap_demand,
    iid_demand,
)
from workbench.games.bullwhip_theory import (
    bullwhip_ratios,
    centralised_bound,
    chen_bound,
    decentralised_bound,
    exp_smoothing_bound,
    linear_ratios,
    sharing_study,
    sharing_table,
    sterman_oscillation,
    value_of_information,
)

WARMUP = 50


@pytest.fixture(scope="module")
def iid():
    return iid_demand(2000, 300, 100.0, 10.0, seed=11)


@pytest.fixture(scope="module")
def ar():
    return ar1_demand(2000, 300, 100.0, 10.0, rho=0.5, seed=12)


@pytest.mark.parametrize(("lead", "window"), [(0, 5), (1, 1), (2, 8), (4, 4), (3, 10)])
def test_single_stage_matches_chen_et_al_for_iid_demand(iid, lead, window):
    ratio = bullwhip_ratios(simulate_chain(iid, [lead], window=window), WARMUP)[0]
    assert ratio == pytest.approx(1 + 2 * lead / window + 2 * lead**2 / window**2, rel=0.03)


@pytest.mark.parametrize(("lead", "window"), [(1, 2), (2, 4), (4, 6)])
def test_single_stage_matches_chen_et_al_for_ar1_demand(ar, lead, window):
    ratio = bullwhip_ratios(simulate_chain(ar, [lead], window=window), WARMUP)[0]
    expected = 1 + (2 * lead / window + 2 * lead**2 / window**2) * (1 - 0.5**window)
    assert ratio == pytest.approx(expected, rel=0.03)
    assert expected == pytest.approx(chen_bound(lead, window, rho=0.5), abs=1e-12)


def test_exponential_smoothing_matches_its_closed_form(iid, ar):
    for demand, rho in ((iid, 0.0), (ar, 0.5)):
        ratio = bullwhip_ratios(simulate_chain(demand, [3], forecast="exp_smoothing", alpha=0.3), WARMUP)[0]
        assert ratio == pytest.approx(exp_smoothing_bound(3, 0.3, rho), rel=0.03)
    assert exp_smoothing_bound(2, 0.25) == pytest.approx(1 + 2 * 2 * 0.25 + 2 * 4 * 0.25**2 / 1.75, abs=1e-12)


@pytest.mark.parametrize(("lead", "window"), [(1, 2), (2, 8), (4, 4)])
def test_estimated_safety_stock_only_adds_variance(iid, lead, window):
    plain = bullwhip_ratios(simulate_chain(iid, [lead], window=window), WARMUP)[0]
    with_z = bullwhip_ratios(simulate_chain(iid, [lead], window=window, safety_factor=1.0), WARMUP)[0]
    assert with_z >= chen_bound(lead, window)
    assert with_z > plain  # the same paths: the sigma-hat term is extra variance


def test_closed_forms_by_hand():
    assert chen_bound(2, 8) == pytest.approx(1.625, abs=1e-12)
    assert decentralised_bound([2, 2, 2, 2], 8) == pytest.approx(np.cumprod([1.625] * 4), abs=1e-12)
    assert centralised_bound([1, 2, 3], 4) == pytest.approx([1 + 0.5 + 0.125, 1 + 1.5 + 1.125, 1 + 3 + 4.5], abs=1e-12)
    assert linear_ratios([2, 2], window=8) == pytest.approx(
        [1.625, (1.25**2 + 0.25**2) ** 2 + 2 * 1.25**2 * 0.25**2], abs=1e-9)  # convolution by hand
    assert linear_ratios([2, 3], window=5, share_information=True) == pytest.approx(
        centralised_bound([2, 3], 5), abs=1e-9)


@pytest.fixture(scope="module")
def four_tiers(iid):
    lead = [2, 1, 3, 2]
    return lead, simulate_chain(iid, lead, window=6), simulate_chain(iid, lead, window=6, share_information=True)


def test_four_tiers_respect_chen_et_al_bounds(four_tiers):
    lead, without, shared = four_tiers
    r_without, r_shared = bullwhip_ratios(without, WARMUP), bullwhip_ratios(shared, WARMUP)
    assert (r_without >= 0.97 * decentralised_bound(lead, 6)).all()
    assert (r_shared >= 0.97 * centralised_bound(lead, 6)).all()
    assert r_shared[0] == r_without[0]  # the retailer sees the customers either way
    assert (r_shared[1:] < 0.9 * r_without[1:]).all()  # sharing damps every upstream tier
    assert np.all(np.diff(r_without) > 0)  # the whip grows up the chain


@pytest.mark.parametrize("forecast", ["moving_average", "exp_smoothing"])
@pytest.mark.parametrize("share", [False, True])
def test_four_tiers_match_the_exact_linear_ratios(forecast, share):
    demand = ar1_demand(2000, 250, 100.0, 10.0, rho=0.7, seed=3)
    lead = [2, 1, 3, 2]
    result = simulate_chain(demand, lead, forecast=forecast, window=6, alpha=0.3, share_information=share)
    exact = linear_ratios(lead, forecast, window=6, alpha=0.3, rho=0.7, share_information=share)
    assert bullwhip_ratios(result, 60) == pytest.approx(exact, rel=0.01)


def test_clipped_orders_are_never_negative_and_break_the_equality():
    demand = iid_demand(1000, 200, 100.0, 40.0, seed=5)
    free = simulate_chain(demand, [2, 2, 2], window=4)
    clipped = simulate_chain(demand, [2, 2, 2], window=4, allow_negative=False)
    assert free.orders.min() < 0 and clipped.orders.min() >= 0
    assert not np.allclose(bullwhip_ratios(free, WARMUP), bullwhip_ratios(clipped, WARMUP), rtol=0.03)


@settings(max_examples=25, deadline=None)
@given(
    lead=st.lists(st.integers(0, 4), min_size=1, max_size=4),
    window=st.integers(1, 6),
    policy=st.sampled_from(["order_up_to", "sterman"]),
    share=st.booleans(),
    allow_negative=st.booleans(),
    z=st.sampled_from([0.0, 1.0]),
    seed=st.integers(0, 10_000),
)
def test_inventory_balance_holds_in_every_period_and_tier(lead, window, policy, share, allow_negative, z, seed):
    if policy == "sterman":
        lead = [max(x, 1) for x in lead]
    demand = iid_demand(15, 40, 10.0, 8.0, seed)  # noisy enough for backlogs, returns and negative demand
    r = simulate_chain(demand, lead, policy=policy, window=window, share_information=share,
                       allow_negative=allow_negative, safety_factor=z, record_flows=True)
    f = r.flows
    assert r.on_hand.min() >= -1e-9 and r.backlog.min() >= 0 and f["shipped"].min() >= -1e-9
    assert np.allclose(r.backlog, np.maximum(f["owed"], 0.0))
    incoming = np.concatenate([demand[None], r.orders[:-1]])
    net = r.on_hand - f["owed"]
    flow = f["received"] - incoming - f["returned"]
    assert np.allclose(np.diff(net, axis=2), flow[:, :, 1:], atol=1e-8)
    for k in range(len(lead) - 1):  # what tier k + 1 ships arrives at tier k after L_k periods
        T = demand.shape[1] - lead[k]
        assert np.allclose(f["received"][k, :, lead[k]:], f["shipped"][k + 1, :, :T], atol=1e-8)
    if policy == "sterman" or not allow_negative:
        assert r.orders.min() >= 0


def test_demand_is_reproducible_from_its_seed():
    assert np.array_equal(iid_demand(5, 7, 10, 2, seed=1), iid_demand(5, 7, 10, 2, seed=1))
    assert not np.array_equal(iid_demand(5, 7, 10, 2, seed=1), iid_demand(5, 7, 10, 2, seed=2))
    assert np.array_equal(ar1_demand(5, 7, 10, 2, 0.3, seed=1), ar1_demand(5, 7, 10, 2, 0.3, seed=1))
    series = np.arange(30.0)
    assert np.array_equal(bootstrap_demand(series, 4, 9, 3, seed=1), bootstrap_demand(series, 4, 9, 3, seed=1))
    d = iid_demand(50, 60, 10, 2, seed=1)
    a, b = simulate_chain(d, [1, 2], safety_factor=1.0), simulate_chain(d, [1, 2], safety_factor=1.0)
    assert np.array_equal(a.orders, b.orders) and np.array_equal(a.on_hand, b.on_hand)


def test_ar1_demand_is_stationary_with_the_asked_correlation():
    d = ar1_demand(4000, 60, 50.0, 5.0, rho=0.6, seed=0)
    assert d[:, 0].std() == pytest.approx(5.0, rel=0.05) and d[:, -1].std() == pytest.approx(5.0, rel=0.05)
    lag1 = np.corrcoef(d[:, :-1].ravel(), d[:, 1:].ravel())[0, 1]
    assert lag1 == pytest.approx(0.6, abs=0.02)


def test_bootstrap_keeps_the_mean_and_the_autocorrelation():
    series = ar1_demand(1, 400, 200.0, 30.0, rho=0.8, seed=4)[0]
    paths = bootstrap_demand(series, 500, 104, block=20, seed=6)
    assert paths.mean() == pytest.approx(series.mean(), rel=0.01)
    assert np.isin(paths, series).all()

    def lag1(x):
        x = x - series.mean()
        return float((x[..., :-1] * x[..., 1:]).mean() / (x * x).mean())

    assert lag1(paths) == pytest.approx(lag1(series), abs=0.1)
    iid_paths = bootstrap_demand(series, 500, 104, block=1, seed=6)  # block 1: an i.i.d. resample
    assert abs(lag1(iid_paths)) < 0.05


def test_costs_and_the_value_of_information(four_tiers):
    lead, without, shared = four_tiers
    h, b = [1.0, 0.75, 0.5, 0.25], [10.0, 5.0, 2.5, 1.25]
    table = sharing_table(without, shared, h, b, window=6, warmup=WARMUP)
    assert table["tier"].to_list() == ["retailer", "distributor", "manufacturer", "supplier"]
    assert table["centralised_bound"].to_list() == pytest.approx(centralised_bound(lead, 6), abs=1e-12)
    assert table["ratio_sharing"].to_numpy() == pytest.approx(table["linear_sharing"].to_numpy(), rel=0.01)
    cost = tier_costs(without, h, b, WARMUP)
    k = 2
    by_hand = h[k] * without.on_hand[k, :, WARMUP:].mean() + b[k] * without.backlog[k, :, WARMUP:].mean()
    assert cost[k] == pytest.approx(by_hand, rel=1e-12)
    voi = value_of_information(without, shared, h, b, WARMUP)
    assert voi == pytest.approx(table["cost_no_sharing"].sum() - table["cost_sharing"].sum(), rel=1e-9)
    assert voi > 0  # with z = 0 the steadier upstream orders cost less
    other = simulate_chain(iid_demand(2000, 300, 100.0, 10.0, seed=99), lead, window=6, share_information=True)
    with pytest.raises(ValueError, match="same demand"):
        value_of_information(without, other, h, b, WARMUP)


def test_config_study_runs_both_chains_on_the_same_paths():
    cfg = BullwhipConfig(seed=0, n_paths=200, periods=60, warmup=30)
    demand = ar1_demand(cfg.n_paths, cfg.periods + cfg.warmup, 100.0, 10.0, cfg.ar_rho, cfg.seed)
    table, voi = sharing_study(cfg, demand, [1.0, 0.75, 0.5, 0.25], [10.0, 5.0, 2.5, 1.25], rho=cfg.ar_rho)
    assert table.height == 4 and np.isfinite(voi)
    assert simulate_config(cfg, demand).orders.shape == (4, 200, 90)


def test_sterman_underweighting_the_supply_line_oscillates():
    demand = iid_demand(500, 208, 100.0, 10.0, seed=8)
    table = sterman_oscillation(demand, [2, 2, 2, 2], betas=(0.34, 1.0), warmup=52)
    low, rational = table.filter(table["supply_line_weight"] == 0.34), table.filter(table["supply_line_weight"] == 1.0)
    assert (low["amplitude"].to_numpy() > 1.5 * rational["amplitude"].to_numpy()).all()
    assert low["period"].is_not_nan().all() and rational["period"].is_nan().all()  # no second peak at beta = 1
    assert (low["ratio"].to_numpy() > 3 * rational["ratio"].to_numpy()).all()


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        (dict(window=0), "games.bullwhip.window=0"),
        (dict(lead_times=[2, -1]), "games.bullwhip.lead_times"),
        (dict(policy="guess"), "games.bullwhip.policy='guess'"),
        (dict(forecast="naive"), "games.bullwhip.forecast"),
        (dict(alpha=0.0), "games.bullwhip.alpha"),
        (dict(stock_adjustment=1.5), "games.bullwhip.stock_adjustment"),
        (dict(policy="sterman", lead_times=[0, 2]), "games.bullwhip.lead_times"),
    ],
)
def test_bad_settings_are_named(kwargs, setting):
    kw = dict(lead_times=[2, 2])
    kw.update(kwargs)
    with pytest.raises(ValueError, match=setting.replace("[", r"\[")):
        simulate_chain(np.full((2, 5), 10.0), kw.pop("lead_times"), **kw)


def test_bad_costs_and_demand_settings_are_named():
    result = simulate_chain(np.full((2, 5), 10.0), [1, 1])
    with pytest.raises(ValueError, match="games.bullwhip.holding_costs has 3 entries"):
        tier_costs(result, [1.0, 1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="games.bullwhip.backorder_costs"):
        tier_costs(result, [1.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="games.bullwhip.ar_rho=1"):
        ar1_demand(2, 5, 10.0, 1.0, rho=1.0, seed=0)
    with pytest.raises(ValueError, match="games.bullwhip.n_paths=0"):
        iid_demand(0, 5, 10.0, 1.0, seed=0)


def test_bootstrap_of_a_panel_category(tiny_panel):
    from workbench.games.data import category_data

    series = category_data(tiny_panel, None, 14).daily["demand"].to_numpy()
    paths = bootstrap_demand(series, 50, 30, block=4, seed=0)
    assert paths.shape == (50, 30) and np.isin(paths, series).all()
