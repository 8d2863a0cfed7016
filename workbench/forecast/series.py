"""The boundary between the demand panel (polars, long) and Darts ``TimeSeries``.

Darts is an implementation detail of the forecasting stage: the panel is turned
into lists of series here, and forecasts come back as a long polars table
``keys..., date, model, cutoff, mean, q05 ... q95``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import polars as pl
from darts import TimeSeries

from workbench.data.panel import DATE, DEMAND, DemandPanel

PANDAS_FREQ = {"1d": "D", "1w": "7D", "7d": "7D"}  # weeks as 7 days: any weekday anchors


def quantile_column(q: float) -> str:
    """0.05 -> 'q05', 0.5 -> 'q50', 0.975 -> 'q97.5'."""
    pct = round(q * 100, 3)
    return f"q{int(pct):02d}" if float(pct).is_integer() else f"q{pct:g}"


@dataclass
class SeriesSet:
    """Aligned Darts inputs for every series of a panel.

    ``keys`` is a polars frame with one row per series, in the order of the lists. The
    targets' static covariates are numbers (codes of text attributes, see :func:`_codes`);
    ``categorical`` names those that are codes of categories, static or known-future (the
    calendar's day of week and month), for the models that split on categories (LightGBM).
    ``codes`` numbers the series 0 .. n - 1 in the panel's order, the same at every cutoff.
    """

    keys: pl.DataFrame
    target: list[TimeSeries]
    past: list[TimeSeries] | None
    future: list[TimeSeries] | None
    freq: str
    categorical: tuple[str, ...] = ()
    codes: np.ndarray | None = None

    def subset(self, index: list[int]) -> SeriesSet:
        """The series at positions ``index`` (in this set's order)."""
        def pick(xs):
            return [xs[i] for i in index]

        return SeriesSet(
            self.keys[index],
            pick(self.target),
            pick(self.past) if self.past is not None else None,
            pick(self.future) if self.future is not None else None,
            self.freq,
            self.categorical,
            self.codes[index] if self.codes is not None else None,
        )

    def until(self, cutoff: date, horizon: int, train_window: int | None = None) -> SeriesSet:
        """What a forecaster may see at ``cutoff``: target and past covariates up to the
        cutoff, known-future covariates up to ``cutoff + horizon`` periods."""
        ts_cut = pd.Timestamp(cutoff)
        target = [_until(s, ts_cut) for s in self.target]
        if train_window:
            target = [s[-train_window:] if len(s) > train_window else s for s in target]
        past = None
        if self.past is not None:
            past = [_until(p, ts_cut) for p in self.past]
        future = None
        if self.future is not None:
            end = ts_cut + horizon * pd.tseries.frequencies.to_offset(self.freq)
            future = [_until(f, end) for f in self.future]
        return SeriesSet(self.keys, target, past, future, self.freq, self.categorical, self.codes)


def _until(ts: TimeSeries, end: pd.Timestamp) -> TimeSeries:
    """The part of ``ts`` up to and including ``end``."""
    if end >= ts.end_time():
        return ts
    if end < ts.start_time():
        raise ValueError(f"series starts at {ts.start_time().date()}, after the cutoff {end.date()}")
    return ts.drop_after(end, keep_point=True)


def _is_name(column: pl.Series) -> bool:
    """A text attribute with a value of its own for most series is a name or a description, not
    a category (the item text's vectors carry it, :mod:`workbench.data.text`)."""
    return column.len() >= 20 and column.drop_nulls().n_unique() > column.len() // 2


def _codes(static: pl.DataFrame, keys: pl.DataFrame, static_keys: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """Numeric static covariates: codes 1, 2, ... of text attributes (0: missing; names and
    descriptions are left out) and of the keys other than the item (store, department), the
    numbers as they are; and the names of the coded ones, which are categories."""
    cols, categorical = [], []
    for name, dtype in static.schema.items():
        if name in static_keys:
            continue
        if dtype == pl.String or dtype == pl.Categorical:
            if _is_name(static.get_column(name)):
                continue
            cols.append(pl.col(name).rank("dense").cast(pl.Float64).fill_null(0.0).alias(f"s_{name}"))
            categorical.append(f"s_{name}")
        elif dtype.is_numeric() or dtype == pl.Boolean:
            cols.append(pl.col(name).cast(pl.Float64).fill_null(0.0).alias(f"s_{name}"))
    codes = static.select([*static_keys, *cols])
    out = keys.join(codes, on=static_keys, how="left")
    for k in keys.columns:
        if k != "item_id":
            out = out.with_columns(pl.col(k).rank("dense").cast(pl.Float64).alias(f"s_{k}"))
            categorical.append(f"s_{k}")
    return out, categorical


def _numeric_static(frame: pd.DataFrame) -> pd.DataFrame | None:
    return frame.astype(np.float32) if len(frame.columns) else None


CALENDAR_CATEGORIES = ("cal_weekday", "cal_month")  # categories; the day of month and the week are ordered


def calendar_features(frequency: str) -> list[pl.Expr]:
    """Calendar columns known for any future date (computed once, vectorised in polars)."""
    d = pl.col(DATE)
    feats = [d.dt.week().alias("cal_week"), d.dt.month().alias("cal_month")]
    if frequency in ("1d", "D"):
        feats = [d.dt.weekday().alias("cal_weekday"), d.dt.day().alias("cal_monthday"), *feats]
    return [f.cast(pl.Float32) for f in feats]


def to_series_set(panel: DemandPanel, calendar: bool = True) -> SeriesSet:
    """Convert the whole panel once; :meth:`SeriesSet.until` slices it per cutoff.

    Known-future covariates are the panel's plus calendar features (``calendar``).
    """
    keys = list(panel.keys)
    freq = PANDAS_FREQ.get(panel.frequency, panel.frequency)
    ids = panel.series_ids()
    static, categorical = _codes(panel.static, ids, panel.static_keys)
    static_cols = [c for c in static.columns if c.startswith("s_")]
    cal = calendar_features(panel.frequency) if calendar else []
    df = panel.demand.join(static, on=keys, how="left").sort([*keys, DATE]).with_columns(cal)
    future_cols = [*panel.known_future, *[c.meta.output_name() for c in cal]]
    kwargs = dict(group_cols=keys, time_col=DATE, freq=freq)
    target = TimeSeries.from_group_dataframe(
        df.select([*keys, DATE, DEMAND, *static_cols]),
        value_cols=DEMAND,
        static_cols=static_cols,
        **kwargs,
    )
    target = [s.astype(np.float32) for s in target]
    past = future = None
    if panel.past_covariates:
        past = TimeSeries.from_group_dataframe(
            df.select([*keys, DATE, *panel.past_covariates]),
            value_cols=list(panel.past_covariates),
            **kwargs,
        )
        past = [p.astype(np.float32) for p in past]
    if future_cols:
        future = TimeSeries.from_group_dataframe(
            df.select([*keys, DATE, *future_cols]),
            value_cols=future_cols,
            **kwargs,
        )
        future = [f.astype(np.float32) for f in future]
    # Darts orders groups by key; read the order back from the static covariates
    order = pl.DataFrame(
        [{k: s.static_covariates[k].iloc[0] if k in s.static_covariates else None for k in keys} for s in target]
    )
    if order.columns and order.null_count().sum_horizontal().item() == 0:
        # in the panel's key types (text, or the Enum codes of a compact panel), so that the
        # forecasts join back onto the panel
        ids = order.with_columns([pl.col(k).cast(pl.String).cast(panel.demand.schema[k]) for k in keys])
    # the text keys themselves are no model input: keep their numeric codes only
    # (float32 like the values, and none at all when nothing is left: torch models concatenate them)
    target = [s.with_static_covariates(_numeric_static(s.static_covariates.drop(columns=keys))) for s in target]
    categorical += [c for c in (*panel.categorical, *CALENDAR_CATEGORIES) if c in future_cols]
    return SeriesSet(ids, target, past, future, freq, tuple(categorical), np.arange(len(target)))


def forecasts_frame(
    keys: pl.DataFrame,
    values: np.ndarray,
    start: date,
    step: timedelta,
    model: str,
    cutoff: date,
    quantiles: list[float],
    point: np.ndarray | None = None,
) -> pl.DataFrame:
    """Long forecast table from an array ``values[series, step, quantile]``.

    Quantiles are made non-negative and non-crossing (sorted), as demand quantiles must be.
    ``point`` (series, step) is the model's point forecast; the median when absent.
    """
    n_series, horizon, n_q = values.shape
    values = np.sort(np.clip(values, 0.0, None), axis=2)
    if point is None:
        point = values[:, :, quantiles.index(0.5)] if 0.5 in quantiles else values.mean(axis=2)
    dates = pl.date_range(start, start + step * (horizon - 1), interval=step, eager=True)
    frame = keys.select([pl.col(c).repeat_by(horizon).explode() for c in keys.columns])
    return frame.with_columns(
        pl.Series(DATE, np.tile(dates.to_numpy(), n_series)).cast(pl.Date),
        pl.lit(model).alias("model"),
        pl.lit(cutoff).cast(pl.Date).alias("cutoff"),
        pl.Series("mean", np.clip(point, 0.0, None).reshape(-1).astype(np.float64)),
        *[pl.Series(quantile_column(q), values[:, :, j].reshape(-1).astype(np.float64)) for j, q in enumerate(quantiles)],
    )
