"""The simulator as a Gymnasium environment, its per-item VecEnv, and the PPO policy trained in it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from workbench.config.inventory import LearnedConfig
from workbench.inventory.cube import Cube
from workbench.inventory.env import Features, InventoryEnv, ItemVecEnv, Window, typical_period_cost
from workbench.inventory.learned import base_stock, compare_learned, price, train_ppo
from workbench.inventory.simulate import Costs, ReorderPolicy, simulate

LEVELS = np.array([0.1, 0.5, 0.9])


def window(n: int = 5, horizon: int = 30, seed: int = 0) -> Window:
    """Poisson demand around a weekly pattern with a matching forecast, items of different scales."""
    rng = np.random.default_rng(seed)
    mu = np.geomspace(0.5, 40.0, n)[:, None] * (1 + 0.3 * np.sin(2 * np.pi * np.arange(horizon) / 7))[None, :]
    z = np.array([-1.2816, 0.0, 1.2816])
    values = np.maximum(mu[..., None] + np.sqrt(mu)[..., None] * z, 0.0)
    costs = Costs(holding=rng.uniform(0.02, 0.1, n), ordering=rng.uniform(5.0, 30.0, n),
                  shortage=rng.uniform(1.0, 4.0, n))
    return Window(demand=rng.poisson(mu).astype(float), cube=Cube(mean=mu, values=values, levels=LEVELS),
                  start_stock=np.round(mu[:, 0] * 4), costs=costs)


LEAD = np.array([1, 2, 3, 2, 4])


def drive(env: InventoryEnv, policy, options=None) -> tuple[float, dict]:
    """Run one episode with a simulator policy's orders (as actions in units of mean demand)."""
    env.reset(seed=0, options=options)
    total, steps = 0.0, 0
    while True:
        units = policy.decide(env.sim.state())
        _, reward, terminated, truncated, info = env.step(env.action_of(units))
        total, steps = total - reward, steps + 1
        assert not terminated
        if truncated:
            return total, {"steps": steps, **info}


def test_environment_reproduces_the_simulation_of_an_s_S_policy():
    w = window()
    policy = ReorderPolicy(np.round(w.cube.mean[:, 0] * (LEAD + 1)), np.round(w.cube.mean[:, 0] * (LEAD + 5)))
    ref = simulate(w.demand, w.start_stock, LEAD, policy, w.costs)
    env = InventoryEnv(w, LEAD, max_order=60.0)
    cost, info = drive(env, policy)
    assert info["steps"] == w.demand.shape[1]
    np.testing.assert_allclose(cost, ref.total_cost.sum(), rtol=1e-9)
    got = env.sim.result()
    np.testing.assert_allclose(got.fill_rate, ref.fill_rate, rtol=1e-9)
    np.testing.assert_allclose(got.summary()["fill_rate_after_lead"], ref.summary()["fill_rate_after_lead"], rtol=1e-9)
    assert ref.orders.sum() > 5 and ref.lost.sum() > 0  # the policy ordered and ran short: the check has teeth
    # with backorders too
    back = simulate(w.demand, w.start_stock, LEAD, policy, w.costs, backorders=True)
    cost_b, _ = drive(InventoryEnv(w, LEAD, backorders=True, max_order=60.0), policy)
    np.testing.assert_allclose(cost_b, back.total_cost.sum(), rtol=1e-9)


def test_observation_is_scaled_by_mean_demand_and_inside_its_space():
    w = window()
    env = InventoryEnv(w, LEAD, forecast_days=4)
    obs, _ = env.reset(seed=1)
    K, d, Q = 4, 4, LEVELS.size
    assert obs.shape == env.observation_space.shape == (5, 2 + K + d * Q + 2)
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)
    mu = w.cube.mean.mean(axis=1)
    state = env.sim.state()
    np.testing.assert_allclose(obs[:, 0], state.stock / mu, rtol=1e-6)
    # the forecast block is days 1..d of the window, quantiles over mean demand: of order one at every scale
    np.testing.assert_allclose(obs[:, 2 + K: 2 + K + Q], w.cube.values[:, 1, :] / mu[:, None], rtol=1e-6)
    assert 0.3 < np.median(obs[:, 2 + K: 2 + K + d * Q]) < 3.0
    np.testing.assert_allclose(obs[:, -2], LEAD / K)
    # an order of two mean demands arrives L periods later: it shows in the arrivals block at position L - 1
    obs, *_ = env.step(env.action_of(np.round(2.0 * mu)))
    arrivals = obs[:, 2: 2 + K]
    for i, lead in enumerate(LEAD):
        if lead > 1:
            assert arrivals[i, lead - 2] == pytest.approx(np.round(2.0 * mu[i]) / mu[i], rel=1e-6)
    # late in the window the forecast block holds the average day, not garbage
    for _ in range(w.demand.shape[1] - 2):
        obs, *_ = env.step(np.full(5, -1.0, dtype=np.float32))
    assert env.observation_space.contains(obs) and np.all(np.isfinite(obs))


