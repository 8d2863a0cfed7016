"""Anomaly labels: events on long arrays, labelling in order with event ids, merging into a truth
and reading the events back."""

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from workbench.config import ANOMALY_TYPES
from workbench.data.labels import (
    LABEL_COLUMNS,
    LABEL_ORDER,
    Events,
    anomaly_events,
    label_columns,
    label_rows,
    merge_labels,
    next_event_id,
)


def _frame(n_series: int = 2, n_days: int = 10) -> pl.DataFrame:
    return pl.DataFrame({
        "item_id": np.repeat([f"S{s}" for s in range(n_series)], n_days),
        "date": [date(2024, 1, 1) + timedelta(days=d) for d in range(n_days)] * n_series,
    })


def test_runs_never_cross_from_one_series_to_the_next():
    spells = np.array([[False, True, True], [True, True, False], [True, False, True]])
    ev = Events.runs(spells)
    assert ev.series.tolist() == [0, 1, 2, 2] and ev.first.tolist() == [1, 3, 6, 8]
    assert ev.periods.tolist() == [2, 2, 1, 1] and ev.last().tolist() == [2, 4, 6, 8]
    rows, which = ev.rows()
    assert np.array_equal(np.sort(rows), np.flatnonzero(spells.reshape(-1)))
    assert which.tolist() == [0, 0, 1, 1, 2, 3]
    days = Events.days(spells)
    assert days.first.tolist() == np.flatnonzero(spells.reshape(-1)).tolist() and (days.periods == 1).all()


def test_a_later_type_labels_shared_periods_and_ids_follow_the_label_order():
    spike = Events(np.array([0]), np.array([3]), np.array([1]))
    shift = Events(np.array([0, 1]), np.array([1, 12]), np.array([5, 3]))
    # given in another order than LABEL_ORDER: the level shift is still made (and numbered) first
    code, event, ids = label_rows(20, {"spike": (spike, None), "level_shift": (shift, None)}, first_id=7)
    names = label_columns(code, event)[0].to_list()
    assert names[1:6] == ["level_shift", "level_shift", "spike", "level_shift", "level_shift"]
    assert names[12:15] == ["level_shift"] * 3 and names.count(None) == 20 - 8
    assert ids == {"level_shift": pytest.approx([7, 8]), "spike": pytest.approx([9])}
    assert event[1:6].tolist() == [7, 7, 9, 7, 7] and event[12:15].tolist() == [8, 8, 8] and event[0] == -1
    assert LABEL_ORDER.index("level_shift") < LABEL_ORDER.index("spike")


def test_only_the_periods_where_a_type_did_something_are_labelled():
    phantom = Events(np.array([0]), np.array([2]), np.array([4]))
    seen = np.zeros(10, dtype=bool)
    seen[[2, 3, 5]] = True  # day 4: the shelf was empty, nothing to hide
    code, event, _ = label_rows(10, {"phantom": (phantom, seen)})
    assert np.flatnonzero(code >= 0).tolist() == [2, 3, 5] and set(event[code >= 0]) == {0}
    with pytest.raises(ValueError, match="not labels"):
        label_rows(10, {"typo": (phantom, None)})


def test_label_columns_have_the_contract_types():
    types, flag, ids = label_columns(np.array([-1, 0, 7]), np.array([-1, 4, 5]))
    assert types.to_list() == [None, ANOMALY_TYPES[0], ANOMALY_TYPES[7]] and types.dtype == pl.String
    assert flag.to_list() == [False, True, True] and ids.to_list() == [None, 4, 5] and ids.dtype == pl.Int64
    assert (types.name, flag.name, ids.name) == LABEL_COLUMNS


def test_merging_keeps_old_labels_and_new_ids_continue():
    base = _frame()
    old_code = np.full(20, -1)
    old_code[[2, 3]] = ANOMALY_TYPES.index("phantom")
    old_event = np.where(old_code >= 0, 4, -1)
    truth = base.with_columns(pl.Series("true_demand", np.arange(20)), *label_columns(old_code, old_event))
    first = next_event_id(truth)
    assert first == 5 and next_event_id(None) == 0 and next_event_id(base) == 0
    spike = Events(np.array([0, 1]), np.array([3, 15]), np.array([1, 1]))
    code, event, _ = label_rows(20, {"spike": (spike, None)}, first)
    merged = merge_labels(truth, base.with_columns(label_columns(code, event)), ["item_id"])
    assert merged.columns == truth.columns and merged["true_demand"].equals(truth["true_demand"])
    assert merged["anomaly_type"].to_list()[2:4] == ["phantom", "spike"]
    assert merged["anomaly_event"].to_list()[2:4] == [4, 5] and merged["anomaly_event"][15] == 6
    assert merged["anomaly"].sum() == 3
    # a truth without labels gains them; without a truth the labels are the truth
    bare = merge_labels(truth.drop(*LABEL_COLUMNS), base.with_columns(label_columns(code, event)), ["item_id"])
    assert bare["anomaly"].sum() == 2 and bare["anomaly_event"].dtype == pl.Int64
    alone = merge_labels(None, base.with_columns(label_columns(code, event)), ["item_id"])
    assert alone.columns == ["item_id", "date", *LABEL_COLUMNS] and alone.height == 20


def test_events_read_back_from_the_labels():
    base = _frame(n_series=3, n_days=30)
    made = {"level_shift": Events(np.array([0, 2]), np.array([5, 70]), np.array([10, 8])),
            "frozen_feed": Events(np.array([1]), np.array([40]), np.array([6])),
            "spike": Events(np.array([0]), np.array([20]), np.array([1]))}
    code, event, ids = label_rows(base.height, {t: (ev, None) for t, ev in made.items()})
    back = anomaly_events(base.with_columns(label_columns(code, event)), ["item_id"])
    assert back.height == 4
    for name, ev in made.items():
        rows = back.filter(pl.col("anomaly_type") == name).sort("event")
        assert rows["event"].to_list() == ids[name].tolist()
        assert rows["periods"].to_list() == ev.periods.tolist()
        assert rows["start"].to_list() == base["date"].gather(ev.first).to_list()
        assert rows["end"].to_list() == base["date"].gather(ev.last()).to_list()
        assert rows["item_id"].to_list() == base["item_id"].gather(ev.first).to_list()
    with pytest.raises(ValueError, match="anomaly_event"):
        anomaly_events(base, ["item_id"])
