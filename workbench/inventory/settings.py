"""Settings of the inventory stage that the runner checks before any notebook runs."""

from __future__ import annotations

from workbench.inventory.cost_table import read_cost_table
from workbench.inventory.economics import service_table
from workbench.inventory.levels import POLICIES


def check_inventory_config(cfg, quantiles: list[float]) -> None:
    """Settings of the inventory stage that can be checked before anything runs; each error
    names the setting."""
    service_table(dict(cfg.service_levels))
    if not cfg.policies:
        raise ValueError("inventory.policies is empty; expected at least one of " + str(list(POLICIES)))
    for name in cfg.policies:
        if name not in POLICIES:
            raise ValueError(f"inventory.policies: unknown inventory policy {name!r}; registered: {list(POLICIES)}")
    if not any(abs(cfg.lp.plan_quantile - q) < 1e-9 for q in quantiles):
        raise ValueError(
            f"inventory.lp.plan_quantile={cfg.lp.plan_quantile} is not among the forecast quantiles {sorted(quantiles)}"
        )
    if not 0.0 < cfg.lp.cvar_alpha < 1.0:
        raise ValueError(f"inventory.lp.cvar_alpha={cfg.lp.cvar_alpha}; expected in (0, 1)")
    unknown = set(cfg.lp.penalty) - {"warehouse", "supplier", "budget", "service"}
    if unknown:
        raise ValueError(f"inventory.lp.penalty has unknown limits {sorted(unknown)}; expected warehouse, supplier, budget or service")
    if cfg.backorder_days <= 0:
        raise ValueError(f"inventory.backorder_days={cfg.backorder_days}; expected > 0")
    if cfg.review_days < 1 or cfg.lp.order_every < 1:
        raise ValueError("inventory.review_days and inventory.lp.order_every must be at least 1 period")
    mpc = cfg.mpc
    unknown = set(mpc.plans) - {"lp", "scenario_lp", "mip"}
    if unknown:
        raise ValueError(f"inventory.mpc.plans has unknown plans {sorted(unknown)}; expected some of lp, scenario_lp, mip")
    for q in mpc.quantiles:  # read off the forecast's quantiles, interpolated between them
        if not min(quantiles) <= q <= max(quantiles):
            raise ValueError(f"inventory.mpc.quantiles has {q}, outside the forecast quantiles {sorted(quantiles)}")
    if mpc.horizon is not None and mpc.horizon < 1:
        raise ValueError(f"inventory.mpc.horizon={mpc.horizon}; expected at least 1 period (or null: to the window's end)")
    if mpc.terminal_value < 0:
        raise ValueError(f"inventory.mpc.terminal_value={mpc.terminal_value}; expected >= 0")
    if cfg.evaluation.windows is not None and cfg.evaluation.windows < 1:
        raise ValueError(f"inventory.evaluation.windows={cfg.evaluation.windows}; expected at least 1 (or null: all)")
    if not 0.0 <= cfg.evaluation.hindsight_gap < 1.0:
        raise ValueError(f"inventory.evaluation.hindsight_gap={cfg.evaluation.hindsight_gap}; expected in [0, 1)")
    if cfg.start.reference not in POLICIES:
        raise ValueError(f"inventory.start.reference={cfg.start.reference!r} is not a registered policy; registered: {list(POLICIES)}")
    if cfg.start.warmup_periods < 1:
        raise ValueError(f"inventory.start.warmup_periods={cfg.start.warmup_periods}; expected at least 1 period")
    if cfg.transshipment.lead_time < 1:
        raise ValueError(f"inventory.transshipment.lead_time={cfg.transshipment.lead_time}; expected at least 1 period")
    if cfg.transshipment.cost_share < 0:
        raise ValueError(f"inventory.transshipment.cost_share={cfg.transshipment.cost_share}; expected >= 0")
    if cfg.learned.enabled and cfg.evaluation.windows is not None and cfg.evaluation.windows < 2:
        raise ValueError(f"inventory.learned.enabled=true needs inventory.evaluation.windows >= 2 (or null: all), one"
                         f" to price on and earlier ones to train on; it is {cfg.evaluation.windows}")
    if cfg.learned.items < 1 or cfg.learned.timesteps < 1:
        raise ValueError("inventory.learned.items and inventory.learned.timesteps must be at least 1")
    read_cost_table(cfg.costs)  # the file, its columns and every value, before anything runs
