"""The four-tier beer game at scale: 2,000 and 20,000 Monte Carlo paths x 208 periods.

    python benchmarks/bench_bullwhip.py [--paths 2000 20000] [--periods 208] [--repeat 3]

Prints, as tables, seconds per simulation (best of ``--repeat``) and peak memory (tracemalloc, a separate
run) for each policy, then the simulated bullwhip ratios of the largest run against Chen et al.'s bounds
and the exact ratios of the linear chain.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from workbench.config.games import BullwhipConfig
from workbench.games.bullwhip import simulate_chain, tier_names
from workbench.games.bullwhip_demand import ar1_demand
from workbench.games.bullwhip_theory import (
    bullwhip_ratios,
    centralised_bound,
    decentralised_bound,
    linear_ratios,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, nargs="+", default=[2_000, 20_000])
    ap.add_argument("--periods", type=int, default=208)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cfg = BullwhipConfig(seed=0)
    lead, p, rho = cfg.lead_times, cfg.window, cfg.ar_rho
    runs = {
        "order-up-to": dict(share_information=False),
        "order-up-to, shared": dict(share_information=True),
        "sterman, beta = 0.34": dict(policy="sterman", supply_line_weight=0.34),
    }
    print(f"{len(lead)} tiers, lead times {lead}, moving average over {p}, AR(1) demand rho = {rho}")
    print("| paths | periods | run | seconds | peak MiB |\n|---:|---:|---|---:|---:|")
    results = {}
    for n in args.paths:
        demand = ar1_demand(n, args.periods, 100.0, 20.0, rho, seed=cfg.seed)
        for name, kw in runs.items():
            best = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                results[name] = simulate_chain(demand, lead, window=p, **kw)
                best = min(best, time.perf_counter() - t0)
            tracemalloc.start()
            simulate_chain(demand, lead, window=p, **kw)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            print(f"| {n:,} | {args.periods} | {name} | {best:.2f} | {peak:.0f} |")
    without = bullwhip_ratios(results["order-up-to"], cfg.warmup)
    shared = bullwhip_ratios(results["order-up-to, shared"], cfg.warmup)
    exact = linear_ratios(lead, window=p, rho=rho)
    exact_shared = linear_ratios(lead, window=p, rho=rho, share_information=True)
    print(f"\nVar(orders)/Var(demand) at {args.paths[-1]:,} paths, after {cfg.warmup} periods of warm-up")
    print("| tier | simulated | exact | i.i.d. bound | shared: simulated | exact | i.i.d. bound |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = zip(tier_names(len(lead)), without, exact, decentralised_bound(lead, p), shared, exact_shared,
               centralised_bound(lead, p), strict=True)
    for name, *values in rows:
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |")


if __name__ == "__main__":
    main()
