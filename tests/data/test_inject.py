"""Anomalies injected into any panel: each type changes the rows it labels, as it should, and
nothing else; seeded; skipped where the panel lacks the column; ragged weekly panels; labels
merged into an existing truth."""

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from workbench.config import ANOMALY_TYPES
from workbench.config.anomaly import InjectConfig
from workbench.data import DemandPanel, validate_panel
from workbench.data.inject import inject_anomalies
from workbench.data.labels import anomaly_events

KEYS = ["item_id", "channel"]


def _inject(panel, types, per_1000=8.0, seed=1, window=28):
    return inject_anomalies(panel, InjectConfig(types=list(types), per_1000=per_1000, seed=seed), window)


@pytest.fixture(scope="module")
def bare(tiny_panel):
    """The tiny shop as real data: no truth."""
    return replace(tiny_panel, truth=None)


def _compare(before: DemandPanel, after: DemandPanel) -> pl.DataFrame:
    """The two panels' columns side by side (``<col>_new``), with the labels, sorted by series and date."""
    new = after.demand.join(after.truth, on=[*after.keys, "date"])
    return before.demand.join(new, on=[*before.keys, "date"], suffix="_new").sort(*before.keys, "date")


def _changed(df: pl.DataFrame, column: str) -> pl.Series:
    return df[column] != df[f"{column}_new"]


@pytest.mark.parametrize("kind", ["spike", "duplicate_order", "price_typo", "level_shift", "phantom", "frozen_feed"])
def test_each_type_changes_only_the_rows_it_labels(bare, kind):
    out = _inject(bare, [kind])
    df = _compare(bare, out.panel)
    labelled = df["anomaly"]
    assert out.events.height >= 3 and set(out.events["anomaly_type"]) == {kind}
    assert out.panel.truth["anomaly"].sum() == out.events["periods"].sum()  # one type: no overlaps
    for column in ("demand", "price", "stock_on_hand", "purchases", "views", "receipts"):
        assert not (_changed(df, column) & ~labelled).any(), f"{kind} changed {column} outside its events"
    hit = df.filter(labelled)
    if kind == "spike":
        sold = hit.filter(pl.col("demand") > 0)
        ratio = sold["demand_new"] / sold["demand"]
        assert sold.height and ratio.min() >= 4.5 and ratio.max() <= 15.5
        assert (hit.filter(pl.col("demand") == 0)["demand_new"] >= 5).all()
        assert (hit["purchases_new"] == hit["purchases"]).all()  # a ledger error: the analytics feed is right
    elif kind == "duplicate_order":
        sold = hit.filter(pl.col("demand") > 0)
        assert (sold["demand_new"] == 2 * sold["demand"]).all()
        assert (hit.filter(pl.col("demand") <= 0)["demand_new"] > hit.filter(pl.col("demand") <= 0)["demand"]).all()
    elif kind == "price_typo":
        ratio = hit["price_new"] / hit["price"]
        assert ((ratio == 10.0) | ((ratio - 0.1).abs() < 1e-12)).all() and _changed(hit, "price").all()
        assert {"price x10", "price /10"} >= set(out.events["detail"])
    elif kind == "level_shift":
        factor = out.events.select("event", pl.col("detail").str.extract(r"x([\d.]+)").cast(pl.Float64))
        spell = hit.join(factor, left_on="anomaly_event", right_on="event")
        for column in ("demand", "purchases"):  # both: customers really bought more, or less
            assert ((spell[f"{column}_new"] - (spell[column] * spell["detail"]).round(0)).abs() <= 1).all()
        assert (spell["detail"].is_between(0.3, 0.6) | spell["detail"].is_between(1.8, 3.0)).all()
    elif kind == "phantom":
        assert (hit["demand_new"] == 0).all() and (hit["purchases_new"] == 0).all()
        flat = hit.group_by("anomaly_event").agg(pl.col("stock_on_hand_new").n_unique().alias("values"))
        assert (flat["values"] == 1).all() and (hit["stock_on_hand_new"] > 0).all()  # the books show stock
    elif kind == "frozen_feed":
        before = df.with_columns(pl.col("stock_on_hand").shift(1).over(KEYS).alias("before"))
        starts = before.filter(pl.col("anomaly") & (pl.col("anomaly_event").shift(1).ne_missing(pl.col("anomaly_event"))))
        held = starts.select("anomaly_event", pl.col("before").alias("held"))
        spell = hit.join(held, on="anomaly_event")
        assert (spell["stock_on_hand_new"] == spell["held"]).all() and (spell["held"] > 0).all()
        assert (spell["demand_new"] == spell["demand"]).all()
        assert out.events["detail"].str.starts_with("stock_on_hand frozen at ").all()


