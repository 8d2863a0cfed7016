"""The closed-loop simulator as a Gymnasium environment, and each item as one environment of a
stable-baselines3 ``VecEnv``, so that one policy network is trained over all items (as one global
forecasting model is fitted over all series).

One episode is one window of actual demand (:class:`Window`), stepped by one
:class:`~workbench.inventory.simulate.Simulator` for all items at once. At the end of period t (after
its demand), item i is observed as (:class:`Features`), every quantity in units of the item's mean
forecast demand per period ``mu_i`` so that one policy serves every scale:

* stock on hand and backlog;
* the K scheduled arrivals of periods t+1 .. t+K (K the longest lead time);
* the forecast quantiles of the next ``forecast_days`` days t+1 .. t+d (days past the forecast's
  horizon count as its average day, as in :meth:`Cube.path`);
* the lead time L_i / K and the critical fractile p / (p + h), which a policy shared by items
  with other supply and costs needs to tell them apart;

all clipped to ``[0, OBSERVATION_CAP]``.

The action of item i is ``a_i`` in ``[-1, 1]`` (the normalised range a learner's Gaussian policy explores
well, :func:`action_to_order`): an order of ``(a_i + 1) / 2 * max_order`` periods of its mean demand
``mu_i``, of which the simulator receives the nearest whole number of units (then its case packs and
MOQ). The reward is minus the cost of the
period just completed (holding, ordering, shortage: :meth:`Simulator.period_cost`), in money, or
with ``normalise`` each item's cost over its typical period cost (:func:`typical_period_cost`), the
scale at which PPO's value function and advantages are well conditioned. The window's end truncates
the episode (the business goes on: a learner bootstraps from the last state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv

from workbench.inventory.cube import Cube
from workbench.inventory.policies import critical_fractile, eoq
from workbench.inventory.simulate import Costs, Simulator, State

SCALE_FLOOR = 0.1  # units per period: an item forecast to sell nothing is scaled as one selling a unit in ten
# observations are clipped here (periods of mean demand): a finite box, far above any stock a policy should hold
OBSERVATION_CAP = 1000.0


@dataclass(frozen=True)
class Window:
    """What one episode replays: actual demand ``(n, T)``, the forecast issued at the window's
    origin (a :class:`Cube` over the same n items), the stock on hand at the origin, orders already
    on their way (``pipeline[i, t]`` arrives in period t) and the items' costs."""

    demand: np.ndarray
    cube: Cube
    start_stock: np.ndarray
    costs: Costs
    pipeline: np.ndarray | None = None

    @property
    def n_items(self) -> int:
        return self.demand.shape[0]

    def subset(self, rows: np.ndarray) -> Window:
        """The window restricted to the items ``rows``."""
        c = self.cube
        return Window(
            demand=self.demand[rows], cube=Cube(mean=c.mean[rows], values=c.values[rows], levels=c.levels),
            start_stock=np.asarray(self.start_stock)[rows],
            costs=Costs(*(np.broadcast_to(np.asarray(v, dtype=float), (self.n_items,))[rows]
                          for v in (self.costs.holding, self.costs.ordering, self.costs.shortage))),
            pipeline=None if self.pipeline is None else self.pipeline[rows],
        )


def typical_period_cost(costs: Costs, mean_demand: np.ndarray) -> np.ndarray:
    """A typical cost per period of an item: the EOQ cost rate ``sqrt(2 K D h)`` (the least average
    cost of ordering and cycle stock at demand rate D), and at least ``h D``, the holding cost of one
    period's demand (an item without an order cost), and at least 1e-9.

    >>> costs = Costs(holding=np.array([0.01]), ordering=np.array([50.0]), shortage=np.array([2.0]))
    >>> round(float(typical_period_cost(costs, np.array([5.0]))[0]), 3)
    2.236
    """
    h = np.clip(np.asarray(costs.holding, dtype=float), 1e-12, None)
    _, rate = eoq(costs.ordering, h, np.maximum(mean_demand, 0.0))
    return np.maximum(np.maximum(rate, h * mean_demand), 1e-9)


