"""Detectors scored against labelled anomalies, overall and per anomaly type.

Every metric is measured on the evaluation rows (a boolean mask over the scores' rows, or an
inclusive ``(first, last)`` date range) and nowhere else: the labels, the events and the period
grid are those of these rows. Periods are counted on the panel's date grid (the dense rank of
the rows' dates), so weekly data counts weeks.

From the scores (higher = more unusual; NaN = not scored, ranked below every score):

* ``roc_auc`` and ``pr_auc`` (average precision), scikit-learn's; ``precision_at_k``: the share
  of labelled rows among the ``top_k`` highest scores.

From the flags (the score at or above the detector's threshold):

* ``precision`` and ``recall`` of the flagged rows;
* ``event_recall``: the share of events with a flagged period between the event's start and its
  end plus ``grace`` periods; ``delay_median`` and ``delay_mean``: periods from an event's start to
  its first such flag, over the events caught;
* ``incidents_per_1000`` (runs of flagged periods, :func:`~workbench.anomaly.incidents.incident_runs`)
  and ``flagged_per_1000`` per 1,000 scored series-periods, and ``incident_precision``: the share of
  incidents with a period within an event or within ``grace`` periods after one.

Per anomaly type, that type's rows are the positives against the normal rows; the other types'
rows are left out of the row metrics, and only that type's events count. An event that began
before the evaluation rows is counted from their first period. A metric that cannot be measured
(a class without rows, no event, nothing flagged) is NaN, null in the tables.

The grace defaults to one period: the features read the past of each period, but a stock count
booked the next morning, a forecast-residual window or a level that has just moved can show an
event one period late, and a stock controller told the next day has still been told; a longer
grace would credit alarms that belong to no event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from sklearn.metrics import average_precision_score, roc_auc_score

from workbench.anomaly.base import boolean_mask
from workbench.anomaly.incidents import incident_runs, period_index
from workbench.anomaly.types import type_rank
from workbench.config.anomaly import ANOMALY_TYPES
from workbench.data.labels import LABEL_COLUMNS, anomaly_events
from workbench.data.panel import DATE

GRACE = 1  # periods after an event's end in which a flag still catches it
ALL = "all"  # the type_table's row of every type together (in detector_table)
LOWER_IS_BETTER = frozenset({"delay_median", "delay_mean", "incidents_per_1000", "flagged_per_1000"})
SCORE_METRICS = ("roc_auc", "pr_auc", "precision_at_k")
FLAG_METRICS = ("precision", "recall", "events", "caught", "event_recall", "delay_median", "delay_mean")
ALERT_METRICS = ("scored", "incidents", "incidents_per_1000", "flagged_per_1000", "incident_precision")

Rows = np.ndarray | pl.Series | tuple[date, date] | None


@dataclass(frozen=True)
class Labelled:
    """The evaluation rows with their labels: ``frame`` (keys, ``date``, ``period``, ``anomaly_type``,
    ``anomaly``, ``near``: within an event or ``grace`` periods after one) and ``events`` (one row
    per event: ``anomaly_type``, ``start_row``, ``start_period``, ``end_period``)."""

    frame: pl.DataFrame
    events: pl.DataFrame
    keys: list[str]
    grace: int

    @property
    def types(self) -> list[str]:
        """The labelled types among the rows, in the order of ``ANOMALY_TYPES`` (others after)."""
        present = set(self.frame["anomaly_type"].drop_nulls().unique())
        return [t for t in ANOMALY_TYPES if t in present] + sorted(present - set(ANOMALY_TYPES))


def row_mask(rows: Rows, frame: pl.DataFrame) -> np.ndarray:
    """``rows`` as a boolean mask over ``frame``: all rows (None), a mask, or a ``(first, last)`` date range."""
    if rows is None:
        return np.ones(frame.height, dtype=bool)
    if isinstance(rows, tuple):
        if len(rows) != 2:
            raise ValueError(f"evaluation rows as dates: expected (first, last), got {rows!r}")
        return frame.select(pl.col(DATE).is_between(rows[0], rows[1])).to_series().to_numpy()
    return boolean_mask(rows, frame.height, "evaluation rows", per="score row")


def label_rows(grid: pl.DataFrame, truth: pl.DataFrame, keys: Sequence[str], grace: int = GRACE) -> Labelled:
    """Attach ``truth``'s labels (:mod:`workbench.data.labels`) to ``grid`` (keys and ``date``,
    sorted) and read the events back from them."""
    keys = list(keys)
    if grace < 0:
        raise ValueError(f"grace: expected periods >= 0, got {grace}")
    missing = [c for c in (*keys, DATE, "anomaly_type", "anomaly_event") if c not in truth.columns]
    if missing:
        raise ValueError(f"the truth has no {missing} column(s); expected keys, date and the anomaly labels "
                         f"{list(LABEL_COLUMNS)} (workbench.data.labels)")
    frame = grid.select(*keys, DATE).join(truth.select(*keys, DATE, "anomaly_type", "anomaly_event"),
                                          on=[*keys, DATE], how="left", maintain_order="left")
    if frame.height != grid.height:
        raise ValueError("the truth has more than one row for a series and date; expected one label per period")
    labelled = pl.col("anomaly_type").is_not_null()
    last = pl.when(labelled).then(pl.col("period")).forward_fill().over(keys)
    frame = frame.with_columns(period_index().alias("period"), labelled.alias("anomaly")).with_columns(
        ((pl.col("period") - last) <= grace).fill_null(False).alias("near"))
    at = frame.select(*keys, DATE, "period").with_row_index("_row")
    events = (anomaly_events(frame, keys)
              .join(at.rename({"_row": "start_row", "period": "start_period", DATE: "start"}), on=[*keys, "start"])
              .join(at.drop("_row").rename({"period": "end_period", DATE: "end"}), on=[*keys, "end"])
              .select("event", "anomaly_type", pl.col("start_row").cast(pl.Int64), "start_period", "end_period"))
    return Labelled(frame.drop("anomaly_event"), events, keys, grace)


def score_metrics(lab: Labelled, score: np.ndarray, top_k: int) -> dict[str, dict[str, float]]:
    """ROC-AUC, average precision and precision@k of ``score`` (one per row of ``lab.frame``):
    ``{ALL: {...}, type: {...}}``."""
    score = np.asarray(score, dtype=float)
    finite = score[np.isfinite(score)]
    # NaN ranks below every score: one less than the lowest (0 where nothing is scored)
    s = np.where(np.isfinite(score), score, finite.min() - 1.0 if finite.size else 0.0)
    # sorted once: scikit-learn's stable sort of each group's scores then finds them in order (linear time)
    order = np.argsort(s, kind="stable")
    s = s[order]
    out = {}
    for group, positive, keep in _groups(lab):
        kept = keep[order]
        y, v = positive[order][kept], s[kept]
        both = 0 < y.sum() < y.size
        top = y[-min(top_k, y.size):] if y.size else y  # the highest scores (ties: the later rows)
        out[group] = {"roc_auc": float(roc_auc_score(y, v)) if both else np.nan,
                      "pr_auc": float(average_precision_score(y, v)) if both else np.nan,
                      "precision_at_k": float(top.mean()) if top.size else np.nan}
    return out


def flag_metrics(lab: Labelled, flag: np.ndarray, scored: np.ndarray, max_gap: int = 1) -> dict[str, dict[str, float]]:
    """Row, event and alert metrics of ``flag`` (one boolean per row of ``lab.frame``; ``scored``:
    the rows with a score): ``{ALL: {...}, type: {...}}``; the alert metrics are in ``ALL`` only."""
    flag = np.asarray(flag, dtype=bool)
    out = {}
    for group, positive, keep in _groups(lab):
        y, f = positive[keep], flag[keep]
        hits = float((y & f).sum())
        out[group] = {"precision": hits / f.sum() if f.any() else np.nan,
                      "recall": hits / y.sum() if y.any() else np.nan}
    caught = _caught(lab, flag)
    per_type = caught.group_by("anomaly_type").agg(*_event_aggs())
    for row in per_type.iter_rows(named=True):
        out.setdefault(row.pop("anomaly_type"), {}).update(row)
    out[ALL].update(caught.select(*_event_aggs()).row(0, named=True))
    out[ALL].update(_alerts(lab, flag, scored, max_gap))
    return out


def _groups(lab: Labelled):
    """(group, positives, rows kept) for every type together and for each type against the normal rows."""
    kind = lab.frame["anomaly_type"]
    labelled = lab.frame["anomaly"].to_numpy()
    yield ALL, labelled, np.ones(lab.frame.height, dtype=bool)
    for t in lab.types:
        positive = (kind == t).fill_null(False).to_numpy()
        yield t, positive, positive | ~labelled


def _caught(lab: Labelled, flag: np.ndarray) -> pl.DataFrame:
    """Each event with the period of the first flag at or after its start (null: none since)."""
    first = (lab.frame.select(*lab.keys, "period").with_columns(pl.Series("_flag", flag))
             .select(pl.when("_flag").then("period").backward_fill().over(lab.keys)).to_series())
    events = lab.events.with_columns(first.gather(lab.events["start_row"]).alias("_first"))
    hit = pl.col("_first") <= pl.col("end_period") + lab.grace
    return events.with_columns(hit.fill_null(False).alias("caught"),
                               pl.when(hit).then(pl.col("_first") - pl.col("start_period")).alias("delay"))


def _event_aggs() -> list[pl.Expr]:
    return [pl.len().cast(pl.Int64).alias("events"), pl.col("caught").sum().cast(pl.Int64).alias("caught"),
            pl.col("caught").mean().cast(pl.Float64).alias("event_recall"),
            pl.col("delay").median().cast(pl.Float64).alias("delay_median"),
            pl.col("delay").mean().cast(pl.Float64).alias("delay_mean")]


def _alerts(lab: Labelled, flag: np.ndarray, scored: np.ndarray, max_gap: int) -> dict[str, float]:
    """Incidents and flagged periods per 1,000 scored series-periods; the share of incidents near an event."""
    frame = lab.frame.select(*lab.keys, DATE, "near").with_columns(pl.Series("_flag", flag))
    incident = incident_runs(frame, lab.keys, "_flag", max_gap)
    touched = (frame.with_columns(incident).drop_nulls("incident")
               .group_by("incident").agg(pl.col("near").any()))
    n_scored = int(np.asarray(scored, dtype=bool).sum())
    per_1000 = 1000.0 / n_scored if n_scored else np.nan
    return {"scored": n_scored, "incidents": touched.height, "incidents_per_1000": touched.height * per_1000,
            "flagged_per_1000": float(flag.sum()) * per_1000,
            "incident_precision": float(touched["near"].mean()) if touched.height else np.nan}


@dataclass(frozen=True)
class Evaluation:
    """``detector_table``: one row per detector (every type together); ``type_table``: one row per
    detector and anomaly type (the score, row and event metrics)."""

    detector_table: pl.DataFrame
    type_table: pl.DataFrame


def evaluate(scores: pl.DataFrame, flags: pl.DataFrame, truth: pl.DataFrame, keys: Sequence[str],
             rows: Rows = None, top_k: int = 100, grace: int = GRACE, max_gap: int = 1,
             detectors: Sequence[str] | None = None) -> Evaluation:
    """Every detector's scores and flags against ``truth`` on the evaluation ``rows`` (see the module
    docstring for each metric). ``detectors``: the score columns to evaluate (all by default)."""
    keys = list(keys)
    detectors = _detectors(scores, flags, keys, detectors)
    if top_k < 1:
        raise ValueError(f"anomaly.top_k: expected a positive number of rows, got {top_k}")
    mask = row_mask(rows, scores)
    lab = label_rows(scores.filter(mask), truth, keys, grace)
    by_detector, by_type = [], []
    for name in detectors:
        score = scores[name].filter(mask).cast(pl.Float64).to_numpy()
        flag = flags[name].filter(mask).fill_null(False).to_numpy()
        ranked = score_metrics(lab, score, top_k)
        counted = flag_metrics(lab, flag, np.isfinite(score), max_gap)
        by_detector.append({"detector": name, **ranked[ALL], **counted[ALL]})
        by_type += [{"detector": name, "anomaly_type": t, **ranked[t], **counted.get(t, {})} for t in lab.types]
    columns = [*SCORE_METRICS, *FLAG_METRICS]
    return Evaluation(_table(by_detector, ["detector", *columns, *ALERT_METRICS]),
                      _table(by_type, ["detector", "anomaly_type", *columns]))


def _detectors(scores: pl.DataFrame, flags: pl.DataFrame, keys: list[str],
               detectors: Sequence[str] | None) -> list[str]:
    grid = [*keys, DATE]
    missing = [c for c in grid if c not in scores.columns or c not in flags.columns]
    if missing:
        raise ValueError(f"scores and flags need the key and date columns {grid}; {missing} missing")
    if scores.height != flags.height or not scores.select(grid).equals(flags.select(grid)):
        raise ValueError("flags: expected the same series and dates as the scores, row for row")
    names = list(detectors) if detectors is not None else [c for c in scores.columns if c not in grid]
    absent = [d for d in names if d not in scores.columns or d not in flags.columns]
    if absent or not names:
        raise ValueError(f"detectors {absent or names}: expected a score column and a flag column for each "
                         f"(scores have {scores.columns}, flags {flags.columns})")
    return names


def _table(records: list[dict], columns: list[str]) -> pl.DataFrame:
    """Records as a frame with ``columns`` in order; metrics as floats, counts as integers."""
    counts = {"events", "caught", "scored", "incidents"}
    schema = {c: pl.String if c in ("detector", "anomaly_type", "added") else pl.Int64 if c in counts else pl.Float64
              for c in columns}
    filled = [{c: r.get(c, 0 if c in ("events", "caught") else None) for c in columns} for r in records]
    return pl.DataFrame(filled, schema=schema, orient="row").with_columns(
        pl.col(c).fill_nan(None) for c, t in schema.items() if t == pl.Float64)


def rank_by_type(type_table: pl.DataFrame, metric: str) -> pl.DataFrame:
    """Each type's detectors ranked by ``metric`` (1 = best; delays and alert rates: lowest first;
    missing values last): ``anomaly_type``, ``rank``, ``detector``, ``metric``."""
    if metric not in type_table.columns or metric in ("detector", "anomaly_type"):
        raise ValueError(f"metric {metric!r}: expected one of the type table's metrics "
                         f"{[c for c in type_table.columns if c not in ('detector', 'anomaly_type')]}")
    descending = metric not in LOWER_IS_BETTER
    return (type_table.select("anomaly_type", "detector", pl.col(metric).cast(pl.Float64).fill_nan(None))
            .sort(type_rank(), "anomaly_type",
                  pl.col(metric), "detector", descending=[False, False, descending, False], nulls_last=True)
            .with_columns(pl.int_range(1, pl.len() + 1).over("anomaly_type").cast(pl.Int64).alias("rank"))
            .select("anomaly_type", "rank", "detector", metric))
