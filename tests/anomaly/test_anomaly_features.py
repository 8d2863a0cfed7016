"""The stock and sales features: past-only, closed days as context, exact from a tail of history,
and a signal for every labelled anomaly type."""

from dataclasses import replace
from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from panels import closed_on_sundays

from workbench.anomaly.export import template_fields
from workbench.anomaly.features import (
    CONTEXT,
    FEATURES,
    anomaly_data,
    history_needed,
    scored_rows,
    stock_sales_features,
)
from workbench.anomaly.incidents import SIGNALS
from workbench.config import section
from workbench.data import DemandPanel, load_data

KEYS = ["item_id", "channel"]


@pytest.fixture(scope="module")
def labelled(quick):
    cfg = quick.plain("data.n_items=10", "data.n_days=300")
    return load_data(section(cfg, "data")), section(cfg, "anomaly")


def with_labels(panel: DemandPanel, window: int = 28) -> pl.DataFrame:
    f = stock_sales_features(panel, window)
    return f.join(panel.truth.select([*KEYS, "date", "anomaly_type"]), on=[*KEYS, "date"], how="left")


def fault(panel: DemandPanel, series: int, first: int, days: int, **columns) -> tuple[DemandPanel, pl.Expr]:
    """The panel with ``columns`` (name -> expression, which may read the fault's period number
    ``_k``: 1, 2, ...) applied to ``days`` periods of one series from its period ``first``; and the
    expression selecting those rows."""
    item, channel = panel.series_ids().row(series)
    start = panel.dates[first]
    hit = (pl.col("item_id") == item) & (pl.col("channel") == channel) & pl.col("date").is_between(
        start, start + timedelta(days=days - 1))
    demand = panel.demand.with_columns(hit.cast(pl.Int64).cum_sum().over(KEYS).alias("_k")).with_columns(
        pl.when(hit).then(e).otherwise(pl.col(c)).alias(c) for c, e in columns.items()).drop("_k")
    return replace(panel, demand=demand), hit


def busiest(panel: DemandPanel) -> int:
    """The position of the series with the most sales (faults on it are faults, not noise)."""
    totals = panel.demand.group_by(KEYS, maintain_order=True).agg(pl.col("demand").sum())
    return int(np.argmax(totals.sort(KEYS)["demand"].to_numpy()))


