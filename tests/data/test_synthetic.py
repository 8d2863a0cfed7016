import numpy as np
import polars as pl
import pytest

from workbench.config import compose, section
from workbench.data import load_data
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
    """stock[t] = stock[t-1] + receipts[t] - units sold[t] - shrinkage[t] (the sales ledger may differ)."""
    keys = ["item_id", "channel"]
    df = tiny_panel.demand.join(tiny_panel.truth.select([*keys, "date", "shrinkage"]), on=[*keys, "date"])
    df = df.sort([*keys, "date"]).with_columns(pl.col("stock_on_hand").shift(1).over(keys).alias("prev"))
    body = df.filter(pl.col("prev").is_not_null())
    expected = body["prev"] + body["receipts"] - body["purchases"] - body["shrinkage"]
    assert np.array_equal(body["stock_on_hand"].to_numpy(), expected.to_numpy())
    assert (df["stock_on_hand"] >= 0).all()


def test_stockouts_censor_sales(tiny_panel):
    t = tiny_panel.truth
    assert (t["sales"] <= t["true_demand"]).all()
    assert (t["lost_sales"] == t["true_demand"] - t["sales"]).all()
    lost = t.join(tiny_panel.demand.select(["item_id", "channel", "date", "stock_on_hand"]),
                  on=["item_id", "channel", "date"]).filter(pl.col("lost_sales") > 0)
    assert lost.height > 0, "the replenishment process should run out of stock sometimes"
    # a sale is lost only when the shelf is empty (stock at zero) or the stock is phantom
    assert ((lost["stock_on_hand"] == 0) | (lost["anomaly_type"] == "phantom")).all()


def test_anomaly_labels_present_and_consistent():
    p = load_data(_cfg(n_items=20, n_days=400))
    t = p.truth.join(p.demand, on=["item_id", "channel", "date"])
    kinds = set(t.filter(pl.col("anomaly"))["anomaly_type"].unique())
    assert kinds == {"shrinkage", "spike", "phantom"}
    spikes = t.filter(pl.col("anomaly_type") == "spike")
    assert (spikes["demand"] != spikes["purchases"]).all()
    clean = t.filter(~pl.col("anomaly"))
    assert (clean["demand"] == clean["purchases"]).all()
    shrink = t.filter(pl.col("anomaly_type") == "shrinkage")
    assert (shrink["shrinkage"] > 0).all()
    phantom = t.filter(pl.col("anomaly_type") == "phantom")
    assert (phantom["purchases"] == 0).all() and (phantom["stock_on_hand"] > 0).all()


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