def test_lasting_stock_changes_carry_on_to_the_series_end(bare):
    """A shrinkage lowers the stock from its day on (never below 0); a returns wave lowers demand
    by the returns and raises the stock by the units returned so far."""
    shrink = _compare(bare, _inject(bare, ["shrinkage"]).panel)
    start = shrink.with_columns(pl.col("anomaly").cast(pl.Int64).cum_sum().over(KEYS).alias("after"))
    before = start.filter(pl.col("after") == 0)
    assert (before["stock_on_hand_new"] == before["stock_on_hand"]).all()
    assert (start["stock_on_hand_new"] <= start["stock_on_hand"]).all() and (start["stock_on_hand_new"] >= 0).all()
    hit = start.filter(pl.col("anomaly"))
    assert ((hit["stock_on_hand"] - hit["stock_on_hand_new"]) >= 0.2 * hit["stock_on_hand"] - 1).all()
    assert (hit["stock_on_hand_new"] < hit["stock_on_hand"]).all()
    assert not (_changed(start, "demand") | _changed(start, "purchases")).any()

    out = _inject(bare, ["returns_wave"])
    wave = _compare(bare, out.panel)
    back = (wave["demand"] - wave["demand_new"]).to_numpy()
    assert (back[wave["anomaly"].to_numpy()] >= 1).all() and (back[~wave["anomaly"].to_numpy()] == 0).all()
    carried = wave.with_columns(pl.Series("back", back)).with_columns(pl.col("back").cum_sum().over(KEYS).alias("carried"))
    assert (carried["stock_on_hand_new"] == carried["stock_on_hand"] + carried["carried"]).all()
    assert (wave["purchases_new"] == wave["purchases"]).all()  # the analytics feed counts gross sales


def test_same_seed_same_events_other_seed_other_events(bare):
    a, b, c = (_inject(bare, ANOMALY_TYPES, seed=s) for s in (5, 5, 6))
    assert a.events.equals(b.events) and a.panel.demand.equals(b.panel.demand) and a.panel.truth.equals(b.panel.truth)
    assert not a.events.select(*KEYS, "start").equals(c.events.select(*KEYS, "start"))
    # each type draws from its own stream: asking for fewer types leaves the others' events where they were
    where = [*KEYS, "start", "end", "periods"]
    alone = _inject(bare, ["spike"], seed=5).events
    assert alone.select(where).equals(a.events.filter(pl.col("anomaly_type") == "spike").select(where))


def test_counts_follow_the_rate_and_events_start_after_the_burn_in(bare):
    out = _inject(bare, ["spike", "level_shift"], per_1000=10.0, window=50)
    expected = 10.0 * bare.demand.height / 1000
    counts = dict(out.events.group_by("anomaly_type").len().iter_rows())
    assert 0.5 * expected <= counts["spike"] <= 1.6 * expected and counts["level_shift"] >= 0.3 * expected
    first = bare.demand["date"].min()
    assert (out.events["start"] >= first + timedelta(days=50)).all()
    assert (out.events["end"] <= bare.demand["date"].max()).all()
    assert ((out.events["end"] - out.events["start"]).dt.total_days() + 1 == out.events["periods"]).all()


def test_types_the_panel_cannot_carry_are_skipped_and_named(bare):
    plain = replace(bare, demand=bare.demand.drop("stock_on_hand", "price"))
    out = _inject(plain, ANOMALY_TYPES)
    assert set(out.skipped) == {"shrinkage", "phantom", "price_typo"}
    assert out.skipped["price_typo"] == "price_typo: the panel has no price column"
    assert "stock_on_hand" in out.skipped["shrinkage"]
    assert set(out.events["anomaly_type"]) == set(ANOMALY_TYPES) - set(out.skipped)
    frozen = out.events.filter(pl.col("anomaly_type") == "frozen_feed")
    assert (frozen["column"] == "demand").all()  # no stock: the sales feed freezes


