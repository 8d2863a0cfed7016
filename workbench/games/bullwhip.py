"""The beer game: a serial chain of K tiers simulated over many Monte Carlo demand paths at once.

Tier 1 is the retailer, who sees the end customers' demand ``D``; tier k sees the orders of tier k - 1
and orders from tier k + 1; the last tier orders from an unconstrained source. Everything is numpy over
the paths; Python loops only over periods and tiers.

**Timing** (period t). Phase A, from the retailer up: each tier receives the shipments due at t, adds
the order from below to what it owes downstream, updates its forecast with that order and places its
own order. Phase B, from the source down: each tier ships what it owes, as far as its stock allows
(shortages are backlogged), and settles any credit it holds with its supplier (returns, below). An order
placed in period t by tier k is shipped at once when the supplier has the stock and arrives in period
t + L_k, in time to serve that period's demand. So a tier's inventory position after ordering in t must
cover the L_k periods t + 1 .. t + L_k: the order-up-to level is ``L mu_hat``, exactly as in Chen,
Drezner, Ryan & Simchi-Levi (2000), "Quantifying the bullwhip effect in a simple supply chain",
Management Science 46(3), whose L therefore counts the review period (a chain with a transit time of tau
periods and a review every period has L = tau + 1). L = 0 is instant replenishment (stock permitting).

**Policies.** ``order_up_to`` (Chen et al.): ``y_t = L mu_hat_t + z sigma_hat_t sqrt(L)`` with
``mu_hat_t`` the moving average of the last ``window`` = p observations of the demand the tier sees (or
exponential smoothing with ``alpha``) and ``sigma_hat_t`` their standard deviation (p >= 2; or the
smoothed one-step forecast error); the order ``q_t = y_t - IP_t = y_t - y_{t-1} + D_t`` (IP: the
inventory position before ordering), so for i.i.d. demand and z = 0,
``Var(q)/Var(D) = 1 + 2L/p + 2L^2/p^2``. ``sterman`` (Sterman 1989, "Modeling managerial behavior",
Management Science 35(3)), anchoring and adjustment:
``q_t = max(0, Lhat_t + alpha_S (S* - S_t) + alpha_S beta (SL* - SL_t))`` with Lhat the exponentially
smoothed demand (``alpha``; the ``forecast`` setting is the order-up-to policy's), S the effective
inventory (on hand minus backlog), SL the supply line (ordered, not yet received), ``beta`` =
``supply_line_weight`` and ``alpha_S`` = ``stock_adjustment``, all measured when the tier orders. The
targets: the desired supply line ``SL* = (L - 1) Lhat_t``, the L - 1 earlier orders still on their way at
that moment when arrivals match expected demand (this period's arrival is already in S), and the
desired stock ``S*`` = ``desired_stock`` (default: the order-up-to policy's initial safety stock
``z sigma_0 sqrt(L)``). So with beta = alpha_S = 1 the rule is the order-up-to policy with an
exponentially smoothed forecast, clipped at zero. The rule needs lead times of 1 or more (with L = 0 the
replenishment lands after the decision, and no S* is a steady state).

**Information sharing** (``share_information=True``, Chen et al.'s centralised case): every tier
forecasts from the end-customer demand instead of the orders it receives. Under ``order_up_to`` tier k
then manages its echelon inventory position (its own and everything downstream of it, which is the sum
of the installation positions of tiers 1..k) with the level ``(L_1 + ... + L_k) mu_hat + z sigma_hat
sqrt(L_1 + ... + L_k)``, so its orders have the variance of a single stage with the summed lead time.
Under ``sterman`` only the forecast changes.

**Negative orders** (``order_up_to`` with ``allow_negative=True``, Chen et al.'s model) are returns: a
negative order first cancels what the supplier still owes the tier; any rest is a credit that the tier
settles by sending stock back (free, arriving at once) as soon as it has stock left after serving its
own customers. ``allow_negative=False`` clips orders at zero, which breaks Chen et al.'s equality.
A negative end-customer demand is likewise a customer return.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

POLICIES = ("order_up_to", "sterman")
FORECASTS = ("moving_average", "exp_smoothing")
TIER_NAMES = ("retailer", "distributor", "manufacturer", "supplier")


def tier_names(n_tiers: int) -> list[str]:
    """The beer game's names for four tiers (retailer first), else ``tier 1 .. tier K``."""
    return list(TIER_NAMES) if n_tiers == len(TIER_NAMES) else [f"tier {k + 1}" for k in range(n_tiers)]


