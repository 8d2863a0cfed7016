"""Time the synthetic shop generator and validation at several sizes (wall time, peak RSS).

    python benchmarks/bench_generator.py [n_items ...]

Each size runs in a fresh process so that peak memory is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from workbench.config import compose, section
from workbench.data import load_data
n = int(sys.argv[1])
cfg = section(compose([f"data.n_items={n}"]), "data")
t = time.perf_counter()
panel = load_data(cfg)
seconds = time.perf_counter() - t
print(json.dumps({"items": n, "series": panel.n_series, "rows": panel.demand.height,
                  "seconds": round(seconds, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def main(sizes: list[int]) -> None:
    print(f"{'items':>7} {'series':>7} {'rows':>11} {'seconds':>8} {'peak MB':>8}")
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['items']:>7} {r['series']:>7} {r['rows']:>11,} {r['seconds']:>8} {r['peak_rss_mb']:>8}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 200, 1000, 5000])
