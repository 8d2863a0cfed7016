"""The anomaly study as the ``05_anomaly`` notebook runs it: a short list of named steps.

1. Labels: the data's own (the synthetic shop's), or labelled anomalies injected into it
   (``anomaly.inject``: real data has none), seeded and recorded.
2. Features and the split of the dates (:mod:`~workbench.anomaly.split`): fit, calibration, evaluation.
3. The detector set (:class:`~workbench.anomaly.detector_set.DetectorSet`) fitted on the fit
   window, thresholds on the calibration window, scores and flags for every period.
4. With labels: the combination of detectors chosen on the calibration window
   (:func:`~workbench.anomaly.combine.select_combination`), and every detector scored on the
   evaluation periods, overall and per type.
5. The recommended detector's incidents on the evaluation periods, with evidence and actions.

:func:`save_study` writes what the run keeps: the scores, the incidents (``alerts``), the
injected events, the evaluation tables, the fitted detector set and the tail of history the
daily monitor (``python -m workbench.monitor``) starts from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.anomaly.base import AnomalyData
from workbench.anomaly.combine import RECOMMENDED, Combination, select_combination
from workbench.anomaly.detector_set import DetectorSet
from workbench.anomaly.evaluate import Evaluation, evaluate, rank_by_type
from workbench.anomaly.export import export_alerts
from workbench.anomaly.features import anomaly_data
from workbench.anomaly.incidents import incidents
from workbench.anomaly.monitor_state import tail_of
from workbench.anomaly.split import Split, split_dates
from workbench.config.anomaly import InjectMode
from workbench.data.panel import DATE, DemandPanel


def has_labels(panel: DemandPanel) -> bool:
    """Whether the panel's truth carries anomaly labels with their events."""
    return panel.truth is not None and {"anomaly_type", "anomaly_event"} <= set(panel.truth.columns)


@dataclass
class Labels:
    panel: DemandPanel  # the panel the detectors see (with the injected faults, if any)
    original: DemandPanel  # the data as it came (the daily monitor's history starts from it)
    injected: pl.DataFrame | None  # one row per injected event; None: the data's own labels or none
    skipped: dict[str, str] = field(default_factory=dict)  # injected types the data cannot carry, and why


def labelled_panel(panel: DemandPanel, cfg) -> Labels:
    """The panel with labels: injected where ``anomaly.inject.mode`` says (``auto``: data without labels)."""
    mode = InjectMode(cfg.inject.mode)
    if mode == InjectMode.off or (mode == InjectMode.auto and has_labels(panel)) or not cfg.inject.types:
        return Labels(panel, panel, None)
    from workbench.data.inject import inject_anomalies

    made = inject_anomalies(panel, cfg.inject, cfg.window)
    return Labels(made.panel, panel, made.events, dict(made.skipped))


@dataclass
class AnomalyStudy:
    labels: Labels
    split: Split
    data: AnomalyData
    detectors: DetectorSet
    scores: pl.DataFrame  # keys, date, one score column per detector, every period
    flags: pl.DataFrame  # the same with booleans at the thresholds
    evaluation_rows: np.ndarray  # the periods after the calibration window
    evaluation: Evaluation | None  # None: no labels
    combination: Combination | None  # the recommended combination (None: no labels)
    note: str | None  # why there is no combination, where labels exist
    recommended: str  # the detector whose incidents are the alerts
    fan: pl.DataFrame | None  # the forecast fan of every period (None: no forecast-residual detector)
    incidents: pl.DataFrame  # the recommended detector's, on the evaluation periods
    seconds: dict[str, float]

    @property
    def panel(self) -> DemandPanel:
        return self.labels.panel

    @property
    def keys(self) -> list[str]:
        return list(self.panel.keys)

    def ranking(self, metric: str = "pr_auc") -> pl.DataFrame | None:
        """Each anomaly type's detectors ranked by ``metric`` (None without labels)."""
        return None if self.evaluation is None else rank_by_type(self.evaluation.type_table, metric)


