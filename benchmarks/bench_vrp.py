"""The routing solvers against the best-known solutions of CVRPLIB X and Solomon VRPTW instances.

    python benchmarks/bench_vrp.py [--data ../shared/data/vrp] [--solvers pyvrp savings]
                                   [--time-factor 2.4] [--instances X-n101-k25 C101] [--seed 0] [--out vrp.csv]

Measures how far each solver's cost is from the best-known cost (gap %, ``100 (found - bks) / bks``)
and how long it takes. Protocol (PyVRP's own benchmark): each instance is solved once per solver with
a time limit of ``time-factor x n`` seconds (n clients; 2.4 s per client by default, so X-n1001-k43
gets 40 minutes and the whole set about two hours per time-limited solver), the no-improvement stop
off, seed fixed. Costs follow the instances' conventions (CVRPLIB X: rounded distances; Solomon:
DIMACS truncated tenths, distance only) and come from the independent checker
(:func:`workbench.logistics.check.evaluate`), not from the solver; an infeasible solution is marked
and left out of the mean gaps. Prints a Markdown table per instance and solver, then the mean gap
per solver and instance type. The savings heuristic ignores the time limit (it is constructive).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl
from tables import markdown

from workbench.logistics.check import evaluate
from workbench.logistics.instances import load_benchmark
from workbench.logistics.solvers import SOLVERS, SolveSettings, solve

DATA = Path(__file__).parents[1].parent / "shared/data/vrp"


def run(data: Path, solvers: list[str], time_factor: float, names: list[str] | None, seed: int) -> pl.DataFrame:
    """One row per instance and solver: the checker's cost, the gap to the best-known, the time."""
    rows = []
    for inst in load_benchmark(data, names):
        settings = SolveSettings(time_limit=time_factor * inst.n_clients, no_improvement=None, seed=seed)
        for name in solvers:
            solution = solve(inst.problem, name, settings)
            check = evaluate(inst.problem, solution)
            gap = None if inst.bks is None else 100.0 * (check.cost - inst.bks) / inst.bks
            rows.append({"instance": inst.name, "type": inst.kind, "n": inst.n_clients, "best_known": inst.bks,
                         "solver": name, "found": round(check.cost, 1), "gap_pct": gap, "routes": check.vehicles,
                         "seconds": solution.seconds, "feasible": check.feasible})
            if not check.feasible:
                print(f"{inst.name} {name}: infeasible: {'; '.join(check.violations[:3])}")
    return pl.DataFrame(rows)


def mean_gaps(results: pl.DataFrame) -> pl.DataFrame:
    """The mean gap per solver and instance type over the feasible solutions, and how many were not."""
    return (results.group_by("solver", "type", maintain_order=True)
            .agg(pl.col("gap_pct").filter(pl.col("feasible")).mean().alias("mean_gap_pct"),
                 pl.col("seconds").mean().alias("mean_seconds"), pl.len().alias("instances"),
                 (~pl.col("feasible")).sum().alias("infeasible")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of *.vrp with their *.sol")
    parser.add_argument("--solvers", nargs="+", default=["pyvrp", "savings"], choices=list(SOLVERS))
    parser.add_argument("--time-factor", type=float, default=2.4, help="seconds per client of the time limit")
    parser.add_argument("--instances", nargs="+", default=None, help="instance names (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the table as CSV")
    args = parser.parse_args()
    results = run(args.data, args.solvers, args.time_factor, args.instances, args.seed)
    print(f"## Routing solvers against best-known solutions ({args.time_factor:g} s per client)\n")
    print(markdown(results, digits=2), "\n")
    print("### Mean gap per solver and type (feasible solutions)\n")
    print(markdown(mean_gaps(results), digits=2))
    if args.out is not None:
        results.write_csv(args.out)


if __name__ == "__main__":
    main()