def test_the_panel_supports_every_feature_and_quotes_what_the_reasons_need(labelled):
    panel, cfg = labelled
    data = anomaly_data(panel, cfg)
    assert data.features == list(FEATURES)
    assert data.X.shape == (panel.demand.height, len(FEATURES))
    row = data.rows.filter(pl.Series(scored_rows(data))).row(100, named=True)
    for signal in SIGNALS:  # the evidence's fullest wording of each feature finds what it quotes
        assert template_fields(signal.texts[0]) <= set(row), signal.feature
    # the first periods of a series are history, not scored
    first = data.rows.group_by(KEYS).agg(pl.col("sales_z").head(cfg.window // 2).is_null().all())
    assert first["sales_z"].all()


def test_features_use_only_the_past_and_reconcile_stock(labelled):
    panel, _ = labelled
    t = with_labels(panel)
    assert (t.filter(pl.col("anomaly_type") == "shrinkage")["stock_gap"] < 0).all()
    assert (t.filter(pl.col("anomaly_type") == "spike")["ledger_gap"] > 0).all()
    assert (t.filter(pl.col("anomaly_type") == "phantom")["dry_run"] > 0).mean() > 0.8
    # a clean period right after a clean period: the books balance exactly
    clean = t.with_columns(pl.col("anomaly_type").is_null().alias("_ok")).with_columns(
        (pl.col("_ok") & pl.col("_ok").shift(1).over(KEYS)).alias("_ok"))
    assert (clean.filter(pl.col("_ok") & pl.col("stock_gap").is_not_null())["stock_gap"] == 0).all()
    # a future change does not move a past feature
    cut = panel.dates[200]
    future = replace(panel, demand=panel.demand.with_columns(
        pl.when(pl.col("date") > cut).then(pl.col("demand") * 7).otherwise(pl.col("demand")).alias("demand")))
    before = pl.col("date") <= cut
    assert stock_sales_features(future).filter(before).equals(stock_sales_features(panel).filter(before))


def test_each_type_moves_its_feature(labelled):
    panel, _ = labelled
    s = busiest(panel)
    cases = [  # type, the fault, the feature and the least it reaches on the fault's rows
        ("price_typo", dict(price=pl.col("price") * 10), 3, "price_jump", np.log(10) - 0.3),
        ("frozen_feed", dict(stock_on_hand=pl.lit(None)), 6, "frozen_run", 1.0),
        ("duplicate_order", dict(demand=pl.col("demand") * 2 + 1), 1, "ledger_gap", 0.4),
        # 5 units a day come back: the ledger nets them off sales, the stock takes them back in
        ("returns_wave", dict(demand=pl.col("demand") - 5, stock_on_hand=pl.col("stock_on_hand") + 5 * pl.col("_k")),
         4, "stock_gap", 0.0),
        ("level_shift", dict(demand=pl.col("demand") * 4 + 5, purchases=pl.col("purchases") * 4 + 5), 20,
         "level_change", 0.0),
    ]
    for name, change, days, feature, least in cases:
        if name == "frozen_feed":  # the recorded stock repeats the value of the day before
            stock = panel.demand.filter(pl.int_range(pl.len()).over(KEYS) == 199).sort(KEYS)["stock_on_hand"][s]
            change = dict(stock_on_hand=pl.lit(stock), purchases=pl.col("purchases").clip(lower_bound=1),
                          receipts=pl.lit(0.0))
        faulty, hit = fault(panel, s, 200, days, **change)
        f = stock_sales_features(faulty).with_columns(hit.alias("_hit"))
        on = f.filter(pl.col("_hit"))[feature]
        normal = (stock_sales_features(panel).join(panel.truth.select(*KEYS, "date", "anomaly"), on=[*KEYS, "date"])
                  .filter((pl.col("item_id") == faulty.series_ids().row(s)[0]) & ~pl.col("anomaly"))[feature]
                  .drop_nulls())  # the series' periods without a labelled anomaly
        if name == "level_shift":  # news while the rolling median has not caught up (the first two weeks)
            before = stock_sales_features(panel).with_columns(hit.alias("_hit")).filter(pl.col("_hit"))[feature]
            assert on.slice(2, 12).mean() > max(normal.quantile(0.9), before.slice(2, 12).mean() + 2), name
        elif name == "returns_wave":
            assert (on > least).all() and (f.filter(pl.col("_hit"))["ledger_gap"] < 0).all(), name
        else:
            assert on.min() >= least, (name, on.to_list())
            assert on.min() > normal.quantile(0.95), name
    # a frozen run counts the periods, capped at the window
    frozen, hit = fault(panel, s, 200, 40, stock_on_hand=pl.lit(7.0), purchases=pl.lit(3.0), receipts=pl.lit(0.0))
    runs = stock_sales_features(frozen, window=28).filter(hit)["frozen_run"].to_list()
    assert runs[1:6] == [1.0, 2.0, 3.0, 4.0, 5.0] and max(runs) == 28.0


def test_a_panel_without_stock_or_price_gets_the_features_it_supports(tiny_panel):
    slim = DemandPanel(demand=tiny_panel.demand.select([*KEYS, "date", "demand"]), static=tiny_panel.static,
                       keys=tiny_panel.keys, name="slim")
    f = stock_sales_features(slim, window=14)
    assert [c for c in FEATURES if c in f.columns] == ["sales_z", "level_change", "frozen_run"]
    assert f["sales_z"].drop_nulls().len() > 0.8 * f.height


def test_closed_days_are_context_and_take_no_part(tiny_panel):
    quiet_sundays = stock_sales_features(closed_on_sundays(tiny_panel, 0.0), window=14)
    wild_sundays = stock_sales_features(closed_on_sundays(tiny_panel, 1e6), window=14)
    sunday = quiet_sundays["date"].dt.weekday() == 7
    assert quiet_sundays[CONTEXT].to_list() == sunday.to_list()
    assert quiet_sundays.filter(sunday).select(FEATURES).null_count().row(0) == (quiet_sundays.filter(sunday).height,) * 8
    # what the shop recorded on a closed day never enters an open day's features
    open_days = ~pl.col(CONTEXT)
    assert quiet_sundays.filter(open_days).select(FEATURES).equals(wild_sundays.filter(open_days).select(FEATURES))
    data = anomaly_data(closed_on_sundays(tiny_panel, 0.0), type("Cfg", (), {"window": 14})())
    assert not scored_rows(data)[sunday.to_numpy()].any()


def test_the_day_after_a_long_closure_is_context(tiny_panel):
    """A store shut for a week re-opens to a rush that is as scheduled as the closure; a store shut
    every Sunday re-opens to an ordinary Monday."""
    first = tiny_panel.dates[150]
    shut = pl.col("date").is_between(first, first + timedelta(days=6))
    panel = replace(tiny_panel, demand=tiny_panel.demand.with_columns(
        shut.cast(pl.Float64).alias("closed"), pl.when(shut).then(0.0).otherwise(pl.col("demand")).alias("demand")))
    rows = stock_sales_features(panel, window=14)
    assert rows.filter(pl.col("date") == first + timedelta(days=7))[CONTEXT].all()
    assert not rows.filter(pl.col("date") == first + timedelta(days=8))[CONTEXT].any()
    weekly = stock_sales_features(closed_on_sundays(tiny_panel, 0.0), window=14)
    assert not weekly.filter(pl.col("date").dt.weekday() == 1)[CONTEXT].any()


@pytest.mark.parametrize("closed", [False, True])
def test_the_newest_periods_from_a_tail_of_history_equal_the_batch(tiny_panel, closed):
    panel = closed_on_sundays(tiny_panel, 0.0) if closed else tiny_panel
    window, newest = 14, 5
    batch = stock_sales_features(panel, window)
    tail_len = history_needed(window) + newest
    tail = replace(panel, demand=panel.demand.filter(pl.int_range(pl.len()).over(KEYS) >= pl.len().over(KEYS) - tail_len))
    from_tail = stock_sales_features(tail, window)
    last = pl.int_range(pl.len()).over(KEYS) >= pl.len().over(KEYS) - newest
    assert from_tail.filter(last).equals(batch.filter(last))
    # one period less of history is not enough somewhere (the bound is tight enough to matter)
    short = replace(panel, demand=panel.demand.filter(
        pl.int_range(pl.len()).over(KEYS) >= pl.len().over(KEYS) - (tail_len - 10)))
    assert not stock_sales_features(short, window).filter(last).equals(batch.filter(last))


def test_a_window_too_short_is_named():
    with pytest.raises(ValueError, match="anomaly.window=1"):
        history_needed(1)
