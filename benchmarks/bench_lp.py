"""Replenishment LP at scale: cvxpy model build + solve against the raw HiGHS solve of the same LP.

    python benchmarks/bench_lp.py [--items 10000] [--periods 13] [--repeat 3]

The instance has warehouses (soft volume limits), suppliers with hard capacity, a
purchasing budget and weekly order days. "raw HiGHS" hands the exact matrices cvxpy
produced to ``highspy`` and times only ``Highs.run()``: the floor any modelling layer
sits on. "cvxpy total" is everything from the arrays to the plan.
"""

from __future__ import annotations

import argparse
import time

import cvxpy as cp
import highspy
import numpy as np

from workbench.inventory.lp import Limits, PlanItems, plan_replenishment
from workbench.inventory.lp_build import build_problem


def instance(n: int, horizon: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    mu = rng.gamma(1.5, 4.0, n)
    demand = rng.poisson(mu[:, None], (n, horizon)).astype(float)
    items = PlanItems(
        demand=demand, start_stock=rng.poisson(mu * 3).astype(float), lead_time=rng.integers(1, 4, n),
        holding_cost=rng.uniform(0.05, 0.5, n), shortage_cost=rng.uniform(2.0, 10.0, n),
        unit_order_cost=rng.uniform(0.1, 1.0, n), unit_cost=rng.uniform(1.0, 20.0, n),
        volume=rng.uniform(0.2, 3.0, n), warehouse=rng.integers(0, 5, n), supplier=rng.integers(0, 50, n),
    )
    vol_per_wh = np.bincount(items.warehouse, weights=items.volume * mu, minlength=5)
    per_sup = np.bincount(items.supplier, weights=mu, minlength=50)
    limits = Limits(warehouse=vol_per_wh * 4, supplier=per_sup * 3, budget=float(items.unit_cost @ mu) * 1.5,
                    penalty={"warehouse": 0.05})
    return items, limits


def raw_highs_seconds(problem: cp.Problem) -> tuple[float, float]:
    """Solve cvxpy's own matrices for this problem with highspy; returns (seconds, objective)."""
    data, _, _ = problem.get_problem_data(cp.HIGHS)
    c, offset, _, _ = data["param_prob"].apply_parameters()
    A, b = data["A"].tocsc(), data["b"]
    n_eq = data["dims"].zero  # the first rows are equalities, the rest A x <= b
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = c.size, A.shape[0]
    lp.col_cost_ = c
    lower, upper = data.get("lower_bounds"), data.get("upper_bounds")
    lp.col_lower_ = np.full(c.size, -inf) if lower is None else lower
    lp.col_upper_ = np.full(c.size, inf) if upper is None else upper
    lo = np.full(A.shape[0], -highspy.kHighsInf)
    lo[:n_eq] = b[:n_eq]
    lp.row_lower_, lp.row_upper_ = lo, b
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    return seconds, h.getInfo().objective_function_value + float(offset)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--periods", type=int, default=13)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    items, limits = instance(args.items, args.periods)
    rows = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        plan = plan_replenishment(items, limits, order_every=1)
        total = time.perf_counter() - t0
        problem, _ = build_problem(items, limits, "cost", "lost_sales", 1, False, None, 0.0, None, elastic=False)
        raw, raw_obj = raw_highs_seconds(problem)
        rows.append((plan.build_seconds, plan.solve_seconds, total, raw, plan.objective, raw_obj))
    best = min(rows, key=lambda r: r[2])
    print(f"{args.items:,} items x {args.periods} periods, best of {args.repeat}")
    print("| step | seconds |\n|---|---:|")
    print(f"| cvxpy: model build | {best[0]:.2f} |")
    print(f"| cvxpy: compile + solve (HiGHS) | {best[1]:.2f} |")
    print(f"| cvxpy total | {best[2]:.2f} |")
    print(f"| raw HiGHS on the same matrices | {best[3]:.2f} |")
    print(f"| ratio cvxpy total / raw | {best[2] / best[3]:.2f} |")
    print(f"objective cvxpy {best[4]:,.2f} vs raw {best[5]:,.2f}")


if __name__ == "__main__":
    main()
