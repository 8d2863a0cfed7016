"""A learned replenishment policy (PPO) against base stock on the synthetic shop.

    python benchmarks/bench_learned.py [--items 8] [--budgets 10000,50000,200000] [--seeds 0,1,2]

The synthetic shop (``experiment=quick`` with ``--items`` items x 2 channels, 400 days) is
forecast by AutoETS at ``--windows`` rolling origins 28 days apart and at the hold-out. Each
origin is one window: the actual demand of its 28 days, the forecast issued at its origin, the
stock on hand and the receipts on their way there. PPO is trained on the windows before the
hold-out (never on the demand it is judged on), once per timestep budget and seed, and priced on
the hold-out next to base stock from the same start. PPO's outcome varies much from seed to seed,
so each budget is reported over several seeds. Prints a markdown table of cost, fill rate and
training time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tables import markdown  # noqa: E402

from workbench.config import compose, section  # noqa: E402
from workbench.config.inventory import LearnedConfig  # noqa: E402
from workbench.data import load_data  # noqa: E402
from workbench.forecast import run_backtest  # noqa: E402
from workbench.inventory.env import Window  # noqa: E402
from workbench.inventory.learned import compare_learned  # noqa: E402
from workbench.inventory.study import hold_out, window_cube  # noqa: E402

MODEL = "auto_ets"


def windows(items: int, n_windows: int, horizon: int):
    """Every origin's window (oldest first), the items' lead times and revenue, the hold-out's economics."""
    cfg = compose(["experiment=quick", f"data.n_items={items}", "data.n_days=400", f"forecast.horizon={horizon}",
                   f"forecast.n_backtest_windows={n_windows}", f"forecast.models=[{MODEL}]", "forecast.ensembles={}",
                   "forecast.routes={}"])
    panel = load_data(section(cfg, "data"))
    fc, inv = section(cfg, "forecast"), section(cfg, "inventory")
    forecasts = run_backtest(panel, fc, progress=False).forecasts
    made, econ = [], None
    for cutoff in forecasts.get_column("cutoff").unique().sort():
        one = forecasts.filter(pl.col("cutoff") == cutoff)
        w = hold_out(panel, one, inv)
        cube = window_cube(one, list(panel.keys), list(fc.quantiles), MODEL, w)
        made.append(Window(demand=w.demand, cube=cube, start_stock=w.start, costs=w.costs, pipeline=w.pipeline))
        econ = w.econ
    return made, econ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=8, help="items of the shop (each sold in 2 channels)")
    ap.add_argument("--windows", type=int, default=6, help="rolling origins before the hold-out (training)")
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--budgets", default="10000,50000,200000", help="PPO timesteps (item-periods), comma-separated")
    ap.add_argument("--seeds", default="0,1,2", help="PPO seeds, comma-separated: each budget is trained with each")
    args = ap.parse_args()
    t0 = time.perf_counter()
    made, econ = windows(args.items, args.windows, args.horizon)
    train, evaluation = made[:-1], made[-1]
    lead = econ.get_column("lead_time").to_numpy()
    print(f"{evaluation.n_items} series, {len(train)} training windows and a hold-out of {args.horizon} days; "
          f"lead times {lead.min()}-{lead.max()} days; data and forecasts in {time.perf_counter() - t0:.1f} s", flush=True)
    rows = []
    for budget in (int(b) for b in args.budgets.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            cfg = LearnedConfig(enabled=True, items=evaluation.n_items, timesteps=budget, seed=seed)
            table = compare_learned(train, evaluation, lead, cfg, revenue=econ.get_column("revenue").to_numpy())
            rows.append(table.with_columns(pl.lit(budget, dtype=pl.Int64).alias("timesteps")))
            print(f"  {budget:,} timesteps, seed {seed}: {table.item(0, 'train_seconds'):.1f} s, "
                  f"cost {table.item(0, 'total_cost'):,.0f}", flush=True)
    out = pl.concat(rows)
    # base stock is the same at every budget and seed: one row
    base = out.filter(pl.col("policy") == "base_stock").head(1)
    board = (out.filter(pl.col("policy") == "ppo").group_by("policy", "timesteps", maintain_order=True)
             .agg(pl.len().alias("seeds"), pl.col("total_cost").mean(), pl.col("total_cost").min().alias("cost_min"),
                  pl.col("total_cost").max().alias("cost_max"), pl.col("fill_rate").mean(),
                  pl.col("fill_rate_after_lead").mean(), pl.col("train_seconds").mean()))
    board = pl.concat([base.select("policy", pl.lit(None, dtype=pl.Int64).alias("timesteps"),
                                   pl.lit(1, dtype=pl.UInt32).alias("seeds"), "total_cost",
                                   pl.col("total_cost").alias("cost_min"), pl.col("total_cost").alias("cost_max"),
                                   "fill_rate", "fill_rate_after_lead", "train_seconds"), board])
    board = board.with_columns((pl.col("total_cost") / base.item(0, "total_cost")).alias("cost_vs_base_stock"))
    print("PPO rows: means over seeds (cost_min, cost_max: the range)")
    print(markdown(board.select("policy", "timesteps", "seeds", "total_cost", "cost_min", "cost_max",
                                "cost_vs_base_stock", "fill_rate", "fill_rate_after_lead", "train_seconds"), digits=3))


if __name__ == "__main__":
    main()
