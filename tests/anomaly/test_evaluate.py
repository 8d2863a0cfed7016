"""The evaluation of detectors against labelled anomalies, on hand-worked cases."""

from datetime import date, timedelta
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from workbench.anomaly.combine import select_combination
from workbench.anomaly.evaluate import evaluate, label_rows, rank_by_type, row_mask

KEYS = ["item_id"]


def panel(series: dict[str, int], weekly: bool = False) -> pl.DataFrame:
    """Keys and dates of series of the given lengths, daily or weekly, sorted."""
    step = timedelta(weeks=1) if weekly else timedelta(days=1)
    return pl.DataFrame(
        {"item_id": [s for s, n in series.items() for _ in range(n)],
         "date": [date(2024, 1, 1) + k * step for n in series.values() for k in range(n)]})


def labels(grid: pl.DataFrame, events: list[tuple[str, int, int, str]]) -> pl.DataFrame:
    """The truth of ``grid``: each event (series, first period, last period, type) labels its rows."""
    period = pl.int_range(pl.len()).over("item_id")
    kind, event = pl.lit(None, pl.String), pl.lit(None, pl.Int64)
    for i, (series, first, last, name) in enumerate(events):
        inside = (pl.col("item_id") == series) & period.is_between(first, last)
        kind, event = pl.when(inside).then(pl.lit(name)).otherwise(kind), pl.when(inside).then(i).otherwise(event)
    return grid.with_columns(kind.alias("anomaly_type"), event.alias("anomaly_event")).with_columns(
        pl.col("anomaly_type").is_not_null().alias("anomaly"))


