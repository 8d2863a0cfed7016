"""The anomaly stage's tables and headline, as the ``05_anomaly`` notebook shows and logs them.

Each function reads an :class:`~workbench.anomaly.study.AnomalyStudy`'s tables: the detectors against
the labels (overall and per anomaly type), the best detector of each type, the recommended
combination against the targets, the injected events and the incidents. :func:`headline` fills the
stage's :data:`HEADLINE`.
"""

from __future__ import annotations

import polars as pl

from workbench.anomaly.types import type_rank
from workbench.config.anomaly import ANOMALY_TYPES
from workbench.headline import Headline, Logged, Metric

HEADLINE = Headline("05_anomaly", (
    Metric("event_recall", "anomaly event recall", "{:.2f}",
           "Event recall: the share of labelled anomaly events (injected into real data) on which the recommended "
           "detector raised at least one alert, on the periods after the calibration window."),
    Metric("alerts_per_1000", "alerts per 1,000", "{:.1f}",
           "Alerts per 1,000: incidents (runs of flagged periods of one series) per 1,000 series-periods."),
    Metric("delay_median", "detection delay", "{:.1f}",
           "Detection delay: the median number of periods from an anomaly's start to its first alert."),
))

# the targets a stock controller can live with: the share of events caught, alerts, delay
TARGETS = {"event_recall": (">=", 0.9), "incidents_per_1000": ("<=", 5.0), "delay_median": ("<=", 2.0)}

COLUMNS = {
    "roc_auc": "ROC-AUC", "pr_auc": "PR-AUC", "precision_at_k": "precision@k", "precision": "precision",
    "recall": "recall", "event_recall": "event recall", "delay_median": "median delay", "delay_mean": "mean delay",
    "incidents_per_1000": "alerts per 1,000", "flagged_per_1000": "flagged per 1,000",
    "incident_precision": "alert precision", "events": "events", "caught": "caught",
}


def detector_overview(detector_table: pl.DataFrame) -> pl.DataFrame:
    """One row per detector, best PR-AUC first, with the report's column names."""
    keep = ["detector", "pr_auc", "roc_auc", "precision_at_k", "precision", "recall", "event_recall",
            "delay_median", "incidents_per_1000", "incident_precision"]
    return (detector_table.select(keep).sort("pr_auc", descending=True, nulls_last=True)
            .rename({k: v for k, v in COLUMNS.items() if k in keep}))


def type_matrix(type_table: pl.DataFrame, metric: str) -> pl.DataFrame:
    """``metric`` per detector (rows) and anomaly type (columns, in the order of ANOMALY_TYPES)."""
    wide = type_table.pivot(on="anomaly_type", index="detector", values=metric)
    types = [t for t in ANOMALY_TYPES if t in wide.columns] + sorted(
        c for c in wide.columns if c != "detector" and c not in ANOMALY_TYPES)
    return wide.select("detector", *types)


def best_by_type(type_table: pl.DataFrame) -> pl.DataFrame:
    """Each type's best detector by PR-AUC, with its PR-AUC, event recall and median delay, and the
    runner-up: no single detector wins everywhere."""
    ranked = (type_table.filter(pl.col("pr_auc").is_not_null())
              .sort("anomaly_type", "pr_auc", descending=[False, True])
              .group_by("anomaly_type", maintain_order=True)
              .agg(pl.col("detector").first().alias("best detector"), pl.col("pr_auc").first().alias("PR-AUC"),
                   pl.col("event_recall").first().alias("event recall"),
                   pl.col("delay_median").first().alias("median delay"),
                   pl.col("detector").get(1, null_on_oob=True).alias("runner-up"),
                   pl.col("pr_auc").get(1, null_on_oob=True).alias("runner-up PR-AUC")))
    return ranked.sort(type_rank()).rename(
        {"anomaly_type": "anomaly type"})


def against_targets(row: dict) -> pl.DataFrame:
    """The recommended detector's event recall, alerts per 1,000 and median delay (a row of the
    detector table) against :data:`TARGETS`."""
    out = []
    for key, (op, target) in TARGETS.items():
        value = row.get(key)
        met = value is not None and (value >= target if op == ">=" else value <= target)
        out.append({"measure": COLUMNS[key], "target": f"{op} {target:g}", "reached": value,
                    "met": "yes" if met else "no"})
    return pl.DataFrame(out, schema={"measure": pl.String, "target": pl.String, "reached": pl.Float64,
                                     "met": pl.String})


def injected_counts(events: pl.DataFrame) -> pl.DataFrame:
    """Injected events per type: how many, their periods (mean) and an example of what changed."""
    return (events.group_by("anomaly_type").agg(pl.len().alias("events"), pl.col("periods").mean().alias("mean periods"),
                                                pl.col("detail").first().alias("example"))
            .sort(type_rank())
            .rename({"anomaly_type": "anomaly type"}))


def incident_table(incidents: pl.DataFrame, keys: list[str], n: int) -> pl.DataFrame:
    """The ``n`` incidents with the highest scores: series, when, the type guessed, the evidence, the
    action and (with labels) what it really was."""
    cols = [*keys, "start", "periods", "type_guess", "evidence", "action"]
    if "label" in incidents.columns:
        cols.append("label")
    return incidents.sort("score", "start", descending=[True, False]).head(n).select(cols).rename(
        {"type_guess": "type guess", "label": "labelled as"}, strict=False)


def headline(study) -> Logged:
    """The stage's headline: the recommended detector's event recall, alerts per 1,000 and median
    delay (``None`` without labels); in the details its members, every detector's PR-AUC and event
    recall, and the incidents raised."""
    details = {"detectors": list(study.detectors.cfg.detectors), "recommended": study.recommended,
               "members": study.combination.members if study.combination is not None else None,
               "incidents": study.incidents.height,
               "injected_events": study.labels.injected.height if study.labels.injected is not None else None}
    if study.evaluation is None:
        return HEADLINE.of(**details, event_recall=None, alerts_per_1000=None, delay_median=None)
    table = study.evaluation.detector_table
    row = table.filter(pl.col("detector") == study.recommended).row(0, named=True)
    return HEADLINE.of(
        **details,
        event_recall=row["event_recall"], alerts_per_1000=row["incidents_per_1000"],
        delay_median=row["delay_median"], pr_auc=row["pr_auc"], precision=row["precision"],
        per_detector={r["detector"]: {"pr_auc": r["pr_auc"], "event_recall": r["event_recall"]}
                      for r in table.iter_rows(named=True)},
    )