@dataclass(frozen=True)
class Features:
    """One window's observation of the items (see the module) and the map from scaled actions to units."""

    scale: np.ndarray  # (n,) mu_i, mean forecast demand per period
    quantiles: np.ndarray  # (n, H + d, Q) forecast quantiles over mu_i, padded with the average day
    lead_share: np.ndarray  # (n,) L_i / K
    fractile: np.ndarray  # (n,) p / (p + h)
    arrivals: int  # K
    forecast_days: int  # d

    @classmethod
    def of(cls, window: Window, lead_time: np.ndarray, arrivals: int, forecast_days: int) -> Features:
        cube = window.cube
        scale = np.maximum(cube.mean.mean(axis=1), SCALE_FLOOR)
        average = np.broadcast_to(cube.values.mean(axis=1, keepdims=True),
                                  (cube.values.shape[0], forecast_days + 1, cube.values.shape[2]))
        padded = np.concatenate([cube.values, average], axis=1) / scale[:, None, None]
        return cls(scale=scale, quantiles=padded, lead_share=np.asarray(lead_time, dtype=float) / arrivals,
                   fractile=critical_fractile(window.costs.holding, window.costs.shortage) * np.ones_like(scale),
                   arrivals=arrivals, forecast_days=forecast_days)

    @staticmethod
    def size(arrivals: int, forecast_days: int, n_quantiles: int) -> int:
        """Observation length per item: stock, backlog, K arrivals, d x Q quantiles, lead share, fractile."""
        return 2 + arrivals + forecast_days * n_quantiles + 2

    def observe(self, state: State) -> np.ndarray:
        """``(n, size)`` float32 observation of every item at the end of period ``state.t``."""
        n, K, d = self.scale.size, self.arrivals, self.forecast_days
        due = np.zeros((n, K))
        k = min(K, state.arrivals.shape[1])
        due[:, :k] = state.arrivals[:, :k]
        t = min(state.t + 1, self.quantiles.shape[1] - d)  # past the horizon: the average day
        ahead = self.quantiles[:, t: t + d, :].reshape(n, -1)
        scaled = np.column_stack([state.stock, state.backlog, due]) / self.scale[:, None]
        obs = np.column_stack([scaled, ahead, self.lead_share, self.fractile])
        return np.clip(obs, 0.0, OBSERVATION_CAP).astype(np.float32)

    def units(self, action: np.ndarray) -> np.ndarray:
        """Whole units ordered for ``action`` in units of mean demand (negative: nothing)."""
        return np.round(np.maximum(np.asarray(action, dtype=float), 0.0) * self.scale)


class InventoryEnv(gym.Env):
    """All items of one window at a time, as one Gymnasium environment (see the module).

    Parameters
    ----------
    windows : one :class:`Window` or several over the same items; ``reset`` replays the one given
        as ``options={"window": i}``, else one drawn with the environment's seeded generator.
    lead_time : (n,) periods from order to availability, at least 1.
    backorders, case_pack, moq : as :func:`~workbench.inventory.simulate.simulate`.
    forecast_days : d, the forecast days observed.
    max_order : the largest order (action 1), in periods of the item's mean forecast demand; by default
        2 (K + 1), enough to refill a pipeline and the stock of the cover after a stock-out.
    normalise : reward each item's cost over its :func:`typical_period_cost` (else in money).
    """

    metadata: dict[str, Any] = {"render_modes": []}
    render_mode = None

    def __init__(self, windows: Window | Sequence[Window], lead_time: np.ndarray, *, backorders: bool = False,
                 case_pack: np.ndarray | float | None = None, moq: np.ndarray | float | None = None,
                 forecast_days: int = 7, max_order: float | None = None, normalise: bool = False) -> None:
        self.windows = [windows] if isinstance(windows, Window) else list(windows)
        if not self.windows:
            raise ValueError("InventoryEnv: windows is empty; expected at least one Window")
        n = self.windows[0].n_items
        self.lead_time = np.asarray(lead_time, dtype=int)
        if self.lead_time.shape != (n,) or np.any(self.lead_time < 1):
            raise ValueError(f"InventoryEnv: lead_time has shape {self.lead_time.shape} and minimum "
                             f"{self.lead_time.min(initial=0)}; expected one whole period >= 1 per item ({n},)")
        q = self.windows[0].cube.levels.size
        for w, win in enumerate(self.windows):
            if win.cube.mean.shape[0] != n or win.n_items != n or win.cube.levels.size != q:
                raise ValueError(f"InventoryEnv: window {w} has {win.n_items} items, a forecast of "
                                 f"{win.cube.mean.shape[0]} and {win.cube.levels.size} quantiles; expected {n} and {q}"
                                 " as window 0")
        if forecast_days < 1:
            raise ValueError(f"InventoryEnv: forecast_days={forecast_days}; expected at least 1")
        self.arrivals = int(self.lead_time.max())
        self.max_order = float(2 * (self.arrivals + 1) if max_order is None else max_order)
        if not self.max_order > 0:
            raise ValueError(f"InventoryEnv: max_order={max_order}; expected > 0 periods of mean demand")
        self.forecast_days, self.normalise, self.n_items = forecast_days, normalise, n
        self.options = {"backorders": backorders, "case_pack": case_pack, "moq": moq}
        size = Features.size(self.arrivals, forecast_days, q)
        self.observation_space = spaces.Box(0.0, OBSERVATION_CAP, (n, size), np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (n,), np.float32)
        self.window = 0
        self.sim: Simulator | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        chosen = (options or {}).get("window")
        if chosen is None:
            chosen = int(self.np_random.integers(len(self.windows))) if len(self.windows) > 1 else 0
        if not 0 <= int(chosen) < len(self.windows):
            raise ValueError(f"InventoryEnv.reset: options window={chosen}; expected 0 .. {len(self.windows) - 1}")
        self.window = int(chosen)
        win = self.windows[self.window]
        self.features = Features.of(win, self.lead_time, self.arrivals, self.forecast_days)
        self.cost_scale = typical_period_cost(win.costs, self.features.scale) if self.normalise else np.ones(self.n_items)
        self.sim = Simulator(win.demand, win.start_stock, self.lead_time, win.costs, pipeline=win.pipeline,
                             **self.options)
        return self.features.observe(self.sim.state()), {"window": self.window}

    def step(self, action: np.ndarray):
        if self.sim is None or self.sim.done:
            raise RuntimeError("InventoryEnv.step: the episode is over (or never began); call reset() first")
        action = np.asarray(action, dtype=float)
        if action.shape != (self.n_items,):
            raise ValueError(f"InventoryEnv.step: action has shape {action.shape}; expected one order per item "
                             f"({self.n_items},)")
        self.sim.place(self.features.units(action_to_order(action, self.max_order)))
        cost = self.sim.period_cost()
        scaled = cost / self.cost_scale
        obs = self.features.observe(self.sim.state())
        return obs, -float(scaled.sum()), False, bool(self.sim.done), {"cost": cost, "scaled_cost": scaled}

    def action_of(self, units: np.ndarray) -> np.ndarray:
        """The action that orders ``units`` (one per item) in the current window: the inverse of
        :func:`action_to_order`, for driving the environment with a simulator policy's orders."""
        return 2.0 * np.asarray(units, dtype=float) / (self.features.scale * self.max_order) - 1.0