@dataclass
class ChainResult:
    """One simulation. Arrays are ``(tier, path, period)``, retailer first; values at the end of each period."""

    demand: np.ndarray  # (paths, periods) end-customer demand
    orders: np.ndarray  # order each tier placed on its supplier
    on_hand: np.ndarray
    backlog: np.ndarray  # orders owed downstream, not yet shipped
    lead_times: tuple[int, ...]
    share_information: bool
    flows: dict[str, np.ndarray] = field(default_factory=dict)  # owed, received, shipped, returned (record_flows)

    @property
    def tiers(self) -> list[str]:
        return tier_names(len(self.lead_times))

    @property
    def effective_inventory(self) -> np.ndarray:
        """Sterman's S: on hand minus backlog."""
        return self.on_hand - self.backlog


def check_settings(
    lead_times, policy: str = "order_up_to", forecast: str = "moving_average", window: int = 8, alpha: float = 0.25,
    supply_line_weight: float = 0.34, stock_adjustment: float = 0.25,
) -> tuple[int, ...]:
    """Validate the chain's settings, naming the ``games.bullwhip`` setting at fault; the lead times as ints."""
    lead = tuple(lead_times)
    if not lead or any(int(x) != x or x < 0 for x in lead):
        raise ValueError(f"games.bullwhip.lead_times={list(lead)}; expected one whole number of periods >= 0 per tier")
    if policy not in POLICIES:
        raise ValueError(f"games.bullwhip.policy={policy!r}; expected one of {list(POLICIES)}")
    if forecast not in FORECASTS:
        raise ValueError(f"games.bullwhip.forecast={forecast!r}; expected one of {list(FORECASTS)}")
    if int(window) != window or window < 1:
        raise ValueError(f"games.bullwhip.window={window}; expected 1 or more")
    if not 0 < alpha <= 1:
        raise ValueError(f"games.bullwhip.alpha={alpha}; expected 0 < alpha <= 1")
    if not 0 < stock_adjustment <= 1:
        raise ValueError(f"games.bullwhip.stock_adjustment={stock_adjustment}; expected 0 < stock_adjustment <= 1")
    if policy == "sterman" and min(lead) < 1:
        raise ValueError(f"games.bullwhip.lead_times={list(lead)}; the sterman policy expects lead times of 1 or more")
    if not supply_line_weight >= 0:
        raise ValueError(f"games.bullwhip.supply_line_weight={supply_line_weight}; expected 0 or more")
    return tuple(int(x) for x in lead)


