from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from workbench.config import compose, section
from workbench.data import DemandPanel, load_data, validate_panel
from workbench.data.classes import xyz_classes
from workbench.data.quality import preprocess, quality_table, suspected_censoring


def _panel(values, name="q"):
    start = date(2024, 1, 1)
    rows = [{"item_id": f"S{s}", "date": start + timedelta(days=t), "demand": float(v)}
            for s, series in enumerate(values) for t, v in enumerate(series)]
    return validate_panel(DemandPanel(demand=pl.DataFrame(rows),
                                      static=pl.DataFrame({"item_id": [f"S{s}" for s in range(len(values))]}), name=name))


def test_censoring_outliers_and_xyz_on_a_planted_series():
    rng = np.random.default_rng(0)
    fast = rng.poisson(10, 100).astype(float)
    fast[40:50] = 0  # ten days without a sale at a rate of ten a day: censored
    fast[70] = 400  # an outlier
    slow = (rng.random(100) < 0.1).astype(float)  # long zero runs are normal here
    p = _panel([fast, slow])
    q = quality_table(p).sort("item_id")
    assert q["censored_days"].to_list() == [10, 0]
    assert q["outliers"][0] >= 1
    assert q["longest_zero_run"][0] == 10
    clean = _panel([rng.poisson(10, 100), rng.poisson(10, 100) * (rng.random(100) < 0.8), slow])
    x = xyz_classes(clean.demand, ["item_id"]).sort("item_id")
    assert x["xyz"].to_list() == ["X", "Y", "Z"]
    flags = suspected_censoring(p.demand, ["item_id"])
    assert flags.filter(pl.col("censored"))["date"].min() == date(2024, 2, 10)


def test_preprocessing_steps_change_and_log():
    rng = np.random.default_rng(1)
    fast = rng.poisson(10, 120).astype(float)
    fast[40:50] = 0
    fast[90] = 500
    p = _panel([fast])
    cfg = section(compose(["experiment=quick", "data.preprocess=[clip_outliers,impute_censored]"]), "data")
    out = preprocess(p, cfg)
    assert out.demand["demand"].max() < 100
    assert out.demand.filter(pl.col("date").is_between(date(2024, 2, 10), date(2024, 2, 19)))["demand"].min() > 3
    steps = [e for e in out.log if e["step"].startswith("preprocess:")]
    assert [e["step"] for e in steps] == ["preprocess:clip_outliers", "preprocess:impute_censored"]
    assert steps[0]["rows"] == 1 and steps[1]["rows"] == 10
    assert steps[0]["demand_after"] < steps[0]["demand_before"]


def test_impute_uses_recorded_stockouts_on_the_synthetic_shop():
    cfg = section(compose(["experiment=quick", "data.n_items=6", "data.n_days=200", "data.preprocess=[impute_censored]"]), "data")
    p = load_data(cfg)
    entry = next(e for e in p.log if e["step"] == "preprocess:impute_censored")
    assert entry["rows"] > 0 and entry["demand_after"] > entry["demand_before"]


def test_unknown_step_is_named():
    cfg = section(compose(["experiment=quick", "data.preprocess=[denoise_magic]"]), "data")
    with pytest.raises(KeyError, match="data.preprocess: unknown preprocessing step 'denoise_magic'"):
        preprocess(_panel([np.ones(20)]), cfg)
