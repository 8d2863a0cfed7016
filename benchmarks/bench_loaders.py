"""Loading and validating real-data layouts: wall time and peak memory, as a table.

    python benchmarks/bench_loaders.py [--m5-series N] [--m5-days D] [--walmart PATH]

* the real Walmart Recruiting files (``../shared/data/walmart_recruiting`` by default);
* an M5-layout folder written at full size (30,490 series x 1,941 days, M5's ten stores) by the same
  generator the tests use, then loaded like the real files.

Each load runs in a fresh process so that its peak resident memory is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from workbench.config import compose, section
from workbench.data import load_data
overrides = sys.argv[1:]
cfg = section(compose(overrides), "data")
t = time.perf_counter()
panel = load_data(cfg)
seconds = time.perf_counter() - t
print(json.dumps({"series": panel.n_series, "rows": panel.demand.height, "seconds": round(seconds, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


M5_STORES = ["CA_1", "CA_2", "CA_3", "CA_4", "TX_1", "TX_2", "TX_3", "WI_1", "WI_2", "WI_3"]  # M5's ten stores


def write_m5_layout(folder: Path, n_series: int, n_days: int) -> Path:
    """An M5-layout folder of ``n_series`` series (M5's ten stores, ``n_series / 10`` items each;
    fewer stores below ten series) and ``n_days`` days, by the generator the tests use."""
    sys.path.insert(0, str(ROOT / "tests"))
    from panels import write_m5

    stores = M5_STORES[:max(1, min(len(M5_STORES), n_series))]
    return write_m5(folder, n_items=max(1, n_series // len(stores)), stores=stores, n_days=n_days)


def measure(label: str, overrides: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, *overrides], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"{label} failed:\n{out.stderr[-2000:]}")
    return {"dataset": label, **json.loads(out.stdout.strip().splitlines()[-1])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--walmart", default=str(ROOT.parent / "shared" / "data" / "walmart_recruiting"))
    ap.add_argument("--m5-series", type=int, default=30_490)
    ap.add_argument("--m5-days", type=int, default=1_941)
    args = ap.parse_args()
    rows = []
    if Path(args.walmart).exists():
        rows.append(measure("walmart (real files)", ["data=walmart", f"data.path={args.walmart}"]))
    else:
        print(f"skipping Walmart: {args.walmart} not found")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_m5_layout(Path(tmp), args.m5_series, args.m5_days)
        size = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 1e6
        print(f"wrote the M5 layout ({args.m5_series:,} x {args.m5_days:,}, {size:,.0f} MB) in {time.perf_counter() - t:.1f} s")
        rows.append(measure(f"M5 layout {args.m5_series:,} x {args.m5_days:,}", ["data=m5", f"data.path={tmp}"]))
    print(f"\n{'dataset':<32} {'series':>8} {'rows':>12} {'seconds':>8} {'peak MB':>8}")
    for r in rows:
        print(f"{r['dataset']:<32} {r['series']:>8,} {r['rows']:>12,} {r['seconds']:>8} {r['peak_rss_mb']:>8,}")


if __name__ == "__main__":
    main()
