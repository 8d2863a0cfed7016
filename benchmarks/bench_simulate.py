"""Closed-loop simulation at scale: 10,000 items x 365 days, one policy of each kind.

    python benchmarks/bench_simulate.py [--items 10000] [--days 365] [--repeat 3]

Prints seconds per run (best of ``--repeat``) and the fill rate reached, as a table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from workbench.inventory.policies import order_up_to_level, reorder_order_up_to, reorder_quantity
from workbench.inventory.simulate import (
    Costs,
    OrderUpToPolicy,
    PlanPolicy,
    ReorderPolicy,
    ReorderQuantityPolicy,
    simulate,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n, T = args.items, args.days
    mu = rng.gamma(1.5, 4.0, n)
    demand = rng.negative_binomial(2, 2 / (2 + mu[:, None]), (n, T)).astype(float)
    sd = np.sqrt(mu + mu**2 / 2)
    lead = rng.integers(1, 8, n)
    costs = Costs(holding=rng.uniform(0.01, 0.1, n), ordering=rng.uniform(10, 60, n), shortage=rng.uniform(1, 5, n))
    s, S = reorder_order_up_to(mu, sd, lead, 0.95, costs.ordering, costs.holding)
    r, Q = reorder_quantity(mu, sd, lead, 0.95, costs.ordering, costs.holding)
    plan = np.where(np.arange(T)[None, :] % 7 == 0, 7 * mu[:, None], 0.0)
    policies = {
        "(s, S)": (ReorderPolicy(s, S), False),
        "(R, S), R = 7": (OrderUpToPolicy(order_up_to_level(mu, sd, 7, lead, 0.95), review=7), False),
        "(r, Q)": (ReorderQuantityPolicy(r, Q), False),
        "(s, S), backorders": (ReorderPolicy(s, S), True),
        "open-loop plan": (PlanPolicy(plan), False),
    }
    print(f"{n:,} items x {T} days, best of {args.repeat}")
    print("| policy | seconds | fill rate |\n|---|---:|---:|")
    for name, (policy, back) in policies.items():
        best = np.inf
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = simulate(demand, S * 0.5, lead, policy, costs, backorders=back)
            best = min(best, time.perf_counter() - t0)
        print(f"| {name} | {best:.2f} | {res.summary()['fill_rate']:.3f} |")


if __name__ == "__main__":
    main()