def run_study(panel: DemandPanel, cfg, forecast_cfg) -> AnomalyStudy:
    """The study of the module docstring on ``panel`` with the ``anomaly`` and ``forecast`` settings."""
    seconds = {}
    t0 = time.perf_counter()
    labels = labelled_panel(panel, cfg)
    data = anomaly_data(labels.panel, cfg)
    split = split_dates(labels.panel.dates, cfg)
    fit_rows, cal_rows, eval_rows = (m.to_numpy() for m in split.masks(data.rows))
    seconds["features"] = time.perf_counter() - t0
    detectors = DetectorSet(cfg, forecast_cfg).fit(data, fit_rows, cal_rows)
    seconds.update({f"detector {k}": v for k, v in detectors.seconds.items()})
    t0 = time.perf_counter()
    keys = list(labels.panel.keys)
    labelled = has_labels(labels.panel)
    combination, note = None, None
    if labelled and cfg.recommended == "auto":
        # the ensemble is a combination itself: its members are candidates on their own
        candidates = [d for d in cfg.detectors if d != "ensemble"]
        try:
            combination = select_combination(detectors.score(data), labels.panel.truth, keys, fit_rows, cal_rows,
                                             cfg, candidates=candidates)
        except ValueError as err:  # no labelled event in the calibration window
            note = str(err)
        else:
            detectors.add_combination(RECOMMENDED, combination.members, combination.threshold, fit_rows)
    recommended = recommended_detector(detectors)
    scores = detectors.score(data)
    flags = detectors.flags(scores)
    evaluation = None
    if labelled:
        evaluation = evaluate(scores, flags, labels.panel.truth, keys, rows=eval_rows, top_k=cfg.top_k,
                              grace=cfg.incidents.grace, max_gap=cfg.incidents.max_gap)
    seconds["combination and evaluation"] = time.perf_counter() - t0
    fans = fan(detectors, data)
    later = pl.Series(eval_rows)
    found = incidents(data.rows.filter(later), scores.filter(later), flags.filter(later), recommended, keys,
                      evidence=None if fans is None else fans.filter(later), max_gap=cfg.incidents.max_gap,
                      frequency=labels.panel.frequency, truth=labels.panel.truth if labelled else None)
    return AnomalyStudy(labels, split, data, detectors, scores, flags, eval_rows, evaluation, combination, note,
                        recommended, fans, found, seconds)


def fan(detectors: DetectorSet, data: AnomalyData, rows: np.ndarray | None = None) -> pl.DataFrame | None:
    """The forecast fan the incidents quote (keys, date, ``fan_low``, ``expected``, ``fan_high``) on
    ``rows``; ``None`` when no forecast-residual detector runs."""
    evidence = detectors.evidence(data)
    if "fan_low" not in evidence.columns:
        return None
    return evidence if rows is None else evidence.filter(pl.Series(rows))


def recommended_detector(detectors: DetectorSet) -> str:
    """The detector whose incidents are the alerts: the chosen combination where there is one, else
    ``anomaly.recommended`` (``auto``: the ensemble where it runs, else the first detector)."""
    if RECOMMENDED in detectors.detectors:
        return RECOMMENDED
    cfg = detectors.cfg
    if cfg.recommended != "auto":
        return cfg.recommended
    return "ensemble" if "ensemble" in cfg.detectors else cfg.detectors[0]


def save_study(study: AnomalyStudy, run) -> dict[str, str]:
    """Write the study's tables into the run's artifacts and the fitted detector set with the tail of
    history the daily monitor starts from (the data as it came, without injected faults); returns what
    went where. The alerts and the detector set refuse to overwrite an earlier run's."""
    from workbench.monitor import DETECTORS_DIR, TAIL_DIR

    written = {}
    parquet, csv = export_alerts(study.incidents, run.artifacts)
    written["alerts"] = str(parquet)
    written["alerts_csv"] = str(csv)
    written["anomaly_scores"] = str(run.write_table("anomaly_scores", study.scores))
    if study.labels.injected is not None:
        written["injected_events"] = str(run.write_table("injected_events", study.labels.injected))
    if study.evaluation is not None:
        written["anomaly_detectors"] = str(run.write_table("anomaly_detectors", study.evaluation.detector_table))
        written["anomaly_by_type"] = str(run.write_table("anomaly_by_type", study.evaluation.type_table))
    study.detectors.save(run.dir / DETECTORS_DIR)
    tail = tail_of(study.labels.original, study.detectors.history_needed())
    tail.save(run.dir / TAIL_DIR)
    written["detectors"] = str(run.dir / DETECTORS_DIR)
    written["tail"] = str(run.dir / TAIL_DIR)
    return written


def incident_rows(study: AnomalyStudy, incident: dict) -> pl.DataFrame:
    """The panel's rows of an incident's series around it (four times its length, at least 8 weeks
    of periods either side), with the recommended detector's flags and the forecast fan, for a plot."""
    keys = study.keys
    span = max(4 * int(incident["periods"]), 56 if study.panel.frequency == "1d" else 8)
    dates = study.panel.dates
    at = dates.search_sorted(incident["start"])
    first, last = dates[max(at - span, 0)], dates[min(at + span, dates.len() - 1)]
    match = pl.all_horizontal([pl.col(k) == incident[k] for k in keys])
    window = (pl.col(DATE) >= first) & (pl.col(DATE) <= last)
    rows = study.panel.demand.filter(match & window)
    flagged = study.flags.filter(match & window).select(*keys, DATE, pl.col(study.recommended)
                                                        .alias("flagged"))
    rows = rows.join(flagged, on=[*keys, DATE], how="left")
    return rows if study.fan is None else rows.join(study.fan.filter(match & window), on=[*keys, DATE], how="left")