class ItemVecEnv(VecEnv):
    """Each item of an :class:`InventoryEnv` as one environment of a stable-baselines3 ``VecEnv``: all
    items step together through the one simulator, and a single policy learns from every item.

    Its action is the item's own action of the environment; its reward is the item's own (normalised)
    period cost, negated. At the window's end every item is done (a
    truncation: ``TimeLimit.truncated``, with its ``terminal_observation``) and a new window begins.
    """

    def __init__(self, env: InventoryEnv) -> None:
        self.env = env
        obs = spaces.Box(0.0, OBSERVATION_CAP, env.observation_space.shape[1:], np.float32)
        super().__init__(env.n_items, obs, spaces.Box(-1.0, 1.0, (1,), np.float32))
        self._actions = np.zeros((env.n_items, 1), dtype=np.float32)

    def reset(self) -> np.ndarray:
        obs, info = self.env.reset(seed=self._seeds[0], options=self._options[0] or None)
        self.reset_infos = [dict(info) for _ in range(self.num_envs)]
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        obs, _, terminated, truncated, info = self.env.step(np.asarray(self._actions, dtype=float).reshape(-1))
        rewards = -info["scaled_cost"].astype(np.float32)
        done = terminated or truncated
        infos: list[dict[str, Any]] = [{"cost": float(c)} for c in info["cost"]]
        if done:
            for i, item in enumerate(infos):
                item.update({"terminal_observation": obs[i], "TimeLimit.truncated": truncated and not terminated})
            obs, _ = self.env.reset()
        return obs, rewards, np.full(self.num_envs, done), infos

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return [getattr(self.env, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        # one environment stands behind every item: call it once, answer for each
        result = getattr(self.env, method_name)(*method_args, **method_kwargs)
        return [result for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices=None) -> list[bool]:
        return [isinstance(self.env, wrapper_class) for _ in self._get_indices(indices)]


def action_to_order(action: np.ndarray, max_order: float) -> np.ndarray:
    """Orders in periods of mean demand for a learner's ``action`` in [-1, 1] (one per item): linear
    from 0 at -1 to ``max_order`` at 1.

    >>> action_to_order(np.array([[-1.0], [0.0], [1.0], [3.0]]), 8.0).tolist()
    [0.0, 4.0, 8.0, 8.0]
    """
    return (np.clip(np.asarray(action, dtype=float).reshape(-1), -1.0, 1.0) + 1.0) / 2.0 * max_order
