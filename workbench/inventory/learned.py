"""A learned replenishment policy: PPO (stable-baselines3) trained in the simulator's environment
(:mod:`workbench.inventory.env`), one small network shared by all items, priced by the same
simulator as every other policy.

Training replays windows of history before the evaluation window (the learner never sees the demand
it is judged on). Each item is one environment of the ``VecEnv`` (:class:`ItemVecEnv`); its reward is
its period cost over its typical period cost (:func:`typical_period_cost`, the EOQ cost rate), so that
rewards are of order one whatever the item's prices and volume, which PPO's value function needs to
learn at all. Training runs on the CPU with one torch thread and a fixed seed, so the same seed gives
the same network and the same cost.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import torch
from stable_baselines3 import PPO

from workbench.inventory.env import Features, InventoryEnv, ItemVecEnv, Window, action_to_order
from workbench.inventory.levels import LevelInputs, make_policies
from workbench.inventory.policies import critical_fractile
from workbench.inventory.simulate import Policy, SimResult, State, simulate


@dataclass
class TrainedPPO:
    """A trained PPO network and the observation it was trained on."""

    model: PPO
    arrivals: int  # K, scheduled arrivals observed
    forecast_days: int  # d, forecast days observed
    max_order: float  # largest order, in periods of mean demand
    timesteps: int  # item-periods of experience
    seconds: float  # training wall time

    def policy(self, window: Window, lead_time: np.ndarray) -> LearnedPolicy:
        """The network as a simulator policy on ``window`` (its forecast scales the observation)."""
        lead = np.asarray(lead_time, dtype=int)
        if lead.max(initial=1) > self.arrivals:
            raise ValueError(f"LearnedPolicy: lead time {int(lead.max())} exceeds the {self.arrivals} arrivals the "
                             "network observes; train it with the longest lead time of the items it will order for")
        return LearnedPolicy(self.model, Features.of(window, lead, self.arrivals, self.forecast_days), self.max_order)


class LearnedPolicy(Policy):
    """Orders what the trained network's deterministic action (its mean) says, for all items at once."""

    def __init__(self, model: PPO, features: Features, max_order: float) -> None:
        self.model, self.features, self.max_order = model, features, max_order

    def decide(self, state: State) -> np.ndarray:
        action, _ = self.model.predict(self.features.observe(state), deterministic=True)
        return self.features.units(action_to_order(action, self.max_order))


def train_ppo(windows: Window | Sequence[Window], lead_time: np.ndarray, *, timesteps: int, seed: int,
              backorders: bool = False, device: str = "cpu", forecast_days: int = 7, max_order: float | None = None,
              n_steps: int = 112, batch_size: int = 448, n_epochs: int = 10, learning_rate: float = 3e-4,
              net_arch: tuple[int, ...] = (32, 32), gamma: float = 0.99) -> TrainedPPO:
    """Train one PPO ``MlpPolicy`` over all items of ``windows`` (each reset replays a window drawn
    with ``seed``) for ``timesteps`` item-periods.

    ``n_steps`` periods of every item make one rollout (``n_steps x items`` samples), cut into
    minibatches of ``batch_size`` for ``n_epochs`` passes; ``net_arch`` sizes the actor's and the
    critic's hidden layers. The default rollout spans several windows and many lead times, so that
    an order's cost and the sales it saves a lead time later fall in the same rollout. ``device="cuda"`` trains on a GPU (not bit-reproducible).
    """
    if timesteps < 1:
        raise ValueError(f"train_ppo: timesteps={timesteps}; expected at least 1")
    env = InventoryEnv(windows, lead_time, backorders=backorders, forecast_days=forecast_days, max_order=max_order,
                       normalise=True)
    venv = ItemVecEnv(env)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same sums on every machine, and no oversubscription
    try:
        started = time.perf_counter()
        model = PPO("MlpPolicy", venv, n_steps=n_steps, batch_size=min(batch_size, n_steps * venv.num_envs),
                    n_epochs=n_epochs, learning_rate=learning_rate, gamma=gamma, seed=seed, device=device,
                    policy_kwargs={"net_arch": list(net_arch)}, verbose=0)
        model.learn(total_timesteps=timesteps, progress_bar=False)
        seconds = time.perf_counter() - started
    finally:
        torch.set_num_threads(threads)
    return TrainedPPO(model, env.arrivals, forecast_days, env.max_order, int(model.num_timesteps), seconds)


def price(policy: Policy, window: Window, lead_time: np.ndarray, backorders: bool = False) -> SimResult:
    """``policy`` simulated over ``window``'s actual demand."""
    return simulate(window.demand, window.start_stock, lead_time, policy, window.costs, pipeline=window.pipeline,
                    backorders=backorders)


def base_stock(window: Window, lead_time: np.ndarray) -> Policy:
    """The base-stock policy of :mod:`workbench.inventory.levels` on ``window``'s forecast."""
    c = window.costs
    n = window.n_items
    holding, ordering, shortage = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in
                                   (c.holding, c.ordering, c.shortage))
    inputs = LevelInputs(cube=window.cube, lead=np.asarray(lead_time, dtype=int), review=1, holding=holding,
                         order_cost=ordering, shortage=shortage, target=critical_fractile(holding, shortage),
                         correlation=1.0)
    rule = make_policies(["base_stock"])[0]
    return rule.rule(rule.levels(inputs), inputs)


def compare_learned(train: Sequence[Window], evaluation: Window, lead_time: np.ndarray, cfg, *,
                    revenue: np.ndarray | None = None, backorders: bool = False, device: str = "cpu",
                    **ppo) -> pl.DataFrame:
    """Train PPO (``inventory.learned``: ``timesteps``, ``seed``) on the ``train`` windows and price it
    on ``evaluation`` next to base stock, both from the evaluation window's start.

    With ``revenue`` (one per item) only the ``inventory.learned.items`` items with the most revenue
    take part. ``ppo`` passes on to :func:`train_ppo`. Returns one row per policy: ``policy``,
    ``total_cost``, ``fill_rate``, ``fill_rate_after_lead``, ``train_seconds`` (null for base stock).
    """
    lead = np.asarray(lead_time, dtype=int)
    if revenue is not None:
        revenue = np.asarray(revenue, dtype=float)
        if revenue.shape != lead.shape:
            raise ValueError(f"compare_learned: revenue has shape {revenue.shape}; expected one per item {lead.shape}")
        if int(cfg.items) < 1:
            raise ValueError(f"inventory.learned.items={cfg.items}; expected at least 1")
        rows = np.sort(np.argsort(-revenue, kind="stable")[: int(cfg.items)])
        train, evaluation, lead = [w.subset(rows) for w in train], evaluation.subset(rows), lead[rows]
    trained = train_ppo(train, lead, timesteps=int(cfg.timesteps), seed=int(cfg.seed), backorders=backorders,
                        device=device, **ppo)
    sims = {"ppo": price(trained.policy(evaluation, lead), evaluation, lead, backorders),
            "base_stock": price(base_stock(evaluation, lead), evaluation, lead, backorders)}
    seconds = {"ppo": trained.seconds, "base_stock": None}
    return pl.DataFrame([
        {"policy": name, **{k: sim.summary()[k] for k in ("total_cost", "fill_rate", "fill_rate_after_lead")},
         "train_seconds": seconds[name]}
        for name, sim in sims.items()
    ], schema={"policy": pl.String, "total_cost": pl.Float64, "fill_rate": pl.Float64,
               "fill_rate_after_lead": pl.Float64, "train_seconds": pl.Float64})
