"""Small panels the tests build (no test reads data from outside the project)."""

from dataclasses import replace
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


def write_walmart(folder, n_stores: int = 2, n_depts: int = 3, n_weeks: int = 60, seed: int = 0):
    """A Walmart-layout folder with the real files' quirks: CR line endings in stores.csv,
    NA markdowns and CPI, a negative sale, a department that starts late, a missing week."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    weeks = [date(2010, 2, 5) + timedelta(weeks=k) for k in range(n_weeks + 4)]
    train = ["Store,Dept,Date,Weekly_Sales,IsHoliday"]
    for s in range(1, n_stores + 1):
        for d in range(1, n_depts + 1):
            start = 10 if (s, d) == (1, n_depts) else 0  # a late starter
            for k in range(start, n_weeks):
                if (s, d, k) == (2, 1, 20):
                    continue  # a hole
                sales = 1000 * d + 200 * np.sin(2 * np.pi * k / 52) + rng.normal(0, 30)
                if (s, d, k) == (1, 1, 5):
                    sales = -45.5  # a return
                holiday = "TRUE" if weeks[k].month == 11 and weeks[k].day > 20 else "FALSE"
                train.append(f"{s},{d},{weeks[k]},{sales:.2f},{holiday}")
    (folder / "train.csv").write_text("\n".join(train) + "\n")
    feats = ["Store,Date,Temperature,Fuel_Price,MarkDown1,MarkDown2,MarkDown3,MarkDown4,MarkDown5,CPI,Unemployment,IsHoliday"]
    for s in range(1, n_stores + 1):
        for k, w in enumerate(weeks):
            md = "NA" if k < 30 else f"{rng.uniform(0, 5000):.2f}"
            cpi = "NA" if k >= n_weeks else f"{211 + k * 0.1:.4f}"
            feats.append(f"{s},{w},{50 + 20 * np.sin(k / 8):.2f},2.{500 + k},{md},{md},NA,{md},{md},{cpi},{cpi},FALSE")
    (folder / "features.csv").write_text("\r".join(feats) + "\r")
    stores = ["Store,Type,Size"] + [f"{s},{'AB'[s % 2]},{100000 + s * 1000}" for s in range(1, n_stores + 1)]
    (folder / "stores.csv").write_bytes(("\r".join(stores) + "\r").encode())
    return folder


def write_m5(folder, n_items: int = 4, stores=("CA_1", "TX_1"), n_days: int = 120, seed: int = 0):
    """An M5-layout folder with the exact column names and types of the real files
    (vectorised, so that benchmarks write the full 30,490 x 1,941 size with it too).
    The first item of every store launches late: zero sales and no price before."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    stores = list(stores)
    n_series = n_items * len(stores)
    items = np.array([f"HOBBIES_1_{i + 1:03d}" for i in range(n_items)])
    item_col = np.tile(items, len(stores))
    store_col = np.repeat(np.array(stores), n_items)
    rates = np.tile(2.0 + np.arange(n_items) % 7, len(stores))
    sales = rng.poisson(rates[:, None], (n_series, n_days)).astype(np.int32)
    launch = 15
    first_item = np.tile(np.arange(n_items) == 0, len(stores))
    sales[first_item, :launch] = 0
    ids = pl.DataFrame({
        "id": [f"{i}_{s}_evaluation" for i, s in zip(item_col, store_col, strict=True)],
        "item_id": item_col, "dept_id": "HOBBIES_1", "cat_id": "HOBBIES",
        "store_id": store_col, "state_id": [s[:2] for s in store_col],
    })
    days = pl.DataFrame(sales, schema=[f"d_{d + 1}" for d in range(n_days)])
    pl.concat([ids, days], how="horizontal").write_csv(folder / "sales_train_evaluation.csv")
    dates = [date(2011, 1, 29) + timedelta(days=d) for d in range(n_days + 28)]
    weeks = [11101 + d // 7 for d in range(len(dates))]
    pl.DataFrame({
        "date": [str(d) for d in dates], "wm_yr_wk": weeks,
        "weekday": [d.strftime("%A") for d in dates], "wday": [(d.weekday() + 2) % 7 + 1 for d in dates],
        "month": [d.month for d in dates], "year": [d.year for d in dates],
        "d": [f"d_{k + 1}" for k in range(len(dates))],
        "event_name_1": ["SuperBowl" if k == 8 else None for k in range(len(dates))],
        "event_type_1": ["Sporting" if k == 8 else None for k in range(len(dates))],
        "event_name_2": [None] * len(dates), "event_type_2": [None] * len(dates),
        "snap_CA": [int(d.day <= 10) for d in dates], "snap_TX": [int(3 <= d.day <= 15) for d in dates],
        "snap_WI": [int(2 <= d.day <= 16) for d in dates],
    }, schema_overrides={"event_name_1": pl.String, "event_type_1": pl.String,
                         "event_name_2": pl.String, "event_type_2": pl.String}).write_csv(folder / "calendar.csv")
    all_weeks = np.arange(11101, weeks[-1] + 1)
    prices = pl.DataFrame({"store_id": store_col, "item_id": item_col, "first": np.where(first_item, 11101 + launch // 7 + 1, 11101),
                           "base": 4.5 + np.tile(np.arange(n_items) % 11, len(stores))})
    prices = (prices.join(pl.DataFrame({"wm_yr_wk": all_weeks}), how="cross")
              .filter(pl.col("wm_yr_wk") >= pl.col("first"))
              .select("store_id", "item_id", "wm_yr_wk",
                      (pl.col("base") + 0.01 * (pl.col("wm_yr_wk") % 3)).round(2).alias("sell_price")))
    prices.write_csv(folder / "sell_prices.csv")
    return folder


def write_transactions(path, n_items: int = 5, n_days: int = 120, seed: int = 0, encoding: str = "latin-1"):
    """An order-line export in the UCI Online Retail shape: dd/mm/yyyy HH:MM timestamps,
    Latin-1 text, cancellations (invoice ids starting with C) and negative quantities."""
    rng = np.random.default_rng(seed)
    lines = ["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"]
    invoice = 536365
    for day in range(n_days):
        when = date(2010, 12, 1) + timedelta(days=day)
        for _ in range(int(rng.integers(3, 9))):
            invoice += 1
            country = "United Kingdom" if rng.random() < 0.7 else "France"
            customer = int(rng.integers(12000, 12100))
            for item in rng.choice(n_items, size=int(rng.integers(1, 3)), replace=False):
                qty = int(rng.integers(1, 12)) * (1 + (day % 7 == 4))
                price = 2.55 + item * 0.5 + (0.3 if day % 30 < 5 else 0.0)
                stamp = f"{when.day:02d}/{when.month:02d}/{when.year} {8 + item:02d}:{(day * 7) % 60:02d}"
                lines.append(f"{invoice},8512{item}A,CAFÉ MUG {item},{qty},{stamp},{price:.2f},{customer},{country}")
        if day % 17 == 3:
            stamp = f"{when.day:02d}/{when.month:02d}/{when.year} 18:00"
            lines.append(f"C{invoice},85120A,CAFÉ MUG 0,-3,{stamp},2.55,12001,United Kingdom")
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def closed_on_sundays(panel: DemandPanel, demand: float = 0.0) -> DemandPanel:
    """``panel`` with a known-future ``closed`` flag on Sundays, whose sales (ledger and analytics) are ``demand``."""
    sunday = pl.col("date").dt.weekday() == 7
    df = panel.demand.with_columns(sunday.cast(pl.Float64).alias("closed")).with_columns(
        pl.when(sunday).then(demand).otherwise(pl.col(c)).alias(c) for c in ("demand", "purchases"))
    return replace(panel, demand=df, known_future=(*panel.known_future, "closed"))


def perfect_forecasts(panel, horizon, quantiles, spread=0.2, model="oracle"):
    """Forecasts that know the last ``horizon`` days' demand, with a symmetric quantile spread."""
    from scipy.stats import norm

    from workbench.forecast.series import quantile_column

    cutoff = panel.dates[-horizon - 1]
    actual = panel.demand.filter(pl.col("date") > cutoff)
    return actual.select(*panel.keys, "date").with_columns(
        pl.lit(model).alias("model"), pl.lit(cutoff).alias("cutoff"), actual["demand"].alias("mean"),
        *[(actual["demand"] * (1 + spread * norm.ppf(q))).clip(lower_bound=0).alias(quantile_column(q)) for q in quantiles],
    )
