"""Small panels the tests build (no test reads data from outside the project)."""

from datetime import date, timedelta

import numpy as np
import polars as pl

from workbench.data import DemandPanel, validate_panel


def seasonal_panel(n_series: int = 3, n_days: int = 210, seed: int = 0) -> DemandPanel:
    """Easy series: a strong weekly pattern, a level per series, a little noise, a promo covariate."""
    rng = np.random.default_rng(seed)
    start = date(2024, 1, 1)
    rows = []
    week = np.array([5.0, 6.0, 7.0, 8.0, 12.0, 20.0, 9.0])
    for s in range(n_series):
        level = 1.0 + s
        for t in range(n_days):
            rows.append({
                "item_id": f"S{s}",
                "date": start + timedelta(days=t),
                "demand": float(max(0.0, level * week[t % 7] + rng.normal(0, 0.5))),
                "price": 10.0,
                "views": float(level * week[t % 7] * 5),
            })
    return validate_panel(DemandPanel(
        demand=pl.DataFrame(rows), static=pl.DataFrame({"item_id": [f"S{s}" for s in range(n_series)]}),
        known_future=("price",), past_covariates=("views",), name="seasonal",
    ))
