"""Anomalies in stock and sales: features, PyOD detectors, alerts with reasons.

Features are computed per series with polars window expressions, using only the
past of each day (rolling statistics are shifted by one period):

* ``sales_z``: recorded sales against the rolling median, in rolling MADs;
* ``stock_gap``: stock change that sales and receipts do not explain,
  ``stock[t] - (stock[t-1] + receipts[t] - sales[t])``, in units of typical sales;
* ``ledger_gap``: recorded sales against the units the analytics feed saw sold;
* ``dry_run``: units the series would usually have sold during the current run of
  zero-sales days with stock on the books (phantom stock);
* ``stock_drop``: fall in stock beyond sales, relative to the stock level.

Only the columns the panel has are used. The detectors (Isolation Forest, KNN, ...)
are PyOD's, fitted unsupervised on robust-scaled features; labels, where the data
has them, only score the result.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score
from sklearn.preprocessing import RobustScaler

from workbench.config import AnomalyConfig
from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.registry import Registry

# name -> factory(cfg: AnomalyConfig) -> an unfitted PyOD detector; a detector with settings of
# its own reads them from anomaly.<name> (workbench.config.anomaly)
DETECTORS = Registry("detector", setting="anomaly.detectors")
register_detector = DETECTORS.register


@register_detector("iforest")
def _iforest(cfg: AnomalyConfig):
    from pyod.models.iforest import IForest

    return IForest(**asdict(cfg.iforest), contamination=cfg.contamination, random_state=cfg.seed, n_jobs=-1)


@register_detector("knn")
def _knn(cfg: AnomalyConfig):
    from pyod.models.knn import KNN

    # anomaly.knn.max_rows is not PyOD's: detect() samples the rows the detector is fitted on
    return KNN(n_neighbors=cfg.knn.n_neighbors, contamination=cfg.contamination, method="largest", n_jobs=-1)


@register_detector("ecod")
def _ecod(cfg: AnomalyConfig):
    from pyod.models.ecod import ECOD

    return ECOD(contamination=cfg.contamination)


FEATURE_TEXT = {
    "sales_z": "recorded sales of {demand:.0f} are {sales_z:.1f} MADs from the usual {median:.0f}",
    "stock_gap": "stock moved {gap:+.0f} units more than sales and receipts explain",
    "ledger_gap": "the ledger shows {demand:.0f} sold, the shop analytics {purchases:.0f}",
    "dry_run": "{run:.0f} days without a sale while the books show {stock:.0f} in stock",
    "stock_drop": "stock fell {drop:.0f}% beyond sales",
}


def stock_sales_features(panel: DemandPanel, window: int = 28) -> pl.DataFrame:
    """One row per series and date with the features above (and what the reasons quote)."""
    keys = list(panel.keys)
    cols = panel.demand.columns
    y = pl.col(DEMAND)
    past = y.shift(1)
    med = past.rolling_median(window, min_samples=7)
    mad = (past - med).abs().rolling_median(window, min_samples=7)
    typical = past.rolling_mean(window, min_samples=7)
    exprs = [
        med.alias("median"),
        ((y - med) / (1.4826 * mad + 0.5)).alias("sales_z"),
        typical.alias("typical"),
    ]
    df = panel.demand.sort([*keys, DATE]).with_columns([e.over(keys) for e in exprs])
    feats = ["sales_z"]
    if "stock_on_hand" in cols:
        stock = pl.col("stock_on_hand")
        prev = stock.shift(1)
        sold = pl.col("purchases") if "purchases" in cols else y
        receipts = pl.col("receipts") if "receipts" in cols else pl.lit(0.0)
        gap = stock - (prev + receipts - sold)
        zero = (y == 0) & (stock > 0)
        # length of the current run of zero-sales days with stock on the books
        run_id = (~zero).cum_sum()
        df = df.with_columns(
            gap.over(keys).fill_null(0.0).alias("gap"),
            zero.cum_count().over([*keys, run_id.over(keys)]).alias("_run"),
            zero.alias("_zero"),
        ).with_columns(
            pl.when(pl.col("_zero")).then(pl.col("_run")).otherwise(0).cast(pl.Float64).alias("run"),
            pl.col("stock_on_hand").alias("stock"),
        )
        scale = pl.col("typical").fill_null(0.0) + 1.0
        df = df.with_columns(
            (pl.col("gap") / scale).alias("stock_gap"),
            (pl.col("run") * pl.col("typical").fill_null(0.0)).alias("dry_run"),
            (100 * (-pl.col("gap")).clip(lower_bound=0.0) / (prev.over(keys).fill_null(0.0) + 1.0)).alias("drop"),
        ).with_columns((pl.col("drop") / 100).alias("stock_drop"))
        feats += ["stock_gap", "dry_run", "stock_drop"]
    if "purchases" in cols:
        df = df.with_columns(((y - pl.col("purchases")) / (pl.col("purchases") + 1.0)).alias("ledger_gap"))
        feats.append("ledger_gap")
    df = df.with_columns([pl.col(f).fill_null(0.0).fill_nan(0.0) for f in feats])
    quoted = [c for c in ("demand", "median", "gap", "purchases", "run", "stock", "drop") if c in df.columns]
    return df.select([*keys, DATE, *feats, *quoted])


def feature_names(features: pl.DataFrame) -> list[str]:
    return [f for f in FEATURE_TEXT if f in features.columns]


@dataclass
class DetectionResult:
    scores: pl.DataFrame  # keys, date, one score column per detector, label columns if known
    metrics: pl.DataFrame  # detector x (precision, recall, roc_auc, average_precision)
    by_type: pl.DataFrame  # detector x anomaly type -> recall
    alerts: pl.DataFrame  # top alerts of the best detector, with reasons


def _reason(row: dict, zrow: np.ndarray, names: list[str], top: int = 2) -> str:
    order = np.argsort(-np.abs(zrow))[:top]
    return "; ".join(FEATURE_TEXT[names[i]].format(**row) for i in order)


def detect(panel: DemandPanel, cfg: AnomalyConfig) -> DetectionResult:
    """Fit every detector of ``cfg.detectors``, score against labels where known, raise alerts."""
    keys = list(panel.keys)
    feats = stock_sales_features(panel, cfg.window)
    names = feature_names(feats)
    X = RobustScaler(quantile_range=(5.0, 95.0)).fit_transform(feats.select(names).to_numpy())
    X = np.clip(X, -50, 50)  # keep a typo of a million from flattening every other score
    rng = np.random.default_rng(cfg.seed)
    scores = {}
    for name in cfg.detectors:
        det = DETECTORS[name](cfg)
        if name == "knn" and X.shape[0] > cfg.knn.max_rows:
            sample = rng.choice(X.shape[0], cfg.knn.max_rows, replace=False)
            det.fit(X[sample])
        else:
            det.fit(X)
        scores[name] = det.decision_function(X)
    out = feats.select([*keys, DATE]).with_columns([pl.Series(n, s) for n, s in scores.items()])
    rows = []
    by_type = []
    if panel.truth is not None and "anomaly" in panel.truth.columns:
        out = out.join(panel.truth.select([*keys, DATE, "anomaly", "anomaly_type"]), on=[*keys, DATE], how="left")
        y = out.get_column("anomaly").fill_null(False).to_numpy()
        for name, s in scores.items():
            threshold = np.quantile(s, 1.0 - cfg.contamination)
            pred = s > threshold
            rows.append({
                "detector": name,
                "precision": precision_score(y, pred, zero_division=0),
                "recall": recall_score(y, pred, zero_division=0),
                "roc_auc": roc_auc_score(y, s) if 0 < y.sum() < y.size else float("nan"),
                "average_precision": average_precision_score(y, s) if y.sum() else float("nan"),
                "flagged": int(pred.sum()),
                "labelled": int(y.sum()),
            })
            flagged = out.with_columns(pl.Series("_flag", pred)).filter(pl.col("anomaly").fill_null(False))
            by_type.append(flagged.group_by("anomaly_type").agg(pl.col("_flag").mean().alias("recall"), pl.len().alias("n"))
                           .with_columns(pl.lit(name).alias("detector")))
    metrics = pl.DataFrame(rows) if rows else pl.DataFrame({"detector": list(scores)})
    best = metrics.sort("roc_auc", descending=True)["detector"][0] if rows else cfg.detectors[0]
    top = np.argsort(-scores[best])[: cfg.top_k]
    sub = feats[top]
    reasons = [_reason(r, X[i], names) for r, i in zip(sub.to_dicts(), top, strict=True)]
    alerts = sub.select([*keys, DATE]).with_columns(
        pl.Series("score", scores[best][top]), pl.lit(best).alias("detector"), pl.Series("reason", reasons)
    )
    if "anomaly_type" in out.columns:
        alerts = alerts.join(out.select([*keys, DATE, "anomaly_type"]), on=[*keys, DATE], how="left")
    by_type_df = pl.concat(by_type) if by_type else pl.DataFrame()
    return DetectionResult(scores=out, metrics=metrics, by_type=by_type_df, alerts=alerts)
