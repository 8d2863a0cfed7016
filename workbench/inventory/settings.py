"""Settings of the inventory stage that the runner checks before any notebook runs."""

from __future__ import annotations

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
