from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from workbench.config import ANOMALY_TYPES, compose, section
from workbench.data import load_data
from workbench.data.labels import anomaly_events
from workbench.data.synthetic import generate_shop


def _cfg(**over):
    args = ["experiment=quick"] + [f"data.{k}={v}" for k, v in over.items()]
    return section(compose(args), "data")


def test_same_seed_same_panel_other_seed_other_panel():
    a = generate_shop(_cfg(n_items=5, n_days=120))
    b = generate_shop(_cfg(n_items=5, n_days=120))
    c = generate_shop(_cfg(n_items=5, n_days=120, seed=7))
    assert a.demand.equals(b.demand) and a.truth.equals(b.truth) and a.static.equals(b.static)
    assert not a.demand.equals(c.demand)


def test_shape_and_contract(tiny_panel):
    p = tiny_panel
    assert p.keys == ("item_id", "channel")
    assert p.n_series == 6 * 2
    assert p.demand.height == 12 * 240
    assert set(p.demand["channel"].unique()) == {"online", "store"}
    assert {"price", "promo", "holiday", "price_index"} == set(p.known_future)
    assert {"views", "carts", "purchases", "stock_on_hand", "receipts"} == set(p.past_covariates)
    for col in ("category", "unit_cost", "price", "holding_cost", "lead_time", "supplier", "volume"):
        assert col in p.static.columns
    assert (p.static["unit_cost"] < p.static["price"]).all()
    assert p.demand.select(pl.all().null_count()).sum_horizontal().item() == 0


def test_inventory_balance_holds_every_day(tiny_panel):
    """true stock[t] = stock[t-1] + receipts[t] + returns[t] - units sold[t] - shrinkage[t] (the sales
    ledger and the recorded stock may differ)."""
    keys = ["item_id", "channel"]
    truth = tiny_panel.truth.select(*keys, "date", "shrinkage", "returns", "sales", "true_stock")
    df = tiny_panel.demand.join(truth, on=[*keys, "date"])
    df = df.sort([*keys, "date"]).with_columns(pl.col("true_stock").shift(1).over(keys).alias("prev"))
    body = df.filter(pl.col("prev").is_not_null())
    expected = body["prev"] + body["receipts"] + body["returns"] - body["purchases"] - body["shrinkage"]
    assert np.array_equal(body["true_stock"].to_numpy(), expected.to_numpy())
    assert (df["purchases"] == df["sales"]).all() and (df["true_stock"] >= 0).all()
    assert body["returns"].sum() > 0 and body["shrinkage"].sum() > 0  # both terms are exercised


def test_stockouts_censor_sales(tiny_panel):
    t = tiny_panel.truth
    assert (t["sales"] <= t["true_demand"]).all()
    assert (t["lost_sales"] == t["true_demand"] - t["sales"]).all()
    lost = t.filter(pl.col("lost_sales") > 0)
    assert lost.height > 0, "the replenishment process should run out of stock sometimes"
    # a sale is lost only when the shelf is empty, or when nothing could be sold (phantom stock)
    assert ((lost["true_stock"] == 0) | ((lost["sales"] == 0) & lost["anomaly"])).all()


def _quick_shop():
    p = load_data(_cfg(n_items=12, n_days=400))
    return p, p.truth.join(p.demand, on=["item_id", "channel", "date"]).sort("item_id", "channel", "date")


def test_all_types_are_labelled_with_their_events():
    p, t = _quick_shop()
    labelled = t.filter(pl.col("anomaly"))
    assert set(labelled["anomaly_type"]) == set(ANOMALY_TYPES)
    assert labelled["anomaly_event"].null_count() == 0 and t.filter(~pl.col("anomaly"))["anomaly_event"].is_null().all()
    assert p.truth.schema["anomaly_event"] == pl.Int64
    # an event is one type on one series, over a run of days no longer than its type allows
    events = labelled.group_by("anomaly_event").agg(pl.col("item_id", "channel", "anomaly_type").n_unique(),
                                                     (pl.col("date").max() - pl.col("date").min()).dt.total_days())
    assert (events.select("item_id", "channel", "anomaly_type").to_numpy() == 1).all()
    assert events["date"].max() <= 2 * 56  # the longest spell (a level shift), or two that overlap
    # about 1.5 events of each type per series and year, after the 60-day burn-in
    per_type = anomaly_events(p.truth, ["item_id", "channel"]).group_by("anomaly_type").len()
    years = p.n_series * (400 - 60) / 365
    assert per_type["len"].min() >= 0.4 * 1.5 * years and per_type["len"].max() <= 2.0 * 1.5 * years


