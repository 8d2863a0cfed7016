"""The learned policy in the study: PPO trained over the evaluation windows before the hold-out and
priced on the hold-out's items with the most revenue, in one table with base stock, (s,S) normal
and the re-planned LP on the same items, the same demand and the same start.

Every row meets the same simulation: the items' own (fixed) lead times and no moves between
locations, the environment's world (:mod:`workbench.inventory.env`), so that the comparison is
like with like.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from workbench.config.inventory import LeadTimeVariability
from workbench.data.panel import DemandPanel
from workbench.inventory.env import Window as Episode
from workbench.inventory.evaluation import issued, unconstrained
from workbench.inventory.learned import compare_learned
from workbench.inventory.levels import make_policies
from workbench.inventory.window import Window

COLUMNS = ("total_cost", "fill_rate", "fill_rate_after_lead")


def learned_study(panel: DemandPanel, backtest: pl.DataFrame, model: str, quantiles: list[float], cfg,
                  origins: list) -> pl.DataFrame:
    """PPO (``inventory.learned``) trained on the windows after ``origins[:-1]`` and priced on the
    last one (the hold-out) next to base stock, (s,S) normal and the re-planned LP, all driven by
    ``model``'s forecasts, on the ``inventory.learned.items`` items with the most revenue. One row
    per policy: ``policy``, total cost, fill rates, training seconds (PPO only)."""
    if len(origins) < 2:
        raise ValueError("inventory.learned needs at least two evaluation windows (inventory.evaluation.windows):"
                         " the earlier ones to train on, the last to price on")
    world = replace(unconstrained(cfg), lead_time=replace(cfg.lead_time, variability=LeadTimeVariability.fixed),
                    transshipment=replace(cfg.transshipment, enabled=False))
    wins = [Window.of(panel, backtest.filter((pl.col("cutoff") == o) & (pl.col("model") == model)), [model],
                      quantiles, world) for o in origins]
    last = wins[-1]
    keys = last.keys
    revenue = last.econ.get_column("revenue").to_numpy()
    top = last.econ.select(keys).with_columns(pl.Series("revenue", revenue)).sort("revenue", descending=True)
    chosen = top.head(int(cfg.learned.items)).select(keys)
    for w in wins[:-1]:
        missing = chosen.join(w.econ.select(keys), on=keys, how="anti")
        if missing.height:
            raise ValueError(f"inventory.learned: {missing.height} of the chosen items have no forecast in the window"
                             f" after {w.w.origin}; expected every chosen item in every training window")
    episodes = [_episode(w, model, chosen) for w in wins]
    lead = last.econ.join(chosen, on=keys, how="semi").get_column("lead_time").to_numpy()
    table = compare_learned(episodes[:-1], episodes[-1], lead, cfg.learned, backorders=cfg.shortage == "backorder")
    sub = Window.of(panel, backtest.filter((pl.col("cutoff") == origins[-1]) & (pl.col("model") == model))
                    .join(chosen, on=keys, how="semi"), [model], quantiles, world)
    sS = make_policies(["sS_normal"])[0]
    runs = {"sS_normal": sub.run(sub.rule(sS, sub.inputs[model]))}
    if cfg.mpc.enabled:
        runs["lp_mpc"] = sub.run(sub.planners(model, issued(sub, model, None, quantiles, cfg.mpc.horizon))["lp"])
    rows = [{"policy": name, **{k: v for k, v in sim.summary().items() if k in COLUMNS}} for name, sim in runs.items()]
    extra = pl.DataFrame(rows).with_columns(pl.lit(None, dtype=pl.Float64).alias("train_seconds"))
    return pl.concat([table, extra.select(table.columns)]).with_columns(pl.lit(int(chosen.height)).alias("items"))


def _episode(win: Window, model: str, chosen: pl.DataFrame) -> Episode:
    """The window restricted to the ``chosen`` items, as the environment replays it."""
    rows = win.econ.with_row_index().join(chosen, on=win.keys, how="semi").get_column("index").to_numpy()
    w = win.w
    whole = Episode(demand=w.demand, cube=win.cubes[model], start_stock=w.start, costs=w.costs, pipeline=w.pipeline)
    return whole.subset(rows)
