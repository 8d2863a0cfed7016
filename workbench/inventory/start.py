"""The state every policy starts an evaluation window from (``inventory.start``).

Where the data records stock on hand (the synthetic shop), the window starts from it and from
the receipts already on their way. Where it does not (Walmart, Rossmann, Favorita: sales only),
starting every policy at some forecaster's level would make every fill rate 100 % and the
comparison empty. Instead the reference policy (``inventory.start.reference``, driven by the
forecaster the caller gives) is simulated over the ``warmup_periods`` periods of real demand
before the origin, from its own order-up-to level, with the levels of the window's first day;
its end state (stock on hand and the orders still on their way) is the start of every policy
and plan, so that all of them meet the same honest state. The report says so.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.inventory.levels import LevelInputs, make_policies
from workbench.inventory.simulate import simulate


def actual_demand(panel: DemandPanel) -> tuple[pl.DataFrame, str]:
    """Where the demand that really came is read, and its column: the true demand where the data
    has it (the synthetic shop's, before stock-outs censored it), else the recorded demand."""
    if panel.truth is not None and "true_demand" in panel.truth.columns:
        return panel.truth, "true_demand"
    return panel.demand, DEMAND


def history(panel: DemandPanel, econ: pl.DataFrame, origin, periods: int) -> np.ndarray:
    """Actual demand (true demand where the data has it) of the ``periods`` periods up to and
    including ``origin``, (n, periods) in the order of ``econ``; a series with no record on a
    date (not yet started) has zero demand there."""
    keys = list(panel.keys)
    dates = panel.dates.filter(panel.dates <= origin).tail(periods)
    src, col = actual_demand(panel)
    grid = econ.select(keys).join(pl.DataFrame({DATE: dates}), how="cross")
    got = grid.join(src.select([*keys, DATE, col]), on=[*keys, DATE], how="left")
    wide = got.group_by(keys, maintain_order=True).agg(pl.col(col).fill_null(0.0).cast(pl.Float64))
    ordered = econ.select(keys).join(wide, on=keys, how="left", maintain_order="left")
    return np.array(ordered.get_column(col).to_list(), dtype=float).reshape(econ.height, dates.len())


def start_state(panel: DemandPanel, w, x: LevelInputs, cfg, notes: list[str], label: str = ""):
    """``w`` (a :class:`~workbench.inventory.study.HoldOut`) with its start stock and pipeline:
    the data's (``inventory.start.stock=data``, or ``auto`` where the data records stock) or the
    reference policy's warm-up with the level inputs ``x``. A note says which."""
    mode = str(cfg.start.stock)
    if mode == "data" and w.start is None:
        raise ValueError("inventory.start.stock=data, but the data records no stock_on_hand; "
                         "use inventory.start.stock=warmup (or auto)")
    if w.start is not None and mode in ("data", "auto"):
        return w
    periods = int(cfg.start.warmup_periods)
    demand = history(panel, w.econ, w.origin, periods)
    policy = make_policies([cfg.start.reference])[0]
    levels = policy.levels(x)
    first = {k: (v[:, :1] if np.ndim(v) == 2 else v) for k, v in levels.items()}  # the window's first day, held
    top = next(first[k] for k in ("S", "r", "s") if k in first)
    start = np.ceil(np.asarray(top, dtype=float).reshape(len(w.demand), -1)[:, 0])
    lead = w.econ.get_column("lead_time").to_numpy()
    run = simulate(demand, start, lead, policy.rule(first, x), w.costs, backorders=cfg.shortage == "backorder")
    horizon = w.demand.shape[1]
    pipeline = np.zeros((len(start), horizon))
    k = min(horizon, run.final_pipeline.shape[1])
    pipeline[:, :k] = run.final_pipeline[:, :k]
    notes.append(
        f"The data records no stock{label}: every policy and plan starts from the state {policy.label} driven by"
        f" the best forecaster reaches after {demand.shape[1]} periods of real demand before the origin"
        f" (inventory.start): {run.final_stock.sum():,.0f} units on hand and {pipeline.sum():,.0f} on their way.")
    return replace(w, start=run.final_stock.copy(), pipeline=pipeline)
