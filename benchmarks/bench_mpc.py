"""Re-planned LP (rolling horizon) at scale: per-review solve time, first solve against re-solves.

    python benchmarks/bench_mpc.py [--items 1000 10000] [--days 28] [--horizon 14] [--every 7]

Synthetic series (Poisson demand, lead times 1-3, a forecast cube of Poisson quantiles) run
through ``simulate()`` for ``--days`` with a :class:`RollingPlanner` re-solving every ``--every``
days. The first review builds and compiles the DPP problem; later reviews only set its
parameters and re-solve. "fresh build" solves the same review's plan from scratch, as an
open-loop plan is solved, for comparison.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl
from scipy.stats import poisson
from tables import markdown

from workbench.inventory.cube import Cube
from workbench.inventory.lp import CompiledPlan, PlanItems
from workbench.inventory.mpc import RollingPlanner, terminal_level
from workbench.inventory.simulate import Costs, simulate

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])


def instance(n: int, days: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    mu = rng.gamma(1.5, 4.0, n) + 0.5
    demand = rng.poisson(mu[:, None], (n, days)).astype(float)
    lead = rng.integers(1, 4, n)
    costs = Costs(holding=rng.uniform(0.05, 0.5, n), ordering=rng.uniform(5.0, 20.0, n),
                  shortage=rng.uniform(2.0, 10.0, n))
    q = poisson.ppf(LEVELS, mu[:, None]).astype(float)
    cube = Cube(mean=np.repeat(mu[:, None], days + 60, axis=1), values=np.repeat(q[:, None, :], days + 60, axis=1),
                levels=LEVELS)
    items = PlanItems(demand=np.zeros((n, 1)), start_stock=np.zeros(n), lead_time=lead, holding_cost=costs.holding,
                      shortage_cost=costs.shortage, unit_order_cost=costs.ordering / 40.0, unit_cost=1.0)
    return demand, rng.poisson(mu * 4).astype(float), lead, costs, cube, items


def run(n: int, days: int, horizon: int, every: int) -> dict:
    demand, start, lead, costs, cube, items = instance(n, days)
    shifted = lambda t: Cube(cube.mean[:, t + 1:], cube.values[:, t + 1:], cube.levels)  # noqa: E731
    planner = RollingPlanner(items, shifted, days, horizon=horizon, order_every=every)
    t0 = time.perf_counter()
    sim = simulate(demand, start, lead, planner, costs)
    total = time.perf_counter() - t0
    seconds = planner.solve_seconds
    # the last review's plan solved from scratch (build + compile + solve), as a one-off plan is
    t = planner.reviews[-1].t
    fresh_items = PlanItems(**{**items.__dict__, "demand": np.zeros((n, horizon))})
    t0 = time.perf_counter()
    fresh = CompiledPlan(fresh_items, order_every=every, terminal_weight=costs.shortage, now=True, reuse=False)
    fresh.solve(planner._demand(shifted(t), t, horizon), sim.stock_path[:, t], None, None,
                terminal_level(shifted(t), planner.quantile, planner.cover, horizon))
    return {"items": n, "reviews": len(seconds), "build s": planner.compiled[horizon].build_seconds,
            "first solve s": float(seconds[0]), "re-solve s (mean)": float(seconds[1:].mean()),
            "fresh build + solve s": time.perf_counter() - t0, f"whole {days}-day run s": total,
            "cost": float(sim.total_cost.sum()), "fill rate": sim.summary()["fill_rate"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, nargs="+", default=[1_000, 10_000])
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--horizon", type=int, default=14)
    ap.add_argument("--every", type=int, default=7)
    args = ap.parse_args()
    rows = [run(n, args.days, args.horizon, args.every) for n in args.items]
    print(f"re-planned LP, horizon {args.horizon} periods, a review every {args.every} of {args.days} days")
    print(markdown(pl.DataFrame(rows), digits=3))


if __name__ == "__main__":
    main()