def frames(grid: pl.DataFrame, **scores: list[float]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Scores and the flags at a threshold of 0.5 (NaN never flagged)."""
    s = grid.with_columns(pl.Series(n, v, dtype=pl.Float64) for n, v in scores.items())
    return s, s.with_columns(pl.col(n).fill_nan(None).ge(0.5).fill_null(False) for n in scores)


def one(table: pl.DataFrame, detector: str, anomaly_type: str | None = None) -> dict:
    if anomaly_type is not None:
        table = table.filter(pl.col("anomaly_type") == anomaly_type)
    return table.filter(pl.col("detector") == detector).row(0, named=True)


def test_auc_and_average_precision_by_hand():
    grid = panel({"a": 4})
    scores, flags = frames(grid, d=[0.9, 0.8, 0.3, 0.1])
    truth = labels(grid, [("a", 0, 0, "spike"), ("a", 2, 2, "spike")])
    got = one(evaluate(scores, flags, truth, KEYS, top_k=2).detector_table, "d")
    # positives 0.9, 0.3 against 0.8, 0.1: three of four pairs in order; AP = (1/1 + 2/3) / 2
    assert got["roc_auc"] == pytest.approx(0.75)
    assert got["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)
    assert got["roc_auc"] == pytest.approx(roc_auc_score([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1]))
    assert got["pr_auc"] == pytest.approx(average_precision_score([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1]))
    assert got["precision_at_k"] == pytest.approx(0.5)  # 0.9 (labelled) and 0.8 (not)
    assert (got["precision"], got["recall"]) == (pytest.approx(0.5), pytest.approx(0.5))  # flags 0.9, 0.8


def test_each_type_against_the_normal_rows_only():
    grid = panel({"a": 6})
    scores, flags = frames(grid, d=[0.9, 0.5, 0.95, 0.1, 0.2, 0.3])
    truth = labels(grid, [("a", 0, 0, "spike"), ("a", 2, 2, "phantom"), ("a", 4, 4, "spike")])
    result = evaluate(scores, flags, truth, KEYS)
    # spike: 0.9, 0.2 against the normal 0.5, 0.1, 0.3 (the phantom's 0.95 left out): 4 of 6 pairs
    assert one(result.type_table, "d", "spike")["roc_auc"] == pytest.approx(4 / 6)
    assert one(result.type_table, "d", "phantom")["roc_auc"] == pytest.approx(1.0)
    assert one(result.detector_table, "d")["roc_auc"] == pytest.approx(7 / 9)
    # flagged: 0.9, 0.5, 0.95; for spikes the phantom's flag is neither a hit nor a false alarm
    spike = one(result.type_table, "d", "spike")
    assert (spike["precision"], spike["recall"]) == (pytest.approx(0.5), pytest.approx(0.5))
    assert result.type_table["anomaly_type"].to_list() == ["phantom", "spike"]  # the order of ANOMALY_TYPES


def test_nan_scores_rank_lowest_and_an_empty_class_gives_no_metric():
    grid = panel({"a": 4})
    scores, flags = frames(grid, d=[np.nan, 0.8, 0.3, np.nan])
    truth = labels(grid, [("a", 0, 0, "spike"), ("a", 2, 2, "spike")])
    got = one(evaluate(scores, flags, truth, KEYS).detector_table, "d")
    # positives NaN, 0.3 against 0.8, NaN: the NaNs tie at the bottom, 0.3 beats one NaN: 1.5 of 4 pairs
    assert got["roc_auc"] == pytest.approx(0.375)
    assert got["scored"] == 2
    normal = labels(grid, [])
    empty = one(evaluate(scores, flags, normal, KEYS).detector_table, "d")
    assert empty["roc_auc"] is None and empty["pr_auc"] is None and empty["events"] == 0
    assert empty["event_recall"] is None


def weekly_case() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Two weekly series of 12 periods, three events; flags at known periods.

    a: level shift at 2..4 (flagged 2, 3: delay 0), phantom at 7..8 (flag at 10: missed);
    b: level shift at 3..6 (flagged 1: before it, then 5, 6: delay 2). b's first period unscored.
    """
    grid = panel({"a": 12, "b": 12}, weekly=True)
    a, b = [0.0] * 12, [0.0] * 12
    for k in (2, 3, 10):
        a[k] = 1.0
    for k in (1, 5, 6):
        b[k] = 1.0
    b[0] = np.nan
    scores, flags = frames(grid, d=a + b)
    truth = labels(grid, [("a", 2, 4, "level_shift"), ("a", 7, 8, "phantom"), ("b", 3, 6, "level_shift")])
    return scores, flags, truth


def test_event_recall_and_delay_count_periods_of_the_grid():
    scores, flags, truth = weekly_case()
    result = evaluate(scores, flags, truth, KEYS)
    got = one(result.detector_table, "d")
    assert (got["events"], got["caught"]) == (3, 2)
    assert got["event_recall"] == pytest.approx(2 / 3)
    assert got["delay_median"] == pytest.approx(1.0)  # weeks (0 and 2), not 7 or 14 days
    assert got["delay_mean"] == pytest.approx(1.0)
    shift, phantom = one(result.type_table, "d", "level_shift"), one(result.type_table, "d", "phantom")
    assert (shift["events"], shift["event_recall"], phantom["event_recall"]) == (2, 1.0, 0.0)
    assert phantom["delay_median"] is None


def test_grace_after_an_event_end():
    scores, flags, truth = weekly_case()
    # a flag one period after the phantom's end (8) catches it with a grace of 1, not with 0
    late = flags.with_columns(pl.when(pl.int_range(pl.len()) == 9).then(True).otherwise(pl.col("d")).alias("d"))
    assert one(evaluate(scores, late, truth, KEYS, grace=1).detector_table, "d")["caught"] == 3
    assert one(evaluate(scores, late, truth, KEYS, grace=0).detector_table, "d")["caught"] == 2
    assert one(evaluate(scores, late, truth, KEYS, grace=1).type_table, "d", "phantom")["delay_median"] == 2.0


def test_alerts_per_thousand_by_hand():
    scores, flags, truth = weekly_case()
    got = one(evaluate(scores, flags, truth, KEYS).detector_table, "d")
    # incidents: a {2, 3}, a {10}, b {1}, b {5, 6}; 23 scored series-periods (b's first is NaN)
    assert (got["incidents"], got["scored"]) == (4, 23)
    assert got["incidents_per_1000"] == pytest.approx(4 / 23 * 1000)
    assert got["flagged_per_1000"] == pytest.approx(6 / 23 * 1000)
    assert got["incident_precision"] == pytest.approx(0.5)  # a {2, 3} and b {5, 6} touch an event
    wide = one(evaluate(scores, flags, truth, KEYS, max_gap=10).detector_table, "d")
    assert wide["incidents"] == 2  # one per series


def test_evaluation_rows_as_a_mask_or_a_date_range():
    scores, flags, truth = weekly_case()
    first = date(2024, 1, 1) + timedelta(weeks=5)
    by_dates = evaluate(scores, flags, truth, KEYS, rows=(first, date(2030, 1, 1)))
    mask = (scores["date"] >= first).to_numpy()
    assert by_dates.detector_table.equals(evaluate(scores, flags, truth, KEYS, rows=mask).detector_table)
    got = one(by_dates.detector_table, "d")
    # from week 5: a's phantom (missed) and b's level shift counted from week 5 (flagged there: delay 0)
    assert (got["events"], got["caught"], got["delay_median"], got["scored"]) == (2, 1, 0.0, 14)
    with pytest.raises(ValueError, match="boolean mask of 24 rows"):
        row_mask(np.ones(3, dtype=bool), scores)


def test_bad_input_is_named():
    scores, flags, truth = weekly_case()
    with pytest.raises(ValueError, match="anomaly labels"):
        evaluate(scores, flags, truth.drop("anomaly_event"), KEYS)
    with pytest.raises(ValueError, match="same series and dates"):
        evaluate(scores, flags.reverse(), truth, KEYS)
    with pytest.raises(ValueError, match=r"detectors \['nope'\]"):
        evaluate(scores, flags, truth, KEYS, detectors=["nope"])
    with pytest.raises(ValueError, match="anomaly.top_k"):
        evaluate(scores, flags, truth, KEYS, top_k=0)
    with pytest.raises(ValueError, match="one label per period"):
        label_rows(scores.select(KEYS + ["date"]), pl.concat([truth, truth]), KEYS)


def test_rank_by_type_puts_the_best_first():
    table = pl.DataFrame({"detector": ["x", "y", "z", "x", "y", "z"],
                          "anomaly_type": ["spike"] * 3 + ["phantom"] * 3,
                          "roc_auc": [0.6, 0.9, None, 0.8, 0.7, 0.95],
                          "delay_median": [3.0, 1.0, 2.0, 0.0, 4.0, None]})
    assert rank_by_type(table, "roc_auc").rows() == [
        ("phantom", 1, "z", 0.95), ("phantom", 2, "x", 0.8), ("phantom", 3, "y", 0.7),
        ("spike", 1, "y", 0.9), ("spike", 2, "x", 0.6), ("spike", 3, "z", None)]
    delays = rank_by_type(table, "delay_median").filter(pl.col("anomaly_type") == "spike")
    assert delays["detector"].to_list() == ["y", "z", "x"]  # fewest periods first
    with pytest.raises(ValueError, match="metric 'speed'"):
        rank_by_type(table, "speed")


def recommend_case() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Four series of 50 days, one event each: ``a`` catches two events with two incidents, ``b``
    the third with one, ``a2`` repeats ``a``, ``noisy`` catches all four but with 20 incidents."""
    grid = panel({s: 50 for s in "pqrs"})
    events = [("p", 10, 12, "spike"), ("q", 20, 21, "phantom"), ("r", 30, 30, "shrinkage"), ("s", 40, 44, "spike")]
    truth = labels(grid, events)
    period = np.tile(np.arange(50), 4)
    series = np.repeat(np.arange(4), 50)
    a = ((series == 0) & (period == 10)) | ((series == 1) & (period == 21))
    b = (series == 2) & (period == 30)
    noisy = ((period % 10 == 5) & (series < 2)) | np.isin(period, [10, 20, 30, 40])
    scores, flags = frames(grid, a=a.astype(float), b=b.astype(float), a2=a.astype(float),
                           noisy=noisy.astype(float))
    return scores, flags, truth


def combine_cfg(budget: float):
    return SimpleNamespace(threshold=SimpleNamespace(budget=budget), incidents=SimpleNamespace(max_gap=1, grace=1))


def test_the_combination_catches_most_within_budget():
    scores, _, truth = recommend_case()
    every = np.ones(scores.height, dtype=bool)
    # budget 15 per 1,000 of 200 series-periods: 3 incidents (flagging every day would make 4, one per
    # series); a + b make 3, noisy alone 26 (so, at
    # the budget, its threshold flags nothing); a2 repeats a and adds nothing
    chosen = select_combination(scores, truth, KEYS, every, every, combine_cfg(15.0), ["a", "b", "a2", "noisy"])
    assert chosen.members == ["a", "b"]
    assert chosen.path["event_recall"].to_list() == pytest.approx([0.5, 0.75])
    assert chosen.path["incidents_per_1000"][-1] == pytest.approx(15.0)
    # the threshold is the combination's, within the budget: a at 0.99 (every day) would make 4
    assert chosen.threshold == pytest.approx(1.0)


def test_the_combination_needs_events():
    scores, _, _ = recommend_case()
    every = np.ones(scores.height, dtype=bool)
    with pytest.raises(ValueError, match="no labelled event"):
        select_combination(scores, labels(scores.select(KEYS + ["date"]), []), KEYS, every, every,
                           combine_cfg(5.0), ["a"])


def test_series_keyed_by_two_columns():
    scores, flags, truth = weekly_case()
    channel = pl.lit("web").alias("channel")
    two = evaluate(scores.with_columns(channel), flags.with_columns(channel), truth.with_columns(channel),
                   ["item_id", "channel"])
    assert two.detector_table.equals(evaluate(scores, flags, truth, KEYS).detector_table)
