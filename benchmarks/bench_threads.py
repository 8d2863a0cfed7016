"""Thread settings on a machine with other work on it: the forecasting stage idle and beside a
busy process, with the libraries' own thread defaults and with the workbench's.

    python benchmarks/bench_threads.py [--models tide,lightgbm,auto_ets] [--epochs 2] [--repeat 1]
                                       [overrides ...]

For each setting, each model's backtest on the default data (hold-out origin only)
runs in a fresh process, first on a quiet machine, then while a second process keeps
one core busy (a pure-Python loop, as another user's job would). Settings:

- ``library defaults``: no thread settings at all (torch and OpenMP take every core,
  and OpenMP's idle threads spin before they sleep), as the workbench ran before;
- ``workbench``: ``experiment.threads`` (default: every core this process may use)
  with ``OMP_WAIT_POLICY=PASSIVE`` (see :mod:`workbench.runtime`);
- ``workbench, -1``: ``experiment.threads=-1``, one core left free.

It prints the seconds and the busy/idle ratio of each. Extra arguments are Hydra
overrides for the forecast section. Run it on an otherwise quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.runtime import THREAD_VARIABLES, available_cores, thread_env  # noqa: E402

CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from workbench.config import compose, section
from workbench.data import load_data
from workbench.forecast import make_forecaster, origins, to_series_set
from workbench.runtime import set_threads
threads = {threads!r}
if threads != "library":
    set_threads(threads)
import torch
cfg = compose({overrides!r})
panel = load_data(section(cfg, "data"))
fc = section(cfg, "forecast")
fc.deep.max_epochs = {epochs}
fc.deep.patience = {epochs} + 1
cutoff = origins(panel, fc.horizon, 0, fc.horizon * 4).holdout
view = to_series_set(panel).until(cutoff, fc.horizon)
model = make_forecaster({model!r}, fc)
t0 = time.perf_counter()
model.forecast(view, fc.horizon)
print(json.dumps({{"seconds": time.perf_counter() - t0, "torch_threads": torch.get_num_threads()}}))
"""

SETTINGS = {"library defaults": "library", "workbench": None, "workbench, -1": -1}


def run_child(model: str, threads, epochs: int, overrides: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in (*THREAD_VARIABLES, "OMP_WAIT_POLICY")}
    if threads != "library":
        env.update(thread_env(threads))
    code = CHILD.format(root=str(ROOT), threads=threads, overrides=overrides, epochs=epochs, model=model)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="tide,lightgbm,auto_ets")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each cell; the fastest is kept")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    print(f"{available_cores()} cores available", flush=True)
    rows = []
    for label, threads in SETTINGS.items():
        for model in args.models.split(","):
            times = {}
            for load in ("idle", "busy"):
                hog = None
                if load == "busy":
                    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                    time.sleep(1.0)
                try:
                    runs = [run_child(model, threads, args.epochs, args.overrides) for _ in range(args.repeat)]
                finally:
                    if hog is not None:
                        hog.kill()
                        hog.wait()
                times[load] = min(r["seconds"] for r in runs)
                torch_threads = runs[0]["torch_threads"]
            rows.append({"setting": label, "model": model, "torch_threads": torch_threads,
                         "idle_s": round(times["idle"], 1), "busy_s": round(times["busy"], 1),
                         "ratio": round(times["busy"] / times["idle"], 2)})
            print(json.dumps(rows[-1]), flush=True)
    print("\n| setting | model | torch threads | idle s | with a busy process s | busy / idle |\n"
          "|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['setting']} | {r['model']} | {r['torch_threads']} | {r['idle_s']} | {r['busy_s']} | {r['ratio']} |")


if __name__ == "__main__":
    main()