def _weekly_ragged(seed: int = 0) -> DemandPanel:
    """Weekly sales of stores of very different sizes, each series with its own first and last week."""
    rng = np.random.default_rng(seed)
    frames = []
    for s, (begin, length, size) in enumerate([(0, 150, 20000.0), (30, 90, 300.0), (10, 60, 3.0), (50, 120, 80.0)]):
        weeks = [date(2020, 1, 6) + timedelta(weeks=begin + k) for k in range(length)]
        frames.append(pl.DataFrame({"item_id": f"W{s}", "date": weeks,
                                    "demand": np.round(rng.gamma(4.0, size / 4.0, length), 2)}))
    demand = pl.concat(frames)
    return validate_panel(DemandPanel(demand=demand, static=pl.DataFrame({"item_id": [f"W{s}" for s in range(4)]}),
                                      frequency="1w", name="weekly"))


def test_a_ragged_weekly_panel_without_labels_gets_them():
    panel = _weekly_ragged()
    out = _inject(panel, ANOMALY_TYPES, per_1000=30.0, window=8)
    assert set(out.skipped) == {"shrinkage", "phantom", "price_typo"}
    assert out.panel.truth.columns == ["item_id", "date", "anomaly_type", "anomaly", "anomaly_event"]
    assert out.panel.truth.height == panel.demand.height and out.events.height >= 5
    span = panel.demand.group_by("item_id").agg(pl.col("date").min().alias("first"), pl.col("date").max().alias("last"),
                                                pl.len().alias("n"))
    ev = out.events.join(span, on="item_id")
    burn = pl.max_horizontal(pl.lit(8), (0.1 * pl.col("n")).ceil().cast(pl.Int64))
    assert (ev["start"] >= ev.select(pl.col("first") + pl.duration(weeks=burn)).to_series()).all()
    assert (ev["end"] <= ev["last"]).all()
    assert out.panel.demand.schema == panel.demand.schema
    # magnitudes follow each series' own level: a level shift on the big store and on the slow one alike
    shifted = _compare(panel, _inject(panel, ["level_shift"], per_1000=30.0, window=8).panel).filter(pl.col("anomaly"))
    ratio = shifted.group_by("item_id").agg((pl.col("demand_new") / pl.col("demand")).median().alias("r"))["r"]
    assert ratio.len() >= 3 and (ratio.is_between(0.29, 0.61) | ratio.is_between(1.79, 3.01)).all()


def test_existing_labels_are_kept_and_event_ids_continue(tiny_panel):
    old = tiny_panel.truth
    top = old["anomaly_event"].max()
    out = _inject(tiny_panel, ["spike", "price_typo"], per_1000=5.0)
    truth = out.panel.truth
    assert truth.columns == old.columns and truth.height == old.height
    assert out.events["event"].min() == top + 1 and out.events["event"].n_unique() == out.events.height
    new_rows = truth.filter(pl.col("anomaly_event") > top)
    assert new_rows.height == out.events["periods"].sum() - _overlaps(out.events)
    kept = truth.join(new_rows.select(*KEYS, "date"), on=[*KEYS, "date"], how="anti")
    base = old.join(new_rows.select(*KEYS, "date"), on=[*KEYS, "date"], how="anti")
    assert kept.select("anomaly_type", "anomaly_event").equals(base.select("anomaly_type", "anomaly_event"))


def _overlaps(events: pl.DataFrame) -> int:
    """Periods that two injected events share (a later type labels them)."""
    days = events.select(*KEYS, "event", pl.date_ranges("start", "end").alias("date")).explode("date")
    return days.height - days.select(*KEYS, "date").n_unique()


def test_the_events_read_back_from_the_labels_agree(bare):
    out = _inject(bare, ANOMALY_TYPES, per_1000=3.0)
    back = anomaly_events(out.panel.truth, KEYS)
    days = out.events.select(*KEYS, "event", pl.date_ranges("start", "end").alias("date")).explode("date")
    shared = days.filter(pl.len().over(*KEYS, "date") > 1)["event"].unique()
    alone = out.events.filter(~pl.col("event").is_in(shared.implode()))
    assert alone.height >= 0.5 * out.events.height
    cols = [*KEYS, "event", "anomaly_type", "start", "end", "periods"]
    assert alone.select(cols).sort("event").equals(back.filter(pl.col("event").is_in(alone["event"].implode()))
                                                   .select(cols).sort("event"))


def test_bad_settings_are_named(bare):
    with pytest.raises(ValueError, match="anomaly.inject.types"):
        _inject(bare, ["spike", "typo"])
    with pytest.raises(ValueError, match="anomaly.inject.per_1000"):
        _inject(bare, ["spike"], per_1000=-1.0)
    with pytest.raises(ValueError, match="anomaly.window"):
        _inject(bare, ["spike"], window=-3)