def test_gymnasium_env_checker_passes_and_reset_draws_windows_by_seed():
    env = InventoryEnv([window(seed=0), window(seed=1), window(seed=2)], LEAD, normalise=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker's warnings are failures too
        check_env(env, skip_render_check=True)
    drawn = [env.reset(seed=s)[1]["window"] for s in range(12)]
    assert drawn == [env.reset(seed=s)[1]["window"] for s in range(12)] and len(set(drawn)) == 3
    assert env.reset(options={"window": 2})[1]["window"] == 2
    with pytest.raises(ValueError, match="window=3"):
        env.reset(options={"window": 3})
    with pytest.raises(ValueError, match="action has shape"):
        env.step(np.zeros(4))


def test_bad_inputs_name_what_was_expected():
    w = window()
    with pytest.raises(ValueError, match="lead_time"):
        InventoryEnv(w, np.array([1, 2]))
    with pytest.raises(ValueError, match="window 1 has 3 items"):
        InventoryEnv([w, window(n=3)], LEAD)
    with pytest.raises(ValueError, match="forecast_days"):
        InventoryEnv(w, LEAD, forecast_days=0)


def test_item_vecenv_steps_every_item_and_truncates_at_the_window_end():
    w = window(horizon=10)
    venv = ItemVecEnv(InventoryEnv(w, LEAD, normalise=True))
    assert venv.num_envs == 5 and venv.action_space.shape == (1,)
    venv.seed(3)
    obs = venv.reset()
    assert obs.shape == (5, venv.observation_space.shape[0])
    scale = typical_period_cost(w.costs, np.maximum(w.cube.mean.mean(axis=1), 0.1))
    for t in range(10):
        obs, rewards, dones, infos = venv.step(np.full((5, 1), -0.5, dtype=np.float32))
        np.testing.assert_allclose(rewards, -np.array([i["cost"] for i in infos]) / scale, rtol=1e-5)
        assert dones.all() == (t == 9)
    assert all(i["TimeLimit.truncated"] and "terminal_observation" in i for i in infos)
    assert venv.env.sim.t == 0  # a new window began


def test_ppo_trains_reproducibly_and_is_priced_by_the_same_simulator():
    train = [window(seed=s) for s in (10, 11, 12)]
    w = window(seed=13)
    costs = []
    for _ in range(2):
        trained = train_ppo(train, LEAD, timesteps=1200, seed=7, n_steps=30, batch_size=75, n_epochs=2)
        assert trained.timesteps >= 1200
        res = price(trained.policy(w, LEAD), w, LEAD)
        costs.append(res.total_cost.sum())
    assert costs[0] == costs[1]
    # the learned policy's SimResult is the simulator's: costs add up, sales never exceed demand
    np.testing.assert_allclose(res.total_cost, res.holding_cost + res.ordering_cost + res.shortage_cost)
    np.testing.assert_allclose(res.sales + res.lost, res.demand, rtol=1e-9)
    np.testing.assert_allclose(res.holding_cost, w.costs.holding * res.stock_path.sum(axis=1), rtol=1e-9)
    # ... and driving the environment with the network gives the same cost
    env = InventoryEnv(w, LEAD, max_order=trained.max_order)
    policy = trained.policy(w, LEAD)
    env.reset(seed=0)
    total, done = 0.0, False
    while not done:
        _, reward, _, done, _ = env.step(env.action_of(policy.decide(env.sim.state())))
        total -= reward
    np.testing.assert_allclose(total, res.total_cost.sum(), rtol=1e-9)


def test_compare_learned_prices_ppo_next_to_base_stock_on_the_top_items():
    train = [window(seed=s) for s in (20, 21)]
    w = window(seed=22)
    table = compare_learned(train, w, LEAD, LearnedConfig(items=3, timesteps=600, seed=1),
                            revenue=np.array([5.0, 1.0, 4.0, 3.0, 2.0]), n_steps=20, batch_size=60, n_epochs=1)
    assert table.get_column("policy").to_list() == ["ppo", "base_stock"]
    assert table.get_column("train_seconds").null_count() == 1 and table.item(0, "train_seconds") > 0
    top = w.subset(np.array([0, 2, 3]))
    ref = price(base_stock(top, LEAD[[0, 2, 3]]), top, LEAD[[0, 2, 3]])
    assert table.item(1, "total_cost") == pytest.approx(ref.total_cost.sum(), rel=1e-12)
    assert ((table.get_column("fill_rate") >= 0) & (table.get_column("fill_rate") <= 1)).all()


def test_features_size_matches_the_observation():
    w = window()
    f = Features.of(w, LEAD, arrivals=4, forecast_days=3)
    env = InventoryEnv(w, LEAD, forecast_days=3)
    env.reset(seed=0)
    assert f.observe(env.sim.state()).shape == (5, Features.size(4, 3, LEVELS.size))
