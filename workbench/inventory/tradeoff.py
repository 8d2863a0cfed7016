"""Cost against service: every policy on the curves (``InventoryPolicy.tradeoff``) with one
service target for every series, swept over ``inventory.tradeoff_levels`` for each
forecaster, and the cost of each curve at the fill rates that every curve reaches.

Where two curves reach the same fill rate, the gap between them is what the better forecast
(or policy) is worth at equal service. Service is measured after the first lead time, where
the policy is in control: before it, the start decides.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from workbench.inventory.cube import Cube
from workbench.inventory.levels import InventoryPolicy, LevelInputs
from workbench.inventory.simulate import SimResult

ON = "fill_rate_after_lead"
EQUAL_SCHEMA = {"policy": pl.String, "forecaster": pl.String, "fill_rate": pl.Float64, "total_cost": pl.Float64}


def sweep(policies: list[InventoryPolicy], cubes: dict[str, Cube], levels: list[float],
          inputs: Callable[[Cube, float], LevelInputs],
          run: Callable[[InventoryPolicy, LevelInputs], SimResult]) -> pl.DataFrame:
    """One row per policy on the curves x forecaster x service target: the simulated summary.
    ``inputs(cube, level)`` gives the levels' inputs with every series' target at ``level``;
    ``run(policy, x)`` simulates the policy with levels from ``x``."""
    rows = []
    for model, cube in cubes.items():
        for level in levels:
            x = inputs(cube, np.float64(level))
            for policy in (p for p in policies if p.tradeoff):
                rows.append({"policy": policy.name, "forecaster": model, "service_target": level,
                             **run(policy, x).summary()})
    return pl.DataFrame(rows)


def cost_at(trade: pl.DataFrame, fill_rates: list[float], on: str = ON) -> pl.DataFrame:
    """Total cost of each curve at the given fill rates (linear between the sweep's points;
    null outside the range the sweep reached). One small loop per curve."""
    out = []
    for (pol, fc), part in trade.sort(on).group_by(["policy", "forecaster"], maintain_order=True):
        x, y = part[on].to_numpy(), part["total_cost"].to_numpy()
        for f in fill_rates:
            inside = x.min() - 1e-9 <= f <= x.max() + 1e-9
            out.append({"policy": pol, "forecaster": fc, "fill_rate": f,
                        "total_cost": float(np.interp(f, x, y)) if inside else None})
    return pl.DataFrame(out, schema=EQUAL_SCHEMA)


def equal_service(trade: pl.DataFrame, notes: list[str], points: int = 5) -> pl.DataFrame:
    """The cost of every curve at ``points`` fill rates (after the first lead time) that all
    curves reach, so that each row compares like with like; none (and a note) where the
    curves share no fill rate."""
    if trade.height == 0:
        return pl.DataFrame(schema=EQUAL_SCHEMA)
    reach = trade.group_by("policy", "forecaster").agg(pl.col(ON).min().alias("lo"), pl.col(ON).max().alias("hi"))
    lo, hi = float(reach["lo"].max()), float(reach["hi"].min())
    if lo < hi:
        return cost_at(trade, [float(f) for f in np.linspace(lo, hi, points)])
    notes.append(f"The cost curves reach no common fill rate (the highest low end is {lo:.3f},"
                 f" the lowest high end {hi:.3f}): widen inventory.tradeoff_levels to compare at equal service.")
    return cost_at(trade, [])