class _Forecast:
    """Per-path forecast of one period's demand and its s.d.: a moving average or exponential smoothing."""

    def __init__(self, kind: str, window: int, alpha: float, n: int, mean0: float, sd0: float) -> None:
        self.kind, self.p, self.alpha = kind, int(window), alpha
        if kind == "moving_average":
            self.buf = np.full((self.p, n), mean0)
            self.total, self.squares, self.i = np.full(n, self.p * mean0), np.full(n, self.p * mean0**2), 0
        else:
            self.level, self.mse = np.full(n, mean0), np.full(n, sd0**2)

    def update(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "moving_average":
            old = self.buf[self.i]
            self.total += x - old
            self.squares += x * x - old * old  # running sums: O(paths) per period whatever the window
            self.buf[self.i] = x
            self.i = (self.i + 1) % self.p
            mean = self.total / self.p
            var = (self.squares - self.total * mean) / (self.p - 1) if self.p > 1 else np.zeros_like(mean)
            return mean, np.sqrt(np.maximum(var, 0.0))
        error = x - self.level
        self.mse = self.alpha * error**2 + (1 - self.alpha) * self.mse
        self.level = self.level + self.alpha * error
        return self.level, np.sqrt(self.mse)


def simulate_chain(
    demand: np.ndarray,
    lead_times,
    *,
    policy: str = "order_up_to",
    forecast: str = "moving_average",
    window: int = 8,
    alpha: float = 0.25,
    safety_factor: float = 0.0,
    supply_line_weight: float = 0.34,
    stock_adjustment: float = 0.25,
    share_information: bool = False,
    allow_negative: bool = True,
    desired_stock=None,
    initial_mean: float | None = None,
    record_flows: bool = False,
) -> ChainResult:
    """Simulate the chain over every path of ``demand`` (``(paths, periods)``); see the module docstring.

    The chain starts in the steady state of a constant demand ``initial_mean`` (default: the mean of the
    first ``window`` periods over all paths): forecasts equal to it, each pipeline full of it and no
    backlog; the first periods are a transient to drop (the ``warmup`` of the ratios and costs).
    ``desired_stock`` is Sterman's S* (scalar or one per tier). ``record_flows`` also keeps the signed
    amount owed downstream (negative: a credit), receipts, shipments and returns, per tier and period.
    """
    lead = check_settings(lead_times, policy, forecast, window, alpha, supply_line_weight, stock_adjustment)
    d = np.asarray(demand, dtype=float)
    if d.ndim != 2 or not np.isfinite(d).all():
        raise ValueError("simulate_chain: expected demand as a finite (paths, periods) array")
    n, T = d.shape
    K = len(lead)
    mean0 = float(d[:, :window].mean()) if initial_mean is None else float(initial_mean)
    sd0 = float(d[:, :window].std()) if window > 1 else 0.0
    L = np.asarray(lead, dtype=float)
    echelon_policy = share_information and policy == "order_up_to"
    cover = np.cumsum(L) if echelon_policy else L  # periods of demand each tier's level covers
    # steady state: pipeline full of mean0, safety stock on hand, each position at its level
    level0 = cover * mean0 + safety_factor * sd0 * np.sqrt(cover)
    ip = [np.full(n, x) for x in (np.diff(level0, prepend=0.0) if echelon_policy else level0)]
    on_hand = [ip[k] - L[k] * mean0 for k in range(K)]
    owed = [np.zeros(n) for _ in range(K + 1)]  # owed[k]: tier k to tier k - 1 (customers); owed[K]: the source
    pipe = [np.full((max(lk, 1), n), mean0) for lk in lead]  # pipe[k][t % L]: arriving at tier k in period t
    if desired_stock is None:
        desired = safety_factor * sd0 * np.sqrt(L)
    else:
        desired = np.broadcast_to(np.asarray(desired_stock, dtype=float), (K,))
    n_fc = 1 if share_information else K
    fc = [_Forecast(forecast if policy == "order_up_to" else "exp_smoothing", window, alpha, n, mean0, sd0)
          for _ in range(n_fc)]

    keep = ["orders", "on_hand", "backlog"] + (["owed", "received", "shipped", "returned"] if record_flows else [])
    rec = {name: np.empty((K, T, n)) for name in keep}  # (tier, period, path): contiguous writes per period
    dT = np.ascontiguousarray(d.T)
    received = [np.zeros(n) for _ in range(K)]
    for t in range(T):
        # phase A, retailer up: receive, see the order from below, forecast, order
        incoming, echelon, shared = dT[t], np.zeros(n), None
        if share_information:
            shared = fc[0].update(dT[t])
        for k in range(K):
            if lead[k] > 0:
                slot = t % lead[k]
                received[k] = pipe[k][slot].copy()
                on_hand[k] += received[k]
                pipe[k][slot] = 0.0
            else:
                received[k] = np.zeros(n)
            owed[k] += incoming
            ip[k] -= incoming
            mean, sd = shared if share_information else fc[k].update(incoming)
            if policy == "order_up_to":
                position = echelon + ip[k] if echelon_policy else ip[k]
                q = cover[k] * mean + safety_factor * sd * np.sqrt(cover[k]) - position
                if not allow_negative:
                    q = np.maximum(q, 0.0)
            else:
                stock = on_hand[k] - owed[k]
                supply_line = ip[k] - stock
                q = np.maximum(0.0, mean + stock_adjustment * (desired[k] - stock)
                               + stock_adjustment * supply_line_weight * ((L[k] - 1) * mean - supply_line))
            ip[k] += q
            echelon += ip[k]
            rec["orders"][k, t] = q
            incoming = q
        owed[K] += incoming  # the top tier's order on the source
        # phase B, source down: ship what is owed as far as stock allows, then settle credits by returns
        shipped = np.maximum(owed[K], 0.0)  # the source is unconstrained
        owed[K] -= shipped
        for k in range(K - 1, -1, -1):
            if lead[k] > 0:
                pipe[k][t % lead[k]] += shipped
            else:
                on_hand[k] += shipped
                received[k] += shipped
            shipped = np.minimum(np.maximum(owed[k], 0.0), on_hand[k])
            on_hand[k] -= shipped
            owed[k] -= shipped
            if k == 0:  # a negative customer demand is a return to the retailer's shelf
                on_hand[0] -= np.minimum(owed[0], 0.0)
                owed[0] = np.maximum(owed[0], 0.0)
            back = np.minimum(np.maximum(-owed[k + 1], 0.0), on_hand[k])
            on_hand[k] -= back
            owed[k + 1] += back
            if k + 1 < K:
                on_hand[k + 1] += back
            rec["on_hand"][k, t] = on_hand[k]
            rec["backlog"][k, t] = np.maximum(owed[k], 0.0)
            if record_flows:
                rec["owed"][k, t], rec["received"][k, t] = owed[k], received[k]
                rec["shipped"][k, t], rec["returned"][k, t] = shipped, back
    out = {name: np.moveaxis(a, 1, 2) for name, a in rec.items()}  # views as (tier, path, period)
    return ChainResult(d, out.pop("orders"), out.pop("on_hand"), out.pop("backlog"), lead, share_information, out)


def tier_costs(result: ChainResult, holding_costs, backorder_costs, warmup: int = 0) -> np.ndarray:
    """Cost per period of each tier, ``h_k E[on hand] + b_k E[backlog]``, averaged over paths and the
    periods after ``warmup``."""
    K = len(result.lead_times)
    for name, values in (("holding_costs", holding_costs), ("backorder_costs", backorder_costs)):
        if len(values) != K:
            raise ValueError(f"games.bullwhip.{name} has {len(values)} entries; expected one per tier of "
                             f"games.bullwhip.lead_times ({K})")
    h, b = np.asarray(holding_costs, dtype=float), np.asarray(backorder_costs, dtype=float)
    held = result.on_hand[:, :, warmup:].mean(axis=(1, 2))
    short = result.backlog[:, :, warmup:].mean(axis=(1, 2))
    return h * held + b * short


def simulate_config(cfg, demand: np.ndarray, share_information: bool = False, **overrides) -> ChainResult:
    """:func:`simulate_chain` with the settings of a ``BullwhipConfig`` (or any object with its fields)."""
    settings = dict(
        policy=cfg.policy, forecast=cfg.forecast, window=cfg.window, alpha=cfg.alpha,
        safety_factor=cfg.safety_factor, supply_line_weight=cfg.supply_line_weight,
        stock_adjustment=cfg.stock_adjustment,
    )
    settings.update(overrides)
    return simulate_chain(demand, list(cfg.lead_times), share_information=share_information, **settings)
