"""What the ``01_data`` study shows about a panel: size, totals, classes, quality, and the
stage's headline.

Every table of the study is a function here returning a polars frame (named facts are a
frame of one row, a column each); the notebook only lays them out and draws them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.headline import Headline, Logged, Metric

HEADLINE = Headline("01_data", (
    Metric("n_series", "series", "{:,.0f}", "Series: the demand series of the data (item, or item x channel)."),
))

# the reader's words for the facts of :func:`overview` (``n_<key>`` not listed: distinct <key> values)
FACT_LABELS = {
    "name": "data", "n_series": "series", "n_items": "items", "n_periods": "periods", "first_date": "first date",
    "last_date": "last date", "total_demand": "total demand (units)", "zero_share": "share of zero-demand periods",
    "known_future": "known-future covariates", "past_covariates": "past-only covariates",
}


def overview(panel: DemandPanel) -> dict[str, object]:
    """Size, span and totals of the panel, under the keys the headline and the tables use."""
    d = panel.demand
    out: dict[str, object] = {
        "name": panel.name,
        "n_series": panel.n_series,
        "n_items": d.get_column("item_id").n_unique(),
        "n_periods": panel.dates.len(),
        "frequency": panel.frequency,
        "first_date": str(d.get_column(DATE).min()),
        "last_date": str(d.get_column(DATE).max()),
        "rows": d.height,
        "total_demand": float(d.get_column(DEMAND).sum()),
        "zero_share": float((d.get_column(DEMAND) == 0).mean()),
        "known_future": ", ".join(panel.known_future) or "none",
        "past_covariates": ", ".join(panel.past_covariates) or "none",
    }
    for key in panel.keys[1:]:
        out[f"n_{key}"] = d.get_column(key).n_unique()
    return out


def overview_table(panel: DemandPanel) -> pl.DataFrame:
    """:func:`overview` as one row with the reader's words as column names (:data:`FACT_LABELS`),
    the first and last dates as dates."""
    dates = panel.demand.get_column(DATE)
    facts = {**overview(panel), "first_date": dates.min(), "last_date": dates.max()}
    labelled = {
        FACT_LABELS.get(k, f"distinct {k[2:]} values" if k.startswith("n_") else k.replace("_", " ")): v
        for k, v in facts.items()
    }
    return pl.DataFrame([labelled])


def totals_by(
    panel: DemandPanel, by: list[str], every: str | None = None, whole_periods: bool = False
) -> pl.DataFrame:
    """Total demand by static or key columns, optionally per calendar period (``every='1mo'``).

    ``whole_periods`` drops a first or last calendar period that the data only partly covers
    (it would look like a drop in demand)."""
    d = panel.demand
    need = [c for c in by if c not in d.columns]
    if need:
        d = d.join(panel.static.select([*panel.static_keys, *need]), on=panel.static_keys, how="left")
    if every:
        out = (
            d.sort(DATE)
            .group_by_dynamic(DATE, every=every, group_by=by or None)
            .agg(pl.col(DEMAND).sum(), pl.col(DATE).n_unique().alias("_dates"))
            .sort([*by, DATE])
        )
        if whole_periods and out.height > 2:
            typical = out.get_column("_dates").median()
            out = out.filter(pl.col("_dates") >= 0.9 * typical)
        return out.drop("_dates")
    return d.group_by(by).agg(pl.col(DEMAND).sum(), pl.len().alias("rows")).sort(DEMAND, descending=True)


def stockout_censoring(panel: DemandPanel) -> pl.DataFrame | None:
    """Days with zero recorded stock (where the panel has stock): demand there is censored."""
    if "stock_on_hand" not in panel.demand.columns:
        return None
    keys = list(panel.keys)
    return (
        panel.demand.group_by(keys)
        .agg((pl.col("stock_on_hand") <= 0).mean().alias("stockout_share"))
        .sort("stockout_share", descending=True)
    )


def class_counts(classes: pl.DataFrame, rows: str, columns: str) -> pl.DataFrame:
    """Series per class pair: one row per ``rows`` class, one column per ``columns`` class
    (sorted), zero where no series falls in the pair."""
    return (
        classes.group_by([rows, columns]).len()
        .pivot(on=columns, index=rows, values="len", sort_columns=True)
        .fill_null(0)
        .sort(rows)
    )


def largest_per_abc(classes: pl.DataFrame) -> pl.DataFrame:
    """The series with the largest sales value in each ABC class, A to C (a class with no
    series is left out)."""
    picks = [classes.filter(pl.col("abc") == c).sort("revenue", descending=True).head(1) for c in ("A", "B", "C")]
    return pl.concat([p for p in picks if p.height])


def quality_summary(quality: pl.DataFrame, panel: DemandPanel) -> pl.DataFrame:
    """One row of counts over :func:`~workbench.data.quality.quality_table`: series, suspected
    censoring, outliers, the median longest zero run, the periods validation filled and, where
    the panel marks them, the closed periods (never counted as censoring)."""
    filled = [e for e in panel.log if e["step"] in ("missing_dates", "missing_demand")]
    closed = {"closed periods": int(quality["closed_days"].sum())} if "closed_days" in quality.columns else {}
    return pl.DataFrame([{
        "series": quality.height,
        "series with suspected censoring": int((quality["censored_days"] > 0).sum()),
        "suspected censored periods": int(quality["censored_days"].sum()),
        "series with outliers": int((quality["outliers"] > 0).sum()),
        "outlier periods": int(quality["outliers"].sum()),
        "median longest zero run (periods)": float(quality["longest_zero_run"].median()),
        "missing periods filled": int(sum(e.get("rows", 0) for e in filled)),
        **closed,
    }])


def most_censored(quality: pl.DataFrame, n: int = 10) -> pl.DataFrame:
    """The ``n`` series with the most suspected censored periods."""
    return quality.sort("censored_days", descending=True).head(n)


def anomaly_counts(truth: pl.DataFrame) -> pl.DataFrame:
    """Series-days per injected anomaly type, from a synthetic panel's ground truth."""
    return (
        truth.filter(pl.col("anomaly")).group_by("anomaly_type").len().sort("anomaly_type")
        .rename({"len": "series-days"})
    )


def preparation_log(panel: DemandPanel, fmt: Callable[[Any], str] = str) -> pl.DataFrame:
    """What reading, validation and preparation did, one row per log entry: step, action,
    rows, and its other details as ``name=value`` text (each value written by ``fmt``)."""
    return pl.DataFrame([
        {"step": e["step"], "action": e.get("action"), "rows": e.get("rows"),
         "details": ", ".join(f"{k}={fmt(v)}" for k, v in e.items() if k not in ("step", "action", "rows"))}
        for e in panel.log
    ])


def headline(info: dict[str, object], classes: pl.DataFrame, quality: pl.DataFrame) -> Logged:
    """The stage's headline from :func:`overview`, :func:`~workbench.data.classes.series_classes`
    and :func:`~workbench.data.quality.quality_table`: the series count, and as details the
    items, periods, zero share, series per SBC, XYZ and ABC class, suspected censored periods
    and outlier periods."""

    def counts(column: str) -> dict[str, int]:
        return dict(classes.group_by(column).len().iter_rows())

    return HEADLINE.of(
        n_series=info["n_series"],
        n_items=info["n_items"],
        n_periods=info["n_periods"],
        zero_share=info["zero_share"],
        sbc_counts=counts("sbc_class"),
        xyz_counts=counts("xyz"),
        suspected_censored_periods=int(quality["censored_days"].sum()),
        outlier_periods=int(quality["outliers"].sum()),
        abc_counts=counts("abc"),
    )