def test_each_type_shows_in_the_records():
    p, t = _quick_shop()
    of = {name: t.filter(pl.col("anomaly_type") == name) for name in ANOMALY_TYPES}
    clean = t.filter(~pl.col("anomaly"))
    assert (clean["demand"] == clean["purchases"]).all() and (clean["stock_on_hand"] == clean["true_stock"]).all()
    assert (of["spike"]["demand"] >= 5 * of["spike"]["purchases"]).all()
    assert (of["shrinkage"]["shrinkage"] > 0).all()
    assert (of["phantom"]["purchases"] == 0).all() and (of["phantom"]["true_stock"] > 0).all()
    returns = of["returns_wave"]
    assert (returns["returns"] > 0).all() and (returns["demand"] == returns["purchases"] - returns["returns"]).all()
    assert (returns["demand"] < returns["purchases"]).all()
    dup = of["duplicate_order"]
    assert ((dup["demand"] == 2 * dup["purchases"]) | ((dup["purchases"] == 0) & (dup["demand"] > 0))).all()
    # a frozen feed repeats the day before the event: the stock or the sales record stays put
    prev = t.with_columns(pl.col("stock_on_hand", "demand").shift(1).over("item_id", "channel").name.suffix("_before"))
    frozen = prev.filter((pl.col("anomaly_type") == "frozen_feed")
                         & (pl.col("anomaly_event").shift(1) == pl.col("anomaly_event")))
    assert ((frozen["stock_on_hand"] == frozen["stock_on_hand_before"]) | (frozen["demand"] == frozen["demand_before"])).all()
    assert (frozen["stock_on_hand"] != frozen["true_stock"]).any() and (frozen["demand"] != frozen["purchases"]).any()
    # a price typo is ten times or a tenth of the price the shop set: the same shop without typos
    cfg = _cfg(n_items=12, n_days=400)
    typo_free = generate_shop(replace(cfg, price_typo_rate=0.0)).demand.select("item_id", "channel", "date", "price")
    ratio = t.join(typo_free, on=["item_id", "channel", "date"], suffix="_set").select(
        "anomaly", "anomaly_type", (pl.col("price") / pl.col("price_set")).alias("ratio"))
    typos = ratio.filter(pl.col("anomaly_type") == "price_typo")["ratio"]
    assert typos.len() > 0 and ((typos == 10.0) | ((typos - 0.1).abs() < 1e-12)).all()
    assert ratio.filter(pl.col("ratio") != 1.0)["anomaly"].all()
    # a level shift moves the true demand: the spells' mean is off the series' usual mean
    mean = t.group_by("item_id", "channel").agg(pl.col("true_demand").mean().alias("usual"))
    shift = (of["level_shift"].join(mean, on=["item_id", "channel"]).group_by("anomaly_event")
             .agg((pl.col("true_demand").mean() / pl.col("usual").first()).alias("ratio")))
    assert ((shift["ratio"] < 0.8) | (shift["ratio"] > 1.4)).mean() > 0.7


def test_seasonality_promotions_and_mix_are_there():
    p = load_data(_cfg(n_items=40, n_days=730))
    d = p.demand.join(p.truth.select(["item_id", "channel", "date", "true_demand"]), on=["item_id", "channel", "date"])
    by_dow = d.filter(pl.col("channel") == "store").group_by(pl.col("date").dt.weekday()).agg(pl.col("true_demand").mean())
    assert by_dow["true_demand"].max() / by_dow["true_demand"].min() > 1.3  # store Saturdays
    promo = d.group_by("promo").agg(pl.col("true_demand").mean()).sort("promo")["true_demand"]
    assert promo[1] > promo[0] * 1.2
    assert p.static["slow_mover"].any() and not p.static["slow_mover"].all()


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="data.n_days"):
        generate_shop(_cfg(n_items=3, n_days=10))
