"""Seconds per training epoch of the deep forecasters on the default data, on a CPU or a GPU.

    python benchmarks/bench_deep_epoch.py [--models tft,tide,nhits,lstm] [--accelerator auto|cpu|gpu]
                                          [--epochs 2] [overrides ...]

Trains each model exactly as the backtest does (global over every series, quantile
loss, the default experiment's settings) at the hold-out origin, for ``--epochs``
epochs without early stopping, and prints one row per model: device, batches per
epoch, seconds per epoch (mean of the epochs after the first, which pays for
start-up), and the fit + predict total. Extra arguments are Hydra overrides.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.config import compose, section  # noqa: E402
from workbench.data import load_data  # noqa: E402
from workbench.forecast import make_forecaster, origins, to_series_set  # noqa: E402
from workbench.forecast.deep import accelerator  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="tft,tide,nhits,lstm")
    ap.add_argument("--accelerator", default="auto")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()

    import torch

    cfg = compose(args.overrides)
    panel = load_data(section(cfg, "data"))
    fc = section(cfg, "forecast")
    fc.deep.accelerator = args.accelerator
    fc.deep.max_epochs = args.epochs
    fc.deep.patience = args.epochs + 1  # run every epoch
    device = accelerator(args.accelerator)
    name = torch.cuda.get_device_name(0) if device == "gpu" else f"{platform.processor() or 'cpu'}, {torch.get_num_threads()} threads"
    cutoff = origins(panel, fc.horizon, 0, fc.horizon * 4).holdout
    view = to_series_set(panel).until(cutoff, fc.horizon)
    rows = []
    for model_name in args.models.split(","):
        model = make_forecaster(model_name, fc)
        t0 = time.perf_counter()
        model.forecast(view, fc.horizon)
        total = time.perf_counter() - t0
        later = model.epoch_seconds[1:] or model.epoch_seconds
        rows.append({
            "model": model_name, "device": name, "series": len(view.target), "epochs": len(model.epoch_seconds),
            "batches_per_epoch": model.batches_per_epoch,
            "seconds_first_epoch": round(model.epoch_seconds[0], 2),
            "seconds_per_epoch": round(sum(later) / len(later), 2), "fit_predict_seconds": round(total, 1),
        })
        print(json.dumps(rows[-1]), flush=True)
    print("\n| model | device | batches/epoch | s/epoch | first epoch s | fit+predict s |\n|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['device']} | {r['batches_per_epoch']} | {r['seconds_per_epoch']} "
              f"| {r['seconds_first_epoch']} | {r['fit_predict_seconds']} |")


if __name__ == "__main__":
    main()
